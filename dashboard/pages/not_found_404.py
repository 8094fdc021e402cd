"""404 page."""

import dash
from dash import dcc, html

from dashboard.i18n import t
from dashboard.pagekit import lang_of

dash.register_page(__name__, path="/404", name="not_found", title="404")


def layout(**query):
    lang = lang_of(query)
    return html.Main(className="page", children=[
        html.H2(t("not_found", lang)), dcc.Link(t("back_overview", lang), href="/" + ("?lang=en" if lang == "en" else ""))])
