"""Downloads from the UI in headless Chromium: the CSV behind a chart, and the Word report for the scope."""

import csv
import io
from pathlib import Path

import duckdb
import pytest
from docx import Document

from tests.conftest import serving, wait_for_file


@pytest.fixture
def served(tiny_warehouse, dash_duo):
    with serving(dash_duo, tiny_warehouse):
        yield dash_duo

def _wait_for_file(folder: Path, suffix: str, timeout: float = 30) -> Path:
    return wait_for_file(folder, suffix, timeout)


def test_schedule_csv_download_is_the_rows_behind_the_chart(served, tiny_warehouse):
    duo = served
    duo.wait_for_page(f"{duo.server_url}/?as_of=2019Q4")
    duo.wait_for_element("#kpi-people-actual", timeout=20)
    button = duo.driver.find_element("css selector", "button[id*='\"chart\":\"schedule\"'][id*='\"fmt\":\"csv\"']")
    button.click()
    path = _wait_for_file(Path(duo.download_path), ".csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to open Chinese text"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    got = {int(r["年度"]): int(r["实际"]) for r in rows if r["年度"].isdigit()}  # headers as on screen
    with duckdb.connect(str(tiny_warehouse), read_only=True) as con:
        expected = dict(con.execute("""
            SELECT y, coalesce(sum(household_size) FILTER (WHERE year(exit_date) = y), 0)
            FROM fct_household_snapshot, (SELECT unnest([2018, 2019, 2020]) AS y)
            WHERE as_of = DATE '2019-12-31' AND status = '已脱贫' GROUP BY y""").fetchall())
    assert got == expected
    assert duo.get_logs() == []


@pytest.fixture
def served_in_a_process(tiny_warehouse, dash_duo_mp):
    """The app in its own process: the report starts a kaleido browser there, not in the test process."""
    with serving(dash_duo_mp, tiny_warehouse, port=8077):
        yield dash_duo_mp

def test_word_report_from_the_header_button(served_in_a_process):
    duo = served_in_a_process
    duo.wait_for_page(f"{duo.server_url}/county/622926?as_of=2019Q4")
    duo.wait_for_element("#kpi-people-actual", timeout=20)
    duo.driver.find_element("css selector", "button[id*='\"type\":\"report\"'][id*='\"fmt\":\"docx\"']").click()
    path = _wait_for_file(Path(duo.download_path), ".docx", timeout=60)
    assert path.name.startswith("622926_东乡族自治县_2019Q4")
    text = "\n".join(p.text for p in Document(str(path)).paragraphs)
    assert "东乡族自治县" in text and "2019年12月31日" in text
    assert duo.get_logs() == []
