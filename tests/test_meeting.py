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
