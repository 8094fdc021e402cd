"""Gansu poverty-exit monitor – Dash app.

    python app.py [--port 8050] [--db FILE] [--host 127.0.0.1] [--workers 1]   (runs gunicorn, as production)
    python app.py --debug          (Flask's debug server with tracebacks: 127.0.0.1 only)
    gunicorn app:server            (GANSU_DB=FILE selects the warehouse)

Everything is served locally (scripts, styles, map topology, geometry): the app loads nothing from
outside. The warehouse is opened read-only, lazily, per process (dashboard.db).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

import dash
import flask
from dash import Input, Output, dcc, html

from dashboard import api, auth, db, geoprep, web
from etl import paths

HERE = Path(__file__).resolve().parent


def html_lang(lang_values: list[str]) -> str:
    """<html lang> of a page: the URL's last `lang` (as pagekit.lang_of), Chinese unless it says English."""
    return "en" if lang_values and lang_values[-1] == "en" else "zh-CN"


class App(dash.Dash):
    index_metas = ""  # where the scripts find plotly.js, AG Grid (web.lazy_script_metas) and the map geometry

    def interpolate_index(self, **kw):
        """The page's language on <html> (screen readers, hyphenation, axe's html-has-lang)."""
        lang = html_lang(flask.request.args.getlist("lang")) if flask.has_request_context() else "zh-CN"
        kw["metas"] = kw.get("metas", "") + self.index_metas
        return super().interpolate_index(**kw).replace("<html>", f'<html lang="{lang}">', 1)


# after a language switch inside the app (a link, no reload), the same rule in the browser
dash.clientside_callback(
    """function (search) {
        const v = new URLSearchParams(search || "").getAll("lang");
        document.documentElement.lang = v.length && v[v.length - 1] === "en" ? "en" : "zh-CN";
        return window.dash_clientside.no_update;
    }""",
    Output("html-lang", "data"), Input("_pages_location", "search"))


def shell():
    return html.Div(className="app", children=[
        dcc.Download(id="download"),
        dcc.Store(id="html-lang"),
        html.Div(id=web.STATUS_ID, className="notice", role="status", style=web.HIDDEN),  # "busy, try again"
        web.session_notice(),  # "session ended: log in again" (assets/session.js)
        dash.page_container,
    ])


def create_app() -> dash.Dash:
    web.load_ag_grid_when_used()
    web.drop_babel_polyfill()
    app = App(
        __name__,
        use_pages=True,
        pages_folder=str(HERE / "dashboard" / "pages"),
        assets_folder=str(HERE / "dashboard" / "assets"),
        assets_ignore=re.escape(web.PLOTLY_ASSET),  # loaded when the first chart mounts (assets/lazy_scripts.js)
        serve_locally=True,
        compress=True,  # gzip: plotly.js (assets/plotly-gansu.min.js, see dashboard/plotlyjs/) is 1.4 MB uncompressed
        suppress_callback_exceptions=True,
        title="甘肃省脱贫攻坚进度监测",
        update_title=None,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.layout = shell
    auth.init_app(app)  # login, sessions, CSRF, the guard on every request (dashboard/auth)
    app.server.register_blueprint(api.bp)  # /api/index.json, /api/<chart>.csv|xlsx|json (dashboard/api.py)
    # Dash fills its script registry and callback map on the first request, but sets its "done" flag
    # before filling them: with threaded workers, requests racing the first one get 500s
    # ("not a registered library", plotly/dash#3971). Fill them now, before any request (this also
    # registers the pages router and its inline script, which the CSP must hash).
    with app.server.test_request_context("/"):
        app.server.preprocess_request()
    geoprep.init_app(app)  # the map geometry, fetched by the browser when its first map draws
    app.index_metas = web.lazy_script_metas(app) + geoprep.geometry_meta(app)
    web.init_app(app)  # headers, limits, /healthz (after the pages: the CSP hashes their inline scripts)
    return app


app = create_app()
server = app.server


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=paths.APP_PORT)
    ap.add_argument("--host", default=paths.APP_HOST)
    ap.add_argument("--db", default=None, help=f"warehouse file (default {paths.WAREHOUSE})")
    ap.add_argument("--workers", type=int, default=1, help="gunicorn workers (production: one per core)")
    ap.add_argument("--debug", action="store_true", help="debug server with tracebacks, on 127.0.0.1 only")
    a = ap.parse_args(argv)
    if a.debug and a.host not in ("127.0.0.1", "localhost"):
        ap.error("--debug shows tracebacks and runs code sent to it: it serves on 127.0.0.1 only")
    if a.db:
        db.configure(a.db)
    auth.first_run(f"http://{'127.0.0.1' if a.host in ('0.0.0.0', '::') else a.host}:{a.port}")
    if a.debug:
        app.run(host="127.0.0.1", port=a.port, debug=True)
        return
    env = dict(os.environ, **({"GANSU_DB": str(Path(a.db).resolve())} if a.db else {}))
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    os.execve(gunicorn, [gunicorn, "-w", str(a.workers), "--threads", "4", "--reuse-port", "--keep-alive", "30",
                         "--chdir", str(HERE), "-b", f"{a.host}:{a.port}", "app:server"], env)


if __name__ == "__main__":
    main()
