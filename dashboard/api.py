"""The data API (issue #13): every chart and table of the registry (dashboard.charts.CHARTS) as CSV, XLSX
or JSON, with the page's query parameters, in the viewer's scope.

    GET /api/index.json                  every chart: name, titles (zh/en), formats, parameters, URLs
    GET /api/<name>.csv|.xlsx|.json?…    the rows behind chart <name> (the same rows as its download)

- Who: the browser session, or `Authorization: Bearer <token>` (a per-user token, dashboard/auth/store.py;
  the guard in dashboard/auth/web.py checks it). Scope and the personal-data grant are the user's.
- Parameters: those of the page (Filters.parse) plus `county` / `village` for a county's or village's
  tables. A bad or unknown parameter is refused with 400 and a message (never silently defaulted); a place
  outside the viewer's scope gets 403.
- Bounded: query string length, MAX_ROWS rows per answer (413 beyond). Every answer is audited
  (who, chart, format, scope, rows) and sent with Cache-Control: no-store.
"""

from __future__ import annotations

import json
import math
import os
import re
from urllib.parse import quote

import flask
import pandas as pd
from flask import Blueprint, request

from dashboard import auth, charts, exports
from dashboard import queries as Q
from dashboard.filters import Filters
from dashboard.i18n import CATALOG, other_lang, t

bp = Blueprint("gansu_api", __name__)
FORMATS = ("csv", "xlsx", "json")
MIME = {"csv": "text/csv; charset=utf-8", "json": "application/json",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
MAX_ROWS = int(os.environ.get("GANSU_API_MAX_ROWS", "100000"))
MAX_QUERY = 1024  # bytes of query string
FILTER_PARAMS = ("prefecture", "county", "ctype", "deep", "pathway", "as_of", "level", "metric", "view", "lang")
_VILLAGE = re.compile(r"^\d{12}$")


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def params_of(name: str) -> tuple[str, ...]:
    """The query parameters chart `name` takes (a county's / village's table needs its code)."""
    context = charts.CHARTS[name].context
    if context == "county":
        return ("county", "as_of", "lang")
    if context == "village":
        return ("village", "as_of", "lang")
    if context == "target":  # a plan target's detail (/targets?target=<id>)
        return ("target", "prefecture", "county", "as_of", "lang")
    return FILTER_PARAMS


def _title(name: str, lang: str) -> str:
    key = f"ch_{name}"
    return t(key, lang) if key in CATALOG else name


def index() -> dict:
    base = request.host_url.rstrip("/")
    out = []
    for name, chart in charts.CHARTS.items():
        required = [p for p in ("county", "village", "target") if p == chart.context]
        out.append({
            "name": name, "title": {"zh": _title(name, "zh"), "en": _title(name, "en")},
            "formats": list(FORMATS), "parameters": list(params_of(name)), "required": required,
            "urls": {fmt: f"{base}/api/{name}.{fmt}" for fmt in FORMATS},
        })
    return {"charts": out, "auth": "session cookie or 'Authorization: Bearer <token>'",
            "max_rows": MAX_ROWS}


# ---------------------------------------------------------------- request → filters, scope, context
def parse_request(name: str, args) -> tuple[Filters, frozenset, dict]:
    """The query → (filters, viewer's scope, page context); ApiError 400 for a bad value, 403 out of scope."""
    if len(request.query_string) > MAX_QUERY:
        raise ApiError(414, "query string too long")
    allowed = params_of(name)
    unknown = sorted(k for k in args if k not in allowed)
    if unknown:
        raise ApiError(400, f"unknown parameter(s): {', '.join(unknown)}; {name} takes: {', '.join(allowed)}")
    if any(len(args.getlist(k)) > 1 for k in args):
        raise ApiError(400, "a parameter given twice")
    q = {k: args[k] for k in args}
    village = q.pop("village", "").strip()
    target = q.pop("target", "").strip()
    f = Filters.parse(q, quarters=Q.quarters())
    if f.notices:
        raise ApiError(400, "; ".join(f.notices))
    f = Q.resolve(f)
    scope = Q.viewer_scope()
    prefs = {c[:4] + "00" for c in scope}
    for code in (f.county, f.prefecture):
        if code and not Q.place_exists(code):
            raise ApiError(400, f"unknown place {code}")
    if f.county and f.county not in scope or f.prefecture and f.prefecture not in prefs:
        raise ApiError(403, "outside your scope")
    ctx: dict = {}
    context = charts.CHARTS[name].context
    if context == "county":
        if not f.county:
            raise ApiError(400, f"{name} needs county=<6-digit county code>")
        ctx = {"county": f.county}
    elif context == "village":
        if not _VILLAGE.match(village):
            raise ApiError(400, f"{name} needs village=<12-digit village code>")
        if not Q.place_exists(village):
            raise ApiError(400, f"unknown place {village}")
        if village[:6] not in scope:
            raise ApiError(403, "outside your scope")
        ctx = {"village": village}
    elif context == "target":
        if not target or not Q.has_targets() or target not in set(Q.plan_targets()["id"]):
            raise ApiError(400, f"{name} needs target=<a target id of /api/targets.json>")
        ctx = {"target": target}
    return f, scope, ctx


# ---------------------------------------------------------------- the rows and the files
def rows(name: str, f: Filters, scope, ctx: dict) -> tuple[pd.DataFrame, bool]:
    """(the rows of chart `name`'s download, unmasked?): households unmasked only for a granted user."""
    pii = name == "households" and auth.pii_granted()
    if pii:
        return Q.households(f, ctx.get("village", ""), scope, pii=True), True
    return charts.chart_data(name, f, scope, ctx), False


def _cell(v):
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
        return None
    if hasattr(v, "hour"):  # a datetime: a date when at midnight (as the CSV writes it)
        return v.date().isoformat() if not (v.hour or v.minute or v.second) else v.isoformat(sep=" ")
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if hasattr(v, "item"):  # numpy scalar
        return v.item()
    return v


def json_doc(name: str, df: pd.DataFrame, f: Filters, scope, ctx: dict) -> dict:
    """The download's table (dashboard.exports.present: the screen's headers, labels and rounding; cells
    inert, codes as text) with what the file would say about itself in `meta`."""
    info = exports.file_info(name, f, scope, ctx)
    tab = exports._inert(exports._textify_codes(exports.present(df, name, f.lang)))
    return {
        "meta": {
            "chart": name, "title": info.title, "scope": info.scope, "scope_code": auth.home_code(),
            "as_of": {"quarter": f.as_of.label if f.as_of else None, "text": info.quarter, "date": info.as_of},
            "source": info.source, "demo": info.demo, "generated": info.generated.isoformat(timespec="seconds"),
            "rule": info.rule,
        },
        "columns": [str(c) for c in tab.columns],
        "rows": [[_cell(v) for v in r] for r in tab.astype(object).itertuples(index=False, name=None)],
    }


def body(name: str, fmt: str, df: pd.DataFrame, f: Filters, scope, ctx: dict) -> bytes:
    if fmt == "json":
        return json.dumps(json_doc(name, df, f, scope, ctx), ensure_ascii=False, allow_nan=False).encode()
    return exports.chart_file(name, f, scope, ctx, fmt, rows=df)  # the download's own file


# ---------------------------------------------------------------- routes
def _answer(data: bytes, mimetype: str, status: int = 200) -> flask.Response:
    resp = flask.Response(data, status=status, mimetype=mimetype)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def _error(e: ApiError) -> flask.Response:
    return _answer(json.dumps({"error": e.message}, ensure_ascii=False).encode(), "application/json", e.status)


@bp.route("/api/index.json")
def api_index():
    return _answer(json.dumps(index(), ensure_ascii=False).encode(), "application/json")


@bp.route("/api/<name>.<fmt>")
def api_chart(name: str, fmt: str):
    if name not in charts.CHARTS or fmt not in FORMATS:
        return _error(ApiError(404, "no such chart or format; see /api/index.json"))
    try:
        f, scope, ctx = parse_request(name, request.args)
    except ApiError as e:
        return _error(e)
    df, pii = rows(name, f, scope, ctx)
    target = ctx.get("village") or ctx.get("county") or f.county or f.prefecture or name
    if len(df) > MAX_ROWS:
        auth.audit("api_refused", target=target, rows=len(df), detail=f"{name} {fmt} over {MAX_ROWS} rows")
        return _error(ApiError(413, f"{len(df)} rows, more than {MAX_ROWS}: narrow the query"))
    auth.audit("api_pii_export" if pii else "api_export", target=target, rows=len(df),
               detail=f"{name} {fmt} {f.as_of or ''} {request.query_string.decode()[:120]}")
    resp = _answer(body(name, fmt, df, f, scope, ctx), MIME[fmt])
    fname = charts.filename(name, f, scope, ctx, fmt)
    resp.headers["Content-Disposition"] = f"attachment; filename=\"{name}.{fmt}\"; filename*=UTF-8''{quote(fname)}"
    return resp


# ---------------------------------------------------------------- the user's own tokens (session only)
def _when(v) -> str:
    from dashboard.auth import store

    return store.utc(v).strftime("%Y-%m-%d %H:%M") + " UTC" if v else "-"


@bp.route("/account/tokens", methods=["GET", "POST"])
def account_tokens():
    """List, create (shown once) and revoke the logged-in user's API tokens. Not reachable with a token
    (the Bearer check applies to /api/ only; elsewhere a session is needed); POSTs carry the CSRF token."""
    from flask_login import current_user
    from flask_wtf.csrf import generate_csrf

    from dashboard.auth import store

    lang = "en" if request.args.get("lang") == "en" else "zh"
    new_token = None
    if request.method == "POST":
        if request.form.get("revoke"):
            try:
                tid = int(request.form["revoke"])
            except ValueError:
                return _error(ApiError(400, "bad token id"))
            if store.revoke_api_token(tid, current_user.uid):
                auth.audit("api_token_revoke", target=str(tid))
        else:
            tid, new_token = store.create_api_token(current_user.uid, (request.form.get("label") or "").strip()[:64])
            auth.audit("api_token_create", target=str(tid))
    tokens = [{"id": r["id"], "label": r["label"], "created": _when(r["created_at"]), "used": _when(r["last_used_at"]),
               "revoked": r["revoked_at"] and _when(r["revoked_at"])} for r in store.list_api_tokens(current_user.uid)]
    keys = ("tok_title", "tok_intro", "tok_label", "tok_create", "tok_once", "tok_revoke", "tok_revoked", "tok_created",
            "tok_used")
    html = flask.render_template("api_tokens.html", lang=lang, other=other_lang(lang),
                                 labels={k: t(k, lang) for k in keys}, app_title=t("app_title", lang),
                                 switch=t("lang_switch", lang), user=current_user.name, tokens=tokens,
                                 new_token=new_token, csrf_token=generate_csrf())
    resp = flask.Response(html, mimetype="text/html")
    resp.headers["Cache-Control"] = "no-store"
    return resp
