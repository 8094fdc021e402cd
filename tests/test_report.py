"""Word and PowerPoint reports (dashboard.docx_report, dashboard.pptx_report, the dashboard.report CLI), checked
against etl.summary (not against the module)."""

import io
import shutil

import docx
import duckdb
import pptx
import pytest
from docx.oxml.ns import qn

from dashboard import db, docx_report, pptx_report, report
from dashboard import queries as Q
from dashboard.filters import Filters
from dashboard.i18n import fmt_count
from etl.summary import summary

pytestmark = pytest.mark.skipif(shutil.which("chromium") is None, reason="charts are rendered by kaleido/chromium")


def _n(v) -> str:
    return f"{int(v):,}"


@pytest.fixture(scope="module")
def province_docx(demo_db):
    return docx.Document(io.BytesIO(docx_report.build_docx("620000", "2020-12-31")))


def _table_with(doc, first_header):
    return next(tb for tb in doc.tables if tb.rows[0].cells[0].text == first_header)


def test_docx_schedule_and_kpis_match_summary(province_docx, demo_warehouse):
    s = summary(demo_warehouse)
    sched = _table_with(province_docx, "年度")
    rows = {r.cells[0].text: [c.text for c in r.cells[1:]] for r in sched.rows[1:]}
    for y in ("2018", "2019", "2020"):
        people_plan, people_act, vil_plan, vil_act, cty_plan, cty_act = rows[f"{y}年"]
        assert people_plan == _n(s["people"]["plan"][y]) and people_act == _n(s["people"]["actual"][y])
        assert vil_plan == _n(s["villages"]["plan"][y]) and vil_act == _n(s["villages"]["actual"][y])
        assert cty_plan == _n(s["counties"]["plan"][y]) and cty_act == _n(s["counties"]["actual"][y])
    before = rows["2018年前"]
    assert before[2:] == [_n(s["villages"]["plan"]["before_2018"]), _n(s["villages"]["actual"]["before_2018"]),
                          _n(s["counties"]["plan"]["before_2018"]), _n(s["counties"]["actual"]["before_2018"])]
    kpi = _table_with(province_docx, "指标")
    people = [c.text for c in kpi.rows[1].cells]
    assert people[1] == _n(s["people"]["plan"]["2020"]) and people[2] == _n(s["people"]["actual"]["2020"])
    assert people[6] == _n(sum(s["people"]["actual"].values()))
    assert people[7] == _n(sum(s["people"]["plan"].values()))
    villages = [c.text for c in kpi.rows[2].cells]
    assert villages[7] == _n(s["villages"]["total"])
    counties = [c.text for c in kpi.rows[3].cells]
    assert counties[7] == _n(s["counties"]["total"])
    assert counties[6] == _n(sum(s["counties"]["actual"].values()))


def test_docx_summary_paragraph_words_and_labels(province_docx, demo_warehouse):
    s = summary(demo_warehouse)
    text = "\n".join(p.text for p in province_docx.paragraphs)
    assert "截至2020年12月31日，全省2020年已脱贫" + fmt_count(s["people"]["actual"]["2020"], "people") in text
    assert "演示数据" in text and "数据截止" in text and "来源" in text
    pw = _table_with(province_docx, "路径")
    assert [r.cells[0].text for r in pw.rows[1:]][:2] == ["产业扶贫", "转移就业"]
    assert len(province_docx.inline_shapes) >= 3  # schedule, map, pathways


def test_docx_east_asian_font(province_docx):
    normal = province_docx.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == docx_report.EA_FONT
    runs = [r for p in province_docx.paragraphs for r in p.runs if r.text.strip()]
    assert runs and all(r.element.rPr.rFonts.get(qn("w:eastAsia")) == docx_report.EA_FONT for r in runs)


def test_docx_prefecture_snaps_to_quarter_end(demo_db):
    d = docx.Document(io.BytesIO(docx_report.build_docx("622900", "2019-08-15")))
    text = "\n".join(p.text for p in d.paragraphs)
    assert "临夏" in text
    assert "2019年8月15日不是已载入的季度末" in text and "2019年6月30日" in text
    assert "截至2019年6月30日" in text
    assert len(d.inline_shapes) >= 3


def test_pptx_meeting_sequence(demo_db, demo_warehouse):
    s = summary(demo_warehouse)
    p = pptx.Presentation(io.BytesIO(pptx_report.build_pptx("620000", "2020-12-31")))
    slides = list(p.slides)
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        n_pref = con.execute("SELECT count(DISTINCT prefecture_code) FROM dim_county").fetchone()[0]
    # overview, map, exit schedule, each prefecture, counties behind (none: one page), villages behind (none: one),
    # plan targets due this year and behind
    assert len(slides) == 1 + 2 + n_pref + 2 + 1
    for i, sl in enumerate(slides, start=1):
        text = "\n".join(sh.text_frame.text for sh in sl.shapes if sh.has_text_frame)
        assert "数据截止：2020年12月31日" in text and "演示数据" in text and f"{i} / {len(slides)}" in text
    first = "\n".join(sh.text_frame.text for sh in slides[0].shapes if sh.has_text_frame)
    assert fmt_count(s["people"]["actual"]["2020"], "people") in first
    assert fmt_count(s["people"]["plan"]["2020"], "people") in first


def test_report_button_keeps_the_apps_connection(demo_db, audit_store):
    """The header's report buttons build on the app's connection: a request in flight on it (here: a cursor
    opened before) must still work afterwards (the callback used to reconfigure the database, closing it)."""
    from dashboard import pagekit

    in_flight = db.cursor()
    with duckdb.connect(str(demo_db), read_only=True) as con:
        (n,) = con.execute("SELECT count(*) FROM dim_county").fetchone()
    data, name = pagekit.report_file("docx", Q.resolve(Filters.parse({"as_of": "2019Q2"})), {"county": "622926"})
    assert name == "622926_东乡族自治县_2019Q2_进度报告.docx" and data[:2] == b"PK"
    assert in_flight.execute("SELECT count(*) FROM dim_county").fetchone() == (n,)


def test_cli(demo_warehouse, tmp_path, capsys):
    out = tmp_path / "c.docx"
    assert report.main(["--scope", "622926", "--as-of", "2019-06-30", "--format", "docx", "--out", str(out),
                        "--db", str(demo_warehouse)]) == 0
    assert docx.Document(str(out)).paragraphs[0].text.endswith("进度报告")
    assert report.main(["--scope", "999999", "--format", "docx", "--out", str(tmp_path / "x.docx"),
                        "--db", str(demo_warehouse)]) == 2
    assert report.main(["--scope", "620000", "--as-of", "2010-01-01", "--format", "pptx",
                        "--out", str(tmp_path / "x.pptx"), "--db", str(demo_warehouse)]) == 2
    assert "no snapshot" in capsys.readouterr().err


def test_cli_writes_an_audit_row_who_scope_rows(demo_warehouse, tmp_path, audit_store):
    import pwd

    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        (n_linxia,) = con.execute("SELECT count(*) FROM dim_county WHERE prefecture_code = '622900'").fetchone()
    me = pwd.getpwuid(__import__("os").getuid()).pw_name
    assert report.main(["--scope", "622900", "--as-of", "2019-06-30", "--format", "pptx", "--db", str(demo_warehouse),
                        "--out", str(tmp_path / "a.pptx")]) == 0
    assert report.main(["--scope", "622926", "--format", "docx", "--db", str(demo_warehouse), "--as", "zhang.wei",
                        "--out", str(tmp_path / "b.docx")]) == 0
    assert report.main(["--scope", "622926", "--format", "docx", "--db", str(demo_warehouse), "--as", "a b;c",
                        "--out", str(tmp_path / "c.docx")]) == 2  # a name is a name
    rows = [(r["username"], r["event"], r["scope_code"], r["target"], r["row_count"], r["detail"])
            for r in reversed(audit_store.audit_rows())]
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        (d,) = con.execute("SELECT max(as_of) FROM fct_household_snapshot").fetchone()
    latest = f"{d.year}Q{(d.month - 1) // 3 + 1}"
    assert rows == [(f"cli:{me}", "export", "620000", "622900", n_linxia, "report pptx 2019Q2 cli"),
                    ("zhang.wei", "export", "620000", "622926", 1, f"report docx {latest} cli by {me}")]


def test_chart_images_render_in_a_forked_process():
    """A server that forks after a report rendered charts (dash_duo_mp, gunicorn --preload): the child inherits
    kaleido's "running" flag without its thread and used to wait forever for the first image."""
    import os
    import signal

    import plotly.graph_objects as go

    from dashboard import imaging

    fig = go.Figure(go.Bar(x=[1, 2], y=[3, 4]))
    assert imaging.render(fig, "png", scale=1)[:4] == b"\x89PNG"
    pid = os.fork()
    if pid == 0:  # the child: an image within 60 s, or killed by the alarm
        signal.alarm(60)
        ok = imaging.render(fig, "png", scale=1)[:4] == b"\x89PNG"
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
