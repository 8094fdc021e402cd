"""Follow-ups (督办, dashboard/followups.py) in the app store, on SQLite and on a real PostgreSQL server
(tests/pg.py): who may add and update, scope, the audit rows; over HTTP through the app's Flask server: the
callbacks need the CSRF header, the scope guard refuses a forged unit, an analyst cannot write; the deck's
list. Places: the tiny warehouse (兰州 620100: 620102, 620103; 临夏 622900: 622926 and its villages)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from tests.conftest import app_store, client_login, ensure_user

PROV = {"name": "fu-prov", "role": "leader", "scope_code": "620000"}
LINXIA = {"name": "fu-linxia", "role": "leader", "scope_code": "622900"}
LANZHOU = {"name": "fu-lanzhou", "role": "leader", "scope_code": "620100"}
DX_ANALYST = {"name": "fu-dx", "role": "analyst", "scope_code": "622926"}
ADMIN = {"name": "fu-admin", "role": "admin", "scope_code": "620000"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fstore(request, tmp_path_factory, tiny_warehouse):
    from dashboard import db
    from dashboard import queries as Q

    db.configure(tiny_warehouse)
    Q.clear_cache()
    with app_store(request.param, request, tmp_path_factory, "followups") as url:
        yield url
    db.configure(None)
    Q.clear_cache()


def _count() -> int:
    from dashboard.auth import store

    with store.engine().connect() as con:
        return con.execute(sa.select(sa.func.count()).select_from(store.followups)).scalar_one()


def _refused(key, fn, *a, **kw):
    from dashboard import followups as F

    with pytest.raises(F.FollowupError) as e:
        fn(*a, **kw)
    assert e.value.key == key, (e.value.key, key)


def test_rules_scope_and_audit(fstore):
    from dashboard import followups as F
    from dashboard.auth import store

    a = F.add(PROV, "people_exit_2019", "622926", "  核查\n滞后村  ", "东乡县扶贫办 马明", "2019-12-31")
    b = F.add(LINXIA, "village_exit_2019", "622926001001", "村级验收", "高山乡", dt.date(2020, 3, 31))
    c = F.add(ADMIN, "people_exit_2019", "620103", "复核", "七里河区", "2019-12-31", state="in_progress")
    p = F.add(PROV, "special_funds_budget_full", "620000", "拨付进度", "省财政厅", "2019-06-30")
    n = _count()
    assert n == 4
    # refused: role, scope, and every malformed field; none of them writes a row
    _refused("fu_err_role", F.add, DX_ANALYST, "people_exit_2019", "622926", "x", "y", "2019-12-31")
    _refused("fu_err_role", F.add, None, "people_exit_2019", "622926", "x", "y", "2019-12-31")
    _refused("fu_err_scope", F.add, LINXIA, "people_exit_2019", "620103", "x", "y", "2019-12-31")
    _refused("fu_err_scope", F.add, LINXIA, "people_exit_2019", "620000", "x", "y", "2019-12-31")
    _refused("fu_err_target", F.add, PROV, "no_such_target", "622926", "x", "y", "2019-12-31")
    _refused("fu_err_unit", F.add, PROV, "people_exit_2019", "622926999999", "x", "y", "2019-12-31")
    _refused("fu_err_unit", F.add, PROV, "people_exit_2019", "622926' OR '1'='1", "x", "y", "2019-12-31")
    _refused("fu_err_unit", F.add, PROV, "people_exit_2019", "110000", "x", "y", "2019-12-31")
    _refused("fu_err_action", F.add, PROV, "people_exit_2019", "622926", " \n ", "y", "2019-12-31")
    _refused("fu_err_action", F.add, PROV, "people_exit_2019", "622926", "长" * 501, "y", "2019-12-31")
    _refused("fu_err_responsible", F.add, PROV, "people_exit_2019", "622926", "x", "", "2019-12-31")
    _refused("fu_err_due", F.add, PROV, "people_exit_2019", "622926", "x", "y", "2017-12-31")
    _refused("fu_err_due", F.add, PROV, "people_exit_2019", "622926", "x", "y", "31/12/2019")
    _refused("fu_err_state", F.add, PROV, "people_exit_2019", "622926", "x", "y", "2019-12-31", state="closed")
    assert _count() == n
    # who reads what: the unit must lie inside the reader's area
    ids = {s: {r["id"] for r in F.list_followups(s)} for s in ("620000", "622900", "622926", "620100", "621100")}
    assert ids == {"620000": {a, b, c, p}, "622900": {a, b}, "622926": {a, b}, "620100": {c}, "621100": set()}
    assert F.list_followups(None) == [] and F.list_followups("6229%") == []
    row = F.list_followups("622926", target_id="people_exit_2019", unit_code="622926")
    assert [(r["id"], r["action"], r["state"], r["created_by"]) for r in row] == [(a, "核查 滞后村", "open", "fu-prov")]
    # update: analysts cannot, out of scope is as if it did not exist
    _refused("fu_err_role", F.update, DX_ANALYST, a, state="done")
    _refused("fu_err_missing", F.update, LANZHOU, a, state="done")
    _refused("fu_err_missing", F.update, LINXIA, 10**6, state="done")
    _refused("fu_err_state", F.update, LINXIA, a, state="closed")
    r = F.update(LINXIA, a, state="in_progress", due_date="2020-01-31")
    assert (r["state"], r["due_date"], r["created_by"], r["updated_by"]) == ("in_progress", dt.date(2020, 1, 31),
                                                                           "fu-prov", "fu-linxia")
    assert [r["id"] for r in F.list_followups("622926", states=F.OPEN_STATES)] == [a, b]  # newest change first
    # the audit log: one row per change, the unit as target, no action text or person's name
    audit = [x for x in store.audit_rows(limit=100) if x["event"].startswith("followup")]
    assert sorted((x["event"], x["username"], x["target"]) for x in audit) == sorted([
        ("followup_add", "fu-prov", "622926"), ("followup_add", "fu-linxia", "622926001001"),
        ("followup_add", "fu-admin", "620103"), ("followup_add", "fu-prov", "620000"),
        ("followup_update", "fu-linxia", "622926")])
    upd = next(x for x in audit if x["event"] == "followup_update")
    assert upd["detail"] == f"#{a} people_exit_2019 open->in_progress changed state,due_date"
    assert upd["scope_code"] == "622900"
    assert not any(w in (x["detail"] or "") for x in audit for w in ("马明", "核查", "扶贫办", "高山乡"))
    # the deck's list: not closed, inside the place, earliest due first
    F.update(PROV, c, state="done")
    assert [r["id"] for r in F.deck_rows("620000", "620000")] == [p, a, b]
    assert [r["id"] for r in F.deck_rows("622926", "620000")] == [a, b]
    assert [r["id"] for r in F.deck_rows("622926", "620100")] == []


# ---------------------------------------------------------------- over HTTP (Dash callbacks)
def _dep(client, output: str) -> dict:
    deps = client.get("/_dash-dependencies").json
    return next(d for d in deps if output in d["output"])


def _body(dep: dict, inputs: dict, state: dict) -> dict:
    def vals(specs, given):
        return [{"id": s["id"], "property": s["property"], "value": given.get(s["id"])} for s in specs]

    outs = [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1].split("@")[0]}
            for p in dep["output"].strip(".").split("...")]
    return {"output": dep["output"], "outputs": outs, "inputs": vals(dep["inputs"], inputs),
            "state": vals(dep["state"], state), "changedPropIds": [dep["inputs"][0]["id"] + ".n_clicks"]}


def _add_body(client, ctx, **form):
    dep = next(d for d in client.get("/_dash-dependencies").json
               if "fu-list.children" in d["output"] and d["inputs"][0]["id"] == "fu-add")
    state = {"fu-ctx": ctx, "fu-target": form.get("target"), "fu-unit": form.get("unit"),
             "fu-action": form.get("action", "约谈县级责任人"), "fu-responsible": form.get("responsible", "县扶贫办"),
             "fu-due": form.get("due", "2019-12-31")}
    return _body(dep, {"fu-add": 1}, state)


def _post(client, body, csrf=True):
    headers = {"X-CSRFToken": client.csrf} if csrf else {}
    return client.post("/_dash-update-component", json=body, headers=headers)


def _msg(resp) -> str:
    return json.dumps(resp.json["response"].get("fu-msg", {}), ensure_ascii=False)


def _find(node, cid):
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == cid:
            return node["props"]
        node = list(node.values())
    if isinstance(node, list):
        for x in node:
            hit = _find(x, cid)
            if hit is not None:
                return hit
    return None


def _page_ctx(client, code) -> dict:
    """The fu-ctx store of the county page's layout as the server sends it."""
    page = _dep(client, "_pages_content.children")
    body = {"output": page["output"], "outputs": [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]}
                                                  for p in page["output"].strip(".").split("...")],
            "inputs": [{"id": s["id"], "property": s["property"],
                        "value": f"/county/{code}" if s["property"] == "pathname" else ""} for s in page["inputs"]],
            "state": [], "changedPropIds": ["_pages_location.pathname"]}
    data = _find(_post(client, body).json, "fu-ctx")["data"]
    assert data["unit"] == code
    return data


def test_callbacks_csrf_guard_and_roles(fstore):
    import app as app_module

    server = app_module.app.server
    pw = {u["name"]: ensure_user(u["name"], u["role"], u["scope_code"]) for u in (PROV, LANZHOU, DX_ANALYST)}
    prov = client_login(server, PROV["name"], pw[PROV["name"]])
    ctx = dict(_page_ctx(prov, "622926"), target="people_exit_2020")  # the store the county page sends
    n = _count()
    # no CSRF header (or a forged one): 400, nothing written
    assert _post(prov, _add_body(prov, ctx), csrf=False).status_code == 400
    prov.csrf, real = "forged", prov.csrf
    assert _post(prov, _add_body(prov, ctx)).status_code == 400
    prov.csrf = real
    assert _count() == n
    # the province leader adds one: the answer lists it
    r = _post(prov, _add_body(prov, ctx, action="督促 2020 年剩余贫困人口清零"))
    assert r.status_code == 200 and "已新增督办" in _msg(r)
    assert "督促 2020 年剩余贫困人口清零" in json.dumps(r.json["response"]["fu-list"], ensure_ascii=False)
    assert _count() == n + 1
    # an analyst in scope: refused by role, nothing written
    dx = client_login(server, DX_ANALYST["name"], pw[DX_ANALYST["name"]])
    r = _post(dx, _add_body(dx, ctx))
    assert r.status_code == 200 and "不能新增或更新督办" in _msg(r) and _count() == n + 1
    # a 兰州 leader naming 东乡: the guard refuses the request (403); hiding the unit from the guard's keys
    # still gets a refusal from the rule itself
    lz = client_login(server, LANZHOU["name"], pw[LANZHOU["name"]])
    assert _post(lz, _add_body(lz, ctx)).status_code == 403
    r = _post(lz, _add_body(lz, {"target": "people_exit_2020", "unit": "622926"}))
    assert r.status_code == 200 and "不在您的权限范围内" in _msg(r)
    r = _post(lz, _add_body(lz, {"target": "people_exit_2020"}, unit="622926"))
    assert "不在您的权限范围内" in _msg(r) and _count() == n + 1
    # …and the 兰州 leader's own county works, through the form's unit
    r = _post(lz, _add_body(lz, {"target": "people_exit_2020"}, unit="620103"))
    assert "已新增督办" in _msg(r) and _count() == n + 2
    # the county page lists 东乡's follow-up for the analyst (no form), not for the 兰州 leader
    page = _dep(prov, "_pages_content.children")

    def county_page(client, code):
        body = _body(page, {"_pages_location": f"/county/{code}"}, {})
        body["inputs"] = [{"id": s["id"], "property": s["property"],
                           "value": f"/county/{code}" if s["property"] == "pathname" else ""} for s in page["inputs"]]
        body["changedPropIds"] = ["_pages_location.pathname"]
        return json.dumps(_post(client, body).json, ensure_ascii=False)

    text = county_page(dx, "622926")
    assert "督促 2020 年剩余贫困人口清零" in text and '"fu-add"' not in text
    assert '"fu-add"' in county_page(prov, "622926")
    assert "督促 2020 年剩余贫困人口清零" not in county_page(lz, "620103")


@pytest.fixture
def tiny_db(tiny_warehouse, tmp_path):
    """The tiny warehouse and a private SQLite store (follow-ups left in the run's store would add slides to
    other tests' decks)."""
    from dashboard import db
    from dashboard import queries as Q
    from dashboard.auth import store

    db.configure(tiny_warehouse)
    Q.clear_cache()
    store.configure(f"sqlite:///{tmp_path / 'app.sqlite'}")
    store.upgrade()
    yield
    store.configure(None)
    db.configure(None)
    Q.clear_cache()


def test_deck_lists_open_followups(tiny_db):
    """(One backend is enough here: the deck reads through the same functions as above.)"""
    import io

    from pptx import Presentation

    from dashboard import followups as F
    from dashboard import pptx_report

    F.add(PROV, "people_exit_2020", "622926", "deck: 入户核查 <b>x</b>", "=HYPERLINK(\"http://x\")", "2020-09-30")
    data = pptx_report.build_pptx("622926", None, "zh")
    slides = list(Presentation(io.BytesIO(data)).slides)
    texts = [sh.text_frame.text for s in slides for sh in s.shapes if sh.has_text_frame]
    cells = [c.text for s in slides for sh in s.shapes if sh.has_table for row in sh.table.rows for c in row.cells]
    assert any(x.startswith("督办事项（未办结") for x in texts)
    assert "deck: 入户核查 <b>x</b>" in cells
    assert "'=HYPERLINK(\"http://x\")" in cells  # inert: a leading = is neutralised as in every export
