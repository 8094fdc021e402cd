"""会议模式 Meeting mode: full-screen slides for the leadership group's big screen.

    /meeting?scope=620000&interval=15&theme=dark&as_of=2019Q2&lang=zh     (older links: quarter=2019Q2)
    per slide kind: &interval_map=40&interval_behind=20 (default: map 2x, lists behind 1.5x the interval)

Deck (dashboard.meeting.deck): the headline → who is behind (every county, every village, paged, with since
when, how many quarters in a row and better/worse than last quarter: dashboard.status_history) → the county
map → each prefecture (or county). Auto-advances; ← / → step, space pauses, number keys + Enter or the ☰ list
jump (assets/meeting.js). None of that touches the URL. The data is frozen to one snapshot: the quarter in the
URL, or the latest when the page opens, which is then written into the URL (history.replaceState) once.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import traceback

import dash
from dash import ALL, Input, Output, State, callback, clientside_callback, dcc, html, no_update

from dashboard import auth, charts, figures, meeting, progress, settings, status_history, theme
from dashboard import facts as F
from dashboard import queries as Q
from dashboard.components import page_title
from dashboard.filters import LEVELS
from dashboard.i18n import fmt_count, fmt_date, fmt_pct, quarter_label, t
from dashboard.pagekit import attach_geometry, geo_config, safe_layout

dash.register_page(__name__, path="/meeting", name="meeting", title=page_title("tab_meeting"), order=9)

log = logging.getLogger("dashboard")
P = "mt"
RAG_CLASS = {"green": "good", "amber": "warn", "red": "bad", "none": "none", "year_end": "none"}
TREND = {"better": ("▲", "good"), "worse": ("▼", "bad"), "same": ("＝", "")}


def _params(query) -> meeting.Params:
    scope = Q.viewer_scope()
    codes = list(Q.counties(scope)["county_code"]) + list(Q.prefectures(scope)["prefecture_code"])
    p = meeting.Params.parse(query, quarters=Q.quarters(), codes=codes)
    home = auth.home_code()  # a prefecture or county user's meeting opens on their own scope
    return p if p.place != meeting.PROVINCE or home == meeting.PROVINCE else dataclasses.replace(p, place=home)


def _style(theme_name: str) -> dict:
    c = meeting.THEMES[theme_name]
    return {f"--mt-{k.replace('_', '-')}": v for k, v in c.items()}


def _num(text: str, cls: str = "") -> html.Span:
    """A number with its unit, never broken across lines."""
    return html.Span(str(text).replace(" ", "\u00a0"), className=f"mt-num {cls}".strip())


def _big(text: str) -> html.Span:
    """A headline figure: the number large, its unit smaller, on one line ('89.7万人', '1,890,000 people')."""
    m = re.match(r"^([\d.,]+)\s*(.*)$", str(text))
    if not m:
        return _num(text)
    return html.Span([m.group(1), html.Span(("\u00a0" if " " in text else "") + m.group(2), className="mt-unit")],
                     className="mt-num")


def _behind_lists(fx):
    """(counties behind, villages behind) with their status history (since, quarters, trend)."""
    scope = Q.viewer_scope()
    bc = F.behind_counties(fx)
    hc = status_history.counties(fx.filters, scope)
    bc = bc.merge(hc[["county_code", "since", "quarters", "change", "trend"]], on="county_code", how="left")
    bv = F.behind_villages(fx)
    hv = status_history.villages(fx.filters, scope)
    bv = bv.merge(hv[["village_code", "since", "quarters", "change", "trend"]], on="village_code", how="left")
    return bc, bv


def _deck(fx):
    bc, bv = _behind_lists(fx)
    return meeting.deck(fx.code, list(fx.children["code"]), len(bc), len(bv)), bc, bv


def _titles(seq, fx, lang) -> list[str]:
    names = Q.names(Q.viewer_scope())
    out = []
    for sl in seq:
        if sl.kind == "unit":
            out.append(names.get(sl.code, sl.code))
        elif sl.kind in ("behind", "villages"):
            out.append(f"{t('mt_list_' + sl.kind, lang)} {meeting.page_label(sl)}")
        elif sl.kind == "map":
            out.append(t("ch_map", lang))
        else:
            out.append(t("nav_overview", lang))
    return out


@safe_layout
def layout(**query):
    p = _params(query)
    fx = F.facts(p.place, p.as_of, p.lang)
    seq, bc, bv = _deck(fx)
    lang = p.lang
    seconds = [p.seconds(s.kind) for s in seq]
    state = {"slides": [[s.kind, s.code, s.page, s.pages] for s in seq], "search": p.to_search(),
             "seconds": seconds}
    title, body = _slide(seq[0], fx, p, 0, bc, bv)
    titles = _titles(seq, fx, lang)
    return html.Div(id="meeting-root", className=f"meeting meeting-{p.theme}", style=_style(p.theme), children=[
        dcc.Store(id=f"{P}-state", data=state),
        dcc.Store(id=f"{P}-index", data=0),
        dcc.Store(id=f"{P}-map-raw"),
        dcc.Interval(id=f"{P}-tick", interval=seconds[0] * 1000, n_intervals=0),
        html.Div(className="mt-top", children=[
            html.H1(title, id=f"{P}-title", className="mt-title"),
            html.Div(className="mt-controls", id=f"{P}-controls", children=[
                html.Button("◀", id=f"{P}-prev", n_clicks=0, title="←", className="mt-btn"),
                html.Button("❚❚", id=f"{P}-pause", n_clicks=0, title="Space", className="mt-btn"),
                html.Button("▶", id=f"{P}-next", n_clicks=0, title="→", className="mt-btn"),
                html.Button("☰", id=f"{P}-list", n_clicks=0, title=t("mt_jump", lang), className="mt-btn"),
            ]),
        ]),
        html.Div(id=f"{P}-jump", className="mt-jump", role="menu", children=[
            html.Button(f"{i + 1}. {name}", id={"type": f"{P}-go", "i": i}, n_clicks=0, className="mt-go")
            for i, name in enumerate(titles)]),
        html.Div(id=f"{P}-slide", className="mt-slide", children=body),
        html.Div(className="mt-footer", children=[
            html.Span([f"{t('as_of', lang)}{t('colon', lang)}", _num(fmt_date(fx.as_of.end, lang)),
                       " ", _num(t("paren", lang, text=quarter_label(fx.as_of, lang)).strip())],
                      className="mt-asof", id=f"{P}-asof"),
            html.Span(t("source_text", lang), className="mt-source"),
            html.Span(t("demo_label", lang), className="mt-demo", id=f"{P}-demo") if fx.demo else None,
            html.Span("", className="mt-paused", id=f"{P}-paused"),
            html.Span(meeting.counter(0, len(seq)), className="mt-counter mt-num", id=f"{P}-counter"),
        ]),
    ])


# ---------------------------------------------------------------- slides
def _kpi(level: str, k: dict, year: int, lang: str) -> html.Div:
    """One level: the cumulative figure the status is judged on as the headline, this year's figure beside it
    (无计划 in grey without a plan this year), the status (grey without any plan or before year end)."""
    status = k["status"]
    cls = RAG_CLASS.get(status, "")
    rated = status not in ("none", "year_end")
    sub = [_num(t("mt_of_expected", lang, n=fmt_count(round(k["expected"]), level, lang)))]
    if rated and k.get("ratio") is not None:
        sub += [" · ", _num(fmt_pct(k["ratio"], lang))]
    if k["plan"]:
        year_line = html.Div(className="mt-kpi-year", children=[
            _num(t("year_fmt", lang, year=year)), " ", _num(fmt_count(k["actual"], level, lang)), " / ",
            _num(f"{t('kpi_plan', lang)} {fmt_count(k['plan'], level, lang)}"), " · ",
            _num(fmt_pct(k["completion"], lang))])
    else:
        year_line = html.Div(_num(t("mt_year_no_plan", lang, year=year)), className="mt-kpi-year mt-grey")
    return html.Div(className=f"mt-kpi {cls}", id=f"{P}-kpi-{level}", children=[
        html.Div([t(f"level_{level}", lang), " · ", t("mt_cum_head", lang, start=settings.PLAN_START_YEAR)],
                 className="mt-kpi-label"),
        html.Div(_big(fmt_count(k["cum_actual"], level, lang)), className="mt-kpi-value"),
        html.Div(sub, className="mt-kpi-sub"),
        year_line,
        html.Div(f"{theme.RAG_SYMBOL.get(status, '')} {t('rag_' + status, lang)}",
                 className="mt-kpi-status" + ("" if rated else " mt-grey")),
    ])


def _kpis(fx, lang) -> html.Div:
    return html.Div(className="mt-kpis", children=[_kpi(lv, fx.kpis[lv], fx.filters.year, lang) for lv in LEVELS])


def _rule(fx, lang) -> html.P:
    return html.P(progress.rule_sentence(lang, fx.as_of.end, fx.share, fx.basis, fx.basis_year),
                  className="mt-rule", id=f"{P}-rule")


def _trend(r, lang, digits_pp: bool):
    if r.trend is None or r.trend != r.trend:
        return html.Td("—")
    sym, cls = TREND[r.trend]
    delta = "" if r.change is None or r.change != r.change else (
        f" {r.change * 100:+.1f}pp" if digits_pp else f" {r.change * 100:+.2f}pp")
    return html.Td(_num(f"{sym} {t('mt_' + r.trend, lang)}{delta}"), className=cls)


def _since(r, lang):
    return [html.Td(_num(r.since or "—")), html.Td(_num(t("mt_q_count", lang, n=int(r.quarters or 0))))]


def _slide(sl: meeting.Slide, fx, p: meeting.Params, idx: int, bc, bv):
    """(title, body) of slide `sl`."""
    lang = p.lang
    names = Q.names(Q.viewer_scope())
    year = t("year_fmt", lang, year=fx.filters.year)
    per = meeting.ROWS_PER_PAGE
    if sl.kind == "overview":
        title = t("mt_overview", lang, name=fx.name, year=year)
        cum = fx.kpis["people"]
        line = [t("kpi_total", lang), t("colon", lang), _num(fmt_count(cum["total"], "people", lang))]
        if fx.projection:
            line += [" · ", t("kpi_projection", lang), t("colon", lang),
                     _num(fmt_count(round(fx.projection), "people", lang))]
        body = [_kpis(fx, lang), html.P(line, className="mt-line"), _rule(fx, lang)]
    elif sl.kind == "behind":
        title = t("mt_behind_counties", lang, n=len(bc), page=meeting.page_label(sl))
        part = bc.iloc[sl.page * per:(sl.page + 1) * per]
        rows = [html.Tr([html.Td(r.county_name), html.Td(r.prefecture_name or ""),
                         html.Td(_num(fmt_pct(r.completion, lang))),
                         html.Td(_num(f"{theme.RAG_SYMBOL.get(r.status, '')} {t('rag_' + r.status, lang)}"),
                                 className=RAG_CLASS.get(r.status, "")),
                         *_since(r, lang), _trend(r, lang, True)])
                for r in part.itertuples()]
        body = [html.Table(className="mt-table", children=[html.Thead(html.Tr([
            html.Th(t("f_county", lang)), html.Th(t("f_prefecture", lang)), html.Th(t("mt_progress", lang)),
            html.Th(t("col_status", lang)), html.Th(t("mt_since", lang)), html.Th(t("mt_quarters", lang)),
            html.Th(t("mt_change", lang))])), html.Tbody(rows)]) if rows
            else html.P(t("mt_no_county_behind", lang), className="mt-line")]
    elif sl.kind == "villages":
        title = t("mt_behind_villages", lang, n=f"{len(bv):,}", page=meeting.page_label(sl))
        part = bv.iloc[sl.page * per:(sl.page + 1) * per]
        rows = [html.Tr([html.Td(r.village_name), html.Td(r.county_name),
                         html.Td(_num(fmt_pct(r.incidence, lang, 2))), *_since(r, lang), _trend(r, lang, False)])
                for r in part.itertuples()]
        body = [html.Table(className="mt-table", children=[html.Thead(html.Tr([
            html.Th(t("col_village", lang)), html.Th(t("f_county", lang)), html.Th(t("col_incidence", lang)),
            html.Th(t("mt_since", lang)), html.Th(t("mt_quarters", lang)), html.Th(t("mt_change", lang))])),
            html.Tbody(rows)]) if rows else html.P(t("mt_no_village_behind", lang), className="mt-line")]
    elif sl.kind == "map":
        title = t("mt_map_title", lang, name=fx.name)
        body = [dcc.Graph(id=f"{P}-map", className="mt-map", responsive=True, style={"height": "100%"},
                          config={**geo_config(), "displayModeBar": False, "scrollZoom": False,
                                  "doubleClick": False})]
    else:
        sub = F.facts(sl.code, p.as_of, lang)
        sbc = F.behind_counties(sub)
        title = f"{names.get(sl.code, sl.code)} · {year}"
        names_behind = "、".join(sbc["county_name"]) if len(sbc) else t("mt_none", lang)
        body = [_kpis(sub, lang),
                html.P([t("mt_counties_behind", lang), t("colon", lang), _num(str(len(sbc))), " · ", names_behind],
                       className="mt-line"), _rule(sub, lang)]
    return title, html.Div(className=f"mt-body mt-{sl.kind}", children=body, **{"data-slide": f"{idx}"})


def _label_points(code: str, level: str) -> tuple:
    """Place names for the map of `code` (the prefectures on the province map, the counties on a prefecture's),
    where they fit at the big-screen font on a 1280×720 screen (geoprep.label_points)."""
    from dashboard.geoprep import label_points, map_geometry

    g = map_geometry()
    if level == "province":
        codes = [x["properties"]["code"] for x in g["prefectures"]["features"]]
    else:
        codes = [x["properties"]["code"] for x in g["counties"]["features"] if x["properties"].get("prefecture_code") == code]
    return label_points(tuple(codes), height_px=560, font_px=19)


def _map_figure(fx, p: meeting.Params) -> dict:
    colours = meeting.THEMES[p.theme]
    fig = charts.figure("map", fx.filters, Q.viewer_scope(), height=860)
    fig.get("layout", {}).pop("height", None)
    return figures.big_screen(fig, background=colours["bg"], text=colours["text"],
                              classes=meeting.MAP_CLASSES[p.theme] if fx.filters.metric == "completion" else None,
                              labels=list(_label_points(fx.code, fx.level)))


# ---------------------------------------------------------------- callbacks
@callback(
    Output(f"{P}-index", "data"),
    Input(f"{P}-tick", "n_intervals"),
    Input(f"{P}-next", "n_clicks"),
    Input(f"{P}-prev", "n_clicks"),
    Input({"type": f"{P}-go", "i": ALL}, "n_clicks"),
    State(f"{P}-index", "data"),
    State(f"{P}-state", "data"),
    prevent_initial_call=True,
)
def _advance(_tick, _next, _prev, _go, index, state):
    n = len((state or {}).get("slides") or [])
    trig = dash.ctx.triggered_id
    if isinstance(trig, dict):  # a slide chosen from the list
        if not dash.ctx.triggered[0].get("value"):
            return no_update
        return meeting.step(int(trig["i"]), n, "stay")
    action = "prev" if trig == f"{P}-prev" else "next"
    return meeting.step(index or 0, n, action)


@callback(
    Output(f"{P}-slide", "children"),
    Output(f"{P}-title", "children"),
    Output(f"{P}-counter", "children"),
    Output(f"{P}-map-raw", "data"),
    Output(f"{P}-tick", "interval"),
    Input(f"{P}-index", "data"),
    State(f"{P}-state", "data"),
    prevent_initial_call=True,
)
def _render(index, state):
    p = meeting.Params.parse((state or {}).get("search"))
    slides = [meeting.Slide(*s) for s in state["slides"]]
    i = (index or 0) % len(slides)
    seconds = (state.get("seconds") or [p.interval] * len(slides))[i]
    try:
        fx = F.facts(p.place, p.as_of, p.lang)
        bc, bv = _behind_lists(fx) if slides[i].kind in ("behind", "villages") else (None, None)
        title, body = _slide(slides[i], fx, p, i, bc, bv)
        raw = _map_figure(fx, p) if slides[i].kind == "map" else no_update
    except Exception as e:  # noqa: BLE001 - a slide never shows a traceback
        log.error("meeting slide failed: %s", traceback.format_exc())
        title, body, raw = "", html.Div(t("error", p.lang, msg=type(e).__name__), className="mt-body"), no_update
    return body, title, meeting.counter(i, len(slides)), raw, seconds * 1000


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


# Freeze the snapshot in the URL once (no reload): a reload or a copied link shows the same quarter. Nothing
# the presenter does afterwards (pause, step, jump) writes the URL.
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
