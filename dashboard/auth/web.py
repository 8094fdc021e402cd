"""Flask glue: login page, sessions, the guard every request passes, the viewer's scope, audit calls.

- Flask-Login keeps the user id (and the user's session epoch) in Flask's signed session cookie
  (HttpOnly, SameSite=Lax, Secure over HTTPS or with GANSU_COOKIE_SECURE=1); idle and absolute time-outs
  are checked on every request.
- Flask-WTF's CSRFProtect checks every POST: the login and logout forms carry the token in a field, Dash's
  callbacks send it in the X-CSRFToken header, read from the `_csrf_token` cookie set here.
- `guard` (before_request) lets through only /login, the one-time link and /healthz without a session:
  pages redirect to /login, everything else gets 401. Dash callbacks naming a place outside the user's
  scope get 403.
- Optional single sign-on through a trusted reverse-proxy header (GANSU_SSO_HEADER), see README.
"""

from __future__ import annotations

import logging
import os
import time
from urllib.parse import parse_qs, urlencode

import flask
from flask import Blueprint, current_app, redirect, render_template, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf

from dashboard.auth import accounts, store
from dashboard.i18n import other_lang, t

log = logging.getLogger("dashboard.auth")

IDLE_S = int(os.environ.get("GANSU_SESSION_IDLE_MINUTES", "30")) * 60
ABSOLUTE_S = int(os.environ.get("GANSU_SESSION_MAX_HOURS", "10")) * 3600
TOUCH_S = 30  # the idle clock is written back to the cookie at most this often
PUBLIC_RULES = frozenset({"/login", "/login/once/<token>", "/healthz"})  # URL rules (not Dash's catch-all)
CSRF_COOKIE = "_csrf_token"
SSO_HEADER = os.environ.get("GANSU_SSO_HEADER", "").strip()  # e.g. X-Remote-User; empty = off
SSO_PROXIES = frozenset(p.strip() for p in os.environ.get("GANSU_SSO_PROXIES", "127.0.0.1,::1").split(",") if p.strip())

bp = Blueprint("gansu_auth", __name__, template_folder="templates")
login_manager = LoginManager()
csrf = CSRFProtect()
_clock = time.time  # tests move it


class User(UserMixin):
    def __init__(self, row: dict):
        self.uid = row["id"]
        self.name = row["name"]
        self.role = row["role"]
        self.scope_code = accounts.PROVINCE if row["role"] == "admin" else row["scope_code"]
        self.pii = bool(row["pii"])
        self.epoch = row["session_epoch"]

    def get_id(self) -> str:
        return f"{self.uid}:{self.epoch}"  # a new password or a disable bumps the epoch: old sessions end

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@login_manager.user_loader
def _load(user_id: str):
    try:
        uid, epoch = (int(x) for x in user_id.split(":"))
    except (ValueError, AttributeError):
        return None
    row = store.get_user_by_id(uid)
    if row is None or row["disabled"] or row["session_epoch"] != epoch:
        return None
    return User(row)


class _SessionInterface(SecureCookieSessionInterface):
    def get_cookie_secure(self, app) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or (flask.has_request_context() and request.is_secure)


# ---------------------------------------------------------------- setup
def init_app(app) -> None:
    """Wire accounts into a Dash app's Flask server (one call in app.create_app)."""
    server = app.server
    with store.init_lock():
        store.upgrade()
        server.secret_key = store.secret_key()
    server.session_interface = _SessionInterface()
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("GANSU_COOKIE_SECURE") == "1",
        SESSION_COOKIE_NAME="gansu_session", PERMANENT_SESSION_LIFETIME=ABSOLUTE_S,
        SESSION_REFRESH_EACH_REQUEST=False,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session (which has its own limits)
        MAX_FORM_MEMORY_SIZE=64 * 1024,
    )
    login_manager.session_protection = "basic"
    login_manager.init_app(server)
    server.register_blueprint(bp)
    server.before_request(guard)  # before CSRFProtect's check: anonymous requests get 401, not a CSRF error
    csrf.init_app(server)
    server.after_request(_csrf_cookie)
    server.register_error_handler(CSRFError, _csrf_error)


def set_store(url: str | None, app=None) -> None:
    """Switch the store (tests): configure, migrate, and re-read the signing secret."""
    store.configure(url)
    with store.init_lock():
        store.upgrade()
        key = store.secret_key()
    if app is not None:
        app.server.secret_key = key


def first_run(base_url: str) -> bool:
    """Admin + one-time link on an empty store; demo accounts only when the warehouse says meta.demo."""
    from dashboard import db
    from dashboard import queries as Q

    try:
        demo = Q.meta().get("demo") == "true"
    except db.WarehouseMissing:
        demo = False
    return accounts.first_run(base_url, demo)


# ---------------------------------------------------------------- the guard
def _is_page_request() -> bool:
    return (request.method == "GET" and not request.path.startswith(("/_dash", "/assets/", "/_reload"))
            and "text/html" in (request.headers.get("Accept") or ""))


def _refuse(status: int = 401):
    if status == 401 and _is_page_request():
        nxt = request.full_path if request.query_string else request.path
        return redirect("/login?" + urlencode({"next": nxt}))
    return flask.Response(t("http_401" if status == 401 else "http_403", _lang()), status=status,
                          mimetype="text/plain")


def _bearer():
    """/api/ with `Authorization: Bearer <token>`: that token's user for this request only (no session, no
    cookie). Any other Authorization on /api/, or a bad, revoked or disabled user's token: 401."""
    h = request.headers.get("Authorization")
    if h is None or not request.path.startswith("/api/"):
        return None
    scheme, _, token = h.partition(" ")
    row = store.api_token_user(token.strip()) if scheme.lower() == "bearer" else None
    if row is None:
        resp = flask.Response(t("http_401", _lang()), status=401, mimetype="text/plain")
        resp.headers["WWW-Authenticate"] = 'Bearer realm="gansu", error="invalid_token"'
        return resp
    flask.g._login_user = User(row)  # what flask_login.current_user reads
    flask.g.api_token = True
    return None


def guard():
    if request.url_rule is not None and request.url_rule.rule in PUBLIC_RULES:
        return None
    if request.headers.get("Authorization") is not None and request.path.startswith("/api/"):
        return _bearer()
    if SSO_HEADER:
        _sso()
    if not current_user.is_authenticated:
        return _refuse()
    now = _clock()
    t0, seen = session.get("_t0", 0), session.get("_seen", 0)
    if now - t0 > ABSOLUTE_S or now - seen > IDLE_S:
        _end_session("timeout")
        return _refuse()
    if now - seen > TOUCH_S:
        session["_seen"] = now
    flask.g.user_id = current_user.name  # heavy exports are limited per user (dashboard/web.py)
    if request.method == "POST" and request.path.endswith("/_dash-update-component"):
        if not callback_in_scope(request.get_json(silent=True)):
            return _refuse(403)
    return None


def _start_session(row: dict, how: str) -> None:
    session.clear()  # a fresh session (and CSRF token) at every login
    login_user(User(row))
    session.permanent = True
    session["_t0"] = session["_seen"] = _clock()
    store.audit(row["name"], "login", scope_code=row["scope_code"], detail=how)


def _end_session(event: str) -> None:
    if current_user.is_authenticated:
        store.audit(current_user.name, event, scope_code=current_user.scope_code)
    logout_user()
    session.clear()


def _sso() -> None:
    """Remote-user single sign-on: the proxy authenticates and names the user in SSO_HEADER. Trusted only from
    the proxy's addresses; the user must exist in the store and be enabled (no accounts made on the fly)."""
    name = request.headers.get(SSO_HEADER)
    if not name:
        return
    if request.remote_addr not in SSO_PROXIES:
        log.warning("ignored %s header from untrusted address %s", SSO_HEADER, request.remote_addr)
        return
    if current_user.is_authenticated and current_user.name == name:
        return
    row = store.get_user(name.strip())
    if row is None or row["disabled"]:
        if current_user.is_authenticated:
            _end_session("logout")
        return
    _start_session(row, "sso")


# ---------------------------------------------------------------- routes
def _lang() -> str:
    v = request.values.get("lang") if flask.has_request_context() else None
    return "en" if v == "en" else "zh"


def _safe_next(v: str | None) -> str:
    """Only a path of this app (never //host or a scheme): no open redirect."""
    if not v or not v.startswith("/") or v.startswith("//") or "\\" in v or "\r" in v or "\n" in v:
        return "/"
    return v


def _login_page(status: int = 200, error: str | None = None):
    lang = _lang()
    labels = {k: t(k, lang) for k in ("login_title", "login_user", "login_password", "login_submit")}
    html = render_template("login.html", lang=lang, other=other_lang(lang), labels=labels,
                           app_title=t("app_title", lang), switch=t("lang_switch", lang), error=error,
                           next=_safe_next(request.values.get("next")), csrf_token=generate_csrf())
    return flask.Response(html, status=status, mimetype="text/html")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(_safe_next(request.args.get("next")))
        return _login_page()
    name = (request.form.get("username") or "").strip()
    a = accounts.authenticate(name, request.form.get("password") or "")
    lang = _lang()
    if a.status == "ok":
        _start_session(a.user, "password")
        return redirect(_safe_next(request.form.get("next")))
    if a.user is not None:
        store.audit(a.user["name"], "login_failed", scope_code=a.user["scope_code"],
                    detail="locked" if a.status == "locked" else "bad password")
    if a.status == "locked":
        resp = _login_page(429, t("login_locked", lang, minutes=max(1, round(a.wait_s / 60)))
                           if a.wait_s >= 60 else t("login_wait", lang, seconds=a.wait_s))
        resp.headers["Retry-After"] = str(a.wait_s)
        return resp
    return _login_page(401, t("login_bad", lang))


@bp.route("/login/once/<token>")
def login_link(token: str):
    uid = store.redeem_login_token(token)
    row = store.get_user_by_id(uid) if uid else None
    if row is None or row["disabled"]:
        return _login_page(403, t("login_link_bad", _lang()))
    _start_session(row, "one-time link")
    return redirect("/")


@bp.route("/logout", methods=["POST"])
def logout():
    _end_session("logout")
    resp = redirect("/login")
    resp.delete_cookie(CSRF_COOKIE, path="/")
    return resp


def _csrf_error(e):
    if request.path == "/login":
        return _login_page(400, t("login_csrf", _lang()))
    return flask.Response(e.description, status=400, mimetype="text/plain")


def _csrf_cookie(resp):
    """The CSRF token for Dash's callbacks (dash-renderer sends the `_csrf_token` cookie as X-CSRFToken).
    Readable by the page's script, so not HttpOnly; SameSite and Secure like the session."""
    if current_user.is_authenticated and request.method == "GET" and resp.mimetype == "text/html":
        resp.set_cookie(CSRF_COOKIE, generate_csrf(), httponly=False, samesite="Lax", path="/",
                        secure=current_app.session_interface.get_cookie_secure(current_app))
    return resp


# ---------------------------------------------------------------- what the rest of the app asks
def request_scope_code() -> str | None:
    """The scope code the current viewer may see: the user's in a request (None when nobody is logged in:
    nothing), the province outside a request (the report CLI, the operator)."""
    if not flask.has_request_context():
        return accounts.PROVINCE
    if not current_user.is_authenticated:
        return None
    return current_user.scope_code


def pii_granted() -> bool:
    return flask.has_request_context() and current_user.is_authenticated and current_user.pii


def is_admin() -> bool:
    if not flask.has_request_context():
        return True
    return current_user.is_authenticated and current_user.is_admin


def home_code() -> str:
    """The user's own scope code (the default report / meeting scope)."""
    return request_scope_code() or accounts.PROVINCE


def os_user() -> str:
    """The operating-system account running this process (from the uid, not from $USER)."""
    import pwd

    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return f"uid{os.getuid()}"


def audit(event: str, target: str | None = None, rows: int | None = None, detail: str | None = None,
          who: str | None = None) -> None:
    """One audit row for the current user (a PII view, an export); outside a request `who` (default `cli:` and
    the OS user), with the province scope the CLI has. Never personal data in target/detail."""
    if flask.has_request_context() and current_user.is_authenticated:
        who, scope = current_user.name, current_user.scope_code
    else:
        who, scope = who or f"cli:{os_user()}", accounts.PROVINCE
    store.audit(who, event, scope_code=scope, target=target, row_count=rows, detail=detail)


def audit_frame(limit: int = 200):
    import pandas as pd

    cols = ["at", "username", "event", "scope_code", "target", "row_count", "detail"]
    rows = store.audit_rows(limit=limit)
    return pd.DataFrame([{k: r[k] for k in cols} for r in rows], columns=cols)


def callback_in_scope(body) -> bool:
    """Does a Dash callback request name only places the user may see? Reads the page stores it carries
    ({prefix}-filters, {prefix}-ctx, the meeting's state): prefecture, county and village codes."""
    from dashboard import queries as Q

    if not isinstance(body, dict):
        return True
    codes = set()
    for item in (body.get("inputs") or []) + (body.get("state") or []):
        for it in item if isinstance(item, list) else [item]:
            if not isinstance(it, dict) or not isinstance(it.get("id"), str):
                continue
            v = it.get("value")
            if not isinstance(v, dict):
                continue
            if it["id"].endswith(("-filters", "-ctx")):
                codes |= {str(v[k]) for k in ("prefecture", "county", "village") if v.get(k)}
            elif it["id"].endswith("-state"):  # meeting mode: its URL (scope=…) and the slides' places
                if isinstance(v.get("search"), str):
                    codes |= {str(x) for x in parse_qs(v["search"].lstrip("?")).get("scope", [])}
                for sl in v.get("slides") or []:
                    if isinstance(sl, list) and len(sl) == 2 and sl[1]:
                        codes.add(str(sl[1]))
    if not codes:
        return True
    scope = Q.viewer_scope()
    prefs = {c[:4] + "00" for c in scope}
    for c in codes:
        if c == accounts.PROVINCE:
            continue
        if c[:6] in scope or (len(c) == 6 and c in prefs):
            continue
        return False
    return True


def user_box(lang: str):
    """Header piece: who is logged in, and a logout form (POST with the CSRF token)."""
    from dash import dcc, html

    if not (flask.has_request_context() and current_user.is_authenticated):
        return None
    return html.Form(action="/logout", method="post", className="user-box", children=[
        html.Span(f"{current_user.name} · {current_user.scope_code}", className="user-name", id="user-name"),
        html.A(t("tok_title", lang), href=f"/account/tokens?lang={lang}", className="user-tokens", id="user-tokens"),
        dcc.Input(type="hidden", name="csrf_token", value=generate_csrf()),
        html.Button(t("logout", lang), type="submit", className="btn-logout", id="logout-button"),
    ])


__all__ = ["audit", "audit_frame", "os_user", "callback_in_scope", "first_run", "home_code", "init_app", "is_admin", "pii_granted",
           "request_scope_code", "set_store", "user_box"]
