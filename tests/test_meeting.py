"""Meeting mode: pure sequence/params/contrast tests, and one browser test (pytest --headless)."""

import time
from pathlib import Path

import pytest

from dashboard import meeting
from tests.conftest import serving

SHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"


# ---------------------------------------------------------------- pure
def test_sequence_province_and_prefecture_and_county():
    prefs = ["620100", "620300", "622900"]
    seq = meeting.sequence("620000", prefs)
    assert [s.kind for s in seq] == ["overview", "map", "unit", "unit", "unit", "behind"]
    assert [s.code for s in seq if s.kind == "unit"] == prefs
    assert [s.kind for s in meeting.sequence("622900", ["622921", "622922"])] == [
        "overview", "map", "unit", "unit", "behind"]
    assert [s.kind for s in meeting.sequence("622926", [])] == ["overview", "behind"]


def test_step_and_counter():
    assert meeting.step(0, 17, "next") == 1
    assert meeting.step(16, 17, "next") == 0
    assert meeting.step(0, 17, "prev") == 16
    assert meeting.counter(2, 17) == "3 / 17"


def test_params_parse_defaults_clamps_and_freezes_latest_quarter():
    qs = ["2019Q1", "2019Q2", "2020Q4"]
    p = meeting.Params.parse({}, quarters=qs)
    assert (p.place, p.interval, p.theme, str(p.as_of), p.lang) == ("620000", 15, "dark", "2020Q4", "zh")
    p = meeting.Params.parse({"scope": "622900", "interval": "2", "theme": "light", "as_of": "2019Q2",
                              "lang": "en"}, quarters=qs, codes=["622900"])
    assert (p.place, p.interval, p.theme, str(p.as_of), p.lang) == ("622900", 5, "light", "2019Q2", "en")
    p = meeting.Params.parse({"scope": "12", "interval": "x", "theme": "pink", "as_of": "2030Q1"}, quarters=qs)
    assert (p.place, p.interval, p.theme, str(p.as_of)) == ("620000", 15, "dark", "2020Q4")
    assert meeting.Params.parse(dict(p=1), quarters=qs).to_search() == (
        "?scope=620000&interval=15&theme=dark&as_of=2020Q4&lang=zh")
    # the URL is the state: what to_search writes parses back to the same Params
    p = meeting.Params.parse({"scope": "622900", "as_of": "2019Q1", "lang": "en"}, quarters=qs)
    assert meeting.Params.parse(p.to_search(), quarters=qs) == p


def test_params_old_links_with_quarter_keep_their_quarter():
    qs = ["2019Q1", "2019Q2", "2020Q4"]
    p = meeting.Params.parse({"scope": "622900", "quarter": "2019Q2"}, quarters=qs)
    assert str(p.as_of) == "2019Q2"
    assert "as_of=2019Q2" in p.to_search() and "quarter=" not in p.to_search()


@pytest.mark.parametrize("theme", sorted(meeting.THEMES))
def test_theme_text_contrast_at_least_7(theme):
    c = meeting.THEMES[theme]
    for fg, bg in meeting.TEXT_PAIRS:
        ratio = meeting.contrast_ratio(c[fg], c[bg])
        assert ratio >= 7.0, f"{theme}: {fg} on {bg} = {ratio:.2f}:1"


def test_contrast_formula():
    assert meeting.contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert meeting.contrast_ratio("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)


# ---------------------------------------------------------------- browser
@pytest.fixture
def served_demo(dash_duo, demo_warehouse):
    with serving(dash_duo, demo_warehouse):
        yield dash_duo

def _counter(duo):
    return duo.find_element("#mt-counter").text


def test_meeting_page_advances_and_keys(served_demo):
    from selenium.webdriver.common.keys import Keys

    duo = served_demo
    duo.wait_for_page(f"{duo.server_url}/meeting?scope=620000&interval=5&theme=dark&quarter=2019Q2&lang=zh")
    duo.wait_for_element("#meeting-root", timeout=20)
    duo.wait_for_contains_text("#mt-counter", "1 / ", timeout=20)
    total = int(_counter(duo).split("/")[1])
    assert total >= 4
    assert "2019年6月30日" in duo.find_element("#mt-asof").text
    assert "演示数据" in duo.find_element("#mt-demo").text
    # the headline number is large on a 1920×1080 screen
    size = duo.driver.execute_script(
        "return parseFloat(getComputedStyle(document.querySelector('.mt-kpi-value')).fontSize)")
    assert size >= 64
    SHOTS.mkdir(parents=True, exist_ok=True)
    time.sleep(1)
    duo.driver.save_screenshot(str(SHOTS / "meeting_overview_dark.png"))
    # auto-advance (interval 5 s)
    duo.wait_for_contains_text("#mt-counter", f"2 / {total}", timeout=12)
    time.sleep(2.5)
    duo.driver.save_screenshot(str(SHOTS / "meeting_map_dark.png"))
    # space pauses, → and ← step
    body = duo.find_element("body")
    body.send_keys(Keys.SPACE)
    duo.wait_for_contains_text("#mt-paused", "暂停", timeout=5)
    before = _counter(duo)
    body.send_keys(Keys.ARROW_RIGHT)
    n = int(before.split("/")[0]) + 1
    duo.wait_for_text_to_equal("#mt-counter", f"{n} / {total}", timeout=8)
    time.sleep(6)  # paused: no auto-advance
    assert _counter(duo) == f"{n} / {total}"
    time.sleep(1)
    duo.driver.save_screenshot(str(SHOTS / "meeting_prefecture_dark.png"))
    body.send_keys(Keys.ARROW_LEFT)
    duo.wait_for_text_to_equal("#mt-counter", f"{n - 1} / {total}", timeout=8)
    # the frozen quarter stays in the URL (the old link's quarter= is written as as_of=)
    assert "as_of=2019Q2" in duo.driver.current_url
    assert duo.get_logs() == [], duo.get_logs()


def test_meeting_light_theme_freezes_latest_quarter_in_url(served_demo):
    duo = served_demo
    duo.wait_for_page(f"{duo.server_url}/meeting?theme=light&interval=60")
    duo.wait_for_element("#meeting-root.meeting-light", timeout=20)
    duo.wait_for_contains_text("#mt-counter", "1 / ", timeout=20)
    deadline = time.time() + 5
    while "as_of=" not in duo.driver.current_url and time.time() < deadline:
        time.sleep(0.2)
    assert "as_of=2020Q4" in duo.driver.current_url
    time.sleep(1)
    duo.driver.save_screenshot(str(SHOTS / "meeting_overview_light.png"))
    # go to the last slide (behind schedule) with ←
    from selenium.webdriver.common.keys import Keys

    duo.find_element("body").send_keys(Keys.ARROW_LEFT)
    total = _counter(duo).split("/")[1].strip()
    duo.wait_for_text_to_equal("#mt-counter", f"{total} / {total}", timeout=10)
    time.sleep(1.5)
    duo.driver.save_screenshot(str(SHOTS / "meeting_behind_light.png"))
    assert duo.get_logs() == [], duo.get_logs()


# ---------------------------------------------------------------- the meeting's deck and intervals
def test_deck_headline_then_everyone_behind_paged_then_map_then_rest():
    seq = meeting.deck("620000", ["620100", "620200"], counties_behind=17, villages_behind=40, per_page=8)
    kinds = [s.kind for s in seq]
    assert kinds == ["overview"] + ["behind"] * 3 + ["villages"] * 5 + ["map", "unit", "unit"]
    assert [meeting.page_label(s) for s in seq if s.kind == "behind"] == ["1/3", "2/3", "3/3"]
    assert [s.page for s in seq if s.kind == "villages"] == [0, 1, 2, 3, 4]
    # nobody behind: one slide saying so; a county: its villages, no map
    assert [s.kind for s in meeting.deck("622900", ["622921"], 0, 0)] == ["overview", "behind", "map", "unit"]
    assert [s.kind for s in meeting.deck("622926", [], 0, 3)] == ["overview", "villages"]


def test_per_kind_intervals_from_the_url_and_back():
    qs = ["2019Q2"]
    p = meeting.Params.parse({"interval": "10", "interval_map": "45", "interval_unit": "2"}, quarters=qs)
    assert (p.seconds("map"), p.seconds("unit"), p.seconds("overview")) == (45, 5, 10)
    assert meeting.Params.parse(p.to_search(), quarters=qs) == p
    d = meeting.Params.parse({"interval": "20"}, quarters=qs)
    assert d.seconds("map") > d.seconds("overview") == 20  # a map stays longer than a number by default


# ---------------------------------------------------------------- false greens (layout on the demo warehouse)
@pytest.fixture
def meeting_page(demo_warehouse):
    import app  # noqa: F401 - registers the pages
    from dashboard import db
    from dashboard import queries as Q
    from dashboard.pages import meeting as page

    db.configure(demo_warehouse)
    Q.clear_cache()
    yield page
    db.configure(None)
    Q.clear_cache()


def _find(node, ident):
    if getattr(node, "id", None) == ident:
        return node
    kids = getattr(node, "children", None)
    for k in kids if isinstance(kids, (list, tuple)) else [kids] if kids is not None else []:
        hit = _find(k, ident)
        if hit is not None:
            return hit
    return None


def _text(node) -> str:
    if node is None:
        return ""
    if isinstance(node, (str, int, float)):
        return str(node).replace("\xa0", " ")
    kids = getattr(node, "children", None)
    return "".join(_text(k) for k in (kids if isinstance(kids, (list, tuple)) else [kids])).replace("\xa0", " ")


def _classes(node) -> str:
    out = getattr(node, "className", "") or ""
    kids = getattr(node, "children", None)
    for k in kids if isinstance(kids, (list, tuple)) else [kids] if kids is not None else []:
        if not isinstance(k, str) and k is not None:
            out += " " + _classes(k)
    return out


def _county_planned(db_path, year):
    import duckdb

    con = duckdb.connect(str(db_path), read_only=True)
    code = con.execute("SELECT min(county_code) FROM dim_county WHERE is_poverty_county AND planned_exit_year = ?",
                       [year]).fetchone()[0]
    non = con.execute("SELECT min(county_code) FROM dim_county WHERE NOT is_poverty_county").fetchone()[0]
    con.close()
    return code, non


def test_no_plan_this_year_is_said_in_grey_and_the_cumulative_figure_leads(meeting_page, demo_warehouse):
    code, _ = _county_planned(demo_warehouse, 2018)
    root = meeting_page.layout(scope=code, as_of="2019Q4", lang="zh")
    card = _find(root, "mt-kpi-counties")
    text = _text(card)
    assert "2019年：无计划" in text and "年度计划 0" not in text, text
    assert "mt-grey" in _classes(card)
    # the status is judged cumulatively: the cumulative figure is the headline, the rule is on the slide
    assert "累计（2018年以来）" in text and "1个县" in text and "进度正常" in text
    assert "进度规则：按累计进度评定" in _text(_find(root, "mt-rule"))
    en = _text(_find(meeting_page.layout(scope=code, as_of="2019Q4", lang="en"), "mt-kpi-counties"))
    assert "2019: no plan" in en and "Since 2018" in en


def test_a_place_without_any_plan_says_no_plan_not_on_track(meeting_page, demo_warehouse):
    _, non = _county_planned(demo_warehouse, 2018)
    root = meeting_page.layout(scope=non, as_of="2019Q4", lang="zh")
    for lv in ("people", "villages", "counties"):
        text = _text(_find(root, f"mt-kpi-{lv}"))
        assert "无计划" in text and "进度正常" not in text, (lv, text)


def test_presenter_jumps_and_pauses_without_changing_the_link(served_demo):
    from selenium.webdriver.common.keys import Keys

    duo = served_demo
    duo.wait_for_page(f"{duo.server_url}/meeting?scope=620000&interval=30&interval_map=50&as_of=2019Q2&lang=zh")
    duo.wait_for_contains_text("#mt-counter", "1 / ", timeout=20)
    deadline = time.time() + 5
    while "theme=" not in duo.driver.current_url and time.time() < deadline:
        time.sleep(0.2)
    link = duo.driver.current_url  # the frozen link (written once at open)
    assert "as_of=2019Q2" in link and "interval_map=50" in link
    total = int(_counter(duo).split("/")[1])
    body = duo.find_element("body")
    body.send_keys(Keys.SPACE)
    duo.wait_for_contains_text("#mt-paused", "暂停", timeout=5)
    # number keys: 1 then 0 → slide 10
    body.send_keys("1")
    body.send_keys("0")
    body.send_keys(Keys.ENTER)
    duo.wait_for_text_to_equal("#mt-counter", f"10 / {total}", timeout=10)
    # the list: ☰ then an entry
    duo.find_element("#mt-list").click()
    duo.wait_for_element(".mt-jump.open", timeout=5)
    entries = duo.driver.find_elements("css selector", ".mt-go")
    assert len(entries) == total and "滞后县 1/" in entries[1].text
    map_at = next(i for i, e in enumerate(entries) if "分县地图" in e.text)
    entries[map_at].click()
    duo.wait_for_text_to_equal("#mt-counter", f"{map_at + 1} / {total}", timeout=10)
    assert "2019年第2季度" in duo.find_element("#mt-asof").text  # the frozen quarter, on every slide
    body.send_keys(Keys.ARROW_RIGHT)
    duo.wait_for_text_to_equal("#mt-counter", f"{map_at + 2} / {total}", timeout=10)
    assert duo.driver.current_url == link
    assert duo.get_logs() == [], duo.get_logs()


def test_each_slide_gets_its_kinds_interval(meeting_page):
    root = meeting_page.layout(scope="620000", as_of="2019Q2", interval="20", interval_map="50", lang="zh")
    state = _find(root, "mt-state").data
    kinds = [s[0] for s in state["slides"]]
    secs = dict(zip(kinds, state["seconds"]))
    assert secs["map"] == 50 and secs["overview"] == 20 and secs["unit"] == 20
    assert _find(root, "mt-tick").interval == 20_000
