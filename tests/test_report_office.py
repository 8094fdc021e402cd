"""The reports as a reader gets them: each file opened by LibreOffice headless and converted to PDF, the pages
counted (pdfinfo) and their text read (pdftotext), checked against the warehouse (SQL written here) and against
what the issue asks for: a header and footer on every page and slide, sections numbered without gaps, years
without separators, real properties, titles that match their content, laggard villages listed, English."""

import datetime as dt
import io
import re
import shutil
import subprocess

import duckdb
import pptx
import pytest
from docx import Document

from dashboard import docx_report, pptx_report, report
from dashboard import queries as Q
from dashboard.filters import Filters

pytestmark = pytest.mark.skipif(
    not (shutil.which("chromium") and shutil.which("soffice") and shutil.which("pdftotext")),
    reason="needs chromium (charts), LibreOffice and poppler-utils: `make system`")

PRODUCT = "甘肃省脱贫攻坚三年行动进度监测"
MAP_MEASURE_ZH = "脱贫人口累计进度（实际/按进度应完成）"  # the map's title (dashboard.i18n m_completion), typed in


def pdf_pages(pdf: bytes, tmp_path, name: str) -> list[str]:
    """The text of each page (pdftotext), after checking the page count against pdfinfo."""
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    n = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    if pages and not pages[-1].strip():
        pages = pages[:-1]
    assert len(pages) == n
    return pages


def pdf_info(pdf: bytes, tmp_path) -> dict:
    path = tmp_path / "info.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in out.splitlines() if ":" in line)}


def squash(s: str) -> str:
    """pdftotext puts spaces between CJK and Latin runs ('2019 年'): compare without blanks."""
    return re.sub(r"\s+", "", s)


@pytest.fixture(scope="module")
def county_docx(demo_db):
    return docx_report.build_docx("622926", "2019-06-30")


@pytest.fixture(scope="module")
def county_pdf(county_docx):
    return docx_report.office_to_pdf(county_docx, ".docx")


@pytest.fixture(scope="module")
def province_docx(demo_db):
    return docx_report.build_docx("620000", "2019-06-30")


@pytest.fixture(scope="module")
def province_pdf(province_docx):
    return docx_report.office_to_pdf(province_docx, ".docx")


def _county_name(warehouse, code):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("SELECT county_name FROM dim_county WHERE county_code = ?", [code]).fetchone()[0]


def test_word_every_page_has_header_and_footer(county_pdf, province_pdf, demo_warehouse, tmp_path):
    name = _county_name(demo_warehouse, "622926")
    for pdf, place in ((county_pdf, name), (province_pdf, "全省")):
        pages = pdf_pages(pdf, tmp_path, place)
        assert len(pages) >= 3
        for i, page in enumerate(pages, start=1):
            s = squash(page)
            assert s.startswith(squash(f"{place} · 数据截止：2019年6月30日")), (i, page[:200])
            assert "演示数据（非真实统计）" in s, i
            assert f"第{i}页/共{len(pages)}页" in s, (i, s[-200:])


def test_word_sections_numbered_without_gaps(county_pdf, province_pdf, tmp_path):
    for pdf, label in ((county_pdf, "county"), (province_pdf, "province")):
        text = "\n".join(pdf_pages(pdf, tmp_path, label))
        body = text[text.rindex("一、总体进展"):]  # the body, after the contents list
        numbers = re.findall(r"^\s*([一二三四五六七八九十])、", body, re.M)
        assert numbers, label
        assert numbers == list("一二三四五六七八九十"[:len(numbers)]), (label, numbers)
    # the county report has no map section (its notes follow the targets section, 五); the province report has
    county_text = squash("".join(pdf_pages(county_pdf, tmp_path, "c")))
    assert "分县地图" not in county_text and "六、数据说明" in county_text


def test_word_contents_pages_are_the_headings_pages(county_pdf, tmp_path):
    pages = pdf_pages(county_pdf, tmp_path, "toc")
    assert "目录" in pages[0]
    entries = re.findall(r"^\s*([一二三四五六七八九十]、\S+?)\.{3,}\s*(\d+)\s*$", pages[0], re.M)
    assert len(entries) >= 4
    for heading, page in entries:
        where = [i for i, p in enumerate(pages, start=1) if re.search(rf"^\s*{re.escape(heading)}\s*$", p, re.M)]
        assert where and int(page) == where[-1], (heading, page, where)


def test_word_years_without_separators(province_pdf, tmp_path):
    text = "\n".join(pdf_pages(province_pdf, tmp_path, "p"))
    assert "2019年6月30日" in squash(text) and not re.search(r"2,0[12]\d", text)


def test_word_as_of_once_in_the_notes(province_pdf, tmp_path):
    pages = pdf_pages(province_pdf, tmp_path, "p")
    body = [p.split("\n", 1)[1] for p in pages]  # without the page header
    notes = "\n".join(body).rsplit("数据说明", 1)[1]
    assert squash(notes).count("数据截止") == 1


def test_word_map_section_title_is_the_maps(province_docx, province_pdf, tmp_path):
    d = Document(io.BytesIO(province_docx))
    heads = [p.text for p in d.paragraphs if p.style.name == "Heading 1"]
    map_heads = [h for h in heads if "地图" in h]
    assert len(map_heads) == 1 and MAP_MEASURE_ZH in map_heads[0] and "本年脱贫人口计划完成率" not in map_heads[0]
    assert squash(MAP_MEASURE_ZH) in squash("".join(pdf_pages(province_pdf, tmp_path, "m")))


def test_word_properties(county_docx, county_pdf, demo_warehouse, tmp_path):
    name = _county_name(demo_warehouse, "622926")
    cp = Document(io.BytesIO(county_docx)).core_properties
    now = dt.datetime.now()
    assert cp.author == PRODUCT and cp.last_modified_by == PRODUCT
    created = cp.created if cp.created.tzinfo else cp.created.replace(tzinfo=dt.UTC)
    assert abs((created - dt.datetime.now(dt.UTC)).total_seconds()) < 3600
    assert name in cp.title and "2019Q2" in cp.title and "2019年6月30日" in cp.subject
    info = pdf_info(county_pdf, tmp_path)
    assert info["Author"] == PRODUCT and name in info["Title"]
    assert str(now.year) in info["CreationDate"]


def test_word_lists_the_villages_behind(province_docx, demo_warehouse):
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        want = [r[0] for r in con.execute("""
            SELECT v.village_code FROM dim_village v JOIN dim_county c USING (county_code)
            JOIN mart_village_status m ON m.village_code = v.village_code AND m.as_of = DATE '2019-06-30'
            WHERE c.is_poverty_county AND m.behind_schedule AND NOT m.exited
            ORDER BY m.incidence DESC, v.village_code""").fetchall()]
    assert want
    d = Document(io.BytesIO(province_docx))
    tb = next(tb for tb in d.tables if tb.rows[0].cells[0].text == "村代码")
    assert [r.cells[0].text for r in tb.rows[1:]] == want[:docx_report.MAX_VILLAGE_ROWS]
    years = {r.cells[4].text for r in tb.rows[1:]}
    assert years <= {"2018", "2019", "2020"}, years


def test_cli_english_pdf(demo_warehouse, tmp_path):
    out = tmp_path / "linxia_en.pdf"
    assert report.main(["--scope", "622900", "--as-of", "2019-06-30", "--format", "pdf", "--lang", "en",
                        "--out", str(out), "--db", str(demo_warehouse)]) == 0
    pdf = out.read_bytes()
    assert pdf[:5] == b"%PDF-"
    pages = pdf_pages(pdf, tmp_path, "en")
    text = "\n".join(pages)
    for word in ("Contents", "1. Overall progress", "Exit schedule: plan vs actual", "County map",
                 "Seven pathways", "Notes on the data", "Demo data (not real statistics)", "30 Jun 2019"):
        assert word in text, word
    for i, page in enumerate(pages, start=1):
        assert f"Page {i} of {len(pages)}" in page
    for zh in ("数据截止", "目录", "总体进展", "演示数据", "年度计划", "进度滞后", "来源", "第1页"):
        assert zh not in text, zh


@pytest.fixture(scope="module")
def county_deck(demo_db):
    return pptx_report.build_pptx("622926", "2019-06-30")


@pytest.fixture(scope="module")
def province_deck(demo_db):
    return pptx_report.build_pptx("620000", "2019-06-30")


def _behind_villages_sql(warehouse, where: str, params: list) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return [r[0] for r in con.execute(f"""
            SELECT v.village_name FROM dim_village v JOIN dim_county c USING (county_code)
            JOIN mart_village_status m ON m.village_code = v.village_code AND m.as_of = DATE '2019-06-30'
            WHERE c.is_poverty_county AND m.behind_schedule AND NOT m.exited AND {where}
            ORDER BY m.incidence DESC, v.village_code""", params).fetchall()]


def test_county_deck_has_its_charts_and_villages(county_deck, demo_warehouse, tmp_path):
    p = pptx.Presentation(io.BytesIO(county_deck))
    pictures = [sh for sl in p.slides for sh in sl.shapes if sh.shape_type == 13]
    assert len(p.slides) >= 4 and len(pictures) >= 2  # exit schedule and pathways
    pages = pdf_pages(docx_report.office_to_pdf(county_deck, ".pptx"), tmp_path, "cdeck")
    assert len(pages) == len(p.slides)
    name = _county_name(demo_warehouse, "622926")
    for i, page in enumerate(pages, start=1):
        s = squash(page)
        assert squash(f"{name} · 数据截止：2019年6月30日") in s and "演示数据" in s and f"{i}/{len(pages)}" in s
    want = _behind_villages_sql(demo_warehouse, "c.county_code = ?", ["622926"])
    assert want
    text = squash("".join(pages))
    assert f"进度滞后的贫困村（{len(want)}个）" in text
    assert all(v in text for v in want)


def test_province_deck_lists_the_villages_it_counts(province_deck, demo_warehouse, tmp_path):
    p = pptx.Presentation(io.BytesIO(province_deck))
    pages = pdf_pages(docx_report.office_to_pdf(province_deck, ".pptx"), tmp_path, "pdeck")
    assert len(pages) == len(p.slides)
    for i, page in enumerate(pages, start=1):
        s = squash(page)
        assert "全省·数据截止：2019年6月30日" in s and "演示数据" in s and f"{i}/{len(pages)}" in s, i
    want = _behind_villages_sql(demo_warehouse, "true", [])
    text = squash("".join(pages))
    assert f"进度滞后的贫困村（{len(want)}个）" in text
    listed = want[:pptx_report.VILLAGE_ROWS * pptx_report.MAX_VILLAGE_SLIDES]
    assert all(v in text for v in listed)
    map_slide = next(pg for pg in pages if "分县地图" in pg)
    assert squash(MAP_MEASURE_ZH) in squash(map_slide) and "本年脱贫人口计划完成率" not in squash(map_slide)
    cp = p.core_properties
    assert cp.author == PRODUCT and cp.created.year == dt.datetime.now().year and "全省" in cp.title


def test_report_button_language_pdf_and_name(demo_db, audit_store):
    from dashboard import pagekit

    f = Q.resolve(Filters.parse({"as_of": "2019Q2", "lang": "en"}))
    data, name = pagekit.report_file("docx", f, {"county": "622926"})
    text = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
    assert "Overall progress" in text and "总体进展" not in text
    assert name == "622926_东乡族自治县_2019Q2_progress_report.docx"
    pdf, pname = pagekit.report_file("pdf", Q.resolve(Filters.parse({"as_of": "2019Q2"})), {})
    assert pdf[:5] == b"%PDF-" and pname == "620000_全省_2019Q2_进度报告.pdf"


def test_household_csv_is_named_after_its_village(demo_db, demo_warehouse):
    from dashboard import charts

    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        code, vname, cname, pname = con.execute("""
            SELECT v.village_code, v.village_name, c.county_name, p.prefecture_name
            FROM dim_village v JOIN dim_county c USING (county_code) JOIN dim_prefecture p USING (prefecture_code)
            WHERE c.prefecture_code = '622900' ORDER BY v.village_code LIMIT 1""").fetchone()
    f = Filters(prefecture="622900", as_of="2019Q2")  # the URL the village page was reached from
    name = charts.filename("households", f, Q.viewer_scope(), {"village": code}, "csv")
    assert name.startswith(f"{code}_{cname}_{vname}_2019Q2_") and pname not in name
