"""The Word report of one scope and snapshot (python-docx), from dashboard.facts."""

from __future__ import annotations

import datetime as dt
import io

from dashboard import progress
from dashboard import queries as Q
from dashboard.exports import neutralise
from dashboard.facts import (
    Facts,
    behind_counties,
    behind_villages,
    facts,
    map_png,
    pathways_png,
    schedule_png,
    snap,
    snap_note,
)
from dashboard.figures import year_label
from dashboard.filters import LEVELS
from dashboard.i18n import fmt_count, fmt_date, fmt_int, fmt_pct, t
from dashboard.quarter import Quarter

EA_FONT = "Microsoft YaHei"  # east-Asian font Word uses for Chinese (w:eastAsia)
LATIN_FONT = "Calibri"
MAX_VILLAGE_ROWS = 300


def summary_text(fx: Facts, behind_c: int, behind_v: int) -> str:
    k, y = fx.kpis, fx.filters.year
    p = k["people"]
    s = (f"截至{fmt_date(fx.as_of.end)}，{fx.name}{y}年已脱贫{fmt_count(p['actual'], 'people')}，"
         f"完成年度计划（{fmt_count(p['plan'], 'people')}）的{fmt_pct(p['completion'])}；")
    if fx.as_of.number < 4:
        s += (f"按季节进度此时应完成年度计划的{fmt_pct(fx.share)}，{t('rag_' + fx.kpis['people']['status'])}；"
              f"按当前进度预计全年脱贫{fmt_count(round(fx.projection or 0), 'people')}。")
    else:
        s += f"全年{t('rag_' + fx.kpis['people']['status'])}。"
    s += (f"2018年以来累计脱贫{fmt_count(p['cum_actual'], 'people')}（三年计划{fmt_count(p['total'], 'people')}）。"
          f"贫困村累计退出{k['villages']['cum_actual']:,}个（共{k['villages']['total']:,}个，{y}年计划"
          f"{k['villages']['plan']:,}个、已退出{k['villages']['actual']:,}个）；贫困县累计摘帽{k['counties']['cum_actual']}个"
          f"（共{k['counties']['total']}个）。")
    s += f"目前脱贫人口进度滞后的贫困县{behind_c}个，进度滞后的贫困村{behind_v:,}个。"
    return s



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
            r = cell.paragraphs[0].add_run(neutralise(str(txt)))
            r.font.size = Pt(9.5)
            _ea(r)
    return tb


def kpi_rows(fx: Facts) -> list[list[str]]:
    rows = []
    for lv in LEVELS:
        k = fx.kpis[lv]
        rows.append([t(f"level_{lv}"), fmt_int(k["plan"]), fmt_int(k["actual"]), fmt_pct(k["completion"]),
                     fmt_pct(fx.share) if lv == "people" else "年底验收", t("rag_" + fx.kpis[lv]['status']),
                     fmt_int(k["cum_actual"]), fmt_int(k["total"])])
    return rows


KPI_HEADER = ["指标", "年度计划", "年度完成", "完成率", "按进度应完成", "状态", "累计完成", "三年总任务"]


def build_docx(code: str, as_of: Quarter | str | None) -> bytes:
    """The Word report of place `code` as of a loaded quarter, a date (snapped to the quarter before) or the latest."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    quarter, snapped = snap(as_of)
    fx = facts(code, quarter)
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
    doc.core_properties.title = f"{fx.name}脱贫攻坚进度报告（{fx.as_of}）"
    doc.core_properties.language = "zh-CN"

    t0 = doc.add_heading(level=0)
    _ea(t0.add_run(f"{fx.name}脱贫攻坚三年行动进度报告"))
    _para(doc, f"数据截止：{fmt_date(fx.as_of.end)}（{fx.as_of}） · 来源：{t('source_text')}", size=10, color="3E4C59")
    if fx.demo:
        _para(doc, t("demo_label") + "：" + t("demo_notice"), bold=True, size=10, color="8E0E1E")
    _para(doc, snap_note(as_of, fx, snapped), size=10)

    _heading(doc, "一、总体进展", 1)
    _para(doc, summary_text(fx, len(bc), len(bv)))
    _table(doc, KPI_HEADER, kpi_rows(fx))
    _para(doc, progress.rule_sentence("zh", fx.as_of.end, fx.share, fx.basis, fx.basis_year), size=9, color="3E4C59")

    _heading(doc, "二、退出进度：计划与实际", 1)
    s = {lv: fx.schedules[lv].set_index("year") for lv in LEVELS}
    years = sorted(set().union(*[set(v.index) for v in s.values()]))
    rows = []
    for y in years:
        row = [year_label(y, "zh")]
        for lv in LEVELS:
            if y in s[lv].index:
                row += [fmt_int(s[lv].loc[y, "plan"]), fmt_int(s[lv].loc[y, "actual"]) if y <= fx.filters.year else "—"]
            else:
                row += ["—", "—"]
        rows.append(row)
    _table(doc, ["年度", "脱贫人口计划", "脱贫人口实际", "贫困村退出计划", "贫困村退出实际", "贫困县摘帽计划",
                 "贫困县摘帽实际"], rows)
    _para(doc, f"注：实际数为截至{fmt_date(fx.as_of.end)}的数据；贫困县摘帽按批准年度计，当年12月31日起计入。", size=9)
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
           [[t(f"pw_{r.pathway}"), "户" if r.unit == "households" else "人", fmt_int(r.plan), fmt_int(r.actual),
             fmt_pct(r.actual / r.plan if r.plan else None)] for r in pw.itertuples()])
    _para(doc, "注：各路径人数有交叉，不能相加。", size=9)
    doc.add_picture(io.BytesIO(pathways_png(fx, scope)), width=Cm(17))

    _heading(doc, "五、进度滞后的县和村", 1)
    _heading(doc, f"脱贫人口进度滞后的贫困县（{len(bc)}个）", 2)
    if len(bc):
        _table(doc, ["县代码", "县", "市州", "本年计划", "本年完成", "累计完成", "按进度应完成", "进度", "状态"],
               [[r.county_code, r.county_name, r.prefecture_name or "", fmt_int(r.plan_people), fmt_int(r.actual_people),
                 fmt_int(r.cum_actual_people), fmt_int(round(r.expected_people)), fmt_pct(r.completion),
                 t("rag_" + r.status)] for r in bc.itertuples()])
        _para(doc, "进度＝2018年以来累计脱贫人口÷按计划截至数据日期应完成的人数（往年计划全额＋本年计划×季节进度）。",
              size=9)
    else:
        _para(doc, "没有进度滞后的贫困县。")
    _heading(doc, f"进度滞后的贫困村（{len(bv):,}个）", 2)
    if len(bv):
        shown = bv.head(MAX_VILLAGE_ROWS)
        _table(doc, ["村代码", "村", "乡镇", "县", "计划退出年度", "贫困发生率", "未脱贫人口"],
               [[r.village_code, r.village_name, r.township_name or "", r.county_name, fmt_int(r.planned_exit_year),
                 fmt_pct(r.incidence), fmt_int(r.remaining_people)] for r in shown.itertuples()])
        if len(bv) > len(shown):
            _para(doc, f"按贫困发生率从高到低列出前{len(shown)}个，共{len(bv):,}个；完整名单请在系统中导出。", size=9)
    else:
        _para(doc, "没有进度滞后的贫困村。")

    _heading(doc, "六、数据说明", 1)
    for line in (
        f"数据截止：{fmt_date(fx.as_of.end)}（{fx.as_of}季度快照）。{snap_note(as_of, fx, snapped)}",
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


