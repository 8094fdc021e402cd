"""总览 Overview: province or one prefecture."""

from __future__ import annotations

import dash
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import charts
from dashboard import components as C
from dashboard import queries as Q
from dashboard.filters import LEVELS, Filters
from dashboard.i18n import t
from dashboard.metrics import METRICS
from dashboard.pagekit import (
    LOCATION,
    attach_geometry,
    figure_or_message,
    geo_config,
    page_start,
    page_state,
    safe_layout,
    url_sync,
)

dash.register_page(__name__, path="/", name="overview", title=C.page_title("tab_overview"), order=0)

P = "ov"


@safe_layout
def layout(**query):
    url_filters, filters, scope, meta, children = page_start(query, "/")
    lang = url_filters.lang
    if meta.get("demo") == "true":
        children.append(html.Div(t("demo_notice", lang), className="demo-notice"))
    bar = C.filter_bar(filters, Q.prefectures(scope), Q.counties(scope), Q.quarters(), prefix=P,
                       url_filters=url_filters)
    bar.children.insert(1, _county_picker(filters, Q.counties(scope), lang))
    children.append(bar)
    if not filters.as_of:
        children.append(C.message(t("empty", lang)))
        return html.Main(className="page", children=children + page_state(url_filters, P))
    share, basis, basis_year, _ = charts.seasonal(filters)
    k = charts.kpis(filters, scope)
    children += [
        html.Div(className="kpis", children=[C.kpi_card(lv, k[lv], filters) for lv in LEVELS]),
        C.rule_text(filters, share, basis, basis_year, filters.as_of_date),
        html.Div(className="grid-2", children=[
            C.graph_card("schedule", f"{P}-schedule", lang, height=440, figure=figure_or_message("schedule", filters),
                         extra=C.view_choice(P, url_filters)),
            html.Div([
                C.graph_card("ranking", f"{P}-ranking", lang, height=440, cls="scroll",
                             figure=figure_or_message("ranking", filters), defer="soon"),
                C.ranking_table(charts.chart_data("ranking", filters, scope), url_filters, lang,
                                county_level=bool(filters.prefecture or filters.county)),
            ]),
        ]),
        C.graph_card("map", f"{P}-map", lang, height=640, config=geo_config(), extra=html.Div(className="ctl-inline", children=[
            html.Label(t("f_metric", lang), htmlFor=f"{P}-metric"),
            dcc.Dropdown(id=f"{P}-metric", value=url_filters.metric, clearable=False, searchable=False, style={"minWidth": "320px"},
                         options=[{"label": t(f"m_{m}", lang), "value": m} for m in METRICS], **C.dd_text(lang)),
            html.Span(t("map_click_hint", lang), className="hint"),
        ]), defer=True),  # below the fold at 1350 x 940: drawn as it nears the screen, or once the page is idle
        C.graph_card("pathways", f"{P}-pathways", lang, height=460, figure=figure_or_message("pathways", filters),
                     defer=True),
        # the map without geometry: the browser attaches the boundaries sent once per visit
        dcc.Store(id=f"{P}-map-raw", data=figure_or_message("map", filters, height=640)),
    ]
    children += page_state(url_filters, P)
    return html.Main(className="page", children=children)


def _county_picker(f: Filters, counties, lang: str):
    """Keyboard route to a county: type or choose one, Enter opens its page (the map and ranking need a mouse)."""
    dd = C._dd(f"{P}-county", t("go_county", lang), C.county_options(counties, f.prefecture), None, lang=lang)
    dd.children[1].placeholder = t("go_county_ph", lang)
    dd.className += " ctl-county"
    return dd


@callback(
    Output(LOCATION, "pathname", allow_duplicate=True),
    Output(LOCATION, "search", allow_duplicate=True),
    Input(f"{P}-county", "value"),
    State(f"{P}-filters", "data"),
    prevent_initial_call=True,
)
def _open_county(code, data):
    if not isinstance(code, str) or not code.isdigit() or len(code) != 6:
        return no_update, no_update
    return f"/county/{code}", Filters.parse(data or {}).to_search() or ""


url_sync(P, {"prefecture": f"{P}-prefecture", "ctype": f"{P}-ctype", "deep": f"{P}-deep", "pathway": f"{P}-pathway",
             "as_of": f"{P}-as-of", "metric": f"{P}-metric"})


attach_geometry(f"{P}-map-raw", f"{P}-map")


# one callback per input: the ranking chart comes after the first render (defer="soon"), the map later
# (defer), and Dash reports an error for a callback one of whose inputs is not in the page yet
@callback(
    Output(LOCATION, "pathname", allow_duplicate=True),
    Output(LOCATION, "search", allow_duplicate=True),
    Input(f"{P}-map", "clickData"),
    State(f"{P}-filters", "data"),
    prevent_initial_call=True,
)
def _map_click(map_click, data):
    """Map click → the county's page (query kept)."""
    pt = ((map_click or {}).get("points") or [{}])[0]
    code = pt.get("location")
    if pt.get("curveNumber", 0) != 0 or not code:
        return no_update, no_update
    return f"/county/{code}", Filters.parse(data or {}).to_search() or ""


@callback(
    Output(LOCATION, "pathname", allow_duplicate=True),
    Output(LOCATION, "search", allow_duplicate=True),
    Input(f"{P}-ranking", "clickData"),
    State(f"{P}-filters", "data"),
    prevent_initial_call=True,
)
def _ranking_click(rank_click, data):
    """Ranking click → filter to that prefecture (province view) or open that county (prefecture view)."""
    url_filters = Filters.parse(data or {})
    code = ((rank_click or {}).get("points") or [{}])[0].get("customdata")
    if not code:
        return no_update, no_update
    if not (url_filters.prefecture or url_filters.county):
        return no_update, url_filters.to_search(prefecture=code, county=None) or "?"
    return f"/county/{code}", url_filters.to_search() or ""
