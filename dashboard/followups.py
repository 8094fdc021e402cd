"""Follow-ups (督办): from a target behind to an action — what, who is responsible, by when, its state.

Kept in the app's own store (dashboard.auth.store.followups; SQLite or PostgreSQL, Alembic 0003).
Rules: admins and leaders add and update follow-ups on units within their scope; analysts only read them;
a unit outside the user's scope is neither listed nor written. Every change writes an audit row in the same
transaction (event followup_add / followup_update; target = the unit code; detail = number, target id and
states, never the action or the responsible person's name, which may be personal).

`panel(target_id, unit_code, lang)` is the Dash component (the targets page, the county page); its callbacks
are Dash callbacks, so Flask-WTF's CSRF check (X-CSRFToken) and the scope guard of dashboard.auth.web apply
to them as to every callback. `deck_rows(code)` gives the meeting deck's list.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import re

import sqlalchemy as sa

from dashboard.auth import store
from dashboard.auth.store import FOLLOWUP_STATES, followups
from dashboard.i18n import fmt_date, t

WRITE_ROLES = ("admin", "leader")
OPEN_STATES = ("open", "in_progress")
MAX_ACTION, MAX_RESPONSIBLE = 500, 100
DUE_MIN, DUE_MAX = dt.date(2018, 1, 1), dt.date(2030, 12, 31)
LIST_LIMIT = 200  # rows a panel shows (newest change first)
PROVINCE = "620000"
_UNIT = re.compile(r"^62\d{4}(\d{6})?$")
P = "fu"  # component id prefix


class FollowupError(ValueError):
    """A refused add or update; `key` is the i18n label saying why."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


@functools.cache
def catalog() -> dict[str, str]:
    """target id → the plan's quote (data/reference/plan_targets.csv)."""
    with open(store.ROOT / "data" / "reference" / "plan_targets.csv", encoding="utf-8", newline="") as f:
        return {r["id"]: r["quote"] for r in csv.DictReader(f)}


def in_scope(unit_code: str, scope_code: str | None) -> bool:
    """Is the unit (province, prefecture, county or village code) inside the area of a scope code?"""
    if not scope_code or not isinstance(unit_code, str) or not _UNIT.match(unit_code):
        return False
    if scope_code == PROVINCE:
        return True
    if scope_code.endswith("00"):  # a prefecture: itself, its counties and their villages
        return unit_code[:4] == scope_code[:4] and unit_code != PROVINCE
    return unit_code[:6] == scope_code


def _scope_clause(scope_code: str):
    if scope_code == PROVINCE:
        return sa.true()
    prefix = scope_code[:4] if scope_code.endswith("00") else scope_code
    return followups.c.unit_code.startswith(prefix, autoescape=True)


def can_write(user: dict | None) -> bool:
    return bool(user) and user.get("role") in WRITE_ROLES


def list_followups(scope_code: str | None, target_id: str | None = None, unit_code: str | None = None,
                   states=None, within: str | None = None, limit: int = LIST_LIMIT) -> list[dict]:
    """Follow-ups the scope may see, optionally of one target, one unit, some states, or inside the area of
    `within` (a deck's place); newest change first."""
    if not scope_code or not _UNIT.match(scope_code):
        return []
    q = sa.select(followups).where(_scope_clause(scope_code))
    if within:
        if not _UNIT.match(within):
            return []
        q = q.where(_scope_clause(within))
    if target_id:
        q = q.where(followups.c.target_id == target_id)
    if unit_code:
        q = q.where(followups.c.unit_code == unit_code)
    if states:
        q = q.where(followups.c.state.in_(list(states)))
    q = q.order_by(followups.c.updated_at.desc(), followups.c.id.desc()).limit(max(1, min(int(limit), 1000)))
    with store.engine().connect() as con:
        rows = [dict(r) for r in con.execute(q).mappings()]
    return [r | {"created_at": store.utc(r["created_at"]), "updated_at": store.utc(r["updated_at"])}
            for r in rows if in_scope(r["unit_code"], scope_code)]


def _text(v, most: int, key: str) -> str:
    v = " ".join(v.split()) if isinstance(v, str) else ""
    if not 1 <= len(v) <= most:
        raise FollowupError(key)
    return v


def _due(v) -> dt.date:
    try:
        d = v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v)[:10])
    except (TypeError, ValueError):
        raise FollowupError("fu_err_due") from None
    if not DUE_MIN <= d <= DUE_MAX:
        raise FollowupError("fu_err_due")
    return d


def _check_writer(user: dict | None, unit_code: str) -> None:
    if not can_write(user):
        raise FollowupError("fu_err_role")
    if not in_scope(unit_code, user.get("scope_code")):
        raise FollowupError("fu_err_scope")


def _audit(con, user: dict, event: str, unit_code: str, detail: str) -> None:
    con.execute(sa.insert(store.audit_log).values(at=store.now(), username=user["name"][:64], event=event,
                                                  scope_code=user.get("scope_code"), target=unit_code,
                                                  row_count=1, detail=detail[:255]))


def add(user: dict | None, target_id: str, unit_code: str, action: str, responsible: str, due_date,
        state: str = "open", place_exists=None) -> int:
    """A new follow-up by `user` ({name, role, scope_code}); its id. `place_exists(code)` checks that a
    prefecture, county or village code is a real place (the warehouse's, by default)."""
    if not isinstance(target_id, str) or target_id not in catalog():
        raise FollowupError("fu_err_target")
    if not isinstance(unit_code, str) or not _UNIT.match(unit_code):
        raise FollowupError("fu_err_unit")
    _check_writer(user, unit_code)
    if unit_code != PROVINCE:
        if place_exists is None:
            from dashboard import queries as Q

            place_exists = Q.place_exists
        if not place_exists(unit_code):
            raise FollowupError("fu_err_unit")
    values = {"action": _text(action, MAX_ACTION, "fu_err_action"),
              "responsible": _text(responsible, MAX_RESPONSIBLE, "fu_err_responsible"), "due_date": _due(due_date)}
    if state not in FOLLOWUP_STATES:
        raise FollowupError("fu_err_state")
    at = store.now()
    with store.engine().begin() as con:
        fid = con.execute(sa.insert(followups).values(
            target_id=target_id, unit_code=unit_code, state=state, created_by=user["name"], created_at=at,
            updated_by=user["name"], updated_at=at, **values)).inserted_primary_key[0]
        _audit(con, user, "followup_add", unit_code, f"#{fid} {target_id} {state} due {values['due_date']}")
    return fid


def update(user: dict | None, followup_id: int, *, state: str | None = None, action: str | None = None,
           responsible: str | None = None, due_date=None) -> dict:
    """Change a follow-up's state (and/or action, responsible, due date); the row as it is now."""
    values: dict = {}
    if state is not None:
        if state not in FOLLOWUP_STATES:
            raise FollowupError("fu_err_state")
        values["state"] = state
    if action is not None:
        values["action"] = _text(action, MAX_ACTION, "fu_err_action")
    if responsible is not None:
        values["responsible"] = _text(responsible, MAX_RESPONSIBLE, "fu_err_responsible")
    if due_date is not None:
        values["due_date"] = _due(due_date)
    try:
        fid = int(followup_id)
    except (TypeError, ValueError):
        raise FollowupError("fu_err_missing") from None
    if not can_write(user):
        raise FollowupError("fu_err_role")
    with store.engine().begin() as con:
        row = con.execute(sa.select(followups).where(followups.c.id == fid)).mappings().first()
        if row is None or not in_scope(row["unit_code"], user.get("scope_code")):
            raise FollowupError("fu_err_missing")  # out of scope: as if it did not exist
        if not values:
            return dict(row)
        con.execute(sa.update(followups).where(followups.c.id == fid).values(
            updated_by=user["name"], updated_at=store.now(), **values))
        changed = ",".join(k for k in values if values[k] != row[k]) or "none"
        _audit(con, user, "followup_update", row["unit_code"],
               f"#{fid} {row['target_id']} {row['state']}->{values.get('state', row['state'])} changed {changed}")
        return dict(con.execute(sa.select(followups).where(followups.c.id == fid)).mappings().first())


def deck_rows(code: str, scope_code: str | None) -> list[dict]:
    """The meeting deck's list: follow-ups not closed inside place `code`, that the viewer may see; earliest
    due first."""
    rows = list_followups(scope_code, states=OPEN_STATES, within=code, limit=1000)
    return sorted(rows, key=lambda r: (r["due_date"], r["id"]))


# ---------------------------------------------------------------- Dash
def current_user() -> dict | None:
    """{name, role, scope_code} of the logged-in user of this request, else None."""
    import flask
    from flask_login import current_user as cu

    if not flask.has_request_context() or not cu.is_authenticated:
        return None
    return {"name": cu.name, "role": cu.role, "scope_code": cu.scope_code}


def _unit_key(code: str | None) -> str | None:
    """The key the scope guard reads in a `-ctx` store (dashboard.auth.web.callback_in_scope)."""
    if not code or code == PROVINCE:
        return None
    return "village" if len(code) == 12 else "prefecture" if code.endswith("00") else "county"


def _ctx(target_id, unit_code, lang) -> dict:
    d = {"target": target_id, "unit": unit_code, "lang": lang}
    key = _unit_key(unit_code)
    if key:
        d[key] = unit_code  # so the guard refuses a forged unit outside the user's scope (403)
    return d


def _names() -> dict:
    from dashboard import db
    from dashboard import queries as Q

    try:
        return Q.names(Q.viewer_scope())
    except db.WarehouseMissing:  # codes only
        return {}


def table(rows: list[dict], lang: str):
    from dash import html

    if not rows:
        return html.Div(t("fu_none", lang), className="message message-empty", role="status", id=f"{P}-empty")
    names = _names()
    head = ["fu_col_id", "fu_col_target", "fu_col_unit", "fu_col_action", "fu_col_responsible", "fu_col_due",
            "fu_col_state", "fu_col_updated"]
    body = [html.Tr(className=f"fu-row fu-{r['state']}", id={"type": f"{P}-row", "id": r["id"]}, children=[
        html.Td(f"#{r['id']}"), html.Td(r["target_id"], title=catalog().get(r["target_id"], "")),
        html.Td(names.get(r["unit_code"], t("province", lang) if r["unit_code"] == PROVINCE else r["unit_code"])),
        html.Td(r["action"]), html.Td(r["responsible"]), html.Td(fmt_date(r["due_date"], lang)),
        html.Td(t(f"fu_state_{r['state']}", lang), className="fu-state"),
        html.Td(f"{r['updated_by']} · {fmt_date(r['updated_at'].date(), lang)}"),
    ]) for r in rows]
    return html.Table(className="fu-table", id=f"{P}-table", children=[
        html.Thead(html.Tr([html.Th(t(h, lang)) for h in head])), html.Tbody(body)])


def _visible(target_id, unit_code) -> list[dict]:
    u = current_user()
    return list_followups(u and u["scope_code"], target_id=target_id, unit_code=unit_code)


def panel(target_id: str | None = None, unit_code: str | None = None, lang: str = "zh"):
    """The follow-ups of a target and/or a unit that the viewer may see, and for admins and leaders the forms
    to add one and to change a state."""
    from dash import dcc, html

    user = current_user()
    rows = _visible(target_id, unit_code)
    children = [html.Div(className="card-head", children=[html.H3(t("fu_title", lang)),
                                                          html.Div(t("fu_rule", lang), className="subtitle")]),
                html.Div(table(rows, lang), id=f"{P}-list"),
                html.Div(id=f"{P}-msg", role="status", className="fu-msg"),
                dcc.Store(id=f"{P}-ctx", data=_ctx(target_id, unit_code, lang))]
    if can_write(user):
        children.append(_forms(user, target_id, unit_code, rows, lang))
    return html.Section(className="card fu-panel", id=f"{P}-panel", children=children)


def _unit_options(user: dict, lang: str) -> list[dict]:
    from dashboard import queries as Q

    scope = Q.viewer_scope()
    opts = [{"label": t("province", lang), "value": PROVINCE}] if user["scope_code"] == PROVINCE else []
    opts += [{"label": r.prefecture_name, "value": r.prefecture_code} for r in Q.prefectures(scope).itertuples()
             if in_scope(r.prefecture_code, user["scope_code"])]
    opts += [{"label": r.county_name, "value": r.county_code} for r in Q.counties(scope).itertuples()]
    return opts


def _forms(user, target_id, unit_code, rows, lang):
    from dash import dcc, html

    # a fixed target or unit is still a (disabled) dropdown: the callbacks read both as State
    t_opts = ([{"label": target_id, "value": target_id}] if target_id else
              [{"label": f"{k} · {q[:40]}", "value": k} for k, q in catalog().items()])
    # the whole catalog's list waits for the first pointer, focus or key on it (assets/defer.js): the dropdown
    # indexes every substring of every label as it renders, ~100 ms of the county page's first paint
    target = dcc.Dropdown(id=f"{P}-target", options=t_opts if target_id else [], value=target_id,
                          disabled=bool(target_id), placeholder=t("fu_col_target", lang))
    u_opts = ([{"label": _names().get(unit_code, t("province", lang) if unit_code == PROVINCE else unit_code),
                "value": unit_code}] if unit_code else _unit_options(user, lang))
    unit = dcc.Dropdown(id=f"{P}-unit", options=u_opts, value=unit_code, disabled=bool(unit_code),
                        placeholder=t("fu_col_unit", lang))
    states = [{"label": t(f"fu_state_{s}", lang), "value": s} for s in FOLLOWUP_STATES]
    return html.Div(className="fu-forms", children=[
        html.Div(className="fu-add", children=[
            html.Label([t("fu_col_target", lang), target, dcc.Store(id=f"{P}-target-wake"),
                        dcc.Store(id=f"{P}-target-options", data=t_opts)], **{"data-wake": f"{P}-target-wake"}),
            html.Label([t("fu_col_unit", lang), unit]),
            html.Label([t("fu_col_action", lang), dcc.Textarea(id=f"{P}-action", maxLength=MAX_ACTION)]),
            html.Label([t("fu_col_responsible", lang), dcc.Input(id=f"{P}-responsible", type="text",
                                                                 maxLength=MAX_RESPONSIBLE)]),
            html.Label([t("fu_col_due", lang), dcc.Input(id=f"{P}-due", type="date", min=str(DUE_MIN),
                                                         max=str(DUE_MAX))]),
            html.Button(t("fu_add", lang), id=f"{P}-add", n_clicks=0, className="btn"),
        ]),
        html.Div(className="fu-update", children=[
            dcc.Dropdown(id=f"{P}-pick", placeholder=t("fu_pick", lang),
                         options=[{"label": f"#{r['id']} {r['target_id']}", "value": r["id"]} for r in rows]),
            dcc.Dropdown(id=f"{P}-state", options=states, value="in_progress", clearable=False),
            html.Button(t("fu_save", lang), id=f"{P}-save", n_clicks=0, className="btn"),
        ]),
    ])


def _register() -> None:
    from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, no_update

    clientside_callback(ClientsideFunction(namespace="defer", function_name="use"), Output(f"{P}-target", "options"),
                        Input(f"{P}-target-wake", "data"), State(f"{P}-target-options", "data"),
                        prevent_initial_call=True)

    def result(ctx, msg_key, **kw):
        ctx = ctx or {}
        lang = "en" if ctx.get("lang") == "en" else "zh"
        rows = _visible(ctx.get("target"), ctx.get("unit"))
        opts = [{"label": f"#{r['id']} {r['target_id']}", "value": r["id"]} for r in rows]
        return table(rows, lang), t(msg_key, lang, **kw), opts

    @callback(Output(f"{P}-list", "children"), Output(f"{P}-msg", "children"), Output(f"{P}-pick", "options"),
              Input(f"{P}-add", "n_clicks"),
              State(f"{P}-ctx", "data"), State(f"{P}-target", "value"), State(f"{P}-unit", "value"),
              State(f"{P}-action", "value"), State(f"{P}-responsible", "value"), State(f"{P}-due", "value"),
              prevent_initial_call=True)
    def _add(n, ctx, target, unit, action, responsible, due):
        if not n:
            return no_update, no_update, no_update
        ctx = ctx if isinstance(ctx, dict) else {}
        try:
            fid = add(current_user(), ctx.get("target") or target, ctx.get("unit") or unit, action, responsible, due)
        except FollowupError as e:
            return no_update, t(e.key, "en" if ctx.get("lang") == "en" else "zh"), no_update
        return result(ctx, "fu_added", id=fid)

    @callback(Output(f"{P}-list", "children", allow_duplicate=True), Output(f"{P}-msg", "children", allow_duplicate=True),
              Output(f"{P}-pick", "options", allow_duplicate=True),
              Input(f"{P}-save", "n_clicks"), State(f"{P}-ctx", "data"), State(f"{P}-pick", "value"),
              State(f"{P}-state", "value"), prevent_initial_call=True)
    def _save(n, ctx, fid, state):
        if not n:
            return no_update, no_update, no_update
        ctx = ctx if isinstance(ctx, dict) else {}
        try:
            row = update(current_user(), fid, state=state)
        except FollowupError as e:
            return no_update, t(e.key, "en" if ctx.get("lang") == "en" else "zh"), no_update
        return result(ctx, "fu_saved", id=row["id"])


_register()
