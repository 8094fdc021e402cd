"""The committed plotly.js bundle the browser uses (dashboard/assets/plotly-gansu.min.js, `make plotly-bundle`).

dcc.Graph uses `window.Plotly` when a page already defines it, so this custom bundle (core + a few trace
types) replaces the full plotly.min.js that plotly python ships. Two ways it can silently go wrong:
plotly python is upgraded without rebuilding the bundle (browser and server-side export would draw with
different plotly.js versions), or a figure starts using a trace type the bundle does not register (the
browser would draw nothing for it). The bundle's first line names its version and its traces.
"""

import re
from pathlib import Path

import duckdb
import plotly.graph_objects as go
import pytest
from plotly.basedatatypes import BaseTraceType
from plotly.offline import get_plotlyjs_version

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "dashboard" / "assets" / "plotly-gansu.min.js"
HEADER = re.compile(r"^/\* plotly\.js (\d+\.\d+\.\d+\S*) custom bundle: ([a-z0-9]+(?:, [a-z0-9]+)*) \*/$")


def _header() -> tuple[str, set[str]]:
    with BUNDLE.open(encoding="utf-8") as fh:
        first = fh.readline().rstrip("\n")
    m = HEADER.match(first)
    assert m, f"unexpected first line of {BUNDLE.name}: {first[:120]!r}"
    return m.group(1), set(m.group(2).split(", "))


def _all_trace_types() -> dict[str, str]:
    """plotly's own trace classes: class name -> trace type (e.g. Scattergeo -> 'scattergeo')."""
    out = {}
    for name in dir(go):
        cls = getattr(go, name)
        if isinstance(cls, type) and issubclass(cls, BaseTraceType) and cls is not BaseTraceType:
            out[name] = cls().type
    return out


# ---- (a) version
def test_bundle_is_built_from_the_plotlyjs_that_plotly_python_ships():
    version, traces = _header()
    assert version == get_plotlyjs_version(), (
        f"{BUNDLE.name} is plotly.js {version} but plotly python ships {get_plotlyjs_version()}: "
        "set the plotly.js version in dashboard/plotlyjs/package.json and run `make plotly-bundle`")
    text = BUNDLE.read_text(encoding="utf-8")
    assert f'version="{version}"' in text  # plotly.js's own version export, minified
    assert "Licensed under the MIT license" in text[:1000]  # plotly's banner kept
    assert text.rstrip().endswith("window.Plotly = Plotly;")
    assert traces <= set(_all_trace_types().values())


def test_header_names_the_traces_registered_in_the_entry_point():
    _, traces = _header()
    entry = (ROOT / "dashboard" / "plotlyjs" / "index.js").read_text(encoding="utf-8")
    required = set(re.findall(r"require\('plotly\.js/lib/(\w+)'\)", entry)) - {"core"}
    assert required == traces


# ---- (b) every trace type the app draws is in the bundle
@pytest.fixture
def wh(tiny_warehouse):
    from dashboard import db
    from dashboard import queries as Q

    db.configure(tiny_warehouse)
    Q.clear_cache()
    yield tiny_warehouse
    db.configure(None)
    Q.clear_cache()


def _types(fig) -> set[str]:
    data = fig["data"] if isinstance(fig, dict) else fig.to_plotly_json()["data"]
    return {tr["type"] for tr in data}


def _sql(path, sql):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_every_figure_the_app_builds_uses_only_bundled_trace_types(wh):
    from dashboard import charts
    from dashboard import queries as Q
    from dashboard.filters import LEVELS, VIEWS, Filters
    from dashboard.metrics import METRICS

    _, bundled = _header()
    scope = Q.viewer_scope()
    quarters = [f"{d.year}Q{(d.month - 1) // 3 + 1}"
                for (d,) in _sql(wh, "SELECT DISTINCT as_of FROM fct_household_snapshot ORDER BY 1")]
    county, village = _sql(wh, """SELECT county_code, village_code FROM fct_household_snapshot
                                   JOIN dim_village USING (county_code, village_code)
                                   WHERE lon IS NOT NULL ORDER BY 1, 2 LIMIT 1""")[0]
    # every chart of the registry, in the contexts the pages draw it (overview charts also on the county page)
    ctx_of = {None: [{}, {"county": county}], "county": [{"county": county}], "village": [{"village": village}],
              "target": [{"target": "poor_area_income_growth_above_province"}]}  # published rows 2017-2019
    plan = [(name, ctx) for name, c in charts.CHARTS.items() if c.figure for ctx in ctx_of[c.context]]
    assert {"schedule", "map", "ranking", "pathways", "village_map", "breakdown", "history", "v_history"} <= {
        name for name, _ in plan}
    seen: dict[str, set[str]] = {}
    for quarter in (quarters[0], quarters[-1]):
        for level in LEVELS:
            for view in VIEWS:
                for metric in (METRICS if level == "people" and view == "annual" else METRICS[:1]):
                    f = Filters(as_of=quarter, level=level, view=view, metric=metric)
                    for name, ctx in plan:
                        fig = go.Figure(charts.figure(name, f, scope, ctx))  # validates every property sent
                        seen.setdefault(name, set()).update(_types(fig))
    fig = charts.figure("map", Filters(as_of=quarters[-1]), scope, height=860)  # the meeting map slide
    seen["map"].update(_types(fig))
    empty = [name for name, types in seen.items() if not types]
    assert not empty, f"the tiny warehouse gives no traces for {empty}: the check would prove nothing"
    used = set().union(*seen.values())
    assert used <= bundled, f"trace types {sorted(used - bundled)} are drawn but not in {BUNDLE.name}"


def test_no_source_file_names_a_trace_type_missing_from_the_bundle():
    """Static backstop for figures the test above does not build: go.<Trace>(…), fig.add_<trace>(…) and
    trace dicts (type="<trace>") in the modules that use plotly."""
    _, bundled = _header()
    by_class = _all_trace_types()
    types = set(by_class.values())
    used: dict[str, set[str]] = {}
    for path in sorted((ROOT / "dashboard").rglob("*.py")):
        src = path.read_text(encoding="utf-8")
        if "node_modules" in path.parts or "plotly" not in src:
            continue
        assert "plotly.express" not in src, f"{path.name}: plotly.express trace types are not checked here"
        found = {by_class[c] for c in re.findall(r"\bgo\.([A-Z]\w*)\(", src) if c in by_class}
        found |= {t for t in re.findall(r"\.add_([a-z0-9]+)\(", src) if t in types}
        found |= {t for t in re.findall(r"""\btype\s*=\s*["']([a-z0-9]+)["']""", src) if t in types}
        found |= {t for t in re.findall(r"""["']type["']\s*:\s*["']([a-z0-9]+)["']""", src) if t in types}
        if found:
            used[path.relative_to(ROOT).as_posix()] = found
    assert used, "no trace found in dashboard/: the pattern is out of date"
    missing = {p: sorted(ts - bundled) for p, ts in used.items() if ts - bundled}
    assert not missing, f"not in {BUNDLE.name}: {missing}"
