"""Login and logout in headless Chromium: the real form, the header's user box, the logout form (POST + CSRF)."""

import time

from tests.conftest import BROWSER_USER, serving


def _wait_url(driver, part: str, timeout: float = 15) -> str:
    deadline = time.monotonic() + timeout
    while part not in driver.current_url:
        assert time.monotonic() < deadline, driver.current_url
        time.sleep(0.05)
    return driver.current_url


def test_login_form_user_box_and_logout(tiny_warehouse, dash_duo):
    with serving(dash_duo, tiny_warehouse) as duo:  # logs in through /login (tests/conftest.browser_login)
        duo.wait_for_page(f"{duo.server_url}/county/622926")
        duo.wait_for_element("#county-name", timeout=20)
        assert duo.find_element("#user-name").text.startswith(BROWSER_USER[0])
        duo.find_element("#logout-button").click()
        _wait_url(duo.driver, "/login")
        duo.driver.get(f"{duo.server_url}/county/622926?lang=en")
        url = _wait_url(duo.driver, "/login")
        assert "next=%2Fcounty%2F622926%3Flang%3Den" in url
        assert duo.driver.find_element("id", "login-form").is_displayed()
        errors = [e for e in duo.driver.get_log("browser") if e["level"] == "SEVERE" and "401" not in e["message"]]
        assert errors == [], errors
