"""The app as production serves it: gunicorn with threaded workers (README)."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import requests

from tests.conftest import browser_login, http_login

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _gunicorn(warehouse: Path, workers: int = 1):
    """gunicorn on 127.0.0.1; yields its base URL once the socket accepts (no request is sent before)."""
    port = _free_port()
    proc = subprocess.Popen(
        [str(GUNICORN), "-w", str(workers), "--threads", "8", "-b", f"127.0.0.1:{port}", "app:server"],
        cwd=ROOT, env=dict(os.environ, GANSU_DB=str(warehouse)), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)


def test_a_fresh_threaded_worker_answers_concurrent_first_requests(tiny_warehouse):
    """A browser's first page load asks for a dozen scripts at once. Dash registers its scripts on the first
    request only, after marking setup done, so requests racing it got 500 "not a registered library"
    (plotly/dash#3971) and a blank page. Nothing may be requested before the burst: it must be the first."""
    with _gunicorn(tiny_warehouse) as base:
        session = http_login(base)  # the login page and form only: no Dash route is asked before the burst
        cookies = session.cookies.get_dict()
        urls = ([base + "/_dash-component-suites/dash/dcc/dash_core_components.v4_4_1m1.js"] * 12
                + [base + "/_dash-dependencies"] * 4 + [base + "/"] * 4)
        with ThreadPoolExecutor(len(urls)) as ex:
            codes = list(ex.map(lambda u: requests.get(u, cookies=cookies, timeout=60).status_code, urls))
        assert codes == [200] * len(urls), codes


def _browser():
    """Headless Chromium in which no host but 127.0.0.1 resolves, with its network log on."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1600,1000",
                "--disable-background-networking", "--disable-component-update", "--no-first-run",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    drv = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    # every Content-Security-Policy violation of every page, kept on the window
    drv.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": """
        window.__csp = [];
        document.addEventListener('securitypolicyviolation',
            e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || '')));"""})
    return drv


def _click_through_modebars(drv) -> list[str]:
    """Click every modebar button of every chart on the page (the camera too); returns their names."""
    names = []
    for btn in drv.find_elements("css selector", ".modebar-btn"):
        names.append(f"{btn.get_attribute('data-title')}|{btn.get_attribute('data-attr')}")
        drv.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", btn)
        time.sleep(0.15)
    return names


def _outside_links(drv, base: str) -> list[str]:
    hrefs = drv.execute_script("return [...document.querySelectorAll('a[href]')].map(a => a.href)")
    return [h for h in hrefs if not h.startswith(base + "/")]


def _requested_urls(drv) -> list[str]:
    urls = []
    for entry in drv.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    return urls


def _drawn(drv, css: str, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while not drv.find_elements("css selector", css):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_every_page_loads_only_from_the_app_itself(tiny_warehouse):
    """The intranet rule, checked where it matters: every request the browser makes while every page opens
    and its maps draw goes to the app's own host (plotly.js would otherwise fetch map topology from its CDN)."""
    with duckdb.connect(str(tiny_warehouse), read_only=True) as con:
        county, village = con.execute("""SELECT county_code, village_code FROM fct_household_snapshot
                                         ORDER BY 1, 2 LIMIT 1""").fetchall()[0]
    with _gunicorn(tiny_warehouse) as base:
        drv = _browser()
        try:
            browser_login(drv, base)
            seen, missing, buttons, links, csp = [], [], [], [], []
            for path, ready in (("/", "#ov-map .choroplethlayer path"),
                                (f"/county/{county}", "#co-vmap .choroplethlayer path"),
                                (f"/village/{village}", "#vi-history .main-svg"),
                                ("/data", "#lang-link"),
                                ("/?lang=en&metric=incidence", "#ov-map .choroplethlayer path")):
                drv.get(base + path)
                if not _drawn(drv, ready):
                    missing.append((path, ready))
                time.sleep(1.0)  # let late requests (lazy chunks, map assets) go out
                buttons += _click_through_modebars(drv)
                time.sleep(1.0)
                links += _outside_links(drv, base)
                csp += drv.execute_script("return window.__csp")
                seen += _requested_urls(drv)
            drv.get(base + "/meeting?interval=0")
            _drawn(drv, ".mt-body")
            for _ in range(6):  # the map is an early slide: step until it has drawn
                if drv.find_elements("css selector", ".choroplethlayer path"):
                    break
                drv.find_element("css selector", "body").send_keys("\ue014")  # →
                time.sleep(1.0)
            if not _drawn(drv, ".choroplethlayer path", timeout=5):
                missing.append(("/meeting", "map slide"))
            time.sleep(1.0)
            seen += _requested_urls(drv)
            links += _outside_links(drv, base)
            csp += drv.execute_script("return window.__csp")
            errors = [e for e in drv.get_log("browser") if e["level"] == "SEVERE"]
        finally:
            drv.quit()
    assert len(seen) > 20, seen  # the log really recorded the page loads
    outside = sorted({u for u in seen if not u.startswith((base + "/", "data:", "blob:", "about:"))})
    assert outside == [], outside
    assert missing == [], missing  # pages that did not draw (with nothing asked outside: a different fault)
    assert errors == [], errors
    # the modebars were there and clicked through; none offers to send a chart anywhere
    assert len(buttons) > 20 and any("PNG" in b for b in buttons), buttons
    assert not [b for b in buttons if "cloud" in b.lower() or "share" in b.lower() or "studio" in b.lower()], buttons
    assert links == [], links
    assert csp == [], csp  # the policy (dashboard/web.py) lets every page, chart and modebar action work


def test_a_village_name_holding_a_link_renders_as_text(tmp_path):
    """plotly.js draws a subset of HTML in titles, ticks and hovers: a village named <a href=...> became a
    live link in the chart title. Now the name is shown as written and the SVG holds no <a>."""
    from etl.load import load
    from tests import fixtures

    name = '<a href="http://evil.example/x">点此领取补贴</a>'
    inputs = fixtures.write_tiny_inputs(tmp_path / "inputs")
    villages = [row[:] for row in fixtures.VILLAGES]
    villages[2][1] = name  # 622926001001
    fixtures.write_csv(inputs / "villages.csv", villages)
    wh = tmp_path / "warehouse.duckdb"
    load(inputs, wh, progress=False)
    with duckdb.connect(str(wh), read_only=True) as con:
        assert con.execute("SELECT village_name FROM dim_village WHERE village_code = '622926001001'").fetchone()[0] == name
    with _gunicorn(wh) as base:
        drv = _browser()
        try:
            browser_login(drv, base)
            drv.get(base + "/village/622926001001")
            assert _drawn(drv, "#vi-history .main-svg .gtitle")
            time.sleep(0.5)
            title = drv.find_element("css selector", "#vi-history .gtitle").text
            anchors = drv.find_elements("css selector", "#vi-history svg a")
            drv.get(base + "/county/622926")
            assert _drawn(drv, "#co-vmap .main-svg")
            time.sleep(1.0)
            county_anchors = drv.find_elements("css selector", ".js-plotly-plot svg a")
            links = _outside_links(drv, base)
        finally:
            drv.quit()
    assert name in title, title
    assert anchors == [] and county_anchors == []
    assert links == [], links
