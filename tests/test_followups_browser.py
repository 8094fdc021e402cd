"""A follow-up (督办) added on the county page in headless Chromium: the form, the list, the state change."""

import time

import pytest

from tests.conftest import serving

QUOTE = "2020年脱贫47万人"  # people_exit_2020's quote (data/reference/plan_targets.csv)


def _wait_text(duo, selector: str, text: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while True:
        els = duo.driver.find_elements("css selector", selector)
        got = " ".join(e.text for e in els)
        if text in got:
            return got
        assert time.monotonic() < deadline, (selector, text, got)
        time.sleep(0.1)


def _choose(duo, selector: str, search: str, label: str) -> None:
    """Type into the dropdown's search box (its long list is virtualised), then click the option."""
    duo.find_element(selector).click()
    duo.driver.switch_to.active_element.send_keys(search)
    deadline = time.monotonic() + 10
    while True:
        for o in duo.driver.find_elements("css selector", ".dash-dropdown-option"):
            if o.text == label:
                o.click()
                return
        assert time.monotonic() < deadline, label
        time.sleep(0.1)


@pytest.fixture
def private_store(tmp_path):
    """A store of its own: a follow-up left in the run's store would show in other tests' decks."""
    import app as app_module
    from dashboard import auth

    auth.set_store(f"sqlite:///{tmp_path / 'app.sqlite'}", app_module.app)
    yield
    auth.set_store(None, app_module.app)


def test_leader_adds_a_followup_on_the_county_page(tiny_warehouse, private_store, dash_duo):
    with serving(dash_duo, tiny_warehouse) as duo:  # the province leader (tests/conftest.BROWSER_USER)
        duo.wait_for_page(f"{duo.server_url}/county/622926")
        duo.wait_for_element("#fu-panel", timeout=20)
        _choose(duo, "#fu-target", "people_exit_2020", f"people_exit_2020 · {QUOTE}")
        duo.find_element("#fu-action").send_keys("浏览器测试：核查布楞沟村剩余户")
        duo.find_element("#fu-responsible").send_keys("高山乡")
        duo.driver.execute_script("arguments[0].scrollIntoView()", duo.find_element("#fu-due"))
        duo.find_element("#fu-due").send_keys("09302020")  # Chromium's date field, en-US order
        duo.find_element("#fu-add").click()
        _wait_text(duo, "#fu-msg", "已新增督办")
        row = _wait_text(duo, "#fu-table", "浏览器测试：核查布楞沟村剩余户")
        assert "高山乡" in row and "待办" in row and "2020" in row
        duo.select_dcc_dropdown("#fu-pick", index=0)  # the newest change first: this one
        duo.find_element("#fu-save").click()  # to 办理中 (the default of the state box)
        _wait_text(duo, "#fu-msg", "已更新")
        _wait_text(duo, "#fu-table", "办理中")
        duo.driver.refresh()  # kept in the store: still there after a reload
        _wait_text(duo, "#fu-table", "浏览器测试：核查布楞沟村剩余户")
        errors = [e for e in duo.driver.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == [], errors
