"""County page /county/<code>: KPIs, schedule, pathways, villages (table + map), households by
category, quarterly history."""

from __future__ import annotations

import dash
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import charts, figures, followups
from dashboard import components as C
from dashboard import queries as Q
from dashboard.filters import LEVELS, Filters
from dashboard.i18n import t
from dashboard.pagekit import (
    LOCATION,
    attach_geometry,
    figure_or_message,
    geo_config,
    grid,
    page_start,
    page_state,
    safe_layout,
    url_sync,
)

dash.register_page(__name__, path_template="/county/<code>", name="county", title=C.page_title("tab_county"))

P = "co"


@safe_layout
def layout(code=None, **query):
    url_filters, filters, scope, meta, children = page_start(query, f"/county/{code}")
    lang = url_filters.lang
    info = Q.county_info(str(code), scope) if code else None
    if info is None:
        missing = "not_in_scope" if code and Q.place_exists(str(code)) else "unknown_county"
        children.append(C.message(t(missing, lang, code=code), "error"))
        children.append(dcc.Link(t("back_overview", lang), href=C.href("/", url_filters)))
        return html.Main(className="page", children=children + page_state(url_filters))
    county_filters = filters.replace(county=code, prefecture=None, ctype=None, deep=None)
    children += [
        html.Div(className="breadcrumb", children=[
            dcc.Link(t("province", lang), href=C.href("/", url_filters, prefecture=None, county=None)), " › ",
            dcc.Link(info["prefecture_name"] or "", href=C.href("/", url_filters, prefecture=info["prefecture_code"], county=None)),
            " › ", html.Span(info["county_name"])]),
        html.H2(info["county_name"], className="page-title", id="county-name"),
        html.Div(className="facts", children=[
            html.Span([t("f_ctype", lang), t("colon", lang),
                       html.B(t(f"ctype_{info['poverty_type']}", lang) if _has(info["poverty_type"]) else
                              t("non_poverty", lang) if not info["is_poverty_county"] else "—")]),
            html.Span([t("f_deep", lang), t("colon", lang),
                       html.B(t(f"deep_{info['deep_poverty']}", lang) if _has(info["deep_poverty"]) else "—"),
                       html.Span(t("deep_demo_pick", lang), id="deep-demo-pick") if code in Q.deep_demo_picks() else ""]),
            html.Span([t("m_planned_year", lang), t("colon", lang), html.B(_yr(info["planned_exit_year"], lang))]),
            html.Span([t("m_actual_year", lang), t("colon", lang), html.B(_yr(info["actual_exit_year"], lang)
                   if _has(info["actual_exit_year"]) and f"{int(info['actual_exit_year'])}-12-31" <= filters.as_of_date
                   else t("not_exited", lang) if info["is_poverty_county"] else "—")]),
        ]),
        C.filter_bar(filters, Q.prefectures(scope), Q.counties(scope), Q.quarters(), prefix=P, fields=("pathway", "as_of", "level"),
                     url_filters=url_filters),
    ]
    share, basis, basis_year, _ = charts.seasonal(county_filters)
    k = charts.kpis(county_filters, scope)
    vdf = Q.villages(filters, code, scope)
    vdf = vdf.assign(status_label=vdf["status"].map(lambda s: t(f"st_{s}", lang)),
                     incidence_pct=vdf["incidence"].map(lambda x: None if x != x or x is None else round(x * 100, 2)),
                     href=vdf["village_code"].map(lambda v: C.href(f"/village/{v}", url_filters)))
    cols = [
        {"field": "village_code", "headerName": t("col_code", lang)},
        {"field": "village_name", "headerName": t("col_village", lang), "cellRenderer": "PlaceLink"},
        {"field": "township_name", "headerName": t("col_township", lang)},
        {"field": "status_label", "headerName": t("col_status", lang)},
        {"field": "planned_exit_year", "headerName": t("col_planned", lang), "filter": "agNumberColumnFilter"},
        {"field": "actual_exit_year", "headerName": t("col_actual", lang), "filter": "agNumberColumnFilter"},
        {"field": "incidence_pct", "headerName": t("col_incidence", lang) + " %", "filter": "agNumberColumnFilter"},
        {"field": "remaining_households", "headerName": t("col_hh_left", lang), "filter": "agNumberColumnFilter"},
        {"field": "remaining_people", "headerName": t("col_people_left", lang), "filter": "agNumberColumnFilter"},
    ]
    sub = charts.subtitle(filters, meta)

    def chart(name, height=420):
        return figure_or_message(name, filters, {"county": code}, height)

    children += [
        html.Div(className="kpis", children=[C.kpi_card(lv, k[lv], county_filters) for lv in LEVELS]),
        C.rule_text(county_filters, share, basis, basis_year, filters.as_of_date),
        html.Div(className="grid-2", children=[
            C.graph_card("schedule", f"{P}-schedule", lang, height=420, figure=chart("schedule"),
                         extra=C.view_choice(P, url_filters)),
            C.graph_card("pathways", f"{P}-pathways", lang, height=420, figure=chart("pathways"), defer="soon"),
        ]),
        # the village grid has the page's width: its columns are readable at 1366 and 1920 px
        C.table_card("villages", charts.title("villages", filters, scope, {"county": code}), sub, lang,
                     html.Div([html.Div(t("villages_hint", lang), className="hint"),
                               grid(f"{P}-villages", vdf, cols, row_id="village_code", height=540, lang=lang,
                                    defer=True)])),
        html.Div(className="grid-2", children=[
            C.graph_card("village_map", f"{P}-vmap", lang, height=540, config=geo_config(), defer=True),
            C.graph_card("breakdown", f"{P}-breakdown", lang, height=figures.BREAKDOWN_HEIGHT,
                         figure=chart("breakdown", figures.BREAKDOWN_HEIGHT), defer=True),
        ]),
        C.graph_card("history", f"{P}-history", lang, height=400, figure=chart("history"), defer=True),
        followups.panel(unit_code=str(code), lang=lang),
        dcc.Store(id=f"{P}-vmap-raw", data=chart("village_map", height=540)),
        *page_state(url_filters, P, {"county": code}),
    ]
    return html.Main(className="page", children=children)


def _has(v) -> bool:
    return v is not None and not (isinstance(v, float) and v != v) and str(v) not in ("", "nan", "<NA>")


def _yr(y, lang):
    if not _has(y):
        return "—"
    y = int(y)
    return t("before_2018", lang) if y <= 2016 else t("year_fmt", lang, year=y)


url_sync(P, {"pathway": f"{P}-pathway", "as_of": f"{P}-as-of"})

attach_geometry(f"{P}-vmap-raw", f"{P}-vmap", only_listed=True)


def _to_village(code, data):
    if not code:
        return no_update, no_update
    return f"/village/{code}", Filters.parse(data or {}).to_search() or ""


# one callback per input: the grid and the map come after the first render (defer=True), and Dash reports an
# error for a callback one of whose inputs is not in the page yet
@callback(
    Output(LOCATION, "pathname", allow_duplicate=True),
    Output(LOCATION, "search", allow_duplicate=True),
    Input(f"{P}-villages", "cellClicked"),
    State(f"{P}-filters", "data"),
    prevent_initial_call=True,
)
def _open_village_from_grid(cell, data):
    # the name cell is a link (assets/analyst.js opens it, by mouse or Enter): no second navigation
    return _to_village(cell.get("rowId") if cell and cell.get("colId") != "village_name" else None, data)


@callback(
    Output(LOCATION, "pathname", allow_duplicate=True),
    Output(LOCATION, "search", allow_duplicate=True),
    Input(f"{P}-vmap", "clickData"),
    State(f"{P}-filters", "data"),
    prevent_initial_call=True,
)
def _open_village_from_map(click, data):
    cd = ((click or {}).get("points") or [{}])[0].get("customdata")
    return _to_village(cd[1] if isinstance(cd, list) and len(cd) > 1 else None, data)
