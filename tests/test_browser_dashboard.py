"""Browser tests (dash_duo, headless Chromium): `pytest --headless tests/test_browser_dashboard.py`.

Expected numbers are computed here with SQL over fct_household_snapshot, not via dashboard.queries.
Screenshots of every page at 1920×1080 go to artifacts/screenshots/.
"""

import time
from pathlib import Path

import duckdb
import pytest

from dashboard.i18n import fmt_count
from tests.conftest import serving

SHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"


@pytest.fixture
def served(tiny_warehouse, dash_duo):
    with serving(dash_duo, tiny_warehouse):
        yield dash_duo, tiny_warehouse

def _sql(path, sql, params=()):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def _people_exited(path, prefecture=None):
    """People exited in the latest snapshot's year, from household facts (independent of the app)."""
    (as_of,), = _sql(path, "SELECT max(as_of) FROM fct_household_snapshot")
    (n,), = _sql(path, """
        SELECT coalesce(sum(h.household_size), 0) FROM fct_household_snapshot h JOIN dim_county c USING (county_code)
        WHERE h.as_of = ? AND h.status = '已脱贫' AND year(h.exit_date) = ? AND (? IS NULL OR c.prefecture_code = ?)""",
                 (as_of, as_of.year, prefecture, prefecture))
    return n


def _wait_text(duo, selector, expected, timeout=10):
    duo.wait_for_text_to_equal(selector, expected, timeout=timeout)


def _shot(duo, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    time.sleep(1.0)
    duo.driver.save_screenshot(str(SHOTS / f"{name}.png"))


def test_pages_open_without_console_errors(served):
    duo, path = served
    county = _sql(path, "SELECT county_code FROM dim_county WHERE is_poverty_county ORDER BY 1 LIMIT 1")[0][0]
    village = _sql(path, "SELECT village_code FROM fct_household_snapshot ORDER BY 1 LIMIT 1")[0][0]
    duo.wait_for_element("#kpi-people-actual", timeout=15)
    duo.wait_for_element("#ov-map .choroplethlocation", timeout=15)
    _shot(duo, "overview")
    for url, sel, name in ((f"/county/{county}", "#county-name", "county"),
                           (f"/village/{village}", "#village-name", "village"),
                           ("/data", "#lang-link", "data")):
        duo.driver.get(duo.server_url + url)
        duo.wait_for_element(sel, timeout=15)
        time.sleep(1.5)
        _shot(duo, name)
    assert duo.get_logs() == []


def test_prefecture_filter_kpi_url_and_language(served):
    duo, path = served
    total = _people_exited(path)
    _wait_text(duo, "#kpi-people-actual", fmt_count(total, "people", "zh"), timeout=15)
    pref_code, pref_name = _sql(path, """SELECT p.prefecture_code, p.prefecture_name FROM dim_prefecture p
        JOIN dim_county c USING (prefecture_code) WHERE c.is_poverty_county ORDER BY 1 LIMIT 1""")[0]
    duo.select_dcc_dropdown("#ov-prefecture", value=pref_name)
    expected = fmt_count(_people_exited(path, pref_code), "people", "zh")
    _wait_text(duo, "#kpi-people-actual", expected)
    url = duo.driver.current_url
    assert f"prefecture={pref_code}" in url
    # the copied URL reopens the same view
    duo.driver.get(duo.server_url + "/data")
    duo.wait_for_element("#lang-link")
    duo.driver.get(url)
    _wait_text(duo, "#kpi-people-actual", expected, timeout=15)
    assert pref_name in duo.find_element("#ov-prefecture").text
    # switch language: same view, English labels, lang in the URL
    duo.find_element("#lang-link").click()
    _wait_text(duo, "#kpi-people-actual", fmt_count(_people_exited(path, pref_code), "people", "en"))
    assert "lang=en" in duo.driver.current_url and f"prefecture={pref_code}" in duo.driver.current_url
    assert duo.get_logs() == []


def test_map_click_opens_county_page(served):
    duo, path = served
    duo.wait_for_element("#ov-map .choroplethlocation", timeout=15)
    time.sleep(1.0)
    poverty = {c for (c,) in _sql(path, "SELECT county_code FROM dim_county")}
    paths = duo.driver.execute_script(
        "var t = document.querySelectorAll('#ov-map g.choroplethlayer g.trace');"
        "return t.length ? Array.from(t[0].querySelectorAll('path.choroplethlocation')) : [];")
    assert paths
    # click the largest county shape (by bounding box) to avoid slivers under an outline
    target = max(paths, key=lambda e: e.size["width"] * e.size["height"])
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(duo.driver).move_to_element(target).click().perform()
    duo.wait_for_element("#county-name", timeout=15)
    code = duo.driver.current_url.split("/county/")[1][:6]
    assert code in poverty
    (name,), = _sql(path, "SELECT county_name FROM dim_county WHERE county_code = ?", (code,))
    assert duo.find_element("#county-name").text == name
    assert duo.get_logs() == []
