"""404: the page Dash shows for an unknown path, with the normal header; and the HTTP status of a page request
(404 for an unknown page, county or village: the server answers before the browser renders)."""

from __future__ import annotations

import logging

import dash
from dash import dcc, html
from dash._pages import _parse_path_variables
from flask import request

from dashboard import components as C
from dashboard import db
from dashboard import queries as Q
from dashboard.i18n import t
from dashboard.pagekit import lang_of, page_start, page_state, safe_layout

dash.register_page(__name__, path="/404", name="not_found", title=C.page_title("tab_not_found"))

log = logging.getLogger("dashboard")


@safe_layout
def layout(**query):
    url_filters, _, _, _, children = page_start(query, "/")
    lang = lang_of(query)
    children += [C.message(t("not_found", lang), "error"),
                 dcc.Link(t("back_overview", lang), href=C.href("/", url_filters, county=None))]
    return html.Main(className="page", children=[*children, *page_state(url_filters)])


# a page's path variable → is it a place the viewer may see
_KNOWN = {
    "/county/<code>": lambda code: Q.county_info(code, Q.viewer_scope()) is not None,
    "/village/<code>": lambda code: Q.village_info(code, Q.viewer_scope()) is not None,
}


def page_status(path: str) -> int:
    """200 for a page that exists (a county or village the viewer may see), else 404."""
    for page in dash.page_registry.values():
        if page["module"] == __name__:
            continue
        if page.get("path_template"):
            found = _parse_path_variables(path, page["path_template"])
            if found is not None and "/" not in found.get("code", ""):
                known = _KNOWN.get(page["path_template"])
                return 200 if known is None or known(found.get("code", "")) else 404
        elif path == page["path"] or path.rstrip("/") == page["path"]:
            return 200
    return 404


def _not_found_status(response):
    """The app's page (the header and the 404 page render in the browser) with the status it deserves."""
    if (request.method != "GET" or response.status_code != 200 or response.mimetype != "text/html"
            or request.path.startswith(("/_dash", "/assets", "/_reload", "/_favicon"))
            or request.url_rule is None or request.url_rule.rule not in ("/", "/<path:path>")):
        return response  # only Dash's page routes: /login, /account/tokens … are Flask's own
    try:
        response.status_code = page_status(request.path)
    except db.WarehouseMissing:
        pass  # the page says so itself
    except Exception as e:  # noqa: BLE001 - a status check never breaks the page
        log.error("page status of %s: %s", request.path, type(e).__name__)
    return response


dash.get_app().server.after_request(_not_found_status)
