"""The data API (issue #13 item 3) over HTTP through the app's real Flask server, on the full demo warehouse.

/api/index.json lists the registry; /api/<name>.csv|xlsx|json give the rows of the chart's download for the
same query, in the viewer's scope (session or per-user Bearer token), audited, bounded, no-store.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil

import duckdb
import pandas as pd
import pytest

from tests.conftest import app_store, ensure_user

DONGXIANG, LINXIA, DINGXI = "622926", "622900", "621100"
VILLAGE = "622926001001"  # a village of 东乡县
DONGXIANG_NAME = "东乡族自治县"
USERS = {  # name: (role, scope, pii)
    "api_dingxi": ("analyst", DINGXI, False),
    "api_linxia": ("analyst", LINXIA, False),
    "api_dx_pii": ("analyst", DONGXIANG, True),
}


def params_for(name: str) -> dict:
    """Query parameters that point chart `name` at 东乡县 (its county, or one of its villages)."""
    from dashboard import charts

    context = charts.CHARTS[name].context
    if context == "village":
        return {"village": VILLAGE}
    if context == "target":  # a plan target's detail, at 东乡县
        return {"target": "pathway_industry_people", "county": DONGXIANG}
    return {"county": DONGXIANG}


@pytest.fixture(scope="module")
def site(request, tmp_path_factory, demo_warehouse):
    import app as app_module
    from dashboard import db
    from dashboard import queries as Q
    from dashboard.auth import store

    db.configure(demo_warehouse)
    Q.clear_cache()
    with app_store("sqlite", request, tmp_path_factory, "api_http"):
        for n, spec in USERS.items():
            ensure_user(n, *spec)
        tokens = {n: store.create_api_token(store.get_user(n)["id"], "test")[1] for n in USERS}
        yield Site(app_module.app.server, tokens, demo_warehouse)
    db.configure(None)
    Q.clear_cache()


class Site:
    def __init__(self, server, tokens, warehouse):
        self.server, self.tokens, self.warehouse = server, tokens, warehouse

    def get(self, user: str | None, path: str, params: dict | None = None, headers: dict | None = None):
        h = dict(headers or {})
        if user:
            h["Authorization"] = f"Bearer {self.tokens[user]}"
        return self.server.test_client().get(path, query_string=params, headers=h)

    def sql(self, q, params=()):
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(q, list(params)).fetchall()


def download_rows(name: str, scope_code: str, params: dict) -> pd.DataFrame:
    """The chart's download path (registry rows) for `params`, computed outside any request."""
    from dashboard import charts
    from dashboard import queries as Q
    from dashboard.filters import Filters

    p = dict(params)
    village, target = p.pop("village", None), p.pop("target", None)
    f = Q.resolve(Filters.parse(p))
    ctx = {"village": village} if village else ({"county": f.county} if charts.CHARTS[name].context else {})
    ctx = {"target": target} if target else ctx
    return charts.chart_data(name, f, Q.scope_counties(scope_code), ctx), f, ctx


# ---------------------------------------------------------------- index
def test_index_lists_every_registered_chart(site, monkeypatch):
    from dashboard import charts

    r = site.get("api_linxia", "/api/index.json")
    assert r.status_code == 200, r.text[:200]
    listed = {c["name"]: c for c in r.json["charts"]}
    assert set(listed) == set(charts.CHARTS)
    for name, c in listed.items():
        assert set(c["formats"]) == {"csv", "xlsx", "json"}
        assert c["urls"]["csv"].endswith(f"/api/{name}.csv")
        assert c["title"]["zh"] and c["title"]["en"]
        assert "lang" in c["parameters"]
    assert listed["households"]["required"] == ["village"] and listed["villages"]["required"] == ["county"]
    # a chart added to the registry appears without touching the API
    monkeypatch.setitem(charts.CHARTS, "extra_table", charts.CHARTS["refs"])
    names = {c["name"] for c in site.get("api_linxia", "/api/index.json").json["charts"]}
    assert "extra_table" in names


# ---------------------------------------------------------------- rows = the download's rows
@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_every_chart_returns_the_downloads_rows(site, fmt):
    """The API's file = the download's file (exports.chart_file, the download callback's writer) for the same
    query; JSON = the CSV's table without its metadata columns (those are in meta)."""
    from dashboard import charts, exports
    from dashboard import queries as Q

    scope = Q.scope_counties(LINXIA)
    for name in charts.CHARTS:
        params = params_for(name)
        r = site.get("api_linxia", f"/api/{name}.{fmt}", params)
        assert r.status_code == 200, (name, r.text[:300])
        assert r.headers["Cache-Control"] == "no-store"
        df, f, ctx = download_rows(name, LINXIA, params)
        if fmt == "csv":
            assert r.data == exports.chart_file(name, f, scope, ctx, "csv"), name
        elif fmt == "xlsx":
            got, want = _sheets(r.data), _sheets(exports.chart_file(name, f, scope, ctx, "xlsx"))
            first = next(iter(want))  # the table's sheet (the other is the notes sheet, with its generated time)
            assert list(got) == list(want) and got[first] == want[first], name
            assert len(got[first]) == len(df) + 3, name  # two title rows and the header
        else:
            doc = r.json
            info = exports.file_info(name, f, scope, ctx)
            n_info = len(info.columns())
            csv_rows = list(csv.reader(io.StringIO(exports.chart_file(name, f, scope, ctx, "csv").decode("utf-8-sig"))))
            assert doc["columns"] == csv_rows[0][:-n_info], name
            assert len(doc["rows"]) == len(df) == len(csv_rows) - 1, name
            for got, want in zip(doc["rows"], csv_rows[1:]):
                assert _same_numbers(got, want[:-n_info]), (name, got, want)
            assert set(doc["meta"]) >= {"scope", "as_of", "source", "demo", "generated", "rule"}
            assert doc["meta"]["demo"] is True and doc["meta"]["as_of"]["quarter"] == f.as_of.label
            assert doc["meta"]["scope"] == info.scope and doc["meta"]["source"] == info.source


def _sheets(data: bytes) -> dict:
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def header(field: str, name: str = "") -> str:
    """The download's header of field `field` (dashboard.exports.present), zh."""
    from dashboard import exports

    return exports.present(pd.DataFrame({field: []}), name).columns[0]


def _same_numbers(got, want) -> bool:
    """JSON numbers against CSV text (2.0 vs '2.0', True vs 'True')."""
    for g, w in zip(got, want):
        if g is None:
            if w != "":
                return False
        elif isinstance(g, (int, float)) and not isinstance(g, bool):
            if abs(float(g) - float(w)) > 1e-9:
                return False
        elif str(g) != w:
            return False
    return True


def test_villages_csv_matches_an_independent_sql_oracle(site):
    latest = site.sql("SELECT max(as_of) FROM mart_village_status")[0][0]
    want = site.sql("""SELECT v.village_code, v.village_name, m.remaining_people FROM dim_village v
                       JOIN mart_village_status m ON m.village_code = v.village_code AND m.as_of = ?
                       WHERE v.county_code = ? ORDER BY v.village_code""", [latest, DONGXIANG])
    r = site.get("api_linxia", "/api/villages.csv", {"county": DONGXIANG})
    rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert len(rows) == len(want) > 100
    code, vname, left = header("village_code", "villages"), header("village_name", "villages"), \
        header("remaining_people", "villages")
    assert [(x[code], x[vname], int(float(x[left]))) for x in rows] == [(c, n, int(p)) for c, n, p in want]
    doc = site.get("api_linxia", "/api/villages.json", {"county": DONGXIANG}).json
    i = doc["columns"].index(code)
    assert [row[i] for row in doc["rows"]] == [c for c, _, _ in want]


# ---------------------------------------------------------------- auth
def test_anonymous_bad_revoked_and_disabled_tokens_get_401(site):
    from dashboard.auth import accounts, store

    for path in ("/api/index.json", "/api/villages.csv?county=622926"):
        assert site.get(None, path).status_code == 401
        r = site.get(None, path, headers={"Authorization": "Bearer gansu_not-a-token"})
        assert r.status_code == 401 and "Bearer" in r.headers["WWW-Authenticate"]
        assert site.get(None, path, headers={"Authorization": "Basic YTpi"}).status_code == 401
    ensure_user("api_tmp", "analyst", LINXIA)
    uid = store.get_user("api_tmp")["id"]
    tid, token = store.create_api_token(uid, "x")
    h = {"Authorization": f"Bearer {token}"}
    assert site.get(None, "/api/villages.csv", {"county": DONGXIANG}, h).status_code == 200
    assert store.revoke_api_token(tid)
    assert site.get(None, "/api/villages.csv", {"county": DONGXIANG}, h).status_code == 401
    _, token2 = store.create_api_token(uid, "y")
    h2 = {"Authorization": f"Bearer {token2}"}
    assert site.get(None, "/api/index.json", headers=h2).status_code == 200
    accounts.disable("api_tmp")
    assert site.get(None, "/api/index.json", headers=h2).status_code == 401
    # only the hash is stored
    with store.engine().connect() as con:
        stored = [r[0] for r in con.exec_driver_sql("SELECT token_sha256 FROM api_tokens")]
    assert token not in stored and token2 not in stored and all(re.fullmatch(r"[0-9a-f]{64}", s) for s in stored)


def test_token_answer_sets_no_session_cookie_and_browser_session_works(site):
    r = site.get("api_linxia", "/api/villages.json", {"county": DONGXIANG})
    assert r.status_code == 200 and "Set-Cookie" not in r.headers
    c = site.server.test_client()
    page = c.get("/login")
    csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    from dashboard.auth import store

    ensure_user("api_browser", "analyst", LINXIA)
    c.post("/login", data={"username": "api_browser", "password": "pw-api_browser-0123456789",
                           "csrf_token": csrf_token})
    r = c.get("/api/villages.json", query_string={"county": DONGXIANG})
    assert r.status_code == 200 and len(r.json["rows"]) > 100
    assert store.audit_rows(limit=1)[0]["username"] == "api_browser"


def test_cli_token_and_revoke(site):
    from dashboard import users
    from dashboard.auth import store

    out = io.StringIO()
    assert users.main(["token", "api_linxia", "--label", "excel"], out=out) == 0
    token = out.getvalue().strip().splitlines()[-1]
    tid = int(re.search(r"token (\d+)", out.getvalue()).group(1))
    h = {"Authorization": f"Bearer {token}"}
    assert site.get(None, "/api/index.json", headers=h).status_code == 200
    out = io.StringIO()
    assert users.main(["tokens", "api_linxia"], out=out) == 0
    assert "excel" in out.getvalue() and token not in out.getvalue()
    assert users.main(["revoke-token", str(tid)], out=io.StringIO()) == 0
    store._user_cache.clear()
    assert site.get(None, "/api/index.json", headers=h).status_code == 401


# ---------------------------------------------------------------- scope, PII, parameters, bounds, audit
def test_dingxi_analyst_gets_nothing_of_dongxiang_from_any_api_name(site):
    from dashboard import charts

    for name in charts.CHARTS:
        for params in (params_for(name), {}):
            for fmt in ("csv", "json"):
                r = site.get("api_dingxi", f"/api/{name}.{fmt}", params)
                assert r.status_code in (200, 400, 403), (name, params, r.status_code)
                text = r.data.decode("utf-8-sig")
                assert DONGXIANG not in text and DONGXIANG_NAME not in text, (name, params, fmt)
        if charts.CHARTS[name].context or name in ("schedule", "map", "ranking", "pathways"):
            assert site.get("api_dingxi", f"/api/{name}.json", params_for(name)).status_code == 403, name
    assert site.get("api_dingxi", "/api/map.json", {"prefecture": LINXIA}).status_code == 403


def test_linxia_analyst_gets_dongxiang(site):
    for name, col in (("villages", "village_code"), ("households", "household_id"), ("map", "county_code")):
        doc = site.get("api_linxia", f"/api/{name}.json", params_for(name)).json
        i = doc["columns"].index(header(col, name))
        assert doc["rows"] and all(str(r[i]).startswith(DONGXIANG) for r in doc["rows"]), name
    doc = site.get("api_linxia", "/api/map.json").json
    codes = {r[doc["columns"].index(header("county_code", "map"))] for r in doc["rows"]}
    assert DONGXIANG in codes and all(c.startswith("6229") for c in codes)


def test_households_pii_only_with_the_grant(site):
    want = site.sql("""SELECT household_id, head_name, head_id_number FROM fct_household_snapshot
                       WHERE as_of = (SELECT max(as_of) FROM fct_household_snapshot) AND village_code = ?
                       ORDER BY household_id""", [VILLAGE])
    full = site.get("api_dx_pii", "/api/households.json", {"village": VILLAGE}).json
    masked = site.get("api_linxia", "/api/households.json", {"village": VILLAGE}).json
    cols = [header(c, "households") for c in ("household_id", "head_name", "head_id_number")]
    assert [tuple(r[full["columns"].index(c)] for c in cols)
            for r in full["rows"]] == [tuple(w) for w in want]
    text = json.dumps(masked, ensure_ascii=False)
    assert not any(n in text for _, n, _ in want) and not any(i in text for _, _, i in want)
    from dashboard.auth import store

    assert store.audit_rows(limit=2)[1]["event"] == "api_pii_export"


def test_bad_parameters_are_refused_with_a_message(site):
    cases = [("/api/map.json", {"level": "bogus"}, "level=bogus"),
             ("/api/map.json", {"as_of": "2099Q1"}, "as_of=2099Q1"),
             ("/api/map.json", {"county": "62292"}, "county=62292"),
             ("/api/map.json", {"colour": "red"}, "colour"),
             ("/api/villages.json", {}, "county"),
             ("/api/households.json", {"village": "x'; DROP"}, "village"),
             ("/api/map.json", {"county": "629999"}, "629999")]
    for path, params, words in cases:
        r = site.get("api_linxia", path, params)
        assert r.status_code == 400, (path, params, r.status_code)
        assert words in r.json["error"], (path, params, r.json)
    assert site.get("api_linxia", "/api/nope.csv").status_code == 404
    assert site.get("api_linxia", "/api/map.html").status_code == 404
    assert site.get("api_linxia", "/api/map.json", {"lang": "x" * 2000}).status_code == 414


def test_row_limit_and_audit_row(site, monkeypatch):
    from dashboard import api
    from dashboard.auth import store

    r = site.get("api_linxia", "/api/villages.csv", {"county": DONGXIANG, "as_of": "2019Q2"})
    n = len(r.data.decode("utf-8-sig").strip().splitlines()) - 1
    a = store.audit_rows(limit=1)[0]
    assert (a["username"], a["event"], a["scope_code"], a["target"], a["row_count"]) == \
        ("api_linxia", "api_export", LINXIA, DONGXIANG, n)
    assert "villages csv 2019Q2" in a["detail"]
    monkeypatch.setattr(api, "MAX_ROWS", 10)
    r = site.get("api_linxia", "/api/villages.csv", {"county": DONGXIANG})
    assert r.status_code == 413 and "10" in r.json["error"]
    assert store.audit_rows(limit=1)[0]["event"] == "api_refused"


def test_csv_cells_inert(site, demo_warehouse, tmp_path):
    from dashboard import db
    from dashboard import queries as Q

    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(demo_warehouse, copy)
    copy.chmod(0o600)
    with duckdb.connect(str(copy)) as con:
        con.execute("UPDATE dim_village SET village_name = '=HYPERLINK(\"http://x\",\"y\")' WHERE village_code = ?",
                    [VILLAGE])
    db.configure(copy)
    Q.clear_cache()
    try:
        r = site.get("api_linxia", "/api/villages.csv", {"county": DONGXIANG})
        rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
        cells = [c for row in rows for c in row]
        assert any("HYPERLINK" in c for c in cells)
        assert not [c for c in cells if c[:1] in ("=", "+", "@") or (c[:1] == "-" and not re.fullmatch(r"-[\d.]+", c))]
    finally:
        db.configure(demo_warehouse)
        Q.clear_cache()


def test_token_page_creates_shows_once_and_revokes(site):
    from dashboard.auth import store

    pw = ensure_user("api_page", "analyst", LINXIA)
    c = site.server.test_client()
    csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    c.post("/login", data={"username": "api_page", "password": pw, "csrf_token": csrf_token})
    page = c.get("/account/tokens", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert c.post("/account/tokens", data={"label": "excel"}).status_code == 400  # no CSRF token: refused
    r = c.post("/account/tokens", data={"label": "<b>excel</b>", "csrf_token": csrf_token})
    token = re.search(r'id="new-token">([^<]+)<', r.text).group(1)
    assert "&lt;b&gt;excel" in r.text and "<b>excel" not in r.text
    assert token not in c.get("/account/tokens").text  # shown once
    h = {"Authorization": f"Bearer {token}"}
    assert site.get(None, "/api/index.json", headers=h).status_code == 200
    assert site.get(None, "/account/tokens", headers=h).status_code == 401  # a token makes no tokens
    tid = [t["id"] for t in store.list_api_tokens(store.get_user("api_page")["id"])][-1]
    c.post("/account/tokens", data={"revoke": str(tid), "csrf_token": csrf_token})
    assert site.get(None, "/api/index.json", headers=h).status_code == 401
    assert site.server.test_client().get("/account/tokens").status_code == 401
