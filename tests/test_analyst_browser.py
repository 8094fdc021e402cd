"""The analyst's screen in headless Chromium (issue 13 item 5): `flock /tmp/gansu-browser.lock pytest --headless
tests/test_analyst_browser.py`. Screenshots at 1920×1080 and 1366×768 go to artifacts/screenshots/analyst/."""

import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from tests.conftest import ensure_user, http_login, serving

SHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots" / "analyst"


@pytest.fixture
def served(tiny_warehouse, dash_duo):
    with serving(dash_duo, tiny_warehouse):
        yield dash_duo


def _status(duo, path: str) -> int:
    """HTTP status of a page for a logged-in user."""
    # its own user: resetting the browser user's password (ensure_user) would end the browser's session
    client = http_login(duo.server.url, "status-check", ensure_user("status-check"))
    return client.get(duo.server.url + path, timeout=10, allow_redirects=False).status_code


def _errors(duo) -> list:
    """Console errors, less the browser's own note that the page came with the 404 it asked for."""
    return [e for e in duo.get_logs() if not (e["source"] == "network" and "status of 404" in e["message"]
                                              and "/_dash" not in e["message"] and "/assets" not in e["message"])]


def _shot(duo, name, sizes=((1920, 1080), (1366, 768))):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for w, h in sizes:
        duo.driver.set_window_size(w, h)
        time.sleep(1.0)
        duo.driver.save_screenshot(str(SHOTS / f"{name}_{w}.png"))
    duo.driver.set_window_size(1920, 1080)


def test_unknown_county_village_or_page_is_404_with_the_header_and_no_console_error(served):
    duo = served
    assert _status(duo, "/county/622926") == 200
    for path in ("/county/999999", "/village/622926009999", "/no-such-page"):
        assert _status(duo, path) == 404, path
        duo.driver.get(duo.server_url + path + "?lang=en")
        duo.wait_for_element("#lang-link", timeout=15)
        assert duo.find_element(".app-header h1").text  # the normal header
        assert "中文" in duo.find_element("#lang-link").text
        time.sleep(0.5)
        assert _errors(duo) == [], path
    _shot(duo, "404")


def test_navigating_between_pages_logs_no_error(served):
    duo = served
    duo.wait_for_element("#kpi-people-actual", timeout=15)
    for text in ("数据与来源", "总览"):
        duo.driver.find_element(By.LINK_TEXT, text).click()
        time.sleep(1.0)
    duo.driver.get(duo.server_url + "/county/999999")
    duo.wait_for_element("#lang-link", timeout=15)
    duo.driver.find_element(By.LINK_TEXT, "返回总览").click()
    duo.wait_for_element("#kpi-people-actual", timeout=15)
    time.sleep(1.0)
    assert _errors(duo) == []
