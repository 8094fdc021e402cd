"""/targets in headless Chromium: `flock /tmp/gansu-browser.lock pytest --headless tests/test_targets_browser.py`.
The tiny warehouse with the real catalog and a synthetic quarterly series for every assessable target
(tests/targets_support.py); expected counts come from the catalog file, not from the page's code."""

import re
import shutil
import time

import pandas as pd
import pytest

from tests import targets_support as S
from tests.conftest import serving

UNITS = {"province": ["620000"], "prefecture": ["620100", "622900"], "county": ["620103", "622926"],
         "village": ["620103001001", "622926001001", "622926001002"]}


@pytest.fixture
def served(tiny_warehouse, tmp_path, dash_duo):
    db = tmp_path / "warehouse.duckdb"
    shutil.copyfile(tiny_warehouse, db)
    S.write_tables(db, S.synthetic_progress(UNITS, behind={"622926", "622926001002"}))
    with serving(dash_duo, db):
        yield dash_duo


def _wait(duo, cond, timeout=15):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if cond():
                return
        except Exception:  # noqa: BLE001 - the page is re-rendering
            pass
        time.sleep(0.2)
    raise AssertionError("timed out")


def _rows_text(duo) -> str:
    return duo.find_element("#tg-rows").text


def test_filters_change_the_table_and_a_row_opens_its_detail(served):
    duo = served
    cat = pd.read_csv(S.CATALOG_CSV, dtype=str, keep_default_na=False)
    duo.driver.get(duo.server_url + "/targets?as_of=2019Q4")
    duo.wait_for_element("#tg-rows", timeout=20)
    later = (cat["same_target_as"] != "") & (cat["in_force_from"] > "2019-12-31")  # the 2020 work report's figures
    assert _rows_text(duo) == f"共{len(cat) - later.sum()}项目标"
    assert "目标任务" in duo.find_element(".nav").text
    assert "95%" in duo.find_element("#tg-rule").text
    # sector filter: as many rows as the catalog has in that sector; the URL holds it
    n_industry = int((cat["sector"] == "产业").sum())
    duo.select_dcc_dropdown("#tg-sector", value="产业")
    _wait(duo, lambda: _rows_text(duo) == f"共{n_industry}项目标")
    assert "sector=%E4%BA%A7%E4%B8%9A" in duo.driver.current_url
    # status filter: every row left is behind
    time.sleep(0.5)
    duo.select_dcc_dropdown("#tg-status", value="滞后")
    _wait(duo, lambda: "status=behind" in duo.driver.current_url)
    _wait(duo, lambda: int(_rows_text(duo)[1:-3]) < n_industry)
    statuses = {c.text for c in duo.driver.find_elements("css selector", "#tg-table .ag-cell[col-id='now_label']")}
    assert statuses == {"滞后"}
    # deadline year: the industry targets due in 2018
    n_2018 = int(((cat["sector"] == "产业") & cat["deadline"].str.startswith("2018")).sum())
    duo.select_dcc_dropdown("#tg-status", value="全部")
    _wait(duo, lambda: _rows_text(duo) == f"共{n_industry}项目标" and "status=" not in duo.driver.current_url)
    time.sleep(0.5)
    duo.select_dcc_dropdown("#tg-year", value="2018")
    _wait(duo, lambda: _rows_text(duo) == f"共{n_2018}项目标")
    # a row click opens its detail: its quote, its series, in the URL
    row = duo.find_element("#tg-table .ag-center-cols-container .ag-row")
    target = row.get_attribute("row-id")
    row.find_element("css selector", ".ag-cell").click()
    _wait(duo, lambda: target in duo.find_element("#tg-detail-title").text)
    assert f"target={target}" in duo.driver.current_url
    quote = cat.set_index("id").loc[target, "quote"]
    assert duo.find_element("#tg-quote").text == quote
    duo.wait_for_element("#tg-series .main-svg", timeout=15)
    # the link reopens the same view; English
    url = duo.driver.current_url
    duo.driver.get(url + "&lang=en")
    _wait(duo, lambda: target in duo.find_element("#tg-detail-title").text)
    assert "Targets" in duo.find_element(".nav").text and "Back to all targets" in duo.find_element("#tg-back").text
    assert duo.get_logs() == []


def test_revision_shows_both_figures_and_which_is_in_force(served):
    duo = served
    duo.driver.get(duo.server_url + "/targets?as_of=2019Q4&target=people_exit_2018")
    duo.wait_for_element("#tg-revision", timeout=20)
    text = duo.find_element("#tg-revision").text
    assert "650,000" in text and "2018-01-24" in text and "2018-08-21" in text
    duo.driver.get(duo.server_url + "/targets?as_of=2019Q4&target=people_exit_2018_gwr2018")
    duo.wait_for_element("#tg-revision", timeout=20)
    assert "710,000" in duo.find_element("#tg-revision").text
    assert "已被修订" in duo.find_element("#tg-detail").text
    assert duo.get_logs() == []


def test_in_english_the_sector_is_english_and_not_cut(served):
    """The catalog names sectors in Chinese; the English table gives them in English, in a column wide enough."""
    duo = served
    duo.driver.get(duo.server_url + "/targets?lang=en")
    duo.wait_for_element('#tg-table .ag-cell[col-id="sector"]', timeout=20)
    js = ("return [...document.querySelectorAll('#tg-table .ag-cell[col-id=\"sector\"]')]"
          ".map(c => c.querySelector('.ag-cell-value') || c).map(c => [c.innerText, c.scrollWidth > c.clientWidth + 1])")
    _wait(duo, lambda: duo.driver.execute_script(js))
    cells = duo.driver.execute_script(js)
    assert cells and not [v for v, _ in cells if re.search(r"[\u4e00-\u9fff]", v)], cells
    assert not [v for v, cut in cells if cut], cells
