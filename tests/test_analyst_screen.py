"""The analyst's screen (issue 13 item 5): the widgets in the UI language (AG Grid and plotly.js locales, dropdown
words, register values, tab titles), the keyboard route to a county and a village, the breakdown's labels, the
history axis, grid headers and dates, /data headers. Browser parts: `flock /tmp/gansu-browser.lock pytest
--headless tests/test_analyst_screen.py`."""

import datetime as dt
import re
import time

import pandas as pd
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from dashboard import components as C
from dashboard import figures
from dashboard.pagekit import grid
from tests.conftest import serving

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


# ---------------------------------------------------------------- pure
def _breakdown_rows():
    cats = {"status": ["未脱贫", "已脱贫", "返贫"], "attribute": ["一般贫困户", "低保贫困户", "特困供养贫困户"],
            "cause": ["因病", "因残", "因学", "因灾", "缺土地", "缺水", "缺技术", "缺劳力", "缺资金", "交通条件落后",
                      "自身发展动力不足", "其他"]}
    return pd.DataFrame([{"dimension": d, "category": c, "households": 10 + i, "people": 30 + i}
                         for d, cs in cats.items() for i, c in enumerate(cs)])


def test_breakdown_lists_every_category_and_speaks_english():
    df = _breakdown_rows()
    zh = figures.breakdown_figure(df, lang="zh", title="t", subtitle="s")
    shown = [v for ax, a in zh["layout"].items() if ax.startswith("yaxis") for v in a["tickvals"]]
    assert sorted(shown) == sorted(df["category"])  # every label listed, none left to plotly's auto ticks
    en = figures.breakdown_figure(df, lang="en", title="t", subtitle="s")
    labels = [v for tr in en["data"] for v in tr["y"]]
    assert len(labels) == 18 and not [x for x in labels if CJK.search(x)], labels
    assert {"Illness", "Disability", "Out of poverty", "Ordinary poor household"} <= set(labels)


def test_history_incidence_axis_from_zero_with_round_ticks_and_room_above():
    df = pd.DataFrame({"quarter_label": ["2018Q1", "2018Q2", "2018Q3"], "remaining_people": [900, 700, 400],
                       "returned_households": [1, 2, 0], "incidence": [0.137, 0.09, 0.041]})
    fig = figures.history_figure(df, lang="zh", title="t", subtitle="s", as_of="2018Q3")
    y2 = fig["layout"]["yaxis2"]
    lo, hi = y2["range"]
    assert lo == 0 and y2["tick0"] == 0
    step = y2["dtick"]
    mant = step / 10 ** __import__("math").floor(__import__("math").log10(step))
    assert round(mant, 6) in (1, 2, 5)
    last_tick = (hi // step) * step
    assert last_tick >= 0.137 and hi > last_tick  # the top tick inside the plot, not on its edge
    line = [a for a in fig["layout"]["annotations"] if "3%" in a["text"]]
    assert line and line[0]["xref"] == "x domain" and line[0]["x"] < 0.1  # inside the plot, away from the ticks


def test_grid_dates_are_dates_and_headers_fit():
    df = pd.DataFrame({"exit_date": [dt.date(2018, 7, 9), None], "started_at": [pd.Timestamp("2026-12-01 09:30:05"),
                                                                                 pd.Timestamp("2018-07-09")],
                       "household_id": ["H1", "H2"]})
    cols = [{"field": "exit_date", "headerName": "脱贫日期"}, {"field": "started_at", "headerName": "Started at"},
            {"field": "household_id", "headerName": "Household ID"}]
    g = grid("g", df, cols).children  # the UI's default language (zh); the grid sits in a box of its height
    rows = g.rowData
    assert [r["exit_date"] for r in rows] == ["2018-07-09", None]
    assert [r["started_at"] for r in rows] == ["2026-12-01 09:30:05", "2018-07-09"]
    assert "T00:00:00" not in str(rows)
    assert g.dashGridOptions["getLocaleText"] == {"function": "gansuLocaleText(params)"}  # assets/analyst.js
    assert g.defaultColDef.get("wrapHeaderText") and g.defaultColDef.get("autoHeaderHeight")
    assert "getLocaleText" not in grid("g", df, cols, lang="en").children.dashGridOptions
    props = C.grid_props(df, cols, "zh")
    widths = {c["field"]: c["minWidth"] for c in props["columnDefs"]}
    assert widths["exit_date"] >= 4 * 14 + 2 * 8  # four CJK characters of 14 px and the cell's padding


def test_tab_titles_and_data_headers_follow_the_language():
    import dash

    import app as app_module
    from dashboard.pages import data

    titles = {p["module"]: p["title"] for p in dash.page_registry.values() if callable(p["title"])}
    assert len(titles) >= 4
    with app_module.server.test_request_context("/county/622926?lang=en"):
        en = [f() for f in titles.values()]
    with app_module.server.test_request_context("/county/622926"):
        zh = [f() for f in titles.values()]
    assert not [x for x in en if CJK.search(x)], en
    assert all(CJK.search(x) for x in zh), zh
    df = pd.DataFrame(columns=["load_id", "started_at", "rows_rejected", "example_message"])
    heads = [c["headerName"] for c in data._cols(df, "zh")]
    assert all(CJK.search(h) for h in heads), heads
    assert [c["headerName"] for c in data._cols(df, "en")] == ["Load ID", "Started", "Rows rejected",
                                                               "Example message"]


def test_no_full_width_punctuation_in_english_labels():
    from dashboard.i18n import CATALOG

    bad = {k: en for k, (_, en) in CATALOG.items() if re.search(r"[：，（）。；、]", en)}
    assert bad == {}


# ---------------------------------------------------------------- browser
@pytest.fixture
def served(tiny_warehouse, dash_duo):
    with serving(dash_duo, tiny_warehouse):
        yield dash_duo


def _wait(cond, timeout=15, what=""):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.2)
    raise AssertionError(f"timed out: {what}")


def _js(duo, script):
    return duo.driver.execute_script(script)


def test_widgets_speak_chinese_and_english(served):
    duo = served
    duo.driver.get(duo.server_url + "/county/622926")
    duo.wait_for_element("#co-villages .ag-paging-panel", timeout=20)
    pager = _wait(lambda: duo.find_element("#co-villages .ag-paging-panel").text, what="pager")
    assert "每页" in pager and "共" in pager and "Page" not in pager and " of " not in pager, pager
    # plotly.js's own zh-CN locale: the modebar's tooltips
    titles = _wait(lambda: _js(duo, "return [...document.querySelectorAll('#co-history .modebar-btn')]"
                                    ".map(b => b.getAttribute('data-title'))"), what="modebar")
    assert titles and all(CJK.search(x) for x in titles), titles
    # the history chart: incidence ticks from 0 %, round; the 3 % line's label overlaps no tick label
    geo = _wait(lambda: _js(duo, """
        const g = document.querySelector('#co-history');
        const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
        const note = [...g.querySelectorAll('.annotation-text')].filter(e => e.textContent.includes('3%'));
        const ticks = [...g.querySelectorAll('.ytick text, .y2tick text, .xtick text')];
        return note.length && {note: box(note[0]), ticks: ticks.map(box),
                y2: [...g.querySelectorAll('.y2tick text')].map(e => e.textContent)};"""), what="history")
    assert geo["y2"][0] == "0%" and all(re.fullmatch(r"\d+%", x) for x in geo["y2"]), geo["y2"]
    steps = {int(b[:-1]) - int(a[:-1]) for a, b in zip(geo["y2"], geo["y2"][1:])}
    assert len(steps) == 1 and steps.pop() in (1, 2, 5, 10, 20, 50), geo["y2"]
    n = geo["note"]
    assert not [b for b in geo["ticks"] if b[0] < n[2] and n[0] < b[2] and b[1] < n[3] and n[1] < b[3]]
    # a dropdown's words: placeholder and search box
    duo.driver.get(duo.server_url + "/")
    duo.wait_for_element("#ov-county", timeout=20)
    assert "输入县名" in duo.find_element("#ov-county").text  # its placeholder, not "Select..."
    duo.find_element("#ov-county").click()
    search = _wait(lambda: duo.driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-search"), what="search box")
    assert "搜索" in (search[0].get_attribute("placeholder") or "")
    assert _js(duo, "return document.title").endswith("总览")
    # English: the grid, register values, the tab's title
    duo.driver.get(duo.server_url + "/village/622926001001?lang=en")
    duo.wait_for_element("#vi-households .ag-paging-panel", timeout=20)
    pager = _wait(lambda: duo.find_element("#vi-households .ag-paging-panel").text, what="pager")
    assert "Page Size" in pager, pager
    cells = _wait(lambda: _js(duo, "return [...document.querySelectorAll('#vi-households .ag-cell')]"
                                   ".map(c => [c.getAttribute('col-id'), c.innerText])"), what="cells")
    values = {col: v for col, v in cells if col in ("household_attribute", "main_cause", "status", "pathways")}
    assert values and not [v for v in values.values() if CJK.search(v)], values
    dates = [v for col, v in cells if col == "exit_date" and v]
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in dates), dates
    assert _wait(lambda: _js(duo, "return document.title") == "Gansu poverty-exit monitor · Village", what="title")
    # headers are never cut: each header's text fits its cell
    cut = _js(duo, "return [...document.querySelectorAll('#vi-households .ag-header-cell-text')]"
                   ".filter(e => e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1)"
                   ".map(e => e.innerText)")
    assert cut == [], cut


def _tab_to(duo, test, limit=80):
    """Press Tab until `test(active element)` holds; returns the element."""
    body = duo.driver.find_element(By.TAG_NAME, "body")
    body.click()
    for _ in range(limit):
        duo.driver.switch_to.active_element.send_keys(Keys.TAB)
        el = duo.driver.switch_to.active_element
        if test(el):
            return el
    raise AssertionError("Tab never reached the target")


def test_keyboard_only_reaches_a_county_and_a_village(served):
    duo = served
    duo.driver.get(duo.server_url + "/")
    duo.wait_for_element("#ov-county", timeout=20)
    _tab_to(duo, lambda el: _js(duo, "return !!document.activeElement.closest('#ov-county')"))
    active = duo.driver.switch_to.active_element
    active.send_keys(Keys.ENTER)
    time.sleep(0.3)
    duo.driver.switch_to.active_element.send_keys("东乡")
    time.sleep(0.3)
    duo.driver.switch_to.active_element.send_keys(Keys.ARROW_DOWN)
    duo.driver.switch_to.active_element.send_keys(Keys.ENTER)
    _wait(lambda: "/county/622926" in duo.driver.current_url, what="county page")
    duo.wait_for_element("#co-villages .ag-cell", timeout=20)
    # into the village grid, to a name cell (a link), Enter opens the village
    _tab_to(duo, lambda el: _js(duo, "const c = document.activeElement.closest('.ag-cell');"
                                     "return !!(c && c.querySelector('a.grid-link'))"), limit=120)
    duo.driver.switch_to.active_element.send_keys(Keys.ENTER)
    _wait(lambda: "/village/6229260010" in duo.driver.current_url, what="village page")
    duo.wait_for_element("#village-name", timeout=20)


def test_ranking_table_links_by_keyboard(served):
    duo = served
    duo.driver.get(duo.server_url + "/")
    duo.wait_for_element("#rank-table summary", timeout=20)
    _tab_to(duo, lambda el: el.tag_name == "summary")
    duo.driver.switch_to.active_element.send_keys(Keys.ENTER)
    link = _tab_to(duo, lambda el: el.tag_name == "a" and "rank-link" in (el.get_attribute("class") or ""))
    assert "prefecture=622900" in link.get_attribute("href")
    link.send_keys(Keys.ENTER)
    _wait(lambda: "prefecture=622900" in duo.driver.current_url, what="prefecture view")


def test_household_files_carry_register_values_in_the_ui_language():
    from dashboard import exports

    df = pd.DataFrame({"household_id": ["H1"], "household_attribute": ["低保贫困户"], "main_cause": ["因病"],
                       "status": ["已脱贫"], "exit_date": [pd.Timestamp("2018-07-09")]})
    en = exports.present(df, "households", "en")
    assert list(en.iloc[0])[1:4] == ["Minimum-allowance household", "Illness", "Out of poverty"]
    assert en.iloc[0, 4] == dt.date(2018, 7, 9)  # a date, not 2018-07-09T00:00:00
    zh = exports.present(df, "households", "zh")
    assert list(zh.iloc[0])[1:4] == ["低保贫困户", "因病", "已脱贫"]
    bd = exports.present(_breakdown_rows(), "breakdown", "en")
    assert not [v for v in bd.iloc[:, 1] if CJK.search(str(v))]


@pytest.fixture
def served_in_a_process(tiny_warehouse, dash_duo_mp):
    """The app in its own process (a report renders its chart images with kaleido there)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with serving(dash_duo_mp, tiny_warehouse, port=port):
        yield dash_duo_mp


def test_the_404_page_speaks_the_language_and_its_report_button_works(served_in_a_process):
    from pathlib import Path

    duo = served_in_a_process
    duo.driver.get(duo.server_url + "/no-such-page?lang=en")
    duo.wait_for_element("#lang-link", timeout=20)
    _wait(lambda: _js(duo, "return document.title") == "Gansu poverty-exit monitor · Page not found", what="title")
    duo.driver.find_element(By.CSS_SELECTOR, "button[id*='\"fmt\":\"docx\"']").click()
    folder = Path(duo.download_path)
    path = _wait(lambda: next((p for p in folder.glob("*.docx") if p.stat().st_size > 0), None), timeout=90,
                 what="the report")
    assert path.name.startswith("620000_") and "progress_report" in path.name, path.name


def test_data_headers_never_take_a_metadata_columns_name():
    """A /data field under the header of a file's metadata column (来源, Scope …) would lose that column."""
    from dashboard.i18n import CATALOG, t

    for lang in ("zh", "en"):
        meta = {t(k, lang) for k in ("xc_scope", "xc_as_of_quarter", "as_of", "source", "xc_demo")}
        heads = {t(k, lang) for k in CATALOG if k.startswith("dh_")}
        assert not heads & meta, (lang, heads & meta)
