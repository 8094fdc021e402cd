"""The Word report of one scope and snapshot (python-docx), from dashboard.facts; as PDF through LibreOffice.

Every page has a header (place, as-of date, demo label) and a footer (source, page N of M as PAGE / NUMPAGES
fields); the sections are numbered in order of what is in the report; the contents list links each heading with
a PAGEREF field to its bookmark (Word and LibreOffice fill in the page when they lay the document out). Labels: dashboard.i18n.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from dashboard import progress
from dashboard import queries as Q
from dashboard.exports import neutralise
from dashboard.facts import EA_FONT, LATIN_FONT, MAP_MEASURE, Facts, report_inputs
from dashboard.figures import year_label
from dashboard.filters import LEVELS
from dashboard.i18n import fmt_count, fmt_date, fmt_int, fmt_number, fmt_pct, t, value_label
from dashboard.quarter import Quarter

MAX_VILLAGE_ROWS = 300
ZH_NUMERALS = "一二三四五六七八九十"
PDF_TIMEOUT_S = 120


def product(lang: str = "zh") -> str:
    """The author of the documents: the product."""
    return t("app_title", lang)


def section_number(i: int, lang: str) -> str:
    """1 → '一、' (zh) / '1. ' (en)."""
    return t("section_n", lang, zh=ZH_NUMERALS[i - 1], n=i)


def summary_text(fx: Facts, behind_c: int, behind_v: int) -> str:
    k, y, lang = fx.kpis, fx.filters.year, fx.filters.lang
    p = k["people"]
    s = t("r_sum_people", lang, date=fmt_date(fx.as_of.end, lang), name=fx.name, year=y,
          actual=fmt_count(p["actual"], "people", lang), plan=fmt_count(p["plan"], "people", lang),
          pct=fmt_pct(p["completion"], lang))
    status = t("rag_" + p["status"], lang)
    if fx.as_of.number < 4:
        s += t("r_sum_midyear", lang, share=fmt_pct(fx.share, lang), status=status,
               proj=fmt_count(round(fx.projection or 0), "people", lang))
    else:
        s += t("r_sum_year", lang, status=status)
    v, c = k["villages"], k["counties"]
    s += t("r_sum_cum", lang, cum=fmt_count(p["cum_actual"], "people", lang), total=fmt_count(p["total"], "people", lang),
           vc=fmt_int(v["cum_actual"]), vt=fmt_int(v["total"]), year=y, vp=fmt_int(v["plan"]), va=fmt_int(v["actual"]),
           cc=fmt_int(c["cum_actual"]), ct=fmt_int(c["total"]))
    s += t("r_sum_behind", lang, c=fmt_int(behind_c), v=fmt_int(behind_v))
    return s


# ---------------------------------------------------------------- python-docx helpers
def _ea(run_or_style, name: str = EA_FONT) -> None:
    from docx.oxml.ns import qn

    el = run_or_style.element
    rpr = el.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), name)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)


def _run(p, text: str, bold=False, size=None, color=None):
    from docx.shared import Pt, RGBColor

    r = p.add_run(text)
    r.bold = bold
    if size:
        r.font.size = Pt(size)
    if color:
        r.font.color.rgb = RGBColor.from_string(color)
    _ea(r)
    return r


def _para(doc, text: str, style: str | None = None, bold=False, size=None, color=None):
    p = doc.add_paragraph(style=style)
    _run(p, text, bold, size, color)
    return p


def _field(p, instr: str, shown: str, size=None, color=None) -> None:
    """A complex field (PAGE, NUMPAGES, PAGEREF …) with `shown` as its last computed result."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def char(kind):
        r = _run(p, "", size=size, color=color)
        fc = OxmlElement("w:fldChar")
        fc.set(qn("w:fldCharType"), kind)
        r._r.append(fc)

    char("begin")
    r = _run(p, "", size=size, color=color)
    it = OxmlElement("w:instrText")
    it.set(qn("xml:space"), "preserve")
    it.text = f" {instr} "
    r._r.append(it)
    char("separate")
    _run(p, shown, size=size, color=color)
    char("end")


def _bookmark(p, name: str, n: int) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    start, end = OxmlElement("w:bookmarkStart"), OxmlElement("w:bookmarkEnd")
    start.set(qn("w:id"), str(n))
    start.set(qn("w:name"), name)
    end.set(qn("w:id"), str(n))
    p._p.insert(1 if p._p.pPr is not None else 0, start)
    p._p.append(end)


def _table(doc, header: list[str], rows: list[list[str]]):
    from docx.shared import Pt

    tb = doc.add_table(rows=1, cols=len(header))
    tb.style = "Table Grid"
    for cell, txt in zip(tb.rows[0].cells, header):
        cell.text = ""
        r = cell.paragraphs[0].add_run(str(txt))
        r.bold = True
        r.font.size = Pt(9.5)
        _ea(r)
    for row in rows:
        cells = tb.add_row().cells
        for cell, txt in zip(cells, row):
            r = cell.paragraphs[0].add_run(neutralise(str(txt)))
            r.font.size = Pt(9.5)
            _ea(r)
    return tb


class _Doc:
    """The document being written: numbered headings with bookmarks, and the contents list filled at the end."""

    def __init__(self, doc, lang: str):
        self.doc, self.lang = doc, lang
        self.headings: list[tuple[int, str, str]] = []  # (level, text, bookmark)
        self.number = 0

    def heading(self, text: str, level: int = 1):
        if level == 1:
            self.number += 1
            text = section_number(self.number, self.lang) + text
        h = self.doc.add_heading(level=level)
        _ea(h.add_run(text))
        mark = f"_Toc{len(self.headings) + 1:04d}"
        _bookmark(h, mark, len(self.headings) + 1)
        self.headings.append((level, text, mark))
        return h

    def contents(self, anchor) -> None:
        """The contents list, built from the headings (one line each, its page a PAGEREF field), before `anchor`."""
        from docx.enum.text import WD_TAB_ALIGNMENT, WD_TAB_LEADER
        from docx.shared import Cm

        title = anchor.insert_paragraph_before()
        _run(title, t("r_toc", self.lang), bold=True, size=14)
        paras = []
        for level, text, mark in self.headings:
            p = anchor.insert_paragraph_before()
            p.paragraph_format.tab_stops.add_tab_stop(Cm(17), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
            p.paragraph_format.left_indent = Cm(0.8 * (level - 1))
            paras.append((p, text, mark))
        for p, text, mark in paras:
            _run(p, f"{text}\t", size=10.5)
            _field(p, f"PAGEREF {mark} \\h", "?", size=10.5)


def _header_footer(sec, fx: Facts) -> None:
    """Header: place · as-of · demo label; footer: source · page N of M (fields), on every page."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    lang = fx.filters.lang
    sep = t("colon", lang)
    head = sec.header.paragraphs[0]
    as_of = t("date_quarter", lang, date=fmt_date(fx.as_of.end, lang), quarter=fx.as_of)
    _run(head, f"{fx.name} · {t('as_of', lang)}{sep}{as_of}", size=9, color="3E4C59")
    if fx.demo:
        _run(head, " · " + t("demo_label", lang), bold=True, size=9, color="8E0E1E")
    foot = sec.footer.paragraphs[0]
    foot.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(foot, f"{t('source', lang)}{sep}{t('source_text', lang)} · ", size=8.5, color="3E4C59")
    before, _, rest = t("r_page", lang, page="\0", pages="\1").partition("\0")
    middle, _, after = rest.partition("\1")
    _run(foot, before, size=8.5, color="3E4C59")
    _field(foot, "PAGE", "1", size=8.5, color="3E4C59")
    _run(foot, middle, size=8.5, color="3E4C59")
    _field(foot, "NUMPAGES", "1", size=8.5, color="3E4C59")
    _run(foot, after, size=8.5, color="3E4C59")


def properties(cp, fx: Facts, title_key: str) -> None:
    """Real document properties: title, subject, the product as author, created now (python-docx and
    python-pptx both start from a template saying 'python-docx' / 2013)."""
    lang = fx.filters.lang
    now = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    cp.title = t(title_key, lang, name=fx.name, quarter=fx.as_of)
    cp.subject = t("r_subject", lang, date=fmt_date(fx.as_of.end, lang))
    cp.author = cp.last_modified_by = product(lang)
    cp.keywords = t("r_keywords", lang, name=fx.name, quarter=fx.as_of)
    cp.comments = t("demo_label", lang) if fx.demo else ""
    cp.category = ""
    cp.created = cp.modified = now
    cp.revision = 1
    cp.language = t("doc_language", lang)


def kpi_rows(fx: Facts) -> list[list[str]]:
    lang = fx.filters.lang
    rows = []
    for lv in LEVELS:
        k = fx.kpis[lv]
        rows.append([t(f"level_{lv}", lang), fmt_int(k["plan"]), fmt_int(k["actual"]), fmt_pct(k["completion"], lang),
                     fmt_pct(fx.share, lang) if lv == "people" else t("r_year_end", lang), t("rag_" + k["status"], lang),
                     fmt_int(k["cum_actual"]), fmt_int(k["total"])])
    return rows


def kpi_header(lang: str) -> list[str]:
    return [t(k, lang) for k in ("r_col_indicator", "r_col_plan", "r_col_done", "kpi_completion", "r_col_expected",
                                  "col_status", "r_col_cum", "kpi_total")]


def year_text(y) -> str:
    """A year as a year: 2018, never '2,018'."""
    return "—" if y is None or y != y else str(int(y))


def build_docx(code: str, as_of: Quarter | str | None, lang: str = "zh") -> bytes:
    """The Word report of place `code` as of a loaded quarter, a date (snapped to the quarter before) or the latest,
    in `lang` (zh | en)."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    r = report_inputs(code, as_of, lang)
    fx, bc, bv = r.fx, r.behind_c, r.behind_v

    doc = Document()
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.left_margin = sec.right_margin = Cm(2)
    for sname in ("Normal", "Title", "Heading 1", "Heading 2", "Table Grid"):
        st = doc.styles[sname]
        st.font.name = LATIN_FONT
        rpr = st.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.insert(0, fonts)
        fonts.set(qn("w:eastAsia"), EA_FONT)
    doc.styles["Normal"].font.size = Pt(11)
    properties(doc.core_properties, fx, "r_doc_title")
    _header_footer(sec, fx)
    d = _Doc(doc, lang)

    t0 = doc.add_heading(level=0)
    _ea(t0.add_run(t("r_title", lang, name=fx.name)))
    _para(doc, r.note, size=10, color="3E4C59")
    _para(doc, f"{t('source', lang)}{t('colon', lang)}{t('source_text', lang)}", size=10, color="3E4C59")
    if fx.demo:
        _para(doc, t("demo_label", lang) + t("colon", lang) + t("demo_notice", lang), bold=True, size=10,
              color="8E0E1E")

    first = d.heading(t("r_s_overview", lang))
    _para(doc, summary_text(fx, len(bc), len(bv)))
    _table(doc, kpi_header(lang), kpi_rows(fx))
    _para(doc, progress.rule_sentence(lang, fx.as_of.end, fx.share, fx.basis, fx.basis_year), size=9, color="3E4C59")

    d.heading(t("ch_schedule", lang))
    s = {lv: fx.schedules[lv].set_index("year") for lv in LEVELS}
    years = sorted(set().union(*[set(v.index) for v in s.values()]))
    rows = []
    for y in years:
        row = [year_label(y, lang)]
        for lv in LEVELS:
            if y in s[lv].index:
                row += [fmt_int(s[lv].loc[y, "plan"]), fmt_int(s[lv].loc[y, "actual"]) if y <= fx.filters.year else "—"]
            else:
                row += ["—", "—"]
        rows.append(row)
    header = [t("r_col_year", lang)]
    for lv in LEVELS:
        header += [t("r_col_level_plan", lang, level=t(f"level_{lv}", lang)),
                   t("r_col_level_actual", lang, level=t(f"level_{lv}", lang))]
    _table(doc, header, rows)
    _para(doc, t("r_schedule_note", lang, date=fmt_date(fx.as_of.end, lang)), size=9)
    doc.add_picture(io.BytesIO(r.schedule_png()), width=Cm(17))

    if fx.level != "county":
        png = r.map_png()
        d.heading(t("r_s_map", lang, metric=t(MAP_MEASURE, lang)))
        if png:
            doc.add_picture(io.BytesIO(png), width=Cm(17))
        else:
            _para(doc, t("r_no_map", lang))

    d.heading(t("r_s_pathways", lang))
    pw = fx.pathways
    _table(doc, [t(k, lang) for k in ("r_col_pathway", "r_col_unit", "plan", "actual", "kpi_completion")],
           [[t(f"pw_{r.pathway}", lang), t("households" if r.unit == "households" else "people", lang),
             fmt_int(r.plan), fmt_int(r.actual), fmt_pct(r.actual / r.plan if r.plan else None, lang)]
            for r in pw.itertuples()])
    _para(doc, t("r_pathways_note", lang), size=9)
    doc.add_picture(io.BytesIO(r.pathways_png()), width=Cm(17))

    d.heading(t("r_s_behind", lang))
    d.heading(t("r_behind_counties", lang, n=fmt_int(len(bc))), 2)
    if len(bc):
        _table(doc, [t(k, lang) for k in ("r_col_county_code", "r_col_county", "f_prefecture", "r_col_plan_year",
                                          "r_col_done_year", "r_col_cum", "r_col_expected", "mt_progress", "col_status")],
               [[r.county_code, r.county_name, r.prefecture_name or "", fmt_int(r.plan_people), fmt_int(r.actual_people),
                 fmt_int(r.cum_actual_people), fmt_int(round(r.expected_people)), fmt_pct(r.completion, lang),
                 t("rag_" + r.status, lang)] for r in bc.itertuples()])
        _para(doc, t("r_progress_note", lang), size=9)
    else:
        _para(doc, t("r_no_behind_counties", lang))
    d.heading(t("r_behind_villages", lang, n=fmt_int(len(bv))), 2)
    if len(bv):
        shown = bv.head(MAX_VILLAGE_ROWS)
        _table(doc, [t(k, lang) for k in ("r_col_village_code", "col_village", "col_township", "r_col_county",
                                          "col_planned", "col_incidence", "col_people_left")],
               [[r.village_code, r.village_name, r.township_name or "", r.county_name, year_text(r.planned_exit_year),
                 fmt_pct(r.incidence, lang), fmt_int(r.remaining_people)] for r in shown.itertuples()])
        if len(bv) > len(shown):
            _para(doc, t("r_villages_capped", lang, shown=len(shown), n=fmt_int(len(bv))), size=9)
    else:
        _para(doc, t("r_no_behind_villages", lang))

    targets_section(d, doc, fx)

    d.heading(t("r_s_notes", lang))
    for line in (
        r.note,
        f"{t('source', lang)}{t('colon', lang)}{t('source_text', lang)}",
        t("r_note_plan", lang),
        t("r_note_incidence", lang),
        (t("demo_label", lang) + t("colon", lang) + t("demo_notice", lang)) if fx.demo else "",
        t("r_generated", lang, time=f"{dt.datetime.now():%Y-%m-%d %H:%M}", version=Q.meta().get("warehouse_version", "")),
    ):
        if line:
            _para(doc, line, size=9.5)
    d.contents(first)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def targets_section(d, doc, fx: Facts) -> None:
    """The plan targets due in the report's year and behind (dashboard.targets), with the rule."""
    from dashboard import charts, targets

    if not Q.has_targets():
        return
    lang, year = fx.filters.lang, fx.filters.year
    summ = charts.target_summary(fx.filters, Q.viewer_scope())
    due = targets.due_this_year_behind(summ, year)
    d.heading(t("tg_due_title", lang, year=year))
    c = targets.counts(summ)
    _para(doc, t("tg_counts", lang, now="，".join(f"{t(f'tg_now_{k}', lang)} {v}" for k, v in c["now"].items()),
                 ahead="，".join(f"{t(f'tg_ahead_{k}', lang)} {v}" for k, v in c["ahead"].items())))
    if due.empty:
        _para(doc, t("tg_due_none", lang, year=year))
    else:
        _table(doc, [t(k, lang) for k in ("tg_f_sector", "tg_col_id", "tg_col_quote", "tg_col_target", "tg_col_latest",
                                          "tg_col_deadline", "tg_col_now", "tg_col_ahead", "tg_col_units_behind")],
               [[value_label(r.sector, lang), r.target_id, r.quote, f"{fmt_number(r.target, lang)} {value_label(r.unit, lang)}",
                 fmt_number(r.latest, lang) if r.latest == r.latest else "—", str(r.deadline)[:10],
                 t(f"tg_now_{r.status}", lang), t(f"tg_ahead_{r.ahead}", lang), fmt_int(r.units_behind)]
                for r in due.itertuples()])
    _para(doc, targets.rule_sentence(lang), size=9, color="3E4C59")


# ---------------------------------------------------------------- PDF (LibreOffice headless)
class PdfError(RuntimeError):
    """LibreOffice is missing, failed or took too long."""


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def office_to_pdf(data: bytes, suffix: str = ".docx", timeout: float = PDF_TIMEOUT_S) -> bytes:
    """A DOCX or PPTX → PDF bytes through LibreOffice headless: a private profile in a temporary folder (no shared
    state between conversions or with a user's LibreOffice), an argument list (no shell), bounded by `timeout`."""
    exe = soffice()
    if exe is None:
        raise PdfError("LibreOffice (soffice) is not installed: run `make system`")
    with tempfile.TemporaryDirectory(prefix="gansu-pdf-") as tmp:
        src = Path(tmp) / f"report{suffix}"
        src.write_bytes(data)
        out = Path(tmp) / "out"
        cmd = [exe, f"-env:UserInstallation={(Path(tmp) / 'profile').as_uri()}", "--headless", "--invisible",
               "--nologo", "--norestore", "--nodefault", "--nolockcheck", "--convert-to", "pdf", "--outdir", str(out),
               str(src)]
        env = {**os.environ, "HOME": tmp}
        try:
            subprocess.run(cmd, check=True, timeout=timeout, capture_output=True, env=env, cwd=tmp)
        except subprocess.TimeoutExpired as e:
            raise PdfError(f"LibreOffice did not finish within {timeout:.0f} s") from e
        except subprocess.CalledProcessError as e:
            raise PdfError(f"LibreOffice failed (exit {e.returncode})") from e
        pdf = out / "report.pdf"
        if not pdf.exists():
            raise PdfError("LibreOffice wrote no PDF")
        return pdf.read_bytes()


def build_pdf(code: str, as_of: Quarter | str | None, lang: str = "zh") -> bytes:
    """The Word report as PDF, for people who only forward PDFs."""
    return office_to_pdf(build_docx(code, as_of, lang), ".docx")
