"""Shared layout pieces: header, filter bar, KPI cards, chart cards, messages. Layout only, no SQL."""

from __future__ import annotations

import datetime as dt
import functools
from urllib.parse import parse_qs

import dash
import pandas as pd
from dash import dcc, html

from dashboard import auth, progress, settings, theme
from dashboard.charts import CHARTS
from dashboard.filters import CTYPES, DEEP, LEVELS, PATHWAYS, VIEWS, Filters, Quarter
from dashboard.i18n import fmt_count, fmt_date, fmt_pct, quarter_label, t


def href(path: str, f: Filters, **override) -> str:
    return path + f.to_search(**override)


def header(f: Filters, path: str, meta: dict, as_of: str | None) -> html.Header:
    lang = f.lang
    other = t("other_lang", lang)
    demo = meta.get("demo") == "true"
    return html.Header(className="app-header", children=[
        html.Div(className="brand", children=[
            html.H1(t("app_title", lang)),
            html.Span(t("demo_label", lang), className="demo-badge", id="demo-badge") if demo else None,
        ]),
        html.Nav(className="nav", children=[
            dcc.Link(t("nav_overview", lang), href=href("/", f, county=None), className="nav-link"),
            dcc.Link(t("nav_targets", lang), href=href("/targets", f), className="nav-link"),
            dcc.Link(t("nav_data", lang), href=href("/data", f), className="nav-link"),
            html.A(t("nav_meeting", lang), href=f"/meeting?scope={f.county or f.prefecture or '620000'}"
                   f"&as_of={f.as_of or ''}&lang={lang}", className="nav-link"),
            html.Button(t("report_docx", lang), id={"type": "report", "fmt": "docx"}, className="btn-report",
                        n_clicks=0, title=t("report_hint", lang)),
            html.Button(t("report_pdf", lang), id={"type": "report", "fmt": "pdf"}, className="btn-report",
                        n_clicks=0, title=t("report_hint", lang)),
            html.Button(t("report_pptx", lang), id={"type": "report", "fmt": "pptx"}, className="btn-report",
                        n_clicks=0, title=t("report_hint", lang)),
            html.Span(f"{t('as_of', lang)}{t('colon', lang)}{fmt_date(as_of, lang)}", className="asof", id="asof-stamp")
            if as_of else None,
            dcc.Link(t("lang_switch", lang), href=href(path, f, lang=other), className="lang-link", id="lang-link"),
            auth.user_box(lang),
        ]),
    ])


def notices(f: Filters, extra: list[str] | None = None):
    items = list(f.notices) + list(extra or [])
    return html.Div([html.Div(n, className="notice") for n in items]) if items else None


def dd_text(lang: str) -> dict:
    """A dropdown's own words (placeholder, search box, "no options") in the UI language."""
    return {"placeholder": t("dd_placeholder", lang), "labels": {
        "search": t("dd_search", lang), "clear_search": t("dd_clear_search", lang),
        "clear_selection": t("dd_clear_selection", lang), "no_options_found": t("dd_no_options", lang),
        "select_all": t("dd_select_all", lang), "deselect_all": t("dd_deselect_all", lang),
        "selected_count": t("dd_selected_count", lang, num_selected="{num_selected}")}}


def _dd(id_, label, options, value, clearable=False, lang="zh"):
    return html.Div(className="ctl", children=[
        html.Label(label, htmlFor=id_),
        dcc.Dropdown(id=id_, options=options, value=value, clearable=clearable, searchable=True, **dd_text(lang)),
    ])


def page_lang() -> str:
    """The language of the page being rendered: the URL's `lang` (the router's callback or the page request)."""
    from flask import has_request_context, request

    try:  # the pages router's callback: the location is among its inputs
        search = dash.callback_context.inputs.get("_pages_location.search") or ""
    except Exception:  # noqa: BLE001 - not in a callback: the page request itself
        search = request.query_string.decode("ascii", "replace") if has_request_context() else ""
    v = parse_qs(str(search)[:2000].lstrip("?")).get("lang", [""])[-1]
    return "en" if v == "en" else "zh"


def page_title(key: str):
    """A page's browser-tab title in the page's language (dash.register_page calls it on each render)."""
    def title(**_path):
        try:
            lang = page_lang()
        except Exception:  # noqa: BLE001 - a title never breaks a page
            lang = "zh"
        return f"{t('app_short', lang)} · {t(key, lang)}"
    return title


def county_options(counties, prefecture: str | None = None) -> list[dict]:
    """The poverty counties (of `prefecture`) as dropdown options, from queries.counties' rows (in Python: two
    pandas filters cost ~0.5 ms)."""
    return [{"label": n, "value": k} for k, n, p, poor in zip(
        counties["county_code"].tolist(), counties["county_name"].tolist(), counties["prefecture_code"].tolist(),
        counties["is_poverty_county"].tolist()) if not pd.isna(poor) and poor and (not prefecture or p == prefecture)]


ALL_FIELDS = ("prefecture", "ctype", "deep", "pathway", "as_of", "level")


def filter_bar(f: Filters, prefectures, counties, quarters, *, prefix: str, fields=ALL_FIELDS, show_county=False,
               url_filters: Filters | None = None):
    """Controls; their values are written to the URL (the URL is the state); the level is a choice of links
    to the same page (`url_filters`: as in the URL, which keeps "latest")."""
    show_level = "level" in fields
    lang = f.lang
    allv = "all"
    pref_opts = [{"label": t("province", lang), "value": allv}] + [
        {"label": n, "value": c} for c, n in zip(prefectures["prefecture_code"], prefectures["prefecture_name"])]
    ctls = [
        _dd(f"{prefix}-prefecture", t("f_prefecture", lang), pref_opts, f.prefecture or allv, lang=lang),
    ]
    if show_county:
        ctls.append(_dd(f"{prefix}-county", t("f_county", lang),  # cascading: the prefecture's counties
                        [{"label": t("all", lang), "value": allv}] + county_options(counties, f.prefecture),
                        f.county or allv, lang=lang))
    ctls += [
        _dd(f"{prefix}-ctype", t("f_ctype", lang), [{"label": t("all", lang), "value": allv}]
            + [{"label": t(f"ctype_{x}", lang), "value": x} for x in CTYPES], f.ctype or allv, lang=lang),
        _dd(f"{prefix}-deep", t("f_deep", lang), [{"label": t("all", lang), "value": allv}]
            + [{"label": t(f"deep_{x}", lang), "value": x} for x in DEEP], f.deep or allv, lang=lang),
        _dd(f"{prefix}-pathway", t("f_pathway", lang), [{"label": t("pw_all", lang), "value": allv}]
            + [{"label": t(f"pw_{p}", lang), "value": p} for p in PATHWAYS], f.pathway, lang=lang),
        _dd(f"{prefix}-as-of", t("f_as_of", lang), [{"label": quarter_label(Quarter.parse(q), lang), "value": q} for q in quarters],
            f.as_of and f.as_of.label, lang=lang),
    ]
    keep = {"prefecture": "prefecture", "county": "county", "ctype": "ctype", "deep": "deep",
            "pathway": "pathway", "as-of": "as_of"}
    ctls = [c for c in ctls if keep[c.children[1].id[len(prefix) + 1:]] in fields + ("county",)]
    if show_level:
        links = url_filters or f
        ctls.append(html.Div(className="ctl ctl-level", children=[
            html.Span(t("f_level", lang), id=f"{prefix}-level-label", className="ctl-label"),
            choice_links(f"{prefix}-level", f"{prefix}-level-label", f.level,
                         [(x, t(f"level_{x}", lang), links.to_search(level=x)) for x in LEVELS]),
        ]))
    return html.Div(className="filter-bar", children=ctls)


def choice_links(id_: str, label_id: str, value: str, choices: list[tuple[str, str, str]]):
    """A choice between views of a page as links to its URL (value, label, "?query"): a named group, the
    current one marked (aria-current). Dash's RadioItems nest their inputs in role=option labels (axe:
    nested-interactive) and cannot be named."""
    return html.Div(id=id_, className="choice", role="group", **{"aria-labelledby": label_id}, children=[
        html.Span(label, className="choice-item selected", **{"aria-current": "true"}) if v == value
        else dcc.Link(label, href=search or "?", className="choice-item")
        for v, label, search in choices])


def view_choice(prefix: str, url_filters: Filters):
    """Annual or cumulative schedule chart, as links (see choice_links)."""
    lang = url_filters.lang
    return html.Div(className="ctl-inline", children=[
        html.Span(t("f_view", lang), id=f"{prefix}-view-label", className="ctl-label"),
        choice_links(f"{prefix}-view", f"{prefix}-view-label", url_filters.view,
                     [(v, t(v, lang), url_filters.to_search(view=v)) for v in VIEWS]),
    ])


def kpi_card(level: str, k: dict, f: Filters):
    """One level's KPI card (k: charts.kpis of the level)."""
    lang = f.lang
    status, expected, completion = k["status"], round(k["expected"]), k["completion"]
    cum_completion = k["cum_actual"] / k["total"] if k["total"] else None
    cum_label = {"people": t("kpi_cum", lang, start=settings.PLAN_START_YEAR), "villages": t("kpi_cum_villages", lang),
                 "counties": t("kpi_cum_counties", lang)}[level]
    lines = [
        html.Div(t(f"level_{level}", lang), className="kpi-title"),
        html.Div(className="kpi-main", children=[
            html.Span(fmt_count(k["actual"], level, lang), className="kpi-value", id=f"kpi-{level}-actual"),
            html.Span(f" / {fmt_count(k['plan'], level, lang)}", className="kpi-plan"),
        ]),
        html.Div(f"{t('kpi_this_year', lang, year=f.year)} / {t('kpi_plan', lang)}", className="kpi-sub"),
        html.Div(className="kpi-row", children=[
            html.Span(f"{t('kpi_completion', lang)} {fmt_pct(completion, lang)}"),
            html.Span(f"{t('kpi_gap', lang)} {fmt_count(max(k['plan'] - k['actual'], 0), level, lang)}"),
        ]),
        html.Div(className="kpi-status", style={"color": theme.RAG_TEXT[status]}, children=[
            html.Span(theme.RAG_SYMBOL[status] + " "),
            html.Span(t(f"rag_{status}", lang)
                      + (t("paren", lang, text=f"{t('kpi_expected', lang)} {fmt_count(expected, level, lang)}")
                         if status not in ("none", "year_end") else "")),
        ], id=f"kpi-{level}-status"),
        html.Div(className="kpi-cum", children=[
            html.Span(cum_label + t("colon", lang)),
            html.B(fmt_count(k["cum_actual"], level, lang), id=f"kpi-{level}-cum"),
            html.Span(f" / {t('kpi_total', lang)} {fmt_count(k['total'], level, lang)} · {fmt_pct(cum_completion, lang)}",
                      id=f"kpi-{level}-total"),
        ]),
    ]
    return html.Div(lines, className=f"kpi-card rag-{status}", id=f"kpi-{level}")


def rule_text(f: Filters, share: float, basis: str, basis_year, as_of: str) -> html.Div:
    return html.Div(progress.rule_sentence(f.lang, as_of, share, basis, basis_year), className="rule", id="rag-rule")


def download_buttons(chart: str, lang: str):
    fmts = ["csv", "xlsx"] + (["png", "svg", "pdf"] if CHARTS[chart].image else [])
    return html.Div(className="dl", children=[
        html.Span(t("download", lang) + t("colon", lang)),
        *[html.Button(fmt.upper(), id={"type": "dl", "chart": chart, "fmt": fmt}, className="btn-dl", n_clicks=0)
          for fmt in fmts],
    ])


# Nothing in the modebar points outside the intranet: no "Share chart" (plotly.js defaults it on, to its cloud).
GRAPH_CONFIG = {"displaylogo": False, "responsive": True, "showSendToCloud": False, "showEditInChartStudio": False,
                "plotlyServerURL": "", "showLink": False,
                "modeBarButtonsToRemove": ["lasso2d", "select2d", "sendChartToCloud", "sendDataToCloud",
                                           "editInChartStudio"],
                "toImageButtonOptions": {"format": "png", "scale": 2}}


def graph_config(lang: str) -> dict:
    """The modebar in the UI language: plotly.js's own zh-CN locale (assets/plotly-locale-zh-cn.js)."""
    return dict(GRAPH_CONFIG, locale="zh-CN" if lang != "en" else "en")


def graph_card(chart: str, graph_id: str, lang: str, extra=None, height: int = 420, config: dict | None = None,
               cls: str = "", figure: dict | None = None, defer: bool | str = False):
    """A chart with its tools. `figure` comes with the page; a map's figure is attached in the browser.
    `defer`: a chart below the fold, drawn when it nears the screen or the browser is idle (`deferred`);
    "soon": right after the page's first render, in a task of its own (the chart beside the page's first one:
    assets/defer.js knows that render is drawn once every chart in it is)."""
    cfg = dict(graph_config(lang), **(config or {}))
    graph = dcc.Graph(id=graph_id, config=cfg, style={"height": f"{height}px"},
                      **({"figure": figure} if figure is not None else {}))
    body = deferred(graph_id, graph, height, soon=defer == "soon") if defer else html.Div(
        dcc.Loading(graph, type="dot", delay_show=400), style={"minHeight": f"{height}px"})  # no shift
    return html.Section(className=f"card {cls}", children=[
        html.Div(className="card-tools", children=[extra, download_buttons(chart, lang)]), body])


def deferred(key: str, component, height: int, soon: bool = False):
    """`component` sent with the page but drawn later, in a box of its height (no layout shift): when the box
    nears the screen, else in the browser's idle time; `soon`: right after the first render, in a task of its
    own (assets/defer.js; pagekit registers the callback)."""
    data = component.to_plotly_json()
    return html.Div([html.Div(id={"type": "defer-slot", "of": key}, style={"minHeight": f"{height}px"},
                              **{"data-defer": key}),
                     dcc.Store(id={"type": "defer", "of": key}, data={"soon": True, "component": data} if soon else data)])


def table_card(chart: str, title: str, subtitle: str, lang: str, grid):
    return html.Section(className="card", children=[
        html.Div(className="card-head", children=[html.H3(title), html.Div(subtitle, className="subtitle")]),
        html.Div(className="card-tools", children=[download_buttons(chart, lang)]),
        grid,
    ])


def message(text: str, kind: str = "empty"):
    return html.Div(text, className=f"message message-{kind}", role="status")


# ---------------------------------------------------------------- grids (AG Grid)
# AG Grid's own zh-CN locale, in the browser (assets/ag-grid-locale-zh-cn.js, assets/analyst.js): an asset the
# browser caches, not 30 KB more in every grid of every page
GRID_LOCALE_ZH = {"function": "gansuLocaleText(params)"}


CJK_PX, ASCII_PX = 14.5, 7.6  # 14 px text (Noto Sans CJK)
CELL_CHROME_PX, HEAD_CHROME_PX = 24, 20  # a cell's padding (assets/analyst.css); a header's filter icon


@functools.lru_cache(maxsize=8192)  # a grid's cells repeat (categories, statuses, years)
def _text_px(s: str) -> float:
    return sum(CJK_PX if ord(ch) > 0x2E7F else ASCII_PX for ch in s)


def _head_px(s: str) -> float:
    """The width a header needs when it may wrap: its longest word; Chinese breaks between characters, on two
    lines at most."""
    words = [w[: (len(w) + 1) // 2] if any(ord(ch) > 0x2E7F for ch in w) else w for w in s.split()]
    return max([_text_px(w) for w in words] or [0])


def _cell(v):
    """A grid cell: missing as null, dates as dates (2018-07-09), times without the T (2026-12-01 09:30:00)."""
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, dt.datetime) or (hasattr(v, "to_pydatetime") and hasattr(v, "hour")):
        v = v.to_pydatetime() if hasattr(v, "to_pydatetime") else v
        return v.date().isoformat() if not (v.hour or v.minute or v.second) else v.isoformat(sep=" ")[:19]
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def grid_props(df, columns: list[dict], lang: str) -> dict:
    """rowData, columnDefs (each column at least as wide as its longest cell, headers wrapped, never cut; the
    grid's width shared out by AG Grid's own flex layout, so the columns do not move after the first paint as
    they did under columnSize="responsiveSizeToFit") and the grid's own words in the UI language."""
    rows = [{k: _cell(v) for k, v in r.items()} for r in df.to_dict("records")]
    cols = []
    for c in columns:
        longest = max([_text_px(str(r.get(c["field"]) if r.get(c["field"]) is not None else ""))
                       for r in rows[:500]] or [0])
        width = int(min(max(longest, _head_px(str(c.get("headerName", ""))) + HEAD_CHROME_PX) + CELL_CHROME_PX, 320))
        col = {"minWidth": max(width, 80), **c}
        if "maxWidth" in col:  # a cap never cuts the column's longest cell (in either language)
            col["maxWidth"] = max(col["maxWidth"], col["minWidth"])
        cols.append({"flex": col["minWidth"], **col})  # the grid's width shared out in that proportion
    return {"rowData": rows, "columnDefs": cols,
            "getLocaleText": GRID_LOCALE_ZH if lang != "en" else None}


GRID_COL_DEFAULTS = {"sortable": True, "filter": True, "resizable": True, "wrapHeaderText": True,
                     "autoHeaderHeight": True}


# ---------------------------------------------------------------- ranking as a table (keyboard route)
def ranking_table(df, f: Filters, lang: str, *, county_level: bool):
    """The ranking chart's rows as a table with real links: a prefecture opens the prefecture view, a county its
    page (Tab + Enter reach every place the chart shows)."""
    if df is None or df.empty:
        return None
    d = df[df["plan"].fillna(0) > 0].sort_values("completion", ascending=False)
    body = []
    for i, r in enumerate(d.itertuples(index=False), 1):
        link = href(f"/county/{r.code}", f) if county_level else href("/", f, prefecture=r.code, county=None)
        body.append(html.Tr([
            html.Td(str(i)),
            html.Td(dcc.Link(str(r.name), href=link, id=f"rank-link-{r.code}", className="rank-link")),
            html.Td(fmt_pct(r.completion, lang)),
            html.Td(f"{fmt_count(r.actual, f.level, lang)} / {fmt_count(r.plan, f.level, lang)}"),
            html.Td(t(f"rag_{r.status}", lang)),
        ]))
    head = html.Tr([html.Th(t(k, lang), scope="col") for k in
                    ("rank_col_rank", "rank_col_place", "rank_col_progress", "rank_col_actual", "col_status")])
    # the rows (~100 components) come after the page's first render, or when the table is opened
    return html.Details(className="rank-table", id="rank-table", children=[
        html.Summary(t("rank_table", lang)),
        deferred("rank-table", html.Table([html.Thead(head), html.Tbody(body)]), height=0),
    ])
