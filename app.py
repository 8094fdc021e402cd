"""Gansu poverty-exit monitor – Dash app.

    python app.py [--port 8050] [--db FILE] [--host 127.0.0.1]
    gunicorn app:server            (GANSU_DB=FILE selects the warehouse)

Everything is served locally (scripts, styles, map topology, geometry): the app loads nothing from
outside. The warehouse is opened read-only, lazily, per process (dashboard.db).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import dash
from dash import dcc, html

from dashboard import auth, db
from etl import paths

HERE = Path(__file__).resolve().parent


def _geo_data() -> dict | None:
    """County and prefecture geometry, sent to the browser once per visit in the shell's store."""
    try:
        from dashboard.geoprep import map_geometry

        return map_geometry()
    except Exception as e:  # noqa: BLE001 - the app still runs without a map
        logging.getLogger("dashboard").error("boundaries not available: %s", e)
        return None


def shell():
    return html.Div(className="app", children=[
        dcc.Store(id="geo-store", data=_geo_data()),
        dcc.Download(id="download"),
        dash.page_container,
    ])


def create_app() -> dash.Dash:
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder=str(HERE / "dashboard" / "pages"),
        assets_folder=str(HERE / "dashboard" / "assets"),
        serve_locally=True,
        compress=True,  # gzip: plotly.js (assets/plotly-gansu.min.js, see dashboard/plotlyjs/) is 1.4 MB uncompressed
        suppress_callback_exceptions=True,
        title="甘肃省脱贫攻坚进度监测",
        update_title=None,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.layout = shell
    auth.init_app(app)  # login, sessions, CSRF, the guard on every request (dashboard/auth)
    # Dash fills its script registry and callback map on the first request, but sets its "done" flag
    # before filling them: with threaded workers, requests racing the first one get 500s
    # ("not a registered library", plotly/dash#3971). Fill them now, before any request.
    with app.server.app_context():
        app._setup_server()
    return app


app = create_app()
server = app.server


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=paths.APP_PORT)
    ap.add_argument("--host", default=paths.APP_HOST)
    ap.add_argument("--db", default=None, help=f"warehouse file (default {paths.WAREHOUSE})")
    ap.add_argument("--debug", action="store_true")
    a = ap.parse_args(argv)
    if a.db:
        db.configure(a.db)
    auth.first_run(f"http://{'127.0.0.1' if a.host in ('0.0.0.0', '::') else a.host}:{a.port}")
    app.run(host=a.host, port=a.port, debug=a.debug)


if __name__ == "__main__":
    main()
