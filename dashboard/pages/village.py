"""Village page /village/<code>: figures, quarterly history, households (masked server-side)."""

from __future__ import annotations

import dash
import pandas as pd
from dash import dcc, html

from dashboard import auth as A
from dashboard import charts
from dashboard import components as C
from dashboard import queries as Q
from dashboard.i18n import fmt_count, fmt_pct, pathways_label, t, value_label
from dashboard.pagekit import figure_or_message, grid, page_start, page_state, safe_layout, url_sync

dash.register_page(__name__, path_template="/village/<code>", name="village", title=C.page_title("tab_village"))

P = "vi"

@safe_layout
def layout(code=None, **query):
    url_filters, filters, scope, meta, children = page_start(query, f"/village/{code}")
    lang = url_filters.lang
    info = Q.village_info(str(code), scope) if code else None
    if info is None:
        missing = "not_in_scope" if code and Q.place_exists(str(code)) else "unknown_village"
        children += [C.message(t(missing, lang, code=code), "error"),
                     dcc.Link(t("back_overview", lang), href=C.href("/", url_filters)), *page_state(url_filters)]
        return html.Main(className="page", children=children)
    ctx = {"village": code}
    hist = Q.village_history(filters, code, scope)
    now = hist[hist["quarter_label"] == (filters.as_of and filters.as_of.label)]
    r = now.iloc[0] if len(now) else None
    sep = t("colon", lang)

    def fact(label, value):
        return html.Span([label, sep, html.B(value)])

    facts = [
        fact(t("col_township", lang), info.get("township_name") or "—"),
        fact(t("col_planned", lang), str(info.get("planned_exit_year") or "—")),
        fact(t("col_actual", lang), str(int(r["actual_exit_year"])) if r is not None and pd.notna(r["actual_exit_year"])
             else "—"),
        fact(t("col_status", lang), t("st_exited", lang) if r is not None and r["exited"] else
             t("st_behind", lang) if r is not None and r["behind_schedule"] else t("st_on_plan", lang)),
    ]
    if r is not None:
        facts += [fact(t("col_incidence", lang), fmt_pct(r["incidence"], lang, 2)),
                  fact(t("col_hh_left", lang), fmt_count(r["remaining_households"], "households", lang)),
                  fact(t("col_people_left", lang), fmt_count(r["remaining_people"], "people", lang))]
    pii = A.pii_granted()
    hh = Q.households(filters, code, scope, pii=pii)
    if pii:
        A.audit("pii_view", target=code, rows=len(hh), detail=str(filters.as_of or ""))
    hh = hh.assign(**{c: hh[c].map(lambda v: value_label(v, lang)) for c in ("household_attribute", "main_cause",
                                                                              "status")},
                   pathways=hh["pathways"].map(lambda v: pathways_label(v, lang)))
    cols = [{"field": c, "headerName": h} for c, h in (
        ("household_id", t("col_household_id", lang)),
        ("head_name", t("col_head" if pii else "col_head_masked", lang)),
        ("head_id_number", t("col_id" if pii else "col_id_masked", lang)),
        ("household_size", t("col_size", lang)),
        ("household_attribute", t("dim_attribute", lang)),
        ("main_cause", t("dim_cause", lang)),
        ("pathways", t("f_pathway", lang)),
        ("planned_exit_year", t("col_planned", lang)),
        ("status", t("col_status", lang)),
        ("exit_date", t("col_exit_date", lang)))]
    children += [
        html.Div(className="breadcrumb", children=[
            dcc.Link(t("province", lang), href=C.href("/", url_filters, prefecture=None, county=None)), " › ",
            dcc.Link(info["prefecture_name"] or "", href=C.href("/", url_filters, prefecture=info["prefecture_code"], county=None)),
            " › ", dcc.Link(info["county_name"], href=C.href(f"/county/{info['county_code']}", url_filters)),
            " › ", html.Span(info["village_name"])]),
        html.H2(info["village_name"] + t("paren", lang, text=info["county_name"]), className="page-title",
                id="village-name"),
        html.Div(className="facts", children=facts),
        C.filter_bar(filters, Q.prefectures(scope), Q.counties(scope), Q.quarters(), prefix=P, fields=("as_of",)),
        C.graph_card("v_history", f"{P}-history", lang, height=400, figure=figure_or_message("v_history", filters, ctx)),
        C.table_card("households", charts.title("households", filters, scope, ctx), charts.subtitle(filters, meta), lang,
                     grid(f"{P}-households", hh, cols, row_id="household_id", height=530, lang=lang, defer=True)),
        html.Div(t("pii_note" if pii else "masked_note", lang), className="note", id="pii-note"),
        *page_state(url_filters, P, ctx),
    ]
    return html.Main(className="page", children=children)


url_sync(P, {"as_of": f"{P}-as-of"})
