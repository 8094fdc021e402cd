"""Named users, roles and row-level scope (issue #12), over HTTP through the app's real Flask server.

The whole module runs twice: with the app store on SQLite and on a real PostgreSQL server (tests/pg.py).
Scope is checked on the full demo warehouse (86 counties): a 定西市 (621100) analyst must get nothing of
东乡县 (622926) from any page, chart, download, report, deck or callback; a 临夏州 (622900) analyst gets it.
"""

from __future__ import annotations

import base64
import io
import json
import re
import time

import duckdb
import pytest

from tests.conftest import app_store, ensure_user

DONGXIANG, LINXIA, DINGXI = "622926", "622900", "621100"
LINXIA_NAME = "临夏回族自治州"  # (a township elsewhere is called 塬东乡: match whole names)
USERS = {  # name: (role, scope, pii)
    "dingxi": ("analyst", DINGXI, False),
    "linxia": ("analyst", LINXIA, False),
    "dongxiang_pii": ("analyst", DONGXIANG, True),
    "boss": ("admin", "620000", False),
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request, tmp_path_factory, demo_warehouse):
    """The app on the demo warehouse with a fresh store holding USERS."""
    import app as app_module
    from dashboard import db
    from dashboard import queries as Q

    db.configure(demo_warehouse)
    Q.clear_cache()
    with app_store(request.param, request, tmp_path_factory, "access_http"):
        pw = {n: ensure_user(n, *spec) for n, spec in USERS.items()}
        yield Site(app_module.app.server, pw, demo_warehouse, request.param)
    db.configure(None)
    Q.clear_cache()


class Site:
    def __init__(self, server, passwords, warehouse, kind):
        self.server, self.passwords, self.warehouse, self.kind = server, passwords, warehouse, kind
        self._deps = None

    def sql(self, q, params=()):
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(q, list(params)).fetchall()

    def login(self, name, https=False):
        c = self.server.test_client()
        kw = {"base_url": "https://localhost"} if https else {}
        r = c.get("/login", **kw)
        token = re.search(r'name="csrf_token" value="([^"]+)"', r.text).group(1)
        headers = {"Referer": "https://localhost/login"} if https else {}  # Flask-WTF checks it over HTTPS
        r = c.post("/login", data={"username": name, "password": self.passwords[name], "csrf_token": token},
                   headers=headers, **kw)
        assert r.status_code == 302, (r.status_code, r.text[:300])
        c.get("/", headers={"Accept": "text/html"}, **kw)  # the page sets the CSRF cookie Dash's callbacks send
        c.csrf = c.get_cookie("_csrf_token").value
        c.login_response = r
        return c

    def deps(self):
        if self._deps is None:
            c = self.login("boss")
            self._deps = [d for d in c.get("/_dash-dependencies").json if not d.get("clientside_function")]
        return self._deps

    def dep(self, output_prefix, first_input=None):
        for d in self.deps():
            cid = d["inputs"][0]["id"]
            cid = json.loads(cid) if cid.startswith("{") else cid
            if d["output"].lstrip(".").startswith(output_prefix) and (
                    first_input is None or cid == first_input or (isinstance(cid, dict) and cid.get("type") == first_input)):
                return d
        raise KeyError(output_prefix)


def payload(dep, inputs=None, state=None, changed=None):
    """The body dash-renderer posts for `dep`, values taken from inputs/state {"id.prop": value}."""
    inputs, state = inputs or {}, state or {}

    def key(sp):
        return (sp["id"] if isinstance(sp["id"], str) else json.dumps(sp["id"], sort_keys=True)) + "." + sp["property"]

    def vals(specs, given):
        out = []
        for sp in specs:
            v = given.get(key(sp))
            out.append(v if isinstance(v, list) and v and isinstance(v[0], dict) and "property" in v[0]
                       else {"id": sp["id"], "property": sp["property"], "value": v})
        return out

    def outputs(s):
        def one(part):
            i = part.rfind(".", 0, part.find("@") if "@" in part else len(part))
            cid = part[:i]
            return {"id": json.loads(cid) if cid.startswith("{") else cid, "property": part[i + 1:].split("@")[0]}
        return [one(p) for p in s[2:-2].split("...")] if s.startswith("..") else one(s)

    return {"output": dep["output"], "outputs": outputs(dep["output"]), "inputs": vals(dep["inputs"], inputs),
            "state": vals(dep["state"], state), "changedPropIds": changed or [key(dep["inputs"][0])]}


def post(client, body, csrf=True):
    headers = {"X-CSRFToken": client.csrf} if csrf and getattr(client, "csrf", None) else {}
    return client.post("/_dash-update-component", json=body, headers=headers)


def page(site, client, path, search=""):
    d = site.dep("_pages_content.children")
    return post(client, payload(d, {"_pages_location.pathname": path, "_pages_location.search": search},
                                changed=["_pages_location.pathname"]))


def download(site, client, chart, fmt, filters=None, ctx=None):
    d = site.dep("download.data", "dl")
    btn = [{"id": {"chart": chart, "fmt": fmt, "type": "dl"}, "property": "n_clicks", "value": 1}]
    changed = json.dumps({"chart": chart, "fmt": fmt, "type": "dl"}, sort_keys=True, separators=(",", ":"))
    return post(client, payload(d, {d_key(d["inputs"][0]): btn}, {"page-filters.data": filters or {},
                                                                 "page-ctx.data": ctx or {}},
                                changed=[changed + ".n_clicks"]))


def report(site, client, fmt, filters=None, ctx=None):
    d = site.dep("download.data", "report")
    btn = [{"id": {"fmt": fmt, "type": "report"}, "property": "n_clicks", "value": 1}]
    changed = json.dumps({"fmt": fmt, "type": "report"}, sort_keys=True, separators=(",", ":"))
    return post(client, payload(d, {d_key(d["inputs"][0]): btn}, {"page-filters.data": filters or {},
                                                                 "page-ctx.data": ctx or {}},
                                changed=[changed + ".n_clicks"]))


def d_key(sp):
    return sp["id"] + "." + sp["property"]


def file_of(resp) -> bytes:
    assert resp.status_code == 200, (resp.status_code, resp.text[:200])
    data = resp.json["response"]["download"]["data"]
    return base64.b64decode(data["content"]) if data.get("base64") else data["content"].encode()


def audit_rows(event=None, user=None):
    from dashboard.auth import store

    return [r for r in store.audit_rows() if (event is None or r["event"] == event)
            and (user is None or r["username"] == user)]


def village_of(site, county):
    return site.sql("SELECT min(village_code) FROM fct_household_snapshot WHERE county_code = ?", [county])[0][0]


# ---------------------------------------------------------------- anonymous: refused everywhere
def test_every_callback_and_every_route_refuses_an_anonymous_request(site):
    """Every callback in /_dash-dependencies and every URL rule of the server (downloads are callbacks;
    a new route or callback is in these lists by construction) answers 401 (or a redirect to /login for a
    page) and no data, except the login page, the one-time link and /healthz."""
    import app as app_module

    deps = site.deps()
    registered = {k for k, v in app_module.app.callback_map.items() if v.get("callback")}
    assert registered <= {d["output"] for d in deps} and len(deps) >= 10, [d["output"] for d in deps]
    anon = site.server.test_client()
    for d in deps:
        r = post(anon, payload(d), csrf=False)
        assert r.status_code == 401, (d["output"], r.status_code, r.text[:100])
        assert b"response" not in r.data
    public = {"/login", "/login/once/<token>", "/healthz"}
    checked = 0
    for rule in site.server.url_map.iter_rules():
        if rule.rule in public:
            continue
        url = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", "x1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            r = anon.open(url, method=method, headers={"Accept": "text/html"})
            assert r.status_code in (401, 302), (method, rule.rule, r.status_code)
            if r.status_code == 302:
                assert r.headers["Location"].startswith("/login"), (rule.rule, r.headers["Location"])
            checked += 1
    assert checked >= 8
    r = anon.get("/county/622926", headers={"Accept": "text/html"})
    assert r.status_code == 302 and r.headers["Location"] == "/login?next=%2Fcounty%2F622926"
    assert anon.get("/_dash-layout").status_code == 401
    assert anon.get("/_dash-dependencies").status_code == 401


def test_an_expired_session_cannot_download(site, monkeypatch):
    from dashboard.auth import web

    c = site.login("linxia")
    assert download(site, c, "ranking", "csv").status_code == 200
    t0 = time.time()
    monkeypatch.setattr(web, "_clock", lambda: t0 + web.IDLE_S + 5)  # idle past the limit
    assert download(site, c, "ranking", "csv").status_code == 401
    monkeypatch.setattr(web, "_clock", time.time)
    assert download(site, c, "ranking", "csv").status_code == 401, "the session ended; it does not come back"
    # absolute limit: active all along (every 20 min) but past the maximum
    c = site.login("linxia")
    t = t0
    while t < t0 + web.ABSOLUTE_S - 60:
        t += 20 * 60
        monkeypatch.setattr(web, "_clock", lambda t=t: t)
        assert download(site, c, "ranking", "csv").status_code == 200
    monkeypatch.setattr(web, "_clock", lambda: t0 + web.ABSOLUTE_S + 1)
    assert download(site, c, "ranking", "csv").status_code == 401


def test_disabling_a_user_or_a_new_password_ends_their_sessions(site):
    from dashboard.auth import accounts

    ensure_user("temp_user", "analyst", LINXIA)
    site.passwords["temp_user"] = ensure_user("temp_user", "analyst", LINXIA)
    c = site.login("temp_user")
    assert c.get("/_dash-layout").status_code == 200
    accounts.set_password("temp_user", "another-password-123")
    assert c.get("/_dash-layout").status_code == 401
    site.passwords["temp_user"] = "another-password-123"
    c = site.login("temp_user")
    accounts.disable("temp_user")
    assert c.get("/_dash-layout").status_code == 401


# ---------------------------------------------------------------- scope
def _without(text: str, *echo: str) -> str:
    for e in echo:
        text = text.replace(e, "")
    return text


def test_scope_on_every_page_dingxi_gets_nothing_of_dongxiang_linxia_does(site):
    v = village_of(site, DONGXIANG)
    dingxi, linxia = site.login("dingxi"), site.login("linxia")
    paths = [("/", ""), ("/", f"?prefecture={LINXIA}"), ("/", f"?county={DONGXIANG}"), (f"/county/{DONGXIANG}", ""),
             (f"/village/{v}", ""), ("/data", ""), ("/meeting", f"?scope={DONGXIANG}"), ("/meeting", "?scope=620000"),
             ("/county/621102", "")]
    own = site.sql("SELECT county_name FROM dim_county WHERE county_code = '621102'")[0][0]
    for path, search in paths:
        r = page(site, dingxi, path, search)
        assert r.status_code == 200, (path, r.status_code)
        text = _without(r.text, v, DONGXIANG, LINXIA)  # the requested codes echoed in a message or notice
        assert "东乡族自治县" not in text and not re.search(r"622926\d{6}", text), (path, search)
        assert LINXIA_NAME not in text, (path, search)
    assert "不在您的权限范围内" in page(site, dingxi, f"/county/{DONGXIANG}").text
    assert "不在您的权限范围内" in page(site, dingxi, f"/village/{v}").text
    assert own in page(site, dingxi, "/county/621102").text  # the analyst's own county is there
    # the 临夏州 analyst gets 东乡县: its page, its villages, the village page
    r = page(site, linxia, f"/county/{DONGXIANG}")
    assert "东乡族自治县" in r.text and v in r.text
    assert "东乡族自治县" in page(site, linxia, "/", f"?prefecture={LINXIA}").text
    assert page(site, linxia, f"/village/{v}").text.count("household_id") >= 1
    # Superset's cache leak: the same views, now cached from the 临夏州 analyst's requests, asked again by 定西
    for path, search in (("/", ""), ("/", f"?prefecture={LINXIA}"), (f"/county/{DONGXIANG}", "")):
        text = _without(page(site, dingxi, path, search).text, DONGXIANG, LINXIA)
        assert "东乡族自治县" not in text and LINXIA_NAME not in text, (path, search)
    csv = file_of(download(site, dingxi, "map", "csv")).decode("utf-8-sig")
    assert "东乡族自治县" not in csv


def test_a_scope_that_resolves_to_no_county_sees_nothing(site):
    """Fail closed (Superset's 1=0): a scope code with no county in the warehouse is an empty scope, never all."""
    site.passwords["ghost"] = ensure_user("ghost", "analyst", "629999")
    c = site.login("ghost")
    names = [r[0] for r in site.sql("SELECT county_name FROM dim_county ORDER BY county_code")]
    for path in ("/", "/county/621102", "/data"):
        text = page(site, c, path).text
        assert not [n for n in names if n in text], path
    import pandas as pd

    assert len(pd.read_csv(io.BytesIO(file_of(download(site, c, "map", "csv"))))) == 0
    schedule = pd.read_csv(io.BytesIO(file_of(download(site, c, "schedule", "csv"))), encoding="utf-8-sig")
    assert len(schedule) == 3 and (schedule["计划"] == 0).all() and (schedule["实际"] == 0).all(), schedule


def test_callbacks_naming_a_place_outside_the_scope_get_403(site):
    v = village_of(site, DONGXIANG)
    dingxi, linxia = site.login("dingxi"), site.login("linxia")
    assert download(site, dingxi, "history", "csv", ctx={"county": DONGXIANG}).status_code == 403
    assert download(site, dingxi, "households", "csv", ctx={"village": v}).status_code == 403
    assert download(site, dingxi, "map", "csv", filters={"prefecture": LINXIA}).status_code == 403
    assert report(site, dingxi, "docx", ctx={"county": DONGXIANG}).status_code == 403
    d = site.dep("mt-slide.children")
    state = {"slides": [["overview", DONGXIANG], ["behind", DONGXIANG]],
             "search": f"?scope={DONGXIANG}&interval=15&theme=dark&as_of=2019Q2&lang=zh"}
    assert post(dingxi, payload(d, {"mt-index.data": 1}, {"mt-state.data": state})).status_code == 403
    d = site.dep("_pages_location.search", "co-pathway")
    body = payload(d, {"co-pathway.value": "industry"}, {"co-filters.data": {"county": DONGXIANG}})
    assert post(dingxi, body).status_code == 403
    # the same requests from the 临夏州 analyst answer with 东乡县's rows
    csv = file_of(download(site, linxia, "history", "csv", ctx={"county": DONGXIANG})).decode("utf-8-sig")
    assert len(csv.splitlines()) > 4
    r = post(linxia, payload(site.dep("mt-slide.children"), {"mt-index.data": 1}, {"mt-state.data": state}))
    assert r.status_code == 200 and "东乡族自治县" in r.text


def test_downloads_hold_only_the_users_counties(site):
    dingxi, linxia = site.login("dingxi"), site.login("linxia")
    mine = {r[0] for r in site.sql("SELECT county_code FROM dim_county WHERE prefecture_code = ?", [DINGXI])}
    for chart in ("schedule", "ranking", "map", "pathways"):
        for fmt in ("csv", "xlsx"):
            raw = file_of(download(site, dingxi, chart, fmt))
            if fmt == "csv":
                assert "东乡族自治县" not in raw.decode("utf-8-sig") and "622926" not in raw.decode("utf-8-sig"), chart
    import pandas as pd

    code = "县代码"  # the map CSV's county code column, under its screen header (self-describing files)
    m = pd.read_csv(io.BytesIO(file_of(download(site, dingxi, "map", "csv"))), dtype=str, encoding="utf-8-sig")
    assert set(m[code]) == mine  # exactly the analyst's counties (oracle: dim_county in DuckDB)
    m = pd.read_csv(io.BytesIO(file_of(download(site, linxia, "map", "csv"))), dtype=str, encoding="utf-8-sig")
    assert DONGXIANG in set(m[code])
    # an image export: the 定西 ranking's SVG names 定西's counties, never 东乡; 临夏's names 东乡
    svg = file_of(download(site, dingxi, "ranking", "svg", filters={"prefecture": DINGXI})).decode()
    assert "东乡族自治县" not in svg and "安定区" in svg
    svg = file_of(download(site, linxia, "ranking", "svg", filters={"prefecture": LINXIA})).decode()
    assert "东乡族自治县" in svg
    exports = audit_rows("export", "dingxi")
    assert len(exports) >= 9 and all(r["scope_code"] == DINGXI and r["row_count"] is not None for r in exports)


def test_reports_and_decks_hold_only_the_users_scope(site):
    from docx import Document
    from pptx import Presentation

    dingxi, linxia = site.login("dingxi"), site.login("linxia")
    doc = Document(io.BytesIO(file_of(report(site, dingxi, "docx"))))
    text = "\n".join(p.text for p in doc.paragraphs) + "\n".join(
        c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert "定西" in text and "东乡族自治县" not in text and LINXIA_NAME not in text
    deck = Presentation(io.BytesIO(file_of(report(site, dingxi, "pptx"))))
    text = "\n".join(s.text_frame.text for sl in deck.slides for s in sl.shapes if s.has_text_frame)
    text += "\n".join(c.text for sl in deck.slides for s in sl.shapes if s.has_table for r in s.table.rows
                      for c in r.cells)
    assert "定西" in text and "东乡族自治县" not in text
    doc = Document(io.BytesIO(file_of(report(site, linxia, "docx"))))
    assert LINXIA_NAME in "\n".join(p.text for p in doc.paragraphs)
    doc = Document(io.BytesIO(file_of(report(site, linxia, "docx", ctx={"county": DONGXIANG}))))
    assert "东乡族自治县" in "\n".join(p.text for p in doc.paragraphs)
    rows = audit_rows("export", "dingxi")
    assert {r["detail"].split()[1] for r in rows if r["detail"].startswith("report")} >= {"docx", "pptx"}
    assert all(r["target"] == DINGXI for r in rows if r["detail"].startswith("report"))


def test_data_page_lineage_only_for_province_wide_users_and_audit_only_for_admins(site):
    dingxi, boss = site.login("dingxi"), site.login("boss")
    r = page(site, dingxi, "/data").text
    assert "data-reject_samples" not in r and "data-loads" not in r and "audit-card" not in r
    assert "不能归属到县" in r
    r = page(site, boss, "/data").text
    assert "data-loads" in r and "audit-card" in r and '"event"' in r
    for chart in ("loads", "files", "rejects", "reject_samples"):
        assert len(file_of(download(site, dingxi, chart, "csv")).decode("utf-8-sig").splitlines()) <= 1, chart
    assert len(file_of(download(site, boss, "loads", "csv")).decode("utf-8-sig").splitlines()) >= 2


# ---------------------------------------------------------------- personal data
def test_pii_grant_shows_unmasked_names_and_audits_absence_never_does(site):
    v = village_of(site, DONGXIANG)
    latest = site.sql("SELECT max(as_of)::VARCHAR FROM fct_household_snapshot")[0][0]
    raw = site.sql("""SELECT head_name, head_id_number FROM fct_household_snapshot
                      WHERE village_code = ? AND as_of = ? ORDER BY household_id""", [v, latest])
    names, ids = [r[0] for r in raw], [r[1] for r in raw]
    granted, plain = site.login("dongxiang_pii"), site.login("linxia")
    before = len(audit_rows("pii_view"))
    r = page(site, granted, f"/village/{v}").text
    assert all(n in r for n in names) and all(i in r for i in ids)
    views = audit_rows("pii_view", "dongxiang_pii")
    assert len(views) == before + 1 and views[0]["target"] == v and views[0]["row_count"] == len(raw)
    assert views[0]["scope_code"] == DONGXIANG
    csv = file_of(download(site, granted, "households", "csv", ctx={"village": v})).decode("utf-8-sig")
    assert all(i in csv for i in ids)
    ex = audit_rows("pii_export", "dongxiang_pii")
    assert ex and ex[0]["row_count"] == len(raw) and ex[0]["target"] == v
    assert not any(i in (ex[0]["detail"] or "") for i in ids)
    # without the grant: masked on the page and in the file, no PII audit row
    r = page(site, plain, f"/village/{v}").text
    assert not any(i in r for i in ids) and "*" in r
    assert not any(n in r for n in names if len(n) > 1)
    csv = file_of(download(site, plain, "households", "csv", ctx={"village": v})).decode("utf-8-sig")
    assert not any(i in csv for i in ids)
    assert audit_rows("pii_view", "linxia") == [] and audit_rows("pii_export", "linxia") == []


def test_data_page_rejects_of_the_viewers_counties_when_the_warehouse_records_them(site, tmp_path):
    """etl_rejects.county_code (the ETL records a rejected row's county where it can tell): a 定西市 analyst sees
    the rejects of 定西's counties and none of 东乡县's or of rows without a county; 临夏州 sees 东乡县's; an
    admin all. Loads and files stay province-wide only. (A demo copy with the column and marked rows.)"""
    import shutil

    from dashboard import db
    from dashboard import queries as Q

    wh = tmp_path / "rejects_by_county.duckdb"
    shutil.copyfile(site.warehouse, wh)
    marks = {"MARK-DONGXIANG": DONGXIANG, "MARK-ANDING": "621102", "MARK-NOCOUNTY": None}
    with duckdb.connect(str(wh)) as con:
        if "county_code" not in {r[0] for r in con.execute("DESCRIBE etl_rejects").fetchall()}:
            con.execute("ALTER TABLE etl_rejects ADD COLUMN county_code VARCHAR")
        con.execute("UPDATE etl_rejects SET county_code = NULL")
        for i, (value, county) in enumerate(marks.items(), start=1):
            con.execute("INSERT INTO etl_rejects (load_id, table_name, file_name, line, column_name, rule, value, "
                        "message, county_code) VALUES (1000000, 'villages', 'marked.csv', ?, 'village_name', ?, ?, 'm', ?)",
                        [i, f"rule_{value[5:].lower()}", value, county])
    db.configure(wh)
    Q.clear_cache()
    try:
        dingxi, linxia, boss = site.login("dingxi"), site.login("linxia"), site.login("boss")
        seen = {}
        for name, c in (("dingxi", dingxi), ("linxia", linxia), ("boss", boss)):
            r = page(site, c, "/data").text
            csv = file_of(download(site, c, "reject_samples", "csv")).decode("utf-8-sig")
            by_rule = file_of(download(site, c, "rejects", "csv")).decode("utf-8-sig")
            seen[name] = {m for m in marks if m in r and m in csv and f"rule_{m[5:].lower()}" in by_rule}
            assert not ({m for m in marks if m in r or m in csv} - seen[name]), name  # page and files agree
            if name != "boss":
                assert "data-loads" not in r and "data-files" not in r and "您范围内各县" in r
                assert len(file_of(download(site, c, "loads", "csv")).decode("utf-8-sig").splitlines()) <= 1
        assert seen == {"dingxi": {"MARK-ANDING"}, "linxia": {"MARK-DONGXIANG"}, "boss": set(marks)}
    finally:
        db.configure(site.warehouse)
        Q.clear_cache()


# ---------------------------------------------------------------- login, CSRF, cookies
def test_login_backs_off_then_locks_per_account_in_the_store(site, monkeypatch):
    from dashboard.auth import accounts, store

    pw = ensure_user("victim", "analyst", LINXIA)
    def attempt(password):
        c = site.server.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
        return c.post("/login", data={"username": "victim", "password": password, "csrf_token": token})

    t = [store.now()]
    monkeypatch.setattr(store, "now", lambda: t[0])
    assert attempt("wrong-1").status_code == 401
    assert attempt("wrong-2").status_code == 401
    r = attempt("wrong-3")
    assert r.status_code == 429 and r.headers["Retry-After"] == "2"
    assert attempt(pw).status_code == 429, "a locked account is refused before its password is checked"
    t[0] += __import__("datetime").timedelta(seconds=3)
    assert attempt(pw).status_code == 302  # after the wait the right password works and resets the count
    assert store.get_user("victim")["failures"] == 0
    for i in range(accounts.LOCK_AFTER):
        t[0] += __import__("datetime").timedelta(seconds=61)
        r = attempt(f"wrong-{i}")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 14 * 60 and "锁定" in r.text
    row = store.get_user("victim")  # the lock lives in the store: every worker and a restart see it
    assert row["failures"] == accounts.LOCK_AFTER and store.utc(row["locked_until"]) > t[0]
    t[0] += __import__("datetime").timedelta(minutes=5)
    assert attempt(pw).status_code == 429
    accounts.set_password("victim", "a-new-password-42")  # an admin's reset clears it
    assert attempt("a-new-password-42").status_code == 302
    assert [r["detail"] for r in audit_rows("login_failed", "victim")].count("bad password") >= 3


def test_unknown_and_disabled_names_slow_down_and_lock_like_an_account(site, monkeypatch):
    """No user enumeration: a name with no account answers like an account under the same wrong passwords,
    status, Retry-After and page, step by step, through the lock."""
    import datetime as dt

    from dashboard.auth import accounts, store

    ensure_user("known1", "analyst", LINXIA)
    ensure_user("gone1", "analyst", LINXIA)
    accounts.disable("gone1")

    def attempt(name, password="wrong-password"):
        c = site.server.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
        r = c.post("/login", data={"username": name, "password": password, "csrf_token": token})
        page = re.sub(r'name="csrf_token" value="[^"]+"', "", r.text)
        return r.status_code, r.headers.get("Retry-After"), page

    t = [store.now()]
    monkeypatch.setattr(store, "now", lambda: t[0])
    names = ("known1", "nobody-here", "gone1")
    for step in range(accounts.LOCK_AFTER + 2):
        got = {n: attempt(n) for n in names}
        assert got["nobody-here"] == got["known1"] == got["gone1"], (step, {n: g[:2] for n, g in got.items()})
        if step == 2:
            assert got["known1"][:2] == (429, "2")
        t[0] += dt.timedelta(seconds=61)
    status, retry, page = got["nobody-here"]
    assert status == 429 and int(retry) > 10 * 60 and "锁定" in page
    assert attempt("nobody-here")[0] == 429  # still locked, before any password is looked at
    assert attempt("Nobody-Here")[0] == 401  # another name has its own count
    # the store holds the lock, so every worker and a restart see it; a quiet name is forgotten after a day
    assert store.name_lock("nobody-here") > t[0]
    t[0] += dt.timedelta(seconds=store.THROTTLE_KEEP_S + 60)
    attempt("someone-else")
    assert store.name_lock("nobody-here") is None


def test_csrf_is_required_on_login_logout_and_callbacks(site):
    c = site.server.test_client()
    c.get("/login")
    r = c.post("/login", data={"username": "linxia", "password": site.passwords["linxia"]})
    assert r.status_code == 400
    r = c.post("/login", data={"username": "linxia", "password": site.passwords["linxia"], "csrf_token": "forged"})
    assert r.status_code == 400
    c = site.login("linxia")
    body = payload(site.dep("_pages_content.children"), {"_pages_location.pathname": "/data"},
                   changed=["_pages_location.pathname"])
    assert post(c, body, csrf=False).status_code == 400
    assert c.post("/_dash-update-component", json=body, headers={"X-CSRFToken": "forged"}).status_code == 400
    assert post(c, body).status_code == 200
    assert c.post("/logout").status_code == 400
    assert c.get("/_dash-layout").status_code == 200, "a logout without the token does nothing"
    assert c.post("/logout", data={"csrf_token": c.csrf}).status_code == 302
    assert c.get("/_dash-layout").status_code == 401


def test_session_cookie_is_signed_httponly_samesite_and_secure_over_https(site):
    c = site.login("linxia")
    cookies = c.login_response.headers.getlist("Set-Cookie")
    sess = next(h for h in cookies if h.startswith("gansu_session="))
    assert "HttpOnly" in sess and "SameSite=Lax" in sess and "Secure" not in sess
    csrf = c.get("/", headers={"Accept": "text/html"}).headers.getlist("Set-Cookie")
    assert any(h.startswith("_csrf_token=") and "HttpOnly" not in h and "SameSite=Lax" in h for h in csrf)
    c = site.login("linxia", https=True)
    sess = next(h for h in c.login_response.headers.getlist("Set-Cookie") if h.startswith("gansu_session="))
    assert "Secure" in sess and "HttpOnly" in sess
    # a tampered cookie is no session
    forged = site.server.test_client()
    value = c.get_cookie("gansu_session").value
    forged.set_cookie("gansu_session", value[:-3] + ("AAA" if value[-3:] != "AAA" else "BBB"))
    assert forged.get("/_dash-layout").status_code == 401


def test_login_page_in_both_languages_escapes_and_refuses_open_redirects(site):
    c = site.server.test_client()
    zh, en = c.get("/login").text, c.get("/login?lang=en").text
    assert "用户名" in zh and "密码" in zh and "User name" in en and "Password" in en
    r = c.get('/login?next=/"><script>alert(1)</script>')
    assert "<script>alert(1)" not in r.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    r = c.post("/login", data={"username": "linxia", "password": site.passwords["linxia"], "csrf_token": token,
                               "next": "//evil.example/x"})
    assert r.status_code == 302 and r.headers["Location"] == "/"


def test_remote_user_sso_only_from_the_trusted_proxy(site, monkeypatch):
    from dashboard.auth import web

    monkeypatch.setattr(web, "SSO_HEADER", "X-Remote-User")
    monkeypatch.setattr(web, "SSO_PROXIES", frozenset({"127.0.0.1"}))
    proxy = site.server.test_client()
    assert proxy.get("/_dash-layout", headers={"X-Remote-User": "linxia"},
                     environ_overrides={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200
    outsider = site.server.test_client()
    assert outsider.get("/_dash-layout", headers={"X-Remote-User": "boss"},
                        environ_overrides={"REMOTE_ADDR": "192.0.2.7"}).status_code == 401
    unknown = site.server.test_client()
    assert unknown.get("/_dash-layout", headers={"X-Remote-User": "nobody-here"},
                       environ_overrides={"REMOTE_ADDR": "127.0.0.1"}).status_code == 401
    assert audit_rows("login", "linxia")[0]["detail"] == "sso"
    monkeypatch.setattr(web, "SSO_HEADER", "")  # off (the default): the header means nothing
    off = site.server.test_client()
    assert off.get("/_dash-layout", headers={"X-Remote-User": "linxia"},
                   environ_overrides={"REMOTE_ADDR": "127.0.0.1"}).status_code == 401
