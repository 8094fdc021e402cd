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


def test_a_session_that_ends_on_an_open_page_says_so_and_links_to_the_login(tiny_warehouse, dash_duo, monkeypatch):
    """The session ends on the server while the page is open (idle time-out): the next callback gets 401 and
    the page shows a notice in its language with a link that logs in again and comes back to the same view."""
    from dashboard.auth import web as auth_web
    from dashboard.i18n import t
    from tests.conftest import ensure_user

    clock = [time.time()]
    monkeypatch.setattr(auth_web, "_clock", lambda: clock[0])
    with serving(dash_duo, tiny_warehouse) as duo:
        for lang in ("en", "zh"):
            duo.driver.get(f"{duo.server_url}/?lang={lang}" if lang == "en" else f"{duo.server_url}/")
            duo.wait_for_element("#kpi-people-actual", timeout=20)
            box = duo.find_element("#session-expired")
            assert not box.is_displayed()
            clock[0] += auth_web.IDLE_S + 60  # nobody clicked for longer than the idle time-out
            duo.select_dcc_dropdown("#ov-prefecture", index=1)  # the page's callbacks run
            duo.wait_for_style_to_equal("#session-expired", "display", "block", timeout=10)
            shown = [s for s in box.find_elements("css selector", "span") if s.is_displayed()]
            assert [s.get_attribute("lang") for s in shown] == [lang]
            assert shown[0].text.startswith(t("session_expired", lang))
            link = shown[0].find_element("css selector", "a.relogin")
            assert link.text == t("session_login_again", lang)
            link.click()
            url = _wait_url(duo.driver, "/login")
            assert "next=%2F" in url and (("lang=en" in url) == (lang == "en"))
            assert duo.driver.find_element("id", "login-form").is_displayed()
            duo.driver.find_element("id", "username").send_keys(BROWSER_USER[0])
            duo.driver.find_element("id", "password").send_keys(ensure_user(*BROWSER_USER))
            duo.driver.find_element("id", "login-submit").click()  # logs in again: back on the same view
            deadline = time.monotonic() + 20
            while "/login" in duo.driver.current_url:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            assert ("lang=en" in duo.driver.current_url) == (lang == "en")
            duo.wait_for_element("#kpi-people-actual", timeout=20)
            assert not duo.find_element("#session-expired").is_displayed()
