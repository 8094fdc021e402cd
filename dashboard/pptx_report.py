"""The PowerPoint deck of one scope and snapshot (python-pptx): the meeting-mode slide sequence, from
dashboard.facts."""

from __future__ import annotations

import io

from dashboard import meeting
from dashboard import queries as Q
from dashboard.exports import neutralise
from dashboard.facts import Facts, behind_counties, behind_villages, facts, map_png, snap, snap_note
from dashboard.filters import LEVELS
from dashboard.i18n import fmt_count, fmt_date, fmt_int, fmt_pct, t
from dashboard.quarter import Quarter

EA_FONT = "Microsoft YaHei"  # east-Asian font PowerPoint uses for Chinese (a:ea)
LATIN_FONT = "Calibri"


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
    W, H = prs.slide_width, prs.slide_height
    unit = W // 100
    _text(slide, unit * 3, H - unit * 6, unit * 60, unit * 4,
          f"数据截止：{fmt_date(fx.as_of.end)}（{fx.as_of}） · 来源：{t('source_text')}", 12, color="2E3A4B")
    if fx.demo:
        _text(slide, unit * 64, H - unit * 6, unit * 26, unit * 4, t("demo_label"), 14, bold=True, color="8E0E1E")
    _text(slide, unit * 91, H - unit * 6, unit * 8, unit * 4, meeting.counter(idx, n), 12, color="2E3A4B")


def _kpi_block(slide, fx: Facts, prs, top):
    W = prs.slide_width
    unit = W // 100
    for i, lv in enumerate(LEVELS):
        k = fx.kpis[lv]
        x = unit * (3 + i * 32)
        _text(slide, x, top, unit * 30, unit * 4, t(f"level_{lv}") + f"（{fx.filters.year}年）", 18, color="2E3A4B")
        _text(slide, x, top + unit * 4, unit * 30, unit * 9, fmt_count(k["actual"], lv), 48, bold=True)
        _text(slide, x, top + unit * 13, unit * 30, unit * 8,
              f"年度计划 {fmt_count(k['plan'], lv)}\n完成率 {fmt_pct(k['completion'])} · {t('rag_' + fx.kpis[lv]['status'])}",
              16, color="2E3A4B")


def build_pptx(code: str, as_of: Quarter | str | None) -> bytes:
    """The deck of place `code` as of a loaded quarter, a date (snapped to the quarter before) or the latest."""
    from pptx import Presentation
    from pptx.util import Emu

    quarter, snapped = snap(as_of)
    fx = facts(code, quarter)
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
            _text(s, unit * 3, unit * 2, unit * 94, unit * 7, f"{fx.name} · {fx.filters.year}年脱贫攻坚进度", 32, bold=True)
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
            _text(s, unit * 3, unit * 2, unit * 94, unit * 7, f"{names.get(sl.code, sl.code)} · {fx.filters.year}年进度",
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
            rows = [[r.county_name, r.prefecture_name or "", fmt_int(r.cum_actual_people), fmt_int(round(r.expected_people)),
                     fmt_pct(r.completion), t("rag_" + r.status)] for r in bc.head(10).itertuples()]
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
    r.text = neutralise(str(text))
    r.font.size = Pt(16)
    r.font.bold = bold
    _pptx_ea(r)


