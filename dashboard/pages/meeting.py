"""会议模式 Meeting mode: full-screen slides for the leadership group's big screen.

    /meeting?scope=620000&interval=15&theme=dark&as_of=2019Q2&lang=zh     (older links: quarter=2019Q2)

Sequence (dashboard.meeting.sequence): overview → county map → each prefecture (or county) in turn →
behind schedule. Auto-advances every `interval` seconds; ← / → step, space pauses (assets/meeting.js).
The data is frozen to one snapshot: the quarter in the URL, or the latest when the page opens, which is
then written into the URL (history.replaceState) so a reload or a shared link shows the same numbers.
"""

from __future__ import annotations

import dataclasses
import logging
import traceback

import dash
from dash import Input, Output, State, callback, clientside_callback, dcc, html, no_update

from dashboard import auth, charts, figures, meeting, settings, theme
from dashboard import facts as F
from dashboard import queries as Q
from dashboard.filters import LEVELS
from dashboard.i18n import fmt_count, fmt_date, fmt_pct, t
from dashboard.pagekit import attach_geometry, geo_config, safe_layout

dash.register_page(__name__, path="/meeting", name="meeting", title="甘肃省脱贫攻坚 · 会议模式", order=9)

log = logging.getLogger("dashboard")
P = "mt"
RAG_CLASS = {"green": "good", "amber": "warn", "red": "bad"}


def _params(query) -> meeting.Params:
    scope = Q.viewer_scope()
    codes = list(Q.counties(scope)["county_code"]) + list(Q.prefectures(scope)["prefecture_code"])
    p = meeting.Params.parse(query, quarters=Q.quarters(), codes=codes)
    home = auth.home_code()  # a prefecture or county user's meeting opens on their own scope
    return p if p.place != meeting.PROVINCE or home == meeting.PROVINCE else dataclasses.replace(p, place=home)


def _style(theme: str) -> dict:
    c = meeting.THEMES[theme]
    return {f"--mt-{k.replace('_', '-')}": v for k, v in c.items()}


@safe_layout
def layout(**query):
    p = _params(query)
    fx = F.facts(p.place, p.as_of, p.lang)
    seq = meeting.sequence(p.place, list(fx.children["code"]))
    state = {"slides": [[s.kind, s.code] for s in seq], "search": p.to_search()}
    return html.Div(id="meeting-root", className=f"meeting meeting-{p.theme}", style=_style(p.theme), children=[
        dcc.Store(id=f"{P}-state", data=state),
        dcc.Store(id=f"{P}-index", data=0),
        dcc.Store(id=f"{P}-map-raw"),
        dcc.Interval(id=f"{P}-tick", interval=p.interval * 1000, n_intervals=0),
        html.Div(id=f"{P}-slide", className="mt-slide", children=_slide(seq[0], fx, p, 0, len(seq))),
        html.Div(className="mt-controls", children=[
            html.Button("◀", id=f"{P}-prev", n_clicks=0, title="←", className="mt-btn"),
            html.Button("❚❚", id=f"{P}-pause", n_clicks=0, title="Space", className="mt-btn"),
            html.Button("▶", id=f"{P}-next", n_clicks=0, title="→", className="mt-btn"),
        ]),
        html.Div(className="mt-footer", children=[
            html.Span(f"{t('as_of', p.lang)}{t('colon', p.lang)}{fmt_date(fx.as_of.end, p.lang)}",
                      className="mt-asof", id=f"{P}-asof"),
            html.Span(t("source_text", p.lang), className="mt-source"),
            html.Span(t("demo_label", p.lang), className="mt-demo", id=f"{P}-demo") if fx.demo else None,
            html.Span(meeting.counter(0, len(seq)), className="mt-counter", id=f"{P}-counter"),
            html.Span("", className="mt-paused", id=f"{P}-paused"),
        ]),
    ])


# ---------------------------------------------------------------- slides
def _kpi(label: str, value: str, sub: str, cls: str = "", status: str = "") -> html.Div:
    return html.Div(className=f"mt-kpi {cls}", children=[
        html.Div(label, className="mt-kpi-label"), html.Div(value, className="mt-kpi-value"),
        html.Div(sub, className="mt-kpi-sub"), html.Div(status, className="mt-kpi-status")])


def _kpis(fx, lang) -> html.Div:
    out = []
    for lv in LEVELS:
        k = fx.kpis[lv]
        status = fx.kpis[lv]["status"]
        sub = f"{t('kpi_plan', lang)} {fmt_count(k['plan'], lv, lang)} · {fmt_pct(k['completion'], lang)}"
        out.append(_kpi(f"{t(f'level_{lv}', lang)} · {t('year_fmt', lang, year=fx.filters.year)}",
                        fmt_count(k["actual"], lv, lang),
                        sub, RAG_CLASS.get(status, ""), f"{theme.RAG_SYMBOL.get(status, '')} {t('rag_' + status, lang)}"))
    return html.Div(className="mt-kpis", children=out)


def _slide(sl: meeting.Slide, fx, p: meeting.Params, idx: int, n: int):
    lang = p.lang
    names = Q.names(Q.viewer_scope())
    if sl.kind == "overview":
        cum = fx.kpis["people"]
        body = [html.H1(t("mt_overview", lang, name=fx.name, year=t("year_fmt", lang, year=fx.filters.year))),
                _kpis(fx, lang),
                html.P(f"{t('kpi_cum', lang, start=settings.PLAN_START_YEAR)}：{fmt_count(cum['cum_actual'], 'people', lang)} / "
                       f"{fmt_count(cum['total'], 'people', lang)}" + (
                           f" · {t('kpi_projection', lang)}：{fmt_count(round(fx.projection), 'people', lang)}"
                           if fx.projection else ""), className="mt-line")]
    elif sl.kind == "map":
        body = [html.H1(f"{fx.name} · {t('m_completion', lang)}"),
                dcc.Graph(id=f"{P}-map", className="mt-map", config={**geo_config(), "displayModeBar": False,
                                                                       "staticPlot": True})]
    elif sl.kind == "unit":
        sub = F.facts(sl.code, p.as_of, lang)
        bc = F.behind_counties(sub)
        names_behind = "、".join(bc["county_name"].head(8)) if len(bc) else t("mt_none", lang)
        body = [html.H1(f"{names.get(sl.code, sl.code)} · {t('year_fmt', lang, year=fx.filters.year)}"), _kpis(sub, lang),
                html.P(f"{t('mt_counties_behind', lang)}：{len(bc)} · {names_behind}",
                       className="mt-line")]
    else:
        bc = F.behind_counties(fx)
        bv = F.behind_villages(fx)
        rows = [html.Tr([html.Td(r.county_name), html.Td(r.prefecture_name or ""),
                         html.Td(fmt_count(r.cum_actual_people, "people", lang)),
                         html.Td(fmt_pct(r.completion, lang)),
                         html.Td(t("rag_" + r.status, lang), className=RAG_CLASS.get(r.status, ""))])
                for r in bc.head(8).itertuples()]
        vrows = [html.Tr([html.Td(r.village_name), html.Td(r.county_name), html.Td(fmt_pct(r.incidence, lang))])
                 for r in bv.head(6).itertuples()]
        body = [html.H1(t("mt_behind_title", lang, counties=len(bc), villages=f"{len(bv):,}")),
                html.Div(className="mt-two", children=[
                    html.Table(className="mt-table", children=[html.Thead(html.Tr([
                        html.Th(t("f_county", lang)), html.Th(t("f_prefecture", lang)),
                        html.Th(t("mt_exited_since", lang)), html.Th(t("mt_progress", lang)),
                        html.Th(t("col_status", lang))])),
                        html.Tbody(rows)]) if rows else html.P(t("mt_no_county_behind", lang), className="mt-line"),
                    html.Table(className="mt-table", children=[html.Thead(html.Tr([
                        html.Th(t("col_village", lang)), html.Th(t("f_county", lang)),
                        html.Th(t("col_incidence", lang))])), html.Tbody(vrows)]) if vrows else None,
                ])]
    return html.Div(className=f"mt-body mt-{sl.kind}", children=body, **{"data-slide": f"{idx}"})


# ---------------------------------------------------------------- callbacks
@callback(
    Output(f"{P}-index", "data"),
    Input(f"{P}-tick", "n_intervals"),
    Input(f"{P}-next", "n_clicks"),
    Input(f"{P}-prev", "n_clicks"),
    State(f"{P}-index", "data"),
    State(f"{P}-state", "data"),
    prevent_initial_call=True,
)
def _advance(_tick, _next, _prev, index, state):
    n = len((state or {}).get("slides") or [])
    trig = dash.ctx.triggered_id
    action = "prev" if trig == f"{P}-prev" else "next"
    return meeting.step(index or 0, n, action)


@callback(
    Output(f"{P}-slide", "children"),
    Output(f"{P}-counter", "children"),
    Output(f"{P}-map-raw", "data"),
    Input(f"{P}-index", "data"),
    State(f"{P}-state", "data"),
    prevent_initial_call=True,
)
def _render(index, state):
    p = meeting.Params.parse((state or {}).get("search"))
    slides = [meeting.Slide(k, c) for k, c in state["slides"]]
    i = (index or 0) % len(slides)
    try:
        fx = F.facts(p.place, p.as_of, p.lang)
        body = _slide(slides[i], fx, p, i, len(slides))
        raw = no_update
        if slides[i].kind == "map":
            colours = meeting.THEMES[p.theme]
            raw = figures.big_screen(charts.figure("map", fx.filters, Q.viewer_scope(), height=860),
                                     background=colours["bg"], text=colours["text"])
    except Exception as e:  # noqa: BLE001 - a slide never shows a traceback
        log.error("meeting slide failed: %s", traceback.format_exc())
        body, raw = html.Div(t("error", p.lang, msg=type(e).__name__), className="mt-body"), no_update
    return body, meeting.counter(i, len(slides)), raw


attach_geometry(f"{P}-map-raw", f"{P}-map")


@callback(
    Output(f"{P}-tick", "disabled"),
    Output(f"{P}-paused", "children"),
    Input(f"{P}-pause", "n_clicks"),
    State(f"{P}-state", "data"),
    prevent_initial_call=True,
)
def _pause(n, state):
    paused = bool(n and n % 2 == 1)
    lang = meeting.Params.parse((state or {}).get("search")).lang
    return paused, (t("mt_paused", lang) if paused else "")


# Freeze the snapshot in the URL (no reload): a reload or a copied link shows the same quarter.
clientside_callback(
    """
    function(state) {
        if (state && state.search && window.location.search !== state.search) {
            window.history.replaceState(null, '', window.location.pathname + state.search);
        }
        return '';
    }
    """,
    Output(f"{P}-paused", "title"),
    Input(f"{P}-state", "data"),
)

