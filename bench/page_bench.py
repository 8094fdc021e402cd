"""Page load in headless Chromium: navigation -> map drawn, bytes transferred, geometry sent once.

    .venv/bin/python bench/page_bench.py [--runs 3]

Serves the app with gunicorn (-w 2 --threads 4) on 127.0.0.1 and drives /usr/bin/chromium through
/usr/bin/chromedriver (selenium, --headless=new --no-sandbox). A script injected before each document records
performance.now() when `.js-plotly-plot .choroplethlayer path` first exists (= ms since navigation start).
Browser cache disabled (every run is a first visit). Bytes = sum of the Performance API transferSize
(and encodedBodySize) over navigation + resources. Chromium's performance log gives each
/_dash-update-component response size and body, to check that county geometry is sent once (in
/_dash-layout, the shell's geo store) and that changing the map metric (set_props on ov-metric, as the dropdown
does) sends no geometry. Budget: map drawn < 2 s; county layer < 300 KB.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import browser_login, gunicorn, login, table, verdict, warehouse_copy  # noqa: E402

BUDGET_MAP_S = 2.0
BUDGET_LAYER_KB = 300.0
MAP_SEL = ".js-plotly-plot .choroplethlayer path"

WATCH = """
window.__mapDrawn = null;
(function poll() {
  if (document.querySelector('MAP_SEL')) { window.__mapDrawn = performance.now(); return; }
  (window.requestAnimationFrame ? requestAnimationFrame : setTimeout)(poll, 10);
})();
""".replace("MAP_SEL", MAP_SEL)

BYTES_JS = """
const nav = performance.getEntriesByType('navigation');
const res = performance.getEntriesByType('resource');
const all = nav.concat(res);
return {n: all.length,
        transfer: all.reduce((a, e) => a + (e.transferSize || 0), 0),
        encoded: all.reduce((a, e) => a + (e.encodedBodySize || 0), 0),
        decoded: all.reduce((a, e) => a + (e.decodedBodySize || 0), 0),
        layout: res.filter(e => e.name.includes('_dash-layout')).map(e => [e.transferSize, e.encodedBodySize]),
        top: res.slice().sort((a, b) => b.encodedBodySize - a.encodedBodySize).slice(0, 4)
                .map(e => [e.name.split('/').pop().split('?')[0], Math.round(e.encodedBodySize / 1024)]),
        dcl: nav.length ? nav[0].domContentLoadedEventEnd : null,
        loadEnd: nav.length ? nav[0].loadEventEnd : null,
        plotlyEnd: Math.max(0, ...res.filter(e => e.name.includes('plotly')).map(e => e.responseEnd)),
        layoutEnd: Math.max(0, ...res.filter(e => e.name.includes('_dash-layout')).map(e => e.responseEnd)),
        lastUpdateEnd: Math.max(0, ...res.filter(e => e.name.includes('_dash-update-component')
                                                 && e.responseEnd <= (window.__mapDrawn || 1e12)).map(e => e.responseEnd)),
        mapDrawn: window.__mapDrawn,
        updates: res.filter(e => e.name.includes('_dash-update-component')).length};
"""


def make_driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--disable-extensions"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    drv = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    drv.execute_cdp_cmd("Network.enable", {})
    drv.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    drv.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH})
    return drv


def network_log(drv) -> list[dict]:
    """/_dash-* exchanges since the last call: url, callback output, encoded bytes, has geometry."""
    reqs: dict = {}
    for entry in drv.get_log("performance"):
        m = json.loads(entry["message"])["message"]
        p = m.get("params", {})
        if (m["method"] == "Network.requestWillBeSent" and "/_dash-" in p["request"]["url"]
                and "_dash-component-suites" not in p["request"]["url"]):
            out = None
            if p["request"].get("postData"):
                try:
                    out = json.loads(p["request"]["postData"]).get("output")
                except ValueError:
                    pass
            reqs[p["requestId"]] = {"url": p["request"]["url"].split("/", 3)[-1], "output": out}
        elif m["method"] == "Network.loadingFinished" and p["requestId"] in reqs:
            reqs[p["requestId"]]["bytes"] = p.get("encodedDataLength", 0)
            reqs[p["requestId"]]["id"] = p["requestId"]
    out = []
    for r in reqs.values():
        if "id" not in r:
            continue
        try:
            body = drv.execute_cdp_cmd("Network.getResponseBody", {"requestId": r["id"]})["body"]
        except Exception:  # noqa: BLE001 - bodies can be evicted
            body = ""
        r["body_bytes"] = len(body.encode())
        r["geometry"] = '"coordinates"' in body
        out.append(r)
    return out


def wait_map(drv, timeout=20.0) -> float | None:
    t = time.monotonic()
    while time.monotonic() - t < timeout:
        v = drv.execute_script("return window.__mapDrawn")
        if v:
            return v / 1000
        time.sleep(0.02)
    return None


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args(argv)
    import duckdb

    db = warehouse_copy()
    with duckdb.connect(str(db), read_only=True) as con:
        # the county with the most villages (the heaviest county page)
        county = con.execute("SELECT county_code FROM dim_village GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    res: dict = {"pages": {}}
    with gunicorn(db) as (base, _proc):
        lay = login(base).get(base + "/_dash-layout", timeout=30).json()
        geo = lay["props"]["children"][0]["props"]["data"]
        res["layout_bytes"] = len(json.dumps(lay, separators=(",", ":")).encode())
        res["counties_kb"] = len(json.dumps(geo["counties"], separators=(",", ":")).encode()) / 1024
        res["prefectures_kb"] = len(json.dumps(geo["prefectures"], separators=(",", ":")).encode()) / 1024
        drv = make_driver()
        browser_login(drv, base)
        try:
            for label, path in (("/ (overview)", "/"), (f"/county/{county}", f"/county/{county}")):
                times, bytes_, logs = [], [], []
                for _ in range(a.runs):
                    drv.get_log("performance")
                    drv.get("about:blank")
                    drv.get(base + path)
                    t = wait_map(drv)
                    time.sleep(0.5)  # let the remaining callbacks finish before summing bytes
                    times.append(t)
                    bytes_.append(drv.execute_script(BYTES_JS))
                    logs.append(network_log(drv))
                drv.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": False})
                warm = []
                for _ in range(a.runs):
                    drv.get("about:blank")
                    drv.get(base + path)
                    warm.append(wait_map(drv))
                    time.sleep(0.3)
                drv.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
                drv.get_log("performance")
                lg = logs[-1]
                res["pages"][label] = {
                    "map_s": times, "bytes": bytes_, "warm_map_s": warm,
                    "layout_requests": sum(1 for r in lg if r["url"].startswith("_dash-layout")),
                    "geometry_responses": [(r["url"], r.get("output"), r["bytes"]) for r in lg if r["geometry"]],
                    "updates": [(r.get("output"), r["bytes"]) for r in lg if r["url"].startswith("_dash-update")],
                }
            # recolour: change the map metric on the overview as the dropdown does
            drv.get(base + "/")
            wait_map(drv)
            time.sleep(0.5)
            drv.get_log("performance")
            recolour = {}
            for metric in ("gap", "incidence", "returned"):
                t0 = time.perf_counter()
                drv.execute_script("window.dash_clientside.set_props('ov-metric', {value: arguments[0]});", metric)
                time.sleep(1.5)
                lg = network_log(drv)
                recolour[metric] = {
                    "requests": [(r.get("output", "")[:40] if r.get("output") else r["url"], r["bytes"],
                                  r["geometry"]) for r in lg],
                    "wall_s": time.perf_counter() - t0,
                    "map_ok": bool(drv.find_elements("css selector", MAP_SEL)),
                    "url": drv.current_url.split("/", 3)[-1]}
            res["recolour"] = recolour
        finally:
            drv.quit()

    rows = []
    for label, p in res["pages"].items():
        ok_t = [t for t in p["map_s"] if t]
        med = statistics.median(ok_t) if ok_t else float("nan")
        worst = max(ok_t) if len(ok_t) == len(p["map_s"]) else float("inf")
        b = p["bytes"][-1]
        wt = [t for t in p["warm_map_s"] if t]
        wmed = statistics.median(wt) if wt else float("nan")
        rows.append([label, len(p["map_s"]), med * 1000, worst * 1000, wmed * 1000, b["n"], b["transfer"] / 1024,
                     b["encoded"] / 1024, p["layout_requests"], len(p["geometry_responses"]),
                     verdict(worst < BUDGET_MAP_S)])
    print(f"\n## Page load in headless Chromium ({a.runs} runs each, cache disabled)\n")
    print(table(["page", "runs", "map drawn p50 ms (cold)", "max ms (cold)", "p50 ms (cached)", "resources",
                 "transfer KB", "encoded KB", "_dash-layout", "responses with geometry", "< 2 s (cold)"], rows))
    print("\nTimeline of the last cold run (ms since navigation start) and the largest downloads:\n")
    print(table(["page", "plotly.min.js end", "DOMContentLoaded", "load", "_dash-layout end",
                 "last callback response before map", "map drawn", "largest resources KB"],
                [[label, p["bytes"][-1]["plotlyEnd"], p["bytes"][-1]["dcl"], p["bytes"][-1]["loadEnd"],
                  p["bytes"][-1]["layoutEnd"], p["bytes"][-1]["lastUpdateEnd"], p["bytes"][-1]["mapDrawn"] or 0.0,
                  ", ".join(f"{n} {k}" for n, k in p["bytes"][-1]["top"])] for label, p in res["pages"].items()]))
    print(f"\ncounty layer (geo store, counties FeatureCollection) {res['counties_kb']:.0f} KB, prefectures "
          f"{res['prefectures_kb']:.0f} KB, whole /_dash-layout {res['layout_bytes'] / 1024:.0f} KB uncompressed: "
          f"{verdict(res['counties_kb'] < BUDGET_LAYER_KB)} (< 300 KB)")
    for label, p in res["pages"].items():
        print(f"  {label}: geometry in {p['geometry_responses']}")
    rrows = []
    for metric, r in res["recolour"].items():
        for out, n, g in r["requests"]:
            rrows.append([metric, out, n, "yes" if g else "no"])
    print("\nmap metric changed (set_props ov-metric) -> requests:\n")
    print(table(["metric", "request", "bytes", "geometry"], rrows))
    res["recolour_geometry"] = any(g for r in res["recolour"].values() for _o, _n, g in r["requests"])
    print(f"\nrecolour resends geometry: {res['recolour_geometry']} -> "
          f"{verdict(not res['recolour_geometry'])}")
    return res


if __name__ == "__main__":
    main()
