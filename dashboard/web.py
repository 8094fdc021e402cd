"""HTTP hardening in one place: security headers (flask-talisman), request size limit, `no-store` on
everything but static files, no server banner, `GET /healthz`, input checks for callbacks, and the
limiter for heavy exports (Word/PowerPoint, PNG/SVG/PDF).

`init_app(app)` wires it into the Dash app; README "Security and operations" says what it guarantees.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import logging
import os
import re
import sys
import tempfile
from pathlib import Path

import dash
import flask
import numpy as np
import orjson
import pandas as pd
from dash import html, no_update
from dash.development.base_component import Component
from flask_talisman import Talisman
from markupsafe import escape as html_escape
from plotly.io import _json as pj

from dashboard import db
from dashboard.i18n import LANGS, t
from etl import paths

log = logging.getLogger("dashboard")

STATIC_PREFIXES = ("/_dash-component-suites/", "/assets/", "/_favicon.ico", "/geo/")
BANNER = "gansu-monitor"  # what the Server header says instead of the server's name and version


def csp(app: dash.Dash) -> dict:
    """The Content-Security-Policy (README lists what each entry allows and why)."""
    return {
        "default-src": "'self'",
        # Dash's own inline scripts (the renderer start and the clientside callbacks) by hash, nothing else inline
        "script-src": ["'self'", *app.csp_hashes()],
        # plotly.js writes <style> rules and style attributes while it draws; Dash/React set style attributes
        "style-src": ["'self'", "'unsafe-inline'"],
        # plotly's modebar icons and the PNG the modebar's camera makes are data:/blob: URLs
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }


def init_app(app: dash.Dash) -> None:
    """Call once the pages are registered (the CSP hashes Dash's inline scripts)."""
    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = paths.MAX_REQUEST_BYTES
    # callback answers are gzipped per request (Flask-Compress): level 3 costs half of level 6's CPU for ~9 %
    # more bytes (a county page: 1.3 vs 2.8 ms, 44 vs 40 KB)
    server.config["COMPRESS_LEVEL"] = 3
    Talisman(
        server,
        content_security_policy=csp(app),
        frame_options="DENY",
        referrer_policy="same-origin",
        x_content_type_options=True,
        # plain HTTP on the intranet by default; behind TLS set GANSU_HTTPS=1
        force_https=paths.HTTPS, strict_transport_security=paths.HTTPS, session_cookie_secure=paths.HTTPS,
        permissions_policy={"camera": "()", "microphone": "()", "geolocation": "()", "browsing-topics": "()"},
    )

    def _bound_body():
        n = flask.request.content_length
        if n is not None and n > paths.MAX_REQUEST_BYTES:
            flask.abort(413)

    server.before_request_funcs.setdefault(None, []).insert(0, _bound_body)  # before the login guard too
    server.before_request_funcs[None].insert(0, _node_available)

    @server.after_request
    def _headers(resp: flask.Response):
        if not flask.request.path.startswith(STATIC_PREFIXES):
            # pages, callback answers (household rows on the village page) and downloads: never stored
            resp.headers["Cache-Control"] = "no-store"
            resp.headers["Pragma"] = "no-cache"
        return resp

    server.wsgi_app = _ChunkedLimit(server.wsgi_app, paths.MAX_REQUEST_BYTES)
    server.add_url_rule("/healthz", "healthz", healthz)
    _quiet_server_banner()
    use_fast_json()


# ---------------------------------------------------------------- scripts loaded when first used
# The first render of a page waits for every <script> in it; plotly.js (1.4 MB) and AG Grid (1.3 MB) are not
# needed for it: assets/lazy_scripts.js loads each when the first chart or grid mounts, from these URLs.
PLOTLY_ASSET = "plotly-gansu.min.js"  # assets_ignore keeps it out of the page (app.py)
AG_GRID_BUNDLE = {"relative_package_path": "dash_ag_grid.min.js", "namespace": "dash_ag_grid"}


def load_ag_grid_when_used() -> None:
    """Before the app is built: AG Grid's bundle is served but not put in the page."""
    import dash_ag_grid

    for res in dash_ag_grid._js_dist:
        if res.get("relative_package_path") == AG_GRID_BUNDLE["relative_package_path"]:
            res["dynamic"] = True


def drop_babel_polyfill() -> None:
    """Before the app is built: Dash's @babel/polyfill (core-js 2 for old browsers, ~80 ms to evaluate, the
    largest script before the first render) is left out of the page. Of it the bundles need only
    regeneratorRuntime (their lazy-component loaders), which assets/regenerator-runtime.js defines."""
    from dash import _dash_renderer

    for dep in _dash_renderer._js_dist_dependencies:
        for urls in (*dep["relative_package_path"].values(), *dep["external_url"].values()):
            urls[:] = [u for u in urls if "polyfill@" not in u]


def lazy_script_metas(app: dash.Dash) -> str:
    """<meta> tags with the two bundles' URLs, stamped as Dash stamps its own (cached for a year, renamed
    when the file changes)."""
    asset = Path(app.config.assets_folder) / PLOTLY_ASSET
    urls = {"plotly": f"{app.get_asset_url(PLOTLY_ASSET)}?m={asset.stat().st_mtime}",
            "ag-grid": app._collect_and_register_resources([AG_GRID_BUNDLE])[0]}
    return "".join(f'<meta name="gansu-lazy-{k}" content="{html_escape(v)}">' for k, v in urls.items())


# ---------------------------------------------------------------- JSON of callback answers and the layout
def to_json(value) -> str:
    """plotly.io.json.to_json_plotly's output, ~5x faster on a page: its orjson path fails on the first Dash
    component in a page and then walks every value of the page in Python (clean_to_json_compatible, ~10 ms a
    page); here orjson asks for only the values it cannot write itself (components, Series, ...), which get
    plotly's own cleaning. Same escaping of <, >, &, U+2028/9 (_safe). Anything orjson refuses: plotly's."""
    try:
        out = orjson.dumps(value, default=_json_default, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY)
    except TypeError:
        return pj.to_json_plotly(value)
    return pj._safe(out.decode("utf8"), pj._swap_orjson)


_PLOTLY_MODULES = {"sage_all": None, "np": np, "pd": pd, "image": None}  # what plotly's cleaning may meet


def _component_json(obj) -> dict:
    """Component.to_plotly_json, without its hasattr per prop name and wildcard scan per attribute (~5 % of a
    page's CPU): the same dict, key for key."""
    d = obj.__dict__
    props = {p: d[p] for p in obj._prop_names if p in d}
    wild = tuple(obj._valid_wildcard_attributes)
    props.update({k: v for k, v in d.items() if k.startswith(wild)})
    return {"props": props, "type": obj._type, "namespace": obj._namespace}


def _json_default(obj):
    if getattr(type(obj), "to_plotly_json", None) is Component.to_plotly_json:  # Series etc. have none
        return _component_json(obj)
    if hasattr(obj, "to_plotly_json"):
        return obj.to_plotly_json()
    cleaned = pj.clean_to_json_compatible(obj, numpy_allowed=True, datetime_allowed=True, modules=_PLOTLY_MODULES)
    if cleaned is obj:
        raise TypeError(f"not JSON serializable: {type(obj).__name__}")
    return cleaned


def use_fast_json() -> None:
    """Dash writes every callback answer and the layout with dash._utils.to_json (imported by name)."""
    import dash._callback
    import dash.dash

    dash._callback.to_json = to_json
    dash.dash.to_json = to_json


class _ChunkedLimit:
    """A body sent without a length (chunked) is read up to the limit here and handed on with its length,
    so the limit above answers 413 for it too."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    def __call__(self, environ, start_response):
        if not environ.get("CONTENT_LENGTH") and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            data = environ["wsgi.input"].read(self.limit + 1)
            environ["wsgi.input"] = io.BytesIO(b"" if len(data) > self.limit else data)
            environ["CONTENT_LENGTH"] = str(len(data))
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            environ["wsgi.input_terminated"] = False
        return self.app(environ, start_response)


def healthz():
    """For operators and load balancers: which warehouse this worker serves. No data, no login.
    A cluster node that is draining or has no verified version answers 503 (README "Running on several machines")."""
    ok, why = db.available()
    try:
        body = {"status": why, **db.status()}
        code = 200 if ok else 503
    except db.WarehouseMissing:
        body, code = {"status": "unavailable", "warehouse_version": None}, 503
    body["worker"] = os.getpid()
    return flask.jsonify(body), code


def _node_available():
    """A cluster node that cannot serve answers 503 at once, so nginx passes the request to another node."""
    if db.folder() is None or flask.request.path == "/healthz" or flask.request.path.startswith(STATIC_PREFIXES):
        return None
    ok, why = db.available()
    if not ok:
        return flask.Response(why, status=503, headers={"Retry-After": "1"}, mimetype="text/plain")
    return None


def _quiet_server_banner() -> None:
    """gunicorn writes `Server: gunicorn` itself, whatever the app says: name the product instead (in the
    worker, before it serves; gunicorn reads this module global for every response)."""
    wsgi = sys.modules.get("gunicorn.http.wsgi")
    if wsgi is not None:
        wsgi.SERVER = BANNER


# ------------------------------------------------------------------ callback inputs
_CODE = {"county": re.compile(r"\d{6}"), "village": re.compile(r"\d{12}"), "prefecture": re.compile(r"\d{6}")}
MAX_QUERY_VALUE = 64  # longest URL parameter value a page reads (codes, quarters, metric names)


def is_code(value, kind: str) -> bool:
    """A county/prefecture code is 6 digits, a village code 12 (checked before any use)."""
    return isinstance(value, str) and len(value) <= 12 and _CODE[kind].fullmatch(value) is not None


TARGET_ID = re.compile(r"[a-z0-9_]{1,64}")


def clean_ctx(ctx_data) -> dict | None:
    """A page context from the browser ({"county": ..., "village": ...}) if well-formed, else None."""
    if ctx_data is None:
        return {}
    if not isinstance(ctx_data, dict) or len(ctx_data) > 4:
        return None
    out = {}
    for k, v in ctx_data.items():
        if k == "target" and isinstance(v, str) and TARGET_ID.fullmatch(v):  # a plan target's id (/targets)
            out[k] = v
            continue
        if k not in ("county", "village") or not is_code(v, k):
            return None
        out[k] = v
    return out


def clean_query(query: dict) -> dict:
    """URL parameters bounded before use: short strings only (a repeated parameter keeps its last value)."""
    out = {}
    for k, v in list(query.items())[:32]:
        if isinstance(v, (list, tuple)):
            v = v[-1] if v else ""
        if isinstance(k, str) and len(k) <= 32 and (v is None or isinstance(v, (str, int, float))):
            out[k] = v if not isinstance(v, str) or len(v) <= MAX_QUERY_VALUE else v[:MAX_QUERY_VALUE] + "…"
    return out


def short_values(values, limit: int = MAX_QUERY_VALUE) -> bool:
    """Control values (dropdowns, radio items) are None or short strings."""
    return all(v is None or (isinstance(v, str) and len(v) <= limit) for v in values)


# ------------------------------------------------------------------ heavy exports
class Busy(Exception):
    """No slot free for a heavy export (this client already runs one, or the node's slots are taken)."""


def _lock_dir() -> Path:
    d = Path(paths.HEAVY_LOCK_DIR or Path(tempfile.gettempdir()) / f"gansu-exports-{os.getuid()}")
    d.mkdir(mode=0o700, parents=True, exist_ok=True)
    return d


def _try_lock(path: Path):
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def client_id() -> str:
    """Who asks: the signed-in user when there is one (flask.g.user_id), else the client address."""
    user = getattr(flask.g, "user_id", None) if flask.has_request_context() else None
    if user:
        return f"user:{user}"
    return f"addr:{flask.request.remote_addr}" if flask.has_request_context() else "local"


@contextlib.contextmanager
def heavy_slot(client: str | None = None):
    """One heavy export per client at a time, and at most paths.HEAVY_EXPORT_SLOTS on this node (all
    workers: file locks), so a few clients cannot hold both cores. Raises Busy at once, never queues."""
    d = _lock_dir()
    who = hashlib.sha256((client or client_id()).encode()).hexdigest()[:16]
    mine = _try_lock(d / f"client-{who}.lock")
    if mine is None:
        raise Busy("client")
    slot = None
    try:
        for i in range(paths.HEAVY_EXPORT_SLOTS):
            slot = _try_lock(d / f"slot-{i}.lock")
            if slot is not None:
                break
        if slot is None:
            raise Busy("node")
        yield
    finally:
        for fd in (slot, mine):
            if fd is not None:
                os.close(fd)  # closing the descriptor releases its lock


STATUS_ID = "export-status"  # the shell's status line (app.py), hidden while empty
HIDDEN = {"display": "none"}


SESSION_NOTICE_ID = "session-expired"  # shown by assets/session.js when a callback gets 401


def session_notice():
    """The shell's "session ended, log in again" notice, hidden; both languages (the page's is shown)."""
    return html.Div(id=SESSION_NOTICE_ID, className="notice session-expired", role="alert", style=HIDDEN, children=[
        html.Span(lang=lang, className=f"session-{lang}", children=[
            t("session_expired", lang), " ", html.A(t("session_login_again", lang), href="/login", className="relogin")])
        for lang in LANGS])


def run_heavy(build, lang: str):
    """`build()` under the export limiter; when busy, say so on the page and send nothing."""
    try:
        with heavy_slot():
            out = build()
    except Busy as e:
        log.info("heavy export refused: %s busy", e)
        dash.set_props(STATUS_ID, {"children": t("busy", lang), "style": {}})
        return no_update
    dash.set_props(STATUS_ID, {"children": "", "style": HIDDEN})
    return out
