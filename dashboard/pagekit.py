"""Page plumbing shared by the pages: reading the URL into Filters, safe layouts, figures for the layouts
(cached), the map-geometry attach, the URL-sync, download and report callbacks, grids.

A page is a function of its URL: a filter change writes the URL, and the page renders again with its figures."""

from __future__ import annotations

import functools
import logging
import traceback

import dash
import dash_ag_grid as dag
from dash import ALL, MATCH, ClientsideFunction, Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard import auth, charts, db, exports, figures, web
from dashboard import queries as Q
from dashboard.components import message
from dashboard.filters import Filters
from dashboard.i18n import t

log = logging.getLogger("dashboard")
LOCATION = "_pages_location"


def lang_of(query: dict) -> str:
    v = query.get("lang")
    v = v[-1] if isinstance(v, list) and v else v
    return "en" if v == "en" else "zh"


def read_filters(query: dict) -> tuple[Filters, Filters]:
    """(url_filters, filters): as in the URL (links keep "latest" when the URL has no quarter), and the
    filters the page shows (the as-of quarter filled with the latest snapshot)."""
    scope = Q.viewer_scope()
    cs = Q.counties(scope)
    url_filters = Filters.parse(query, prefectures=Q.prefectures(scope)["prefecture_code"],
                                counties=cs["county_code"], quarters=Q.quarters())
    return url_filters, Q.resolve(url_filters)


def page_start(query: dict, path: str):
    """What every page layout starts with: (url_filters, filters, the viewer's scope = the county codes they
    may see, meta, [header, notices])."""
    from dashboard import components as C

    url_filters, filters = read_filters(query)
    meta = Q.meta()
    return url_filters, filters, Q.viewer_scope(), meta, [C.header(url_filters, path, meta, filters.as_of_date),
                                                          C.notices(url_filters)]


def page_state(f: Filters, prefix: str | None = None, ctx_data: dict | None = None) -> list:
    """The stores the page's callbacks read: its filters and context, under the page's own ids and under
    the shared ids the download and report callbacks use."""
    ctx_data = ctx_data or {}
    stores = [dcc.Store(id="page-filters", data=f.to_query()), dcc.Store(id="page-ctx", data=ctx_data)]
    if prefix:
        stores += [dcc.Store(id=f"{prefix}-filters", data=f.to_query()), dcc.Store(id=f"{prefix}-ctx", data=ctx_data)]
    return stores


def safe_layout(fn):
    """A layout that never shows a traceback: missing warehouse and unexpected errors become messages."""

    @functools.wraps(fn)
    def wrapper(*args, **query):
        query = web.clean_query(query)  # bounded before use; a code that is not 6 or 12 digits names no place
        if "code" in query and not (web.is_code(query["code"], "county") or web.is_code(query["code"], "village")):
            query["code"] = str(query["code"])[:16]
        lang = lang_of(query)
        try:
            return fn(*args, **query)
        except db.WarehouseMissing:
            return html.Main(className="page", children=[message(t("missing_db", lang, path=db.db_path()), "error")])
        except Exception as e:  # noqa: BLE001
            log.error("layout %s failed: %s", fn.__name__, traceback.format_exc())
            return html.Main(className="page", children=[message(t("error", lang, msg=type(e).__name__), "error")])

    return wrapper


# components.deferred: the slot gets its component when shown (assets/defer.js)
dash.clientside_callback(ClientsideFunction(namespace="defer", function_name="show"),
                         Output({"type": "defer-slot", "of": MATCH}, "children"),
                         Input({"type": "defer", "of": MATCH}, "data"))


def geo_config() -> dict:
    return {"topojsonURL": dash.get_asset_url("topojson/"), "scrollZoom": False}


@Q.cached(presentation=True)
def cached_figure(name: str, f: Filters, scope: frozenset, ctx_items: tuple) -> dict:
    """Figure JSON per (chart, filters it shows, scope, context, warehouse version): building plotly
    figures is most of a page's CPU, and a meeting room or a prefecture team asks for the same views
    again and again."""
    return charts.figure(name, f, scope, dict(ctx_items))


def figure_or_message(name: str, f: Filters, ctx_: dict | None = None, height: int = 420) -> dict:
    """A chart's figure JSON for the page layout (effective filters), or an empty figure saying what to do."""
    try:
        return cached_figure(name, charts.figure_filters(name, f), Q.viewer_scope(), tuple(sorted((ctx_ or {}).items())))
    except db.WarehouseMissing:
        return figures.empty_figure(t("missing_db", f.lang, path=db.db_path()), height=height)
    except Exception as e:  # noqa: BLE001
        log.error("chart %s failed: %s", name, traceback.format_exc())
        return figures.empty_figure(t("error", f.lang, msg=type(e).__name__), height=height)


def attach_geometry(raw_id: str, graph_id: str, only_listed: bool = False) -> None:
    """Browser-side: the server's map figure (no geometry) + the geometry fetched once per visit -> the graph.
    `only_listed` keeps just the counties the figure colours (a county page's own outline)."""
    dash.clientside_callback(
        ClientsideFunction(namespace="geo", function_name="attachListed" if only_listed else "attach"),
        Output(graph_id, "figure"),
        Input(raw_id, "data"),
    )


def url_sync(prefix: str, fields: dict[str, str]) -> None:
    """Write the controls of a page into the URL query (which re-renders the page from the URL)."""

    @callback(
        Output(LOCATION, "search", allow_duplicate=True),
        [Input(cid, "value") for cid in fields.values()],
        State(f"{prefix}-filters", "data"),
        prevent_initial_call=True,
    )
    def _sync(*values):
        *values, data = values
        if not web.short_values(values) or not isinstance(data, (dict, type(None))):
            return no_update
        f = Filters.parse(data or {})
        kw = {}
        for field, v in zip(fields, values):
            if field in ("prefecture", "county", "ctype", "deep"):
                v = None if v in (None, "", "all") else v
            elif field == "pathway":
                v = v or "all"
            kw[field] = v
        if "prefecture" in kw and kw["prefecture"] != f.prefecture and "county" not in kw:
            kw["county"] = None  # cascading: a new prefecture clears the county
        if "prefecture" in kw and kw["prefecture"] != f.prefecture and kw.get("county"):
            cs = Q.counties(Q.viewer_scope())
            row = cs[cs["county_code"] == kw["county"]]
            if row.empty or row.iloc[0]["prefecture_code"] != kw["prefecture"]:
                kw["county"] = None
        new = f.replace(**kw).to_search()
        old = f.to_search()
        return no_update if new == old else (new or "?")


@callback(
    Output("download", "data"),
    Input({"type": "dl", "chart": ALL, "fmt": ALL}, "n_clicks"),
    State("page-filters", "data"),
    State("page-ctx", "data"),
    prevent_initial_call=True,
)
def download(_clicks, data, ctx_data):
    trig = ctx.triggered_id
    if not trig or not any(c for c in (_clicks or []) if c):
        return no_update
    if not ctx.triggered or not ctx.triggered[0].get("value"):
        return no_update
    ctx_data = web.clean_ctx(ctx_data)
    if ctx_data is None or not isinstance(data, (dict, type(None))):
        return no_update
    f = Q.resolve(Filters.parse(data or {}))
    scope = Q.viewer_scope()
    name, fmt = trig["chart"], trig["fmt"]
    if fmt not in ("csv", "xlsx", "png", "svg", "pdf") or not web.short_values([name], 32):
        return no_update
    pii = name == "households" and auth.pii_granted()  # unmasked only for a granted user, only this grid
    df = (Q.households(f, (ctx_data or {}).get("village", ""), scope, pii=True) if pii
          else charts.chart_data(name, f, scope, ctx_data or {}))
    fname = charts.filename(name, f, scope, ctx_data or {}, fmt)
    auth.audit("pii_export" if pii else "export", target=(ctx_data or {}).get("village") or (ctx_data or {}).get(
        "county") or f.county or f.prefecture or name, rows=len(df), detail=f"{name} {fmt} {f.as_of or ''}")
    if fmt in ("png", "svg", "pdf"):  # server-side, with title, scope, as-of, source and demo label on the image
        from dashboard import imaging

        meta = Q.meta()
        return web.run_heavy(lambda: dcc.send_bytes(imaging.figure_to_image(
            charts.figure(name, f, scope, ctx_data or {}), fmt, title=charts.title(name, f, scope, ctx_data or {}),
            place=" · ".join(f.place_parts(Q.names(scope))), as_of=f.as_of_date,
            source=charts.subtitle(f, meta), demo=meta.get("demo") == "true", lang=f.lang), fname), f.lang)
    return dcc.send_bytes(exports.chart_file(name, f, scope, ctx_data or {}, "xlsx" if fmt == "xlsx" else "csv",
                                             rows=df), fname)


@callback(
    Output("download", "data", allow_duplicate=True),
    Input({"type": "report", "fmt": ALL}, "n_clicks"),
    State("page-filters", "data"),
    State("page-ctx", "data"),
    prevent_initial_call=True,
)
def report(_clicks, data, ctx_data):
    """Word report or PowerPoint deck for the scope on screen (county > prefecture > province), as of the
    quarter on screen: the same documents as `python -m dashboard.report`, on the app's own connection."""
    if not ctx.triggered_id or not ctx.triggered or not ctx.triggered[0].get("value"):
        return no_update
    ctx_data, fmt = web.clean_ctx(ctx_data), ctx.triggered_id["fmt"]
    if ctx_data is None or not isinstance(data, (dict, type(None))) or fmt not in ("docx", "pdf", "pptx"):
        return no_update
    f = Q.resolve(Filters.parse(data or {}))

    def build():
        from dashboard.docx_report import PdfError

        try:
            content, fname = report_file(fmt, f, ctx_data)
        except PdfError as e:  # LibreOffice missing or too slow: said in the log, the page stays as it is
            log.error("PDF report failed: %s", e)
            return no_update
        return dcc.send_bytes(content, fname)

    return web.run_heavy(build, f.lang)


def report_file(fmt: str, f: Filters, ctx_data: dict) -> tuple[bytes, str]:
    """(bytes, file name) of the report the header buttons ask for (docx, pdf or pptx), in the page's language,
    named after the place and quarter it holds."""
    from dashboard import docx_report, facts, pptx_report

    county = ctx_data.get("county") or (ctx_data.get("village") or "")[:6] or f.county
    code = county or f.prefecture or auth.home_code()  # the user's own scope, not a province-titled subset
    build = {"docx": docx_report.build_docx, "pdf": docx_report.build_pdf, "pptx": pptx_report.build_pptx}[fmt]
    auth.audit("export", target=code, rows=len(Q.scope_counties(code) & Q.viewer_scope()),
               detail=f"report {fmt} {f.as_of or ''}")
    quarter, _ = facts.snap(f.as_of)
    what = "r_file_pptx" if fmt == "pptx" else "r_file_docx"
    name = f"{code}_" + facts.filters_for(code, quarter, f.lang).filename(what, Q.names(Q.viewer_scope()), fmt)
    return build(code, quarter, f.lang), name


GRID_ROW_PX, GRID_CHROME_PX = 42, 110  # AG Grid's row height; header + pagination bar


def grid(id_, df, columns: list[dict], row_id: str | None = None, height: int = 420, lang: str = "zh",
         defer: bool = False):
    """A sortable, filterable AG Grid. `columns` = [{"field": ..., "headerName": ...}, ...].
    A page holds the rows that fit the height: no scrolling inside a page, and the browser draws only
    those rows (50 rows a page cost ~0.4 s of first paint on the county page). Words, widths and dates:
    components.grid_props. `defer`: drawn after the page's first render (components.deferred), as a grid's
    mount is ~100 ms of it."""
    from dashboard import components as C

    page_size = max(5, (height - GRID_CHROME_PX) // GRID_ROW_PX)
    props = C.grid_props(df, columns, lang)
    # the box keeps the grid's height while AG Grid's script loads (no layout shift below it)
    box = html.Div(style={"minHeight": f"{height}px"}, children=dag.AgGrid(
        id=id_, rowData=props["rowData"], columnDefs=props["columnDefs"],
        defaultColDef=C.GRID_COL_DEFAULTS,
        dashGridOptions={"pagination": True, "paginationPageSize": page_size, "animateRows": False,
                         "paginationPageSizeSelector": sorted({page_size, 20, 50, 100}),
                         "enableCellTextSelection": True,
                         **({"getLocaleText": props["getLocaleText"]} if props["getLocaleText"] else {})},
        getRowId=f"params.data.{row_id}" if row_id else None,
        style={"height": f"{height}px", "width": "100%"},
    ))
    return C.deferred(id_, box, height) if defer else box
