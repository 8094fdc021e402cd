"""Reports for one scope and date: Word (DOCX) and PowerPoint (PPTX).

    python -m dashboard.report --scope 622900 --as-of 2019-06-30 --format docx --out linxia.docx [--db FILE]

scope: 620000 (province), a prefecture code (622900) or a county code (622926). The as-of date snaps to
the latest loaded quarter-end on or before it, and the document says so. Numbers come from the same
queries as the dashboard (dashboard.queries / dashboard.charts); charts are rendered by dashboard.imaging.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import io
import sys
import time
from pathlib import Path

import pandas as pd

from dashboard import charts, db, imaging, meeting, progress
from dashboard import queries as Q
from dashboard.filters import Filters
from dashboard.i18n import fmt_count, fmt_date, fmt_pct, t

EA_FONT = "Microsoft YaHei"  # east-Asian font Word/PowerPoint use for Chinese (w:eastAsia / a:ea)
LATIN_FONT = "Calibri"
MAX_VILLAGE_ROWS = 300
LEVELS = ("people", "villages", "counties")


class ReportError(ValueError):
    """Bad scope or date, said so the user can fix it."""


# ---------------------------------------------------------------- facts (shared with meeting mode)
def snap(as_of: str | dt.date | None) -> tuple[str, str, bool]:
    """(quarter label, quarter-end date, snapped?) of the latest loaded snapshot on or before `as_of`
    (None = the latest)."""
    snaps = Q.snapshots()
    if snaps.empty:
        raise ReportError("the warehouse holds no household snapshot")
    dates = [str(d)[:10] for d in snaps["as_of"]]
    labels = list(snaps["quarter_label"])
    if as_of is None:
        return labels[-1], dates[-1], False
    want = str(as_of)[:10]
    dt.date.fromisoformat(want)  # raises ValueError on a bad date
    ok = [i for i, d in enumerate(dates) if d <= want]
    if not ok:
        raise ReportError(f"no snapshot on or before {want}: the first loaded quarter ends {dates[0]}")
    i = ok[-1]
    return labels[i], dates[i], dates[i] != want


def filters_for(code: str, quarter: str, lang: str = "zh") -> Filters:
    scope = Q.viewer_scope()
    lvl = meeting.scope_level(code)
    if lvl == "province":
        return Filters(quarter=quarter, lang=lang)
    if lvl == "prefecture":
        if code not in set(Q.prefectures(scope)["prefecture_code"]):
            raise ReportError(f"unknown prefecture code {code}")
        return Filters(prefecture=code, quarter=quarter, lang=lang)
    if code not in scope:
        raise ReportError(f"unknown county code {code}")
    return Filters(county=code, quarter=quarter, lang=lang)


@dataclasses.dataclass
class Facts:
    code: str
    name: str
    level: str  # province | prefecture | county
    f: Filters
    quarter: str
    as_of: str
    kpis: dict
    share: float
    basis: str
    basis_year: int | None
    q: int
    rag: dict
    projection: float | None
    schedules: dict
    pathways: pd.DataFrame
    counties: pd.DataFrame  # county_metrics + rag
    children: pd.DataFrame  # code, name of sub-units (prefectures / counties)
    demo: bool


def facts(code: str, quarter: str, lang: str = "zh") -> Facts:
    scope = Q.viewer_scope()
    f = filters_for(code, quarter, lang)
    names = Q.names(scope)
    lvl = meeting.scope_level(code)
    name = t("province", lang) if lvl == "province" else names.get(code, code)
    k = charts.kpis(f, scope)
    share, basis, basis_year, q = charts.seasonal(f)
    rag = {lv: progress.rag(k[lv]["cum_actual"], k[lv]["plan_before"], k[lv]["plan"], share, lv, q) for lv in LEVELS}
    proj = progress.projection(k["people"]["actual"], share) if q < 4 else None
    cm = charts.county_progress(f, scope)  # county metrics + expected_people, completion and status (to date)
    cm = cm[cm["is_poverty_county"].fillna(False).astype(bool)].rename(columns={"status": "rag"})
    if lvl == "province":
        ch = Q.prefectures(scope).rename(columns={"prefecture_code": "code", "prefecture_name": "name"})
    elif lvl == "prefecture":
        c = Q.counties(scope)
        ch = c[c["prefecture_code"] == code][["county_code", "county_name"]].rename(
            columns={"county_code": "code", "county_name": "name"})
    else:
        ch = pd.DataFrame(columns=["code", "name"])
    return Facts(code=code, name=name, level=lvl, f=f, quarter=quarter, as_of=f.as_of_date, kpis=k, share=share,
                 basis=basis, basis_year=basis_year, q=q, rag=rag, projection=proj,
                 schedules={lv: Q.schedule(f, scope, lv) for lv in LEVELS}, pathways=Q.pathways(f, scope),
                 counties=cm.reset_index(drop=True), children=ch.reset_index(drop=True),
                 demo=Q.meta().get("demo") == "true")


def behind_counties(fx: Facts) -> pd.DataFrame:
    c = fx.counties
    return c[c["rag"].isin(["red", "amber"])].sort_values(["completion", "county_code"]).reset_index(drop=True)


def behind_villages(fx: Facts) -> pd.DataFrame:
    scope = Q.viewer_scope()
    frames = []
    for _, r in fx.counties.iterrows():
        v = Q.villages(fx.f, r["county_code"], scope)
        v = v[v["status"] == "behind"]
        if len(v):
            frames.append(v.assign(county_name=r["county_name"], prefecture_name=r["prefecture_name"]))
    if not frames:
        return pd.DataFrame(columns=["village_code", "village_name", "township_name", "county_name",
                                     "prefecture_name", "incidence", "remaining_people", "planned_exit_year"])
    return (pd.concat(frames, ignore_index=True)
            .sort_values(["incidence", "village_code"], ascending=[False, True]).reset_index(drop=True))


def summary_text(fx: Facts, behind_c: int, behind_v: int) -> str:
    k, y = fx.kpis, fx.f.year
    p = k["people"]
    comp = p["actual"] / p["plan"] if p["plan"] else None
    s = (f"截至{fmt_date(fx.as_of)}，{fx.name}{y}年已脱贫{fmt_count(p['actual'], 'people')}，"
         f"完成年度计划（{fmt_count(p['plan'], 'people')}）的{fmt_pct(comp)}；")
    if fx.q < 4:
        s += (f"按季节进度此时应完成年度计划的{fmt_pct(fx.share)}，{t('rag_' + fx.rag['people'][0])}；"
              f"按当前进度预计全年脱贫{fmt_count(round(fx.projection or 0), 'people')}。")
    else:
        s += f"全年{t('rag_' + fx.rag['people'][0])}。"
    s += (f"2018年以来累计脱贫{fmt_count(p['cum_actual'], 'people')}（三年计划{fmt_count(p['total'], 'people')}）。"
          f"贫困村累计退出{k['villages']['cum_actual']:,}个（共{k['villages']['total']:,}个，{y}年计划"
          f"{k['villages']['plan']:,}个、已退出{k['villages']['actual']:,}个）；贫困县累计摘帽{k['counties']['cum_actual']}个"
          f"（共{k['counties']['total']}个）。")
    s += f"目前脱贫人口进度滞后的贫困县{behind_c}个，进度滞后的贫困村{behind_v:,}个。"
    return s


def snap_note(requested: str | None, fx: Facts, snapped: bool) -> str:
    if requested and snapped:
        return (f"所选日期{fmt_date(requested)}不是已载入的季度末；本报告使用该日期之前最近一个已载入季度末"
                f"（{fmt_date(fx.as_of)}，{fx.quarter}）的数据。")
    return f"数据截止{fmt_date(fx.as_of)}（{fx.quarter}季度快照）。"


def _stamp(fx: Facts) -> dict:
    return dict(scope=fx.name, as_of=fx.as_of, source=t("source_text"), demo=fx.demo, lang="zh")


def _png(fig, fx: Facts, title: str, width=1400, height=None) -> bytes:
    return imaging.figure_to_image(fig, "png", title=title, width=width, height=height, scale=2, **_stamp(fx))


def schedule_png(fx: Facts, scope) -> bytes:
    fig = charts.figure("schedule", fx.f, scope)
    return _png(fig, fx, fx.f.title("ch_schedule", Q.names(scope)), height=620)


def map_png(fx: Facts, scope) -> bytes | None:
    if fx.level == "county":
        return None
    try:
        from dashboard.geoprep import map_geometry

        g = map_geometry()
    except Exception:  # noqa: BLE001 - a report without a map is still a report
        return None
    fig = charts.figure("map", fx.f, scope, counties_geojson=g["counties"], prefectures_geojson=g["prefectures"])
    return _png(fig, fx, fx.f.title("m_completion", Q.names(scope)), height=900)


def pathways_png(fx: Facts, scope) -> bytes:
    fig = charts.figure("pathways", fx.f, scope)
    return _png(fig, fx, fx.f.title("ch_pathways", Q.names(scope)), height=620)


def _n(v) -> str:
    return "—" if v is None or (isinstance(v, float) and pd.isna(v)) else f"{int(v):,}"


# ---------------------------------------------------------------- DOCX
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


def _para(doc, text: str, style: str | None = None, bold=False, size=None, color=None):
    from docx.shared import Pt, RGBColor

    p = doc.add_paragraph(style=style)
    r = p.add_run(text)
    r.bold = bold
    if size:
        r.font.size = Pt(size)
    if color:
        r.font.color.rgb = RGBColor.from_string(color)
    _ea(r)
    return p


def _heading(doc, text: str, level: int):
    h = doc.add_heading(level=level)
    _ea(h.add_run(text))
    return h


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
            r = cell.paragraphs[0].add_run(str(txt))
            r.font.size = Pt(9.5)
            _ea(r)
    return tb


def kpi_rows(fx: Facts) -> list[list[str]]:
    rows = []
    exp = {"people": fx.share, "villages": 1.0, "counties": 1.0}
    for lv in LEVELS:
        k = fx.kpis[lv]
        comp = k["actual"] / k["plan"] if k["plan"] else None
        rows.append([t(f"level_{lv}"), _n(k["plan"]), _n(k["actual"]), fmt_pct(comp),
                     fmt_pct(exp[lv]) if lv == "people" else "年底验收", t("rag_" + fx.rag[lv][0]),
                     _n(k["cum_actual"]), _n(k["total"])])
    return rows


KPI_HEADER = ["指标", "年度计划", "年度完成", "完成率", "按进度应完成", "状态", "累计完成", "三年总任务"]


def build_docx(scope_code: str, as_of: str | None, db_path: str | Path | None = None) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    if db_path:
        db.configure(db_path)
    quarter, _, snapped = snap(as_of)
    fx = facts(scope_code, quarter)
    scope = Q.viewer_scope()
    bc, bv = behind_counties(fx), behind_villages(fx)

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
    doc.core_properties.title = f"{fx.name}脱贫攻坚进度报告（{fx.quarter}）"
    doc.core_properties.language = "zh-CN"

    t0 = doc.add_heading(level=0)
    _ea(t0.add_run(f"{fx.name}脱贫攻坚三年行动进度报告"))
    _para(doc, f"数据截止：{fmt_date(fx.as_of)}（{fx.quarter}） · 来源：{t('source_text')}", size=10, color="3E4C59")
    if fx.demo:
        _para(doc, t("demo_label") + "：" + t("demo_notice"), bold=True, size=10, color="8E0E1E")
    _para(doc, snap_note(as_of, fx, snapped), size=10)

    _heading(doc, "一、总体进展", 1)
    _para(doc, summary_text(fx, len(bc), len(bv)))
    _table(doc, KPI_HEADER, kpi_rows(fx))
    _para(doc, progress.rule_sentence("zh", fx.as_of, fx.share, fx.basis, fx.basis_year), size=9, color="3E4C59")

    _heading(doc, "二、退出进度：计划与实际", 1)
    s = {lv: fx.schedules[lv].set_index("year") for lv in LEVELS}
    years = sorted(set().union(*[set(v.index) for v in s.values()]))
    rows = []
    for y in years:
        row = ["2018年前" if y <= 2017 else f"{y}年"]
        for lv in LEVELS:
            if y in s[lv].index:
                row += [_n(s[lv].loc[y, "plan"]), _n(s[lv].loc[y, "actual"]) if y <= fx.f.year else "—"]
            else:
                row += ["—", "—"]
        rows.append(row)
    _table(doc, ["年度", "脱贫人口计划", "脱贫人口实际", "贫困村退出计划", "贫困村退出实际", "贫困县摘帽计划",
                 "贫困县摘帽实际"], rows)
    _para(doc, f"注：实际数为截至{fmt_date(fx.as_of)}的数据；贫困县摘帽按批准年度计，当年12月31日起计入。", size=9)
    doc.add_picture(io.BytesIO(schedule_png(fx, scope)), width=Cm(17))

    if fx.level != "county":
        png = map_png(fx, scope)
        _heading(doc, "三、分县地图：本年脱贫人口计划完成率", 1)
        if png:
            doc.add_picture(io.BytesIO(png), width=Cm(17))
        else:
            _para(doc, "边界数据不可用，未能绘制地图。")

    _heading(doc, "四、七大帮扶路径（本年）", 1)
    pw = fx.pathways
    _table(doc, ["路径", "单位", "计划", "实际", "完成率"],
           [[t(f"pw_{r.pathway}"), "户" if r.unit == "households" else "人", _n(r.plan), _n(r.actual),
             fmt_pct(r.actual / r.plan if r.plan else None)] for r in pw.itertuples()])
    _para(doc, "注：各路径人数有交叉，不能相加。", size=9)
    doc.add_picture(io.BytesIO(pathways_png(fx, scope)), width=Cm(17))

    _heading(doc, "五、进度滞后的县和村", 1)
    _heading(doc, f"脱贫人口进度滞后的贫困县（{len(bc)}个）", 2)
    if len(bc):
        _table(doc, ["县代码", "县", "市州", "本年计划", "本年完成", "累计完成", "按进度应完成", "进度", "状态"],
               [[r.county_code, r.county_name, r.prefecture_name or "", _n(r.plan_people), _n(r.actual_people),
                 _n(r.cum_actual_people), _n(round(r.expected_people)), fmt_pct(r.completion),
                 t("rag_" + r.rag)] for r in bc.itertuples()])
        _para(doc, "进度＝2018年以来累计脱贫人口÷按计划截至数据日期应完成的人数（往年计划全额＋本年计划×季节进度）。",
              size=9)
    else:
        _para(doc, "没有进度滞后的贫困县。")
    _heading(doc, f"进度滞后的贫困村（{len(bv):,}个）", 2)
    if len(bv):
        shown = bv.head(MAX_VILLAGE_ROWS)
        _table(doc, ["村代码", "村", "乡镇", "县", "计划退出年度", "贫困发生率", "未脱贫人口"],
               [[r.village_code, r.village_name, r.township_name or "", r.county_name, _n(r.planned_exit_year),
                 fmt_pct(r.incidence), _n(r.remaining_people)] for r in shown.itertuples()])
        if len(bv) > len(shown):
            _para(doc, f"按贫困发生率从高到低列出前{len(shown)}个，共{len(bv):,}个；完整名单请在系统中导出。", size=9)
    else:
        _para(doc, "没有进度滞后的贫困村。")

    _heading(doc, "六、数据说明", 1)
    for line in (
        f"数据截止：{fmt_date(fx.as_of)}（{fx.quarter}季度快照）。{snap_note(as_of, fx, snapped)}",
        f"来源：{t('source_text')}。",
        "计划数来自甘发〔2018〕20号及分县年度目标；实际数来自建档立卡动态管理数据季度快照。",
        "贫困发生率＝剩余贫困人口÷农村人口；发生率低于3%的村、县可申请退出。",
        (t("demo_label") + "。" + t("demo_notice")) if fx.demo else "",
        f"生成时间：{dt.datetime.now():%Y-%m-%d %H:%M}；数据仓库版本：{Q.meta().get('warehouse_version', '')}。",
    ):
        if line:
            _para(doc, line, size=9.5)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- PPTX
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
    from pptx.util import Emu, Pt  # noqa: F401

    W, H = prs.slide_width, prs.slide_height
    unit = W // 100
    _text(slide, unit * 3, H - unit * 6, unit * 60, unit * 4,
          f"数据截止：{fmt_date(fx.as_of)}（{fx.quarter}） · 来源：{t('source_text')}", 12, color="2E3A4B")
    if fx.demo:
        _text(slide, unit * 64, H - unit * 6, unit * 26, unit * 4, t("demo_label"), 14, bold=True, color="8E0E1E")
    _text(slide, unit * 91, H - unit * 6, unit * 8, unit * 4, meeting.counter(idx, n), 12, color="2E3A4B")


def _kpi_block(slide, fx: Facts, prs, top):
    W = prs.slide_width
    unit = W // 100
    for i, lv in enumerate(LEVELS):
        k = fx.kpis[lv]
        comp = k["actual"] / k["plan"] if k["plan"] else None
        x = unit * (3 + i * 32)
        unit_name = {"people": "people", "villages": "villages", "counties": "counties"}[lv]
        _text(slide, x, top, unit * 30, unit * 4, t(f"level_{lv}") + f"（{fx.f.year}年）", 18, color="2E3A4B")
        _text(slide, x, top + unit * 4, unit * 30, unit * 9, fmt_count(k["actual"], unit_name), 48, bold=True)
        _text(slide, x, top + unit * 13, unit * 30, unit * 8,
              f"年度计划 {fmt_count(k['plan'], unit_name)}\n完成率 {fmt_pct(comp)} · {t('rag_' + fx.rag[lv][0])}",
              16, color="2E3A4B")


def build_pptx(scope_code: str, as_of: str | None, db_path: str | Path | None = None) -> bytes:
    from pptx import Presentation
    from pptx.util import Emu

    if db_path:
        db.configure(db_path)
    quarter, _, snapped = snap(as_of)
    fx = facts(scope_code, quarter)
    scope = Q.viewer_scope()
    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(12192000), Emu(6858000)  # 16:9
    W, H = prs.slide_width, prs.slide_height
    unit = W // 100
    blank = prs.slide_layouts[6]
    seq = meeting.sequence(fx.code, list(fx.children["code"]))
    n = len(seq)
    names = Q.names(scope)
    for idx, sl in enumerate(seq):
        s = prs.slides.add_slide(blank)
        if sl.kind == "overview":
            _text(s, unit * 3, unit * 2, unit * 94, unit * 7, f"{fx.name} · {fx.f.year}年脱贫攻坚进度", 32, bold=True)
            if snapped:
                _text(s, unit * 3, unit * 9, unit * 94, unit * 4, snap_note(as_of, fx, snapped), 12, color="2E3A4B")
            _kpi_block(s, fx, prs, unit * 14)
        elif sl.kind == "map":
            _text(s, unit * 3, unit * 2, unit * 94, unit * 6, f"{fx.name} · 分县地图（本年脱贫人口计划完成率）", 28,
                  bold=True)
            png = map_png(fx, scope)
            if png:
                s.shapes.add_picture(io.BytesIO(png), unit * 14, unit * 8, height=H - unit * 15)
        elif sl.kind == "unit":
            sub = facts(sl.code, quarter)
            _text(s, unit * 3, unit * 2, unit * 94, unit * 7, f"{names.get(sl.code, sl.code)} · {fx.f.year}年进度",
                  32, bold=True)
            _kpi_block(s, sub, prs, unit * 10)
            bcs = behind_counties(sub)
            _text(s, unit * 3, unit * 33, unit * 94, unit * 10,
                  f"脱贫人口进度滞后的贫困县：{len(bcs)}个" + ("（" + "、".join(bcs["county_name"].head(8)) + "）"
                                                if len(bcs) else ""), 18, color="0B1220")
        else:
            bc = behind_counties(fx)
            bv = behind_villages(fx)
            _text(s, unit * 3, unit * 2, unit * 94, unit * 7,
                  f"进度滞后：贫困县{len(bc)}个 · 贫困村{len(bv):,}个", 32, bold=True)
            rows = [[r.county_name, r.prefecture_name or "", _n(r.cum_actual_people), _n(round(r.expected_people)),
                     fmt_pct(r.completion), t("rag_" + r.rag)] for r in bc.head(10).itertuples()]
            header = ["县", "市州", "累计脱贫", "按进度应完成", "进度", "状态"]
            tbl = s.shapes.add_table(len(rows) + 1, len(header), unit * 3, unit * 10, unit * 94,
                                     unit * (3 * (len(rows) + 1))).table
            for j, hd in enumerate(header):
                _cell(tbl.cell(0, j), hd, True)
            for i, row in enumerate(rows, start=1):
                for j, v in enumerate(row):
                    _cell(tbl.cell(i, j), v, False)
        _footer(s, fx, prs, idx, n)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def _cell(cell, text, bold):
    from pptx.util import Pt

    cell.text = ""
    r = cell.text_frame.paragraphs[0].add_run()
    r.text = str(text)
    r.font.size = Pt(16)
    r.font.bold = bold
    _pptx_ea(r)


# ---------------------------------------------------------------- CLI
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m dashboard.report", description=__doc__.splitlines()[0])
    ap.add_argument("--scope", required=True, help="620000 (province), a prefecture code or a county code")
    ap.add_argument("--as-of", default=None, help="YYYY-MM-DD; snaps to the latest loaded quarter-end on or before it")
    ap.add_argument("--format", choices=("docx", "pptx"), default="docx")
    ap.add_argument("--out", required=True)
    ap.add_argument("--db", default=None, help="warehouse file (default: etl.paths.WAREHOUSE)")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    try:
        build = build_docx if a.format == "docx" else build_pptx
        data = build(a.scope, a.as_of, a.db)
    except (ReportError, ValueError, db.WarehouseMissing) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    Path(a.out).write_bytes(data)
    print(f"wrote {a.out} ({len(data) / 1024:.0f} KB) in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
