"""What a page does while it loads, in headless Chromium: charts below the fold are drawn after the first render
(when they near the screen or the browser is idle), as the server sent them; the follow-up form's long target
list arrives when the form is first used. (The first render was one long task: Lighthouse TBT 0.6-1.1 s.)

    flock /tmp/gansu-browser.lock .venv/bin/python -m pytest --headless -q tests/test_page_load.py
"""

from __future__ import annotations

import time

import pytest

from tests.conftest import serving

# before any script of the page: for each graph, the task in which it is first in the page (__seen) and first
# holds traces (__draws) (a task number is taken at the first mutation seen after the previous number's timer ran:
# graphs drawn in one task share it)
DRAWS_JS = """
window.__draws = {}; window.__seen = {}; window.__task = 0; var open = false;
new MutationObserver(function () {
  if (!open) { open = true; window.__task++; setTimeout(function () { open = false; }, 0); }
  document.querySelectorAll('.dash-graph[id]').forEach(function (g) {
    if (!(g.id in window.__seen)) { window.__seen[g.id] = window.__task; }
    var gd = g.querySelector('.js-plotly-plot');
    if (!gd || !gd.data || !gd.data.length || g.id in window.__draws) { return; }
    window.__draws[g.id] = {task: window.__task, traces: gd.data.map(function (t) { return t.name || t.type; }),
                            shapes: gd.data.map(function (t) { return t.geojson ? t.geojson.features.length : 0; })};
  });
}).observe(document, {childList: true, subtree: true});
"""

COUNTY = "622926"
PAGES = {  # url: (charts at the top: the first in the first render, the other right after; below the fold; the map)
    f"/county/{COUNTY}": (("co-schedule", "co-pathways"), ("co-breakdown", "co-history"), "co-vmap"),
    "/": (("ov-schedule", "ov-ranking"), ("ov-pathways",), "ov-map"),
}


@pytest.fixture
def duo(tiny_warehouse, dash_duo):
    with serving(dash_duo, tiny_warehouse) as d:
        d.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": DRAWS_JS})
        # Lighthouse's desktop screen: what is "below the fold" below
        d.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                 {"width": 1350, "height": 940, "deviceScaleFactor": 1, "mobile": False})
        yield d


def _wait(fn, what: str, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def _server_traces(name: str, ctx: dict) -> list[str]:
    from dashboard import charts
    from dashboard import queries as Q
    from dashboard.filters import Filters

    f = Q.resolve(Filters.parse({}))
    fig = charts.figure(name, charts.figure_filters(name, f), Q.viewer_scope(), ctx)
    return [t.get("name") or t.get("type") for t in fig["data"]]


@pytest.mark.parametrize("url", list(PAGES))
def test_charts_below_the_fold_are_drawn_after_the_first_render_as_sent(duo, url):
    soon, below, map_ = PAGES[url]
    duo.driver.get(duo.server_url + url)
    draws = _wait(lambda: (d := duo.driver.execute_script("return window.__draws")) and all(
        g in d for g in (*soon, *below, map_)) and d, f"every chart of {url} drawn")
    # each chart in a task of its own: the top charts and the map one after another, the rest later
    tasks = [draws[g]["task"] for g in (*soon, map_, *below)]
    assert len(set(tasks)) == len(tasks), f"charts drawn in one task: {draws}"
    # the map is below the fold: it is not in the page until the charts on screen are drawn
    seen = duo.driver.execute_script("return window.__seen")
    assert seen[map_] > max(draws[g]["task"] for g in soon), (seen, draws)
    # the map's geometry (fetched when it first draws, not in the layout) is on it from its first drawing
    assert max(draws[map_]["shapes"]) == (87 if url == "/" else 1), draws[map_]
    if url == "/":
        assert draws["ov-pathways"]["traces"] == _server_traces("pathways", {})
    else:
        assert draws["co-history"]["traces"] == _server_traces("history", {"county": COUNTY})
        assert draws["co-breakdown"]["traces"] == _server_traces("breakdown", {"county": COUNTY})
    # and scrolled to, they are where they were and as tall as their boxes (no layout shift)
    duo.driver.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    h = duo.driver.execute_script(f"return document.getElementById('{below[0]}').getBoundingClientRect().height")
    assert h > 300, h
    assert duo.get_logs() == []


def test_followup_target_list_arrives_on_first_use(duo):
    from dashboard.followups import catalog

    duo.driver.get(duo.server_url + f"/county/{COUNTY}")
    duo.wait_for_element("#fu-target", timeout=20)
    n_opts = "return window.dash_component_api.getLayout('fu-target').props.options.length"
    time.sleep(1.0)
    assert duo.driver.execute_script(n_opts) == 0  # nothing indexed while the page loads
    duo.driver.execute_script("arguments[0].scrollIntoView()", duo.find_element("#fu-target"))
    duo.find_element("#fu-target").click()
    assert _wait(lambda: duo.driver.execute_script(n_opts), "options after the first click") == len(catalog())
    duo.wait_for_element(".dash-dropdown-option", timeout=10)
    assert duo.get_logs() == []
