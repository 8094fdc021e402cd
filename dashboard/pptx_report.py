"""The PowerPoint deck of one scope and snapshot (python-pptx), from dashboard.facts, in the order of meeting
mode's slide sequence (dashboard.meeting.sequence): the overview, its charts (the county map; the exit schedule;
a county's pathways), the sub-units, then who is behind: counties and villages, listed in full pages ("1/3").
Every slide has a footer: place, as-of date, source, demo label and "n / N". Labels: dashboard.i18n."""

from __future__ import annotations

import io

from dashboard import meeting
from dashboard import queries as Q
from dashboard.docx_report import properties
from dashboard.exports import neutralise
from dashboard.facts import EA_FONT, LATIN_FONT, MAP_MEASURE, Facts, behind_counties, facts, report_inputs
from dashboard.filters import LEVELS
from dashboard.i18n import fmt_count, fmt_date, fmt_int, fmt_number, fmt_pct, t, value_label
from dashboard.quarter import Quarter

KPI_PT = {"zh": 44, "en": 30}  # a KPI's figure; English counts are longer ("120,732 people"): one line either way
COUNTY_ROWS = 10  # table rows per slide
VILLAGE_ROWS = 12
FOLLOWUP_ROWS, MAX_FOLLOWUP_SLIDES = 10, 3  # follow-ups (督办) not closed: at most 30 in a deck
MAX_VILLAGE_SLIDES = 5  # at most 60 villages in a deck (highest incidence first); the Word report lists 300


def _pptx_ea(run, name: str = EA_FONT) -> None:
    from pptx.oxml.ns import qn

    rpr = run._r.get_or_add_rPr()
    for tag in ("a:latin", "a:ea"):
        el = rpr.find(qn(tag))
        if el is None:
            el = rpr.makeelement(qn(tag), {})
            rpr.append(el)
        el.set("typeface", LATIN_FONT if tag == "a:latin" else name)


def _text(slide, x, y, w, h, text, size, bold=False, color="0B1220", align=None):
    from pptx.dml.color import RGBColor
    from pptx.util import Pt

    tb = slide.shapes.add_textbox(x, y, w, h)
    tf = tb.text_frame
    tf.word_wrap = True
    for i, line in enumerate(text.split("\n")):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        if align is not None:
            p.alignment = align
        r = p.add_run()
        r.text = line
        r.font.size = Pt(size)
        r.font.bold = bold
        r.font.color.rgb = RGBColor.from_string(color)
        _pptx_ea(r)
    return tb


def _footer(slide, fx: Facts, prs, idx: int, n: int):
    from pptx.enum.text import PP_ALIGN

    W, H = prs.slide_width, prs.slide_height
    unit = W // 100
    lang = fx.filters.lang
    sep = t("colon", lang)
    _text(slide, unit * 3, H - unit * 5, unit * 62, unit * 4,
          f"{fx.name} · {t('as_of', lang)}{sep}{fmt_date(fx.as_of.end, lang)} ({fx.as_of})", 12, color="2E3A4B")
    if fx.demo:
        _text(slide, unit * 66, H - unit * 5, unit * 24, unit * 4, t("demo_label", lang), 12, bold=True,
              color="8E0E1E", align=PP_ALIGN.RIGHT)
    _text(slide, unit * 90, H - unit * 5, unit * 8, unit * 4, meeting.counter(idx, n), 12, color="2E3A4B",
          align=PP_ALIGN.RIGHT)


def _title(slide, unit, text: str, size=28):
    _text(slide, unit * 3, unit * 2, unit * 94, unit * 6, text, size, bold=True)


def _kpi_block(slide, fx: Facts, prs, top):
    W = prs.slide_width
    unit = W // 100
    lang = fx.filters.lang
    for i, lv in enumerate(LEVELS):
        k = fx.kpis[lv]
        x = unit * (3 + i * 32)
        _text(slide, x, top, unit * 30, unit * 4, t("r_level_year", lang, level=t(f"level_{lv}", lang),
                                                     year=fx.filters.year), 18, color="2E3A4B")
        _text(slide, x, top + unit * 4, unit * 30, unit * 9, fmt_count(k["actual"], lv, lang), KPI_PT[lang],
              bold=True)
        _text(slide, x, top + unit * 13, unit * 30, unit * 8,
              t("r_kpi_lines", lang, plan=fmt_count(k["plan"], lv, lang), pct=fmt_pct(k["completion"], lang),
                status=t("rag_" + k["status"], lang)), 16, color="2E3A4B")


def _picture(slide, png: bytes, prs, top):
    """The image centred below the title, as large as the space above the footer allows."""
    from PIL import Image

    W, H = prs.slide_width, prs.slide_height
    unit = W // 100
    w_px, h_px = Image.open(io.BytesIO(png)).size
    max_w, max_h = unit * 94, H - top - unit * 6
    h = min(max_h, int(max_w * h_px / w_px))
    w = int(h * w_px / h_px)
    slide.shapes.add_picture(io.BytesIO(png), (W - w) // 2, top, width=w, height=h)


def _table(slide, unit, header: list[str], rows: list[list[str]], top, size=14):
    tbl = slide.shapes.add_table(len(rows) + 1, len(header), unit * 3, top, unit * 94,
                                 unit * (3 * (len(rows) + 1))).table
    for j, hd in enumerate(header):
        _cell(tbl.cell(0, j), hd, True, size)
    for i, row in enumerate(rows, start=1):
        for j, v in enumerate(row):
            _cell(tbl.cell(i, j), v, False, size)


def _pages(df, per: int, cap: int | None = None) -> list:
    chunks = [df.iloc[i:i + per] for i in range(0, len(df), per)] or [df]
    return chunks[:cap] if cap else chunks


def build_pptx(code: str, as_of: Quarter | str | None, lang: str = "zh") -> bytes:
    """The deck of place `code` as of a loaded quarter, a date (snapped to the quarter before) or the latest,
    in `lang` (zh | en)."""
    from pptx import Presentation
    from pptx.util import Emu

    r = report_inputs(code, as_of, lang)
    fx, bc, bv = r.fx, r.behind_c, r.behind_v
    names = Q.names(r.scope)
    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(12192000), Emu(6858000)  # 16:9
    unit = prs.slide_width // 100
    properties(prs.core_properties, fx, "r_deck_doc_title")

    # (what to draw on one slide) in order; drawn afterwards so every footer can say "n / N"
    plan: list = []
    for sl in meeting.sequence(fx.code, list(fx.children["code"])):
        if sl.kind == "overview":
            plan.append(("overview", None))
            if fx.level == "county":
                plan += [("schedule", None), ("pathways", None)]
        elif sl.kind == "map":
            plan += [("map", None), ("schedule", None)]
        elif sl.kind == "unit":
            plan.append(("unit", sl.code))
        elif sl.kind == "behind":
            if fx.level != "county":
                cp = _pages(bc, COUNTY_ROWS)
                plan += [("counties", (i, len(cp), part)) for i, part in enumerate(cp, start=1)]
            vp = _pages(bv, VILLAGE_ROWS, MAX_VILLAGE_SLIDES)
            plan += [("villages", (i, len(vp), part)) for i, part in enumerate(vp, start=1)]
    if Q.has_targets():
        plan.append(("targets", None))
    plan += followup_slides(fx.code)
    blank = prs.slide_layouts[6]
    n = len(plan)
    for idx, (kind, arg) in enumerate(plan):
        s = prs.slides.add_slide(blank)
        if kind == "overview":
            _title(s, unit, t("r_slide_unit", lang, name=fx.name, year=fx.filters.year), 32)
            if r.snapped:  # the as-of date is in the footer; say here only that the date asked for was moved
                _text(s, unit * 3, unit * 9, unit * 94, unit * 4, r.note, 12, color="2E3A4B")
            _kpi_block(s, fx, prs, unit * 14)
            _text(s, unit * 3, unit * 44, unit * 94, unit * 4,
                  f"{t('source', lang)}{t('colon', lang)}{t('source_text', lang)}", 12, color="2E3A4B")
            _text(s, unit * 3, unit * 37, unit * 94, unit * 6,
                  t("r_behind_title", lang, c=fmt_int(len(bc)), v=fmt_int(len(bv))), 18)
        elif kind == "map":
            _title(s, unit, f"{fx.name} · {t('r_s_map', lang, metric=t(MAP_MEASURE, lang))}")
            png = r.map_png()
            if png:
                _picture(s, png, prs, unit * 8)
            else:
                _text(s, unit * 3, unit * 10, unit * 94, unit * 6, t("r_no_map", lang), 18)
        elif kind == "schedule":
            _title(s, unit, f"{fx.name} · {t('ch_schedule', lang)}")
            _picture(s, r.schedule_png(), prs, unit * 8)
        elif kind == "pathways":
            _title(s, unit, f"{fx.name} · {t('r_s_pathways', lang)}")
            _picture(s, r.pathways_png(), prs, unit * 8)
        elif kind == "unit":
            sub = facts(arg, fx.as_of, lang)
            _title(s, unit, t("r_slide_unit", lang, name=names.get(arg, arg), year=fx.filters.year), 32)
            _kpi_block(s, sub, prs, unit * 10)
            bcs = behind_counties(sub)
            _text(s, unit * 3, unit * 33, unit * 94, unit * 10,
                  t("r_behind_counties", lang, n=fmt_int(len(bcs)))
                  + (t("colon", lang) + "、".join(bcs["county_name"]) if len(bcs) else ""), 18)
        elif kind == "counties":
            i, k, part = arg
            _title(s, unit, t("r_behind_counties", lang, n=fmt_int(len(bc)))
                   + (t("r_part", lang, i=i, n=k) if k > 1 else ""))
            if len(part):
                _table(s, unit, [t(c, lang) for c in ("r_col_county", "f_prefecture", "mt_exited_since",
                                                      "r_col_expected", "mt_progress", "col_status")],
                       [[r.county_name, r.prefecture_name or "", fmt_int(r.cum_actual_people),
                         fmt_int(round(r.expected_people)), fmt_pct(r.completion, lang), t("rag_" + r.status, lang)]
                        for r in part.itertuples()], unit * 9)
            else:
                _text(s, unit * 3, unit * 10, unit * 94, unit * 6, t("r_no_behind_counties", lang), 18)
        elif kind == "targets":
            targets_slide(s, fx, unit, prs)
        elif kind == "followups":
            _followups_slide(s, unit, prs, arg, lang)
        else:  # villages
            i, k, part = arg
            _title(s, unit, t("r_behind_villages", lang, n=fmt_int(len(bv)))
                   + (t("r_part", lang, i=i, n=k) if k > 1 else ""))
            if len(part):
                _table(s, unit, [t(c, lang) for c in ("col_village", "col_township", "r_col_county", "col_planned",
                                                      "col_incidence", "col_people_left")],
                       [[r.village_name, r.township_name or "", r.county_name,
                         "—" if r.planned_exit_year != r.planned_exit_year else str(int(r.planned_exit_year)),
                         fmt_pct(r.incidence, lang), fmt_int(r.remaining_people)] for r in part.itertuples()],
                       unit * 9, size=12)
                shown = min(len(bv), VILLAGE_ROWS * MAX_VILLAGE_SLIDES)
                if i == k and len(bv) > shown:
                    _text(s, unit * 3, prs.slide_height - unit * 9, unit * 94, unit * 4,
                          t("r_villages_capped", lang, shown=shown, n=fmt_int(len(bv))), 11, color="2E3A4B")
            else:
                _text(s, unit * 3, unit * 10, unit * 94, unit * 6, t("r_no_behind_villages", lang), 18)
        _footer(s, fx, prs, idx, n)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


TARGET_ROWS = 10


def targets_slide(s, fx: Facts, unit, prs) -> None:
    """"Targets due this year and behind" (dashboard.targets): behind or overdue now, or not on course at the
    deadline, in force at the as-of date, worst first (the first TARGET_ROWS; the count says how many)."""
    from dashboard import charts, targets

    lang = fx.filters.lang
    due = targets.due_this_year_behind(charts.target_summary(fx.filters, Q.viewer_scope()), fx.filters.year)
    _title(s, unit, f"{fx.name} · {t('tg_due_title', lang, year=fx.filters.year)} · {len(due)}")
    if due.empty:
        _text(s, unit * 3, unit * 10, unit * 94, unit * 6, t("tg_due_none", lang, year=fx.filters.year), 18)
        return
    _table(s, unit, [t(k, lang) for k in ("tg_f_sector", "tg_col_id", "tg_col_target", "tg_col_latest",
                                          "tg_col_deadline", "tg_col_now", "tg_col_ahead", "tg_col_units_behind")],
           [[value_label(r.sector, lang), r.target_id, f"{fmt_number(r.target, lang)} {value_label(r.unit, lang)}",
             fmt_number(r.latest, lang) if r.latest == r.latest else "—", str(r.deadline)[:10],
             t(f"tg_now_{r.status}", lang), t(f"tg_ahead_{r.ahead}", lang), fmt_int(r.units_behind)]
            for r in due.head(TARGET_ROWS).itertuples()], unit * 9, size=11)
    if len(due) > TARGET_ROWS:
        _text(s, unit * 3, prs.slide_height - unit * 9, unit * 94, unit * 4,
              t("r_villages_capped", lang, shown=TARGET_ROWS, n=fmt_int(len(due))), 11, color="2E3A4B")


def followup_slides(code: str) -> list:
    """The follow-ups (督办) not closed inside `code` that the viewer may see, FOLLOWUP_ROWS a slide (none: no
    slide), at most MAX_FOLLOWUP_SLIDES."""
    from dashboard import auth, followups

    rows = followups.deck_rows(code, auth.request_scope_code())
    pages = [rows[i:i + FOLLOWUP_ROWS] for i in range(0, len(rows), FOLLOWUP_ROWS)][:MAX_FOLLOWUP_SLIDES]
    return [("followups", (i, len(pages), part, len(rows))) for i, part in enumerate(pages, start=1)]


def _followups_slide(s, unit, prs, arg, lang: str) -> None:
    i, k, part, total = arg
    names = Q.names(Q.viewer_scope())
    _title(s, unit, t("fu_deck_title", lang, n=fmt_int(total)) + (t("r_part", lang, i=i, n=k) if k > 1 else ""))
    _table(s, unit, [t(c, lang) for c in ("fu_col_id", "fu_col_target", "fu_col_unit", "fu_col_action",
                                          "fu_col_responsible", "fu_col_due", "fu_col_state")],
           [[f"#{r['id']}", r["target_id"], names.get(r["unit_code"], r["unit_code"]), r["action"][:120],
             r["responsible"], fmt_date(r["due_date"], lang), t(f"fu_state_{r['state']}", lang)] for r in part],
           unit * 9, size=11)
    shown = FOLLOWUP_ROWS * MAX_FOLLOWUP_SLIDES
    if i == k and total > shown:
        _text(s, unit * 3, prs.slide_height - unit * 9, unit * 94, unit * 4,
              t("fu_deck_capped", lang, shown=shown, n=fmt_int(total)), 11, color="2E3A4B")


def _cell(cell, text, bold, size=14):
    from pptx.util import Pt

    cell.text = ""
    r = cell.text_frame.paragraphs[0].add_run()
    r.text = neutralise(str(text))
    r.font.size = Pt(size)
    r.font.bold = bold
    _pptx_ea(r)
