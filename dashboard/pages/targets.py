"""目标任务 /targets: every target of the plan by sector and deadline with its latest progress, what was expected by
the as-of date, its status now and at the deadline and its revision; `target=<id>` opens a target's detail (quote,
series against the deadline, units behind, downloads). The URL is the state: sector, status, year (deadline),
prefecture / county (scope unit), as_of, lang, target."""

from __future__ import annotations

import dash
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import charts, followups, targets, web
from dashboard import components as C
from dashboard import queries as Q
from dashboard.i18n import fmt_number, fmt_pct, t, value_label
from dashboard.pagekit import LOCATION, figure_or_message, grid, page_start, page_state, safe_layout

dash.register_page(__name__, path="/targets", name="targets", title="甘肃省脱贫攻坚进度监测 · 目标任务", order=1)

P = "tg"
EXTRA = ("sector", "status", "year", "target")  # the page's own URL parameters besides the Filters


def view_of(query: dict, cat) -> tuple[dict, list[str]]:
    """The page's own parameters from the URL, each checked against what exists (else dropped and named)."""
    sectors, years = set(cat["sector"]), {str(y) for y in cat["deadline_year"].dropna()}
    allowed = {"sector": sectors, "status": set(targets.NOW), "year": years, "target": set(cat["id"])}
    out, bad = {}, []
    for k in EXTRA:
        v = query.get(k)
        v = v[-1] if isinstance(v, list) and v else v
        if v in (None, "", "all"):
            continue
        if str(v) in allowed[k]:
            out[k] = str(v)
        else:
            bad.append(f"{k}={str(v)[:40]}")
    return out, bad


def search(url_filters, view: dict, **override) -> str:
    from urllib.parse import urlencode

    q = dict(url_filters.to_query())
    for k, v in {**view, **override}.items():
        if v in (None, "", "all"):
            q.pop(k, None)
        else:
            q[k] = v
    return "?" + urlencode(q) if q else ""


def _dd(id_, label, options, value):
    return html.Div(className="ctl", children=[
        html.Label(label, htmlFor=id_),
        dcc.Dropdown(id=id_, options=options, value=value, clearable=False, searchable=True)])


def _num(v, lang):
    return None if v is None or v != v else fmt_number(float(v), lang)


@safe_layout
def layout(**query):
    url_filters, filters, scope, meta, children = page_start(query, "/targets")
    lang = url_filters.lang
    if meta.get("demo") == "true":
        children.append(html.Div(t("demo_notice", lang), className="demo-notice"))
    children.append(html.H2(t("tg_title", lang), className="page-title"))
    if not Q.has_targets() or not filters.as_of:
        children.append(C.message(t("tg_missing", lang) if filters.as_of else t("empty", lang), "error"))
        return html.Main(className="page", children=children + page_state(url_filters, P))
    cat = charts.target_catalog(filters)
    view, bad = view_of(query, cat)
    if bad:
        children.append(C.notices(url_filters, [t("notice_invalid", lang) + ", ".join(bad)]))
    summ = charts.target_summary(filters, scope)
    counts = targets.counts(summ)
    allv = "all"
    children += [
        html.Div(className="filter-bar", children=[
            *C.filter_bar(filters, Q.prefectures(scope), Q.counties(scope), Q.quarters(), prefix=P,
                          fields=("prefecture", "as_of"), show_county=True).children,
            _dd(f"{P}-sector", t("tg_f_sector", lang), [{"label": t("all", lang), "value": allv}]
                + [{"label": value_label(s, lang), "value": s} for s in sorted(set(cat["sector"]))], view.get("sector", allv)),
            _dd(f"{P}-status", t("tg_f_status", lang), [{"label": t("all", lang), "value": allv}]
                + [{"label": t(f"tg_now_{s}", lang), "value": s} for s in targets.NOW], view.get("status", allv)),
            _dd(f"{P}-year", t("tg_f_year", lang), [{"label": t("all", lang), "value": allv}]
                + [{"label": str(y), "value": str(y)} for y in sorted(set(cat["deadline_year"].dropna()))],
                view.get("year", allv)),
        ]),
        html.Div(targets.rule_sentence(lang), className="rule", id="tg-rule"),
        html.Div(t("tg_counts", lang,
                   now="，".join(f"{t(f'tg_now_{k}', lang)} {v}" for k, v in counts["now"].items()),
                   ahead="，".join(f"{t(f'tg_ahead_{k}', lang)} {v}" for k, v in counts["ahead"].items())),
                 className="rule", id="tg-counts"),
    ]
    if view.get("target"):
        children += detail(view["target"], url_filters, filters, scope, meta, cat)
    children += table(summ, view, filters, scope, meta)
    if not view.get("target"):
        children.append(followups.panel(lang=lang))  # every follow-up the viewer may see
    children += page_state(url_filters, P, {"target": view["target"]} if view.get("target") else {})
    children.append(dcc.Store(id=f"{P}-view", data=view))
    return html.Main(className="page", children=children)


def table(summ, view: dict, f, scope, meta):
    lang = f.lang
    s = summ
    if view.get("sector"):
        s = s[s["sector"] == view["sector"]]
    if view.get("status"):
        s = s[s["status"] == view["status"]]
    if view.get("year"):
        s = s[s["deadline_year"].astype("string") == view["year"]]
    rev = targets.revisions(charts.target_catalog(f), lang)
    rows = s.assign(
        sector=s["sector"].map(lambda v: value_label(v, lang)), unit=s["unit"].map(lambda v: value_label(v, lang)),
        target_fmt=s["target"].map(lambda v: _num(v, lang)), latest_fmt=s["latest"].map(lambda v: _num(v, lang)),
        expected_fmt=s["expected"].map(lambda v: _num(v, lang)),
        deadline_s=s["deadline"].astype("string").str[:10],
        now_label=s["status"].map(lambda v: t(f"tg_now_{v}", lang)),
        ahead_label=s["ahead"].map(lambda v: t(f"tg_ahead_{v}", lang)),
        force_label=s["in_force"].map(lambda v: t(f"tg_force_{v}", lang)),
        revision=s["target_id"].map(rev),
        data_label=s["is_demo"].map(lambda v: None if v is None or v != v else t("tg_demo" if v else "tg_real", lang)),
        ratio_pct=s["ratio"].map(lambda v: None if v != v or v is None else fmt_pct(v, lang)),
    )[["target_id", "sector", "deadline_s", "quote", "target_fmt", "unit", "latest_fmt", "expected_fmt", "ratio_pct",
       "now_label", "ahead_label", "units_behind", "force_label", "revision", "data_label", "status"]]
    cols = [
        {"field": "target_id", "headerName": t("tg_col_id", lang), "minWidth": 200},
        {"field": "sector", "headerName": t("tg_f_sector", lang), "maxWidth": 110},
        {"field": "deadline_s", "headerName": t("tg_col_deadline", lang), "maxWidth": 130},
        {"field": "quote", "headerName": t("tg_col_quote", lang), "minWidth": 260, "tooltipField": "quote"},
        {"field": "target_fmt", "headerName": t("tg_col_target", lang)},
        {"field": "unit", "headerName": t("tg_col_unit", lang)},
        {"field": "latest_fmt", "headerName": t("tg_col_latest", lang)},
        {"field": "expected_fmt", "headerName": t("tg_col_expected", lang)},
        {"field": "ratio_pct", "headerName": t("tg_col_ratio", lang)},
        {"field": "now_label", "headerName": t("tg_col_now", lang)},
        {"field": "ahead_label", "headerName": t("tg_col_ahead", lang)},
        {"field": "units_behind", "headerName": t("tg_col_units_behind", lang), "filter": "agNumberColumnFilter"},
        {"field": "force_label", "headerName": t("tg_col_in_force", lang)},
        {"field": "revision", "headerName": t("tg_col_revision", lang), "tooltipField": "revision"},
        {"field": "data_label", "headerName": t("tg_col_real", lang)},
    ]
    return [html.Div(t("tg_rows", lang, n=len(rows)), className="rule", id="tg-rows"),
            C.table_card("targets", charts.title("targets", f, scope), charts.subtitle(f, meta) + " · "
                         + t("tg_detail_hint", lang), lang, grid(f"{P}-table", rows, cols, row_id="target_id",
                                                                  height=640))]


def detail(target_id: str, url_filters, f, scope, meta, cat) -> list:
    lang = f.lang
    r = cat[cat["id"] == target_id].iloc[0]
    ctx = {"target": target_id}
    rev = targets.revisions(cat, lang).get(target_id)
    units = charts.target_units(f, scope, target_id)
    behind = units[units["status"].isin(targets.BEHIND)] if not units.empty else units
    facts = [
        html.H3(f"{target_id} · {value_label(r['sector'], lang)}", id="tg-detail-title"),
        html.Blockquote(r["quote"], className="quote", id="tg-quote"),
        html.Div(className="facts", children=[
            html.Span([t("tg_col_section", lang), t("colon", lang), html.B(r["section"])]),
            html.Span([t("tg_col_document", lang), t("colon", lang), html.B(r["document"])]),
            html.Span([t("tg_col_target", lang), t("colon", lang), html.B(f"{_num(r['value'], lang) or '—'} {value_label(r['unit'], lang)}")]),
            html.Span([t("tg_col_deadline", lang), t("colon", lang), html.B(str(r["deadline"])[:10])]),
            html.Span([t("tg_col_in_force", lang), t("colon", lang), html.B(t(f"tg_force_{r['in_force']}", lang))]),
        ]),
        html.Div([t("tg_col_revision", lang), t("colon", lang), rev], className="facts", id="tg-revision") if rev else None,
        dcc.Link(t("tg_back", lang), href="/targets" + search(url_filters, {}, target=None), id="tg-back"),
    ]
    cols = [
        {"field": "unit_code", "headerName": t("tg_col_unit_code", lang), "maxWidth": 150},
        {"field": "unit_name", "headerName": t("tg_col_unit_name", lang)},
        {"field": "latest_fmt", "headerName": t("tg_col_latest", lang)},
        {"field": "expected_fmt", "headerName": t("tg_col_expected", lang)},
        {"field": "now_label", "headerName": t("tg_col_now", lang)},
        {"field": "ahead_label", "headerName": t("tg_col_ahead", lang)},
        {"field": "since", "headerName": t("tg_col_since", lang)},
        {"field": "quarters", "headerName": t("tg_col_quarters", lang), "filter": "agNumberColumnFilter"},
        {"field": "trend_label", "headerName": t("tg_col_trend", lang)},
        {"field": "data_label", "headerName": t("tg_col_real", lang)},
    ]
    if behind.empty:
        units_card = html.Section(className="card", children=[
            html.H3(t("tg_units_behind_title", lang)), C.message(t("tg_no_units_behind", lang)),
            html.Div(className="card-tools", children=[C.download_buttons("target_units", lang)])])
    else:
        rows = behind.assign(
            latest_fmt=behind["latest"].map(lambda v: _num(v, lang)),
            expected_fmt=behind["expected"].map(lambda v: _num(v, lang)),
            now_label=behind["status"].map(lambda v: t(f"tg_now_{v}", lang)),
            ahead_label=behind["ahead"].map(lambda v: t(f"tg_ahead_{v}", lang)),
            trend_label=behind["trend"].map(lambda v: t(f"tg_trend_{v}", lang) if isinstance(v, str) else None),
            data_label=behind["is_demo"].map(lambda v: t("tg_demo" if v else "tg_real", lang)))
        units_card = C.table_card("target_units", t("tg_units_behind_title", lang) + f" · {len(rows)}",
                                  charts.subtitle(f, meta), lang, grid(f"{P}-units", rows, cols, row_id="unit_code",
                                                                        height=420))
    return [
        html.Section(className="card target-detail", id="tg-detail", children=facts),
        html.Div(className="grid-2", children=[
            C.graph_card("target_series", f"{P}-series", lang, height=400,
                         figure=figure_or_message("target_series", f, ctx, 400)),
            units_card,
        ]),
        followups.panel(target_id=target_id, lang=lang),  # 督办 of this target (dashboard.followups)
    ]


@callback(
    Output(LOCATION, "search", allow_duplicate=True),
    Input(f"{P}-prefecture", "value"), Input(f"{P}-county", "value"), Input(f"{P}-as-of", "value"),
    Input(f"{P}-sector", "value"), Input(f"{P}-status", "value"), Input(f"{P}-year", "value"),
    State(f"{P}-filters", "data"), State(f"{P}-view", "data"),
    prevent_initial_call=True,
)
def _sync(prefecture, county, as_of, sector, status, year, data, view):
    """Controls → the URL (which renders the page again)."""
    from dashboard.filters import Filters

    values = [prefecture, county, as_of, sector, status, year]
    if not web.short_values(values) or not isinstance(data, (dict, type(None))) or not isinstance(view, (dict, type(None))):
        return no_update
    f = Filters.parse(data or {})
    pref = None if prefecture in (None, "", "all") else prefecture
    cty = None if county in (None, "", "all") or pref != f.prefecture and dash.ctx.triggered_id == f"{P}-prefecture" else county
    new = f.replace(prefecture=pref, county=cty, as_of=as_of or f.as_of)
    view = {k: v for k, v in (view or {}).items() if k in EXTRA and isinstance(v, str)}
    new_view = {**view, "sector": sector, "status": status, "year": year}
    out = search(new, new_view)
    return no_update if out == search(f, view) else (out or "?")


@callback(
    Output(LOCATION, "search", allow_duplicate=True),
    Input(f"{P}-table", "cellClicked"),
    State(f"{P}-filters", "data"), State(f"{P}-view", "data"),
    prevent_initial_call=True,
)
def _open(cell, data, view):
    """A row click opens the target's detail (target=<id> in the URL)."""
    from dashboard.filters import Filters

    code = (cell or {}).get("rowId")
    if not isinstance(code, str) or not web.TARGET_ID.fullmatch(code) or not isinstance(view, (dict, type(None))):
        return no_update
    view = {k: v for k, v in (view or {}).items() if k in EXTRA and isinstance(v, str)}
    return search(Filters.parse(data or {}), view, target=code)
