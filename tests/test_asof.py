"""As of means as of (issue 13 item 1): at an early quarter, every page and every registered chart (its rows, i.e.
its download, and its figure) shows nothing dated after that quarter.

The tiny warehouse has the snapshots 2019Q2 and 2019Q4; 东乡 (622926) exits in 2020 and 布楞沟村 in 2019 (exited
only in the 2019Q4 snapshot). Exit years count from 31 Dec of their year (as the plan certifies them).
"""

import datetime as dt
import json
import re

import pandas as pd
import plotly
import pytest

from dashboard.i18n import CATALOG
from dashboard.quarter import Quarter
from tests.conftest import configured

AS_OF = "2019Q2"
END = dt.date(2019, 6, 30)
COUNTY, VILLAGES = "622926", ("622926001001", "622926001002")

_QUARTER = re.compile(r"(20\d\d)\s*(?:Q|年第)\s*([1-4])")
_ISO = re.compile(r"(20\d\d)-(\d\d)-(\d\d)")
_ZH_DATE = re.compile(r"(20\d\d)年(\d{1,2})月(\d{1,2})日")
_EN_DATE = re.compile(r"\b(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (20\d\d)\b")
_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
# labels followed by an actual exit year on the county and village pages' facts
_ACTUAL_LABELS = {CATALOG[k][i] for k in ("col_actual", "m_actual_year") for i in (0, 1)}
# the data page's load records describe the warehouse (when which file was loaded), not the period shown
WAREHOUSE_RECORDS = {"loads", "files", "rejects", "reject_samples"}


def _later(text: str) -> list[str]:
    """Quarters and dates in `text` after the as-of quarter."""
    out = [m.group(0) for m in _QUARTER.finditer(text) if (int(m.group(1)), int(m.group(2))) > (2019, 2)]
    out += [m.group(0) for m in _ISO.finditer(text) if _valid(*m.groups()) and dt.date(*map(int, m.groups())) > END]
    out += [m.group(0) for m in _ZH_DATE.finditer(text) if dt.date(*map(int, m.groups())) > END]
    out += [m.group(0) for m in _EN_DATE.finditer(text)
            if dt.date(int(m.group(3)), _MONTHS.index(m.group(2)) + 1, int(m.group(1))) > END]
    return out


def _valid(y, m, d) -> bool:
    try:
        dt.date(int(y), int(m), int(d))
        return True
    except ValueError:
        return False


def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for v in node.values():
            yield from _strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v)


def _exit_year_ok(v) -> bool:
    """An actual exit year shown as of the quarter: certified by 31 Dec of that year, so not after the end."""
    if v is None or (isinstance(v, float) and v != v) or pd.isna(v):
        return True
    return dt.date(int(v), 12, 31) <= END


def _row_problems(name: str, df: pd.DataFrame) -> list[str]:
    bad = []
    for col in df.columns:
        s = df[col].dropna()
        if s.empty:
            continue
        if col == "actual_exit_year" or col.endswith("_exit_year") and col.startswith("actual"):
            bad += [f"{name}.{col}={v}" for v in s if not _exit_year_ok(v)]
        elif name == "targets" and col == "deadline":  # a plan target's deadline is a commitment, not a fact
            continue
        elif pd.api.types.is_datetime64_any_dtype(s) or col == "as_of" or col.endswith("_date"):
            bad += [f"{name}.{col}={v}" for v in s if pd.Timestamp(v).date() > END]
        elif s.dtype == object or pd.api.types.is_string_dtype(s):
            bad += [f"{name}.{col}: {x}" for v in s.astype(str) for x in _later(v)]
    return bad


def _facts_problems(layout_json) -> list[str]:
    """Actual exit years in the facts line: [label, ':', {B: value}]."""
    bad = []

    def walk(node):
        if isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            if len(node) == 3 and isinstance(node[0], str) and node[0] in _ACTUAL_LABELS and isinstance(node[2], dict):
                value = node[2].get("props", {}).get("children")
                m = re.search(r"(20\d\d)", str(value))
                if m and not _exit_year_ok(int(m.group(1))):
                    bad.append(f"{node[0]} {value}")
            for v in node:
                walk(v)

    walk(layout_json)
    return bad


def _drop_quarter_picker(node):
    """The as-of dropdown lists every quarter one can choose: not something shown as known."""
    if isinstance(node, dict):
        if str(node.get("props", {}).get("id", "")).endswith("-as-of"):
            return None
        return {k: _drop_quarter_picker(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_drop_quarter_picker(v) for v in node]
    return node


@pytest.fixture(scope="module")
def wh(tiny_warehouse):
    import app  # noqa: F401 - registers the pages

    with configured(tiny_warehouse):
        yield tiny_warehouse


def _filters():
    from dashboard import queries as Q
    from dashboard.filters import Filters

    return Q.resolve(Filters.parse({"as_of": AS_OF}, quarters=Q.quarters()))


def _contexts(chart):
    if chart.context == "county":
        return [{"county": COUNTY}]
    if chart.context == "village":
        return [{"village": v} for v in VILLAGES]
    return [{}, {"county": COUNTY}]


def test_the_oracle_sees_later_facts():
    """The checks themselves: they find what the old code showed."""
    assert _later("2019Q4 · 2020年第1季度 · 2019-12-31 · 2019年12月31日 · 31 Dec 2019") == [
        "2019Q4", "2020年第1", "2019-12-31", "2019年12月31日", "31 Dec 2019"]
    assert _later("2019Q2 2019-06-30 30 Jun 2019 2019年6月30日") == []
    assert not _exit_year_ok(2019) and _exit_year_ok(2018)


def test_every_chart_rows_and_figure_end_at_the_as_of_quarter(wh):
    from dashboard import charts
    from dashboard import queries as Q

    f, scope = _filters(), Q.viewer_scope()
    assert f.as_of.label == AS_OF
    bad, seen = [], 0
    for lang in ("zh", "en"):
        fl = f.replace(lang=lang)
        for name, chart in charts.CHARTS.items():
            for ctx in _contexts(chart):
                df = charts.chart_data(name, fl, scope, ctx)
                if name not in WAREHOUSE_RECORDS:
                    bad += _row_problems(name, df)
                if chart.figure is not None:
                    fig = json.loads(json.dumps(charts.figure(name, fl, scope, ctx), cls=plotly.utils.PlotlyJSONEncoder))
                    bad += [f"{name} figure: {x}" for s in _strings(fig) for x in _later(s)]
                seen += 1
    assert seen >= len(charts.CHARTS)
    assert bad == [], bad


def test_history_charts_end_at_and_mark_the_as_of_quarter(wh):
    from dashboard import charts
    from dashboard import queries as Q

    f, scope = _filters(), Q.viewer_scope()
    for name, ctx in (("history", {"county": COUNTY}), ("v_history", {"village": VILLAGES[0]})):
        assert list(charts.chart_data(name, f, scope, ctx)["quarter_label"]) == [AS_OF]
        fig = charts.figure(name, f, scope, ctx)
        marks = [s for s in fig["layout"]["shapes"] if s.get("x0") == AS_OF and s.get("xref") == "x"]
        assert marks, "the as-of quarter is marked"
        assert any(AS_OF in a["text"] for a in fig["layout"]["annotations"])


def test_village_exit_year_and_status_as_of_the_quarter(wh):
    from dashboard import charts
    from dashboard import queries as Q

    f, scope = _filters(), Q.viewer_scope()
    v = charts.chart_data("villages", f, scope, {"county": COUNTY}).set_index("village_code")
    assert pd.isna(v.loc["622926001001", "actual_exit_year"]) and v.loc["622926001001", "status"] != "exited"
    # and at 2019Q4, when it has exited, it says so
    v = charts.chart_data("villages", Q.resolve(f.replace(as_of=Quarter.parse("2019Q4"))), scope,
                          {"county": COUNTY}).set_index("village_code")
    assert v.loc["622926001001", "actual_exit_year"] == 2019 and v.loc["622926001001", "status"] == "exited"


def _page_json(path_layout, **kw):
    from dash import page_registry

    layout = next(p["layout"] for p in page_registry.values() if p["path_template"] == path_layout
                  or p["path"] == path_layout)
    return json.loads(json.dumps(layout(**kw), cls=plotly.utils.PlotlyJSONEncoder))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_shows_nothing_after_the_as_of_quarter(wh, lang):
    from dash import page_registry

    # /data is the warehouse's own record (its loads, build time and latest snapshot), not a view of a period
    pages = [("/", {}), ("/county/<code>", {"code": COUNTY})]
    pages += [("/village/<code>", {"code": v}) for v in VILLAGES]
    # /targets lists the plan's deadlines (commitments dated after any quarter): its as-of cut is tested in
    # tests/test_targets_page.py::test_as_of_means_as_of
    assert {p["path_template"] or p["path"] for p in page_registry.values()} - {x for x, _ in pages} <= {
        "/meeting", "/404", "/data", "/targets"}, "a new page joins this walk"
    bad = []
    for path, kw in pages:
        page = _page_json(path, as_of=AS_OF, lang=lang, **kw)
        text = json.dumps(page, ensure_ascii=False)
        assert CATALOG["error"][0].split("{")[0] not in text, path
        shown = _drop_quarter_picker(page)
        bad += [f"{path} {kw}: {x}" for s in _strings(shown) for x in _later(s)]
        bad += [f"{path} {kw}: {x}" for x in _facts_problems(shown)]
        # grids' rows (what a user reads, sorts and copies)
        for node in _grids(shown):
            bad += _row_problems(f"{path} grid {node['props']['id']}", pd.DataFrame(node["props"]["rowData"]))
    assert bad == [], bad


def _grids(node):
    if isinstance(node, dict):
        if node.get("type") == "AgGrid":
            yield node
        for v in node.values():
            yield from _grids(v)
    elif isinstance(node, list):
        for v in node:
            yield from _grids(v)
