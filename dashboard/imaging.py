"""Server-side chart export: a plotly figure → PNG / SVG / PDF bytes, self-describing.

`figure_to_image` stamps the title, the place, the as-of date, the source line and (for demo data) the
demo label onto a copy of the figure, then renders it through kaleido (headless Chromium).

Kaleido details (see /work/shared/TOOLCHAIN.md, traps 3 and 5):
- one `kaleido.start_sync_server(n=1, mathjax=False)` per process, started lazily on the first export
  (~3 s) so later exports take a fraction of a second; the server is not thread-safe, so every render
  holds `_LOCK`.
- maps (geo subplots) fetch a world topojson even with the basemap hidden; we point kaleido at the copy
  the dashboard serves from `dashboard/assets/topojson/` with `pio.defaults.topojson = file://…/`.
"""

from __future__ import annotations

import atexit
import os
import threading
import warnings
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio

from dashboard import figures, settings, theme
from dashboard.i18n import fmt_date, t

FORMATS = ("png", "svg", "pdf")
TOPOJSON_DIR = Path(__file__).resolve().parent / "assets" / "topojson"
DEFAULT_WIDTH = 1400
DEFAULT_HEIGHT = 800
PRINT_SCALE = 3  # PNG at 1400 px × 3 = 4200 px wide: ~300 dpi across a 14-inch page width

_LOCK = threading.Lock()
_server = {"pid": None}


def _ensure_server() -> None:
    """Start the kaleido sync server once per process (call with _LOCK held)."""
    import kaleido

    if _server["pid"] == os.getpid():
        return
    if _server["pid"] is not None:  # a forked child: it inherits kaleido's "running" flag but not the server's
        kaleido._global_server._initialized = False  # thread, and would wait for it forever
    pio.defaults.topojson = TOPOJSON_DIR.as_uri() + "/"
    kaleido.start_sync_server(n=1, mathjax=False, silence_warnings=True)
    _server["pid"] = os.getpid()


@atexit.register
def _stop_server() -> None:
    """Stop kaleido at exit, but never wait more than a few seconds: its server thread can miss the stop
    sentinel (seen when it was started from a web server's worker thread) and the process must still end.
    The server thread is a daemon, so the process ends either way."""
    if _server["pid"] != os.getpid():
        return
    _server["pid"] = None

    def stop():
        try:
            import kaleido

            kaleido.stop_sync_server(silence_warnings=True)
        except Exception:  # noqa: BLE001 - shutting down
            pass

    stopper = threading.Thread(target=stop, daemon=True)
    stopper.start()
    stopper.join(timeout=5)


def map_lines(lang: str = "zh") -> list[str]:
    """The lines every exported map carries: the boundaries' source, and the map review number (审图号) from
    settings.MAP_REVIEW_NO or, without one, that the map is for internal use only."""
    from geo.boundaries import source_record

    rec = source_record()
    no = settings.MAP_REVIEW_NO
    return [t("map_boundary_source", lang, version=rec["version"], tolerance=rec["tolerance"]).replace("  ", " "),
            t("map_review_no", lang, no=no) if no else t("map_internal", lang)]


def is_map(fig) -> bool:
    data = fig.get("data", []) if isinstance(fig, dict) else fig.data
    return any((tr.get("type") if isinstance(tr, dict) else tr.type) in ("choropleth", "scattergeo") for tr in data)


def decorate(fig: go.Figure, *, title: str, place: str, as_of, source: str, demo: bool, lang: str = "zh",
             width: int | None = None, height: int | None = None, notes: list[str] | None = None) -> go.Figure:
    """A copy of `fig` with the title, place and as-of date on top and the source and demo label at the
    bottom (the figure's own title is replaced, so nothing is said twice); `notes`: more lines under the
    source (a map's boundary source and review number)."""
    out = go.Figure(fig)
    lay = out.layout
    w = int(width or lay.width or DEFAULT_WIDTH)
    h = int(height or lay.height or DEFAULT_HEIGHT)
    sep = t("colon", lang)
    as_of_text = f"{t('as_of', lang)}{sep}{fmt_date(as_of, lang)}" if as_of else ""
    sub = figures.esc(" · ".join(p for p in (place, as_of_text) if p))
    m = lay.margin
    top = max(int(m.t or 0), 110)
    notes = list(notes or [])
    bottom = max(int(m.b or 0), 40) + 46 + 22 * len(notes)
    left, right = max(int(m.l or 0), 30), max(int(m.r or 0), 30)
    out.update_layout(
        width=w, height=h,
        font=dict(family=theme.FONT),
        title=dict(text=f"<b>{figures.esc(title)}</b>", x=0.01, xanchor="left", y=1 - 16 / h, yref="container",
                   yanchor="top", pad=dict(l=4, t=0, b=0), font=dict(family=theme.FONT, size=22, color=theme.INK),
                   subtitle=dict(text=sub, font=dict(family=theme.FONT, size=15, color="#3E4C59"))),
        margin=dict(t=top, b=bottom, l=left, r=right),
    )
    if out.layout.legend.orientation == "h":
        out.update_layout(legend=dict(y=1.0, yanchor="bottom"))
    plot_h = max(h - top - bottom, 1)
    for i, line in enumerate(reversed(notes)):  # bottom up, under the source line
        out.add_annotation(text=figures.esc(line), xref="paper", yref="paper", x=0, xanchor="left",
                           y=-(bottom - 10 - 22 * i) / plot_h, yanchor="bottom", showarrow=False, align="left",
                           font=dict(family=theme.FONT, size=13, color="#3E4C59"),
                           name=f"export-note-{len(notes) - 1 - i}")
    y_foot = -(bottom - 10 - 22 * len(notes)) / plot_h  # paper coordinates, above the notes and the bottom edge
    foot = f"{t('source', lang)}{sep}{source}" if source else ""
    if foot:
        out.add_annotation(text=foot, xref="paper", yref="paper", x=0, xanchor="left", y=y_foot,
                           yanchor="bottom", showarrow=False, align="left",
                           font=dict(family=theme.FONT, size=13, color="#3E4C59"), name="export-source")
    if demo:
        out.add_annotation(text=f"<b>{t('demo_label', lang)}</b>", xref="paper", yref="paper", x=1,
                           xanchor="right", y=y_foot, yanchor="bottom", showarrow=False,
                           font=dict(family=theme.FONT, size=14, color=theme.RAG["red"]),
                           bordercolor=theme.RAG["red"], borderwidth=1, borderpad=3, name="export-demo")
    return out


def warm_up() -> None:
    """Start the kaleido server now (it boots in its own thread, ~3 s), so a report's queries run while the
    browser starts instead of before it."""
    with _LOCK:
        _ensure_server()


def render(fig: go.Figure, fmt: str = "png", *, scale: float | None = None) -> bytes:
    """Render a figure as it is (no decoration) through the per-process kaleido server."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
    if scale is None:
        scale = PRINT_SCALE if fmt == "png" else 1
    with _LOCK:
        _ensure_server()
        with warnings.catch_warnings():  # "kopts ignored when using a server": expected, the server has them
            warnings.simplefilter("ignore", UserWarning)
            return pio.to_image(fig, format=fmt, scale=scale, validate=False)


def figure_to_image(fig: go.Figure, fmt: str = "png", *, title: str, place: str, as_of, source: str,
                    demo: bool, lang: str = "zh", width: int | None = None, height: int | None = None,
                    scale: float | None = None) -> bytes:
    """Decorated figure → PNG (print resolution, scale ≥ 2), SVG or PDF bytes."""
    if fmt == "png" and scale is not None and scale < 2:
        raise ValueError("PNG exports are rendered at scale ≥ 2 (print resolution)")
    d = export_figure(fig, title=title, place=place, as_of=as_of, source=source, demo=demo, lang=lang,
                      width=width, height=height)
    return render(d, fmt, scale=scale)


def export_figure(fig, *, title: str, place: str, as_of, source: str, demo: bool, lang: str = "zh",
                  width: int | None = None, height: int | None = None):
    """The figure an export renders: decorated, and for a map with its boundaries (attached here when the
    figure came without them, as the app's figures do) and the map lines (`map_lines`)."""
    notes = map_lines(lang) if is_map(fig) else None
    if notes and isinstance(fig, dict):
        fig = _with_geometry(fig)
    geo = None
    if isinstance(fig, dict) and any("geojson" in tr for tr in fig.get("data", [])):
        # a map's boundaries are data, not options: kept out of the go.Figure that decorate builds (copying and
        # validating them cost ~1 s a map) and put back into the dict kaleido renders
        geo = [tr.get("geojson") for tr in fig["data"]]
        fig = {**fig, "data": [{k: v for k, v in tr.items() if k != "geojson"} for tr in fig["data"]]}
    d = decorate(fig, title=title, place=place, as_of=as_of, source=source, demo=demo, lang=lang,
                 width=width, height=height, notes=notes)
    if geo is not None:
        d = d.to_dict()
        for tr, g in zip(d["data"], geo):
            if g is not None:
                tr["geojson"] = g
    return d


def _with_geometry(fig: dict) -> dict:
    """A map figure dict with the boundaries on the traces that name them (meta counties / prefectures) and
    have none: the app's figures leave them to the browser."""
    if all(tr.get("geojson") or tr.get("meta") not in ("counties", "prefectures") for tr in fig.get("data", [])):
        return fig
    from dashboard.geoprep import map_geometry

    g = map_geometry()
    data = [{**tr, "geojson": g[tr["meta"]]} if tr.get("meta") in ("counties", "prefectures") and not tr.get("geojson")
            else tr for tr in fig["data"]]
    return {**fig, "data": data}
