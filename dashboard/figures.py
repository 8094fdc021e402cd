"""Pure figure builders: DataFrame (+ words) → a plotly figure as a dict ({"data": [...], "layout": {...}},
what plotly.js draws). No I/O, no Dash.

Every figure carries its own title (scope · period · measure) and a subtitle line with the as-of date,
the source and, for demo data, the demo label, so an exported image is self-describing.
Map figures leave `geojson` empty unless given: the app attaches the geometry in the browser from a
store sent once per visit (recolouring never resends geometry).
Figures are plain dicts because plotly's object model was most of a page's CPU (`update_layout` ~8 ms a
call; building and serialising five `go.Figure`s ~40 ms of a county page). `go.Figure(fig)` validates a figure
and is what image export and the tests use.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from dashboard import metrics, settings, theme
from dashboard.i18n import fmt_count, fmt_number, fmt_pct, t, value_label


def esc(v):
    """Data text for a plotly text field (titles, ticks, hovers), shown as written: plotly draws a subset
    of HTML there (`<a href>` becomes a live link), and it decodes these entities back to the characters."""
    if not isinstance(v, str):
        return v
    return v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def esc_all(values) -> list:
    return [esc(v) for v in values]


def _merge(base: dict, extra: dict) -> dict:
    """`base` updated by `extra`, nested dicts merged key by key (as plotly's update_layout does)."""
    out = dict(base)
    for k, v in extra.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _figure(traces: list[dict], title: str, subtitle: str, height: int = 420, **layout) -> dict:
    """The figure: theme (template included), title with subtitle, height, then `layout` merged on top."""
    base = dict(
        theme.BASE_LAYOUT,
        title=dict(text=f"<b>{esc(title)}</b><br><span style='font-size:12px;color:#52606D'>{esc(subtitle)}</span>",
                   x=0.01, xanchor="left", y=1, yref="container", yanchor="top", pad=dict(t=14),
                   font=dict(size=18)),
        height=height,
    )
    return {"data": traces, "layout": _merge(base, layout)}


def _line(x0, x1, y0, y1, xref: str, yref: str, dash: str, color: str) -> dict:
    return dict(type="line", x0=x0, x1=x1, y0=y0, y1=y1, xref=xref, yref=yref, line=dict(dash=dash, color=color))


def empty_figure(message: str, title: str = "", subtitle: str = "", height: int = 300) -> dict:
    return _figure([], title, subtitle, height, xaxis=dict(visible=False), yaxis=dict(visible=False), annotations=[
        dict(text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
             font=dict(size=16, color="#52606D"))])


def year_label(y: int, lang: str) -> str:
    return t("before_2018", lang) if y <= settings.BEFORE_PLAN else t("year_fmt", lang, year=y)


# ---------------------------------------------------------------- exit schedule
def schedule_figure(df: pd.DataFrame, *, level: str, view: str, lang: str, title: str, subtitle: str,
                    current_year: int | None = None, projected: float | None = None) -> dict:
    """df: year (2017 = before 2018), plan, actual. `projected` = year-end value of the current year at
    the current pace; drawn hatched on top of the current year."""
    if df.empty:
        return empty_figure(t("empty", lang), title, subtitle)
    df = df.sort_values("year").reset_index(drop=True)
    unit = level
    x = [year_label(int(y), lang) for y in df["year"]]
    plan = df["plan"].astype(float)
    actual = df["actual"].astype(float)
    # a year that has not started (or not been reached by the as-of date) has no actual bar
    future = [current_year is not None and int(y) > current_year for y in df["year"]]
    actual = actual.where(~pd.Series(future), other=float("nan"))
    if view == "cumulative":
        plan, actual = plan.cumsum(), actual.cumsum()
        actual = actual.where(~pd.Series(future), other=float("nan"))
    traces = [
        dict(type="bar", x=x, y=plan, name=t("plan", lang), marker=dict(color=theme.PLAN),
             text=[fmt_count(v, unit, lang) for v in plan], textposition="outside",
             hovertemplate="%{x} " + t("plan", lang) + ": %{text}<extra></extra>"),
        dict(type="bar", x=x, y=actual, name=t("actual", lang), marker=dict(color=theme.ACTUAL),
             text=["" if math.isnan(v) else fmt_count(v, unit, lang) for v in actual], textposition="outside",
             hovertemplate="%{x} " + t("actual", lang) + ": %{text}<extra></extra>"),
    ]
    if projected is not None and current_year is not None and current_year in set(df["year"]):
        i = int(df.index[df["year"] == current_year][0])
        base = float(actual.iloc[i - 1]) if view == "cumulative" and i > 0 else 0.0
        val = round(base + projected)
        ys = [None] * len(x)
        ys[i] = val
        traces.append(dict(
            type="bar", x=x, y=ys, name=t("projection", lang),
            marker=dict(color="rgba(0,0,0,0)", line=dict(color=theme.PROJECTION, width=2),
                        pattern=dict(shape="/", fgcolor=theme.PROJECTION, size=8, solidity=0.3)),
            text=[fmt_count(val, unit, lang) if v is not None else "" for v in ys], textposition="outside",
            hovertemplate="%{x} " + t("projection", lang) + ": %{text}<extra></extra>"))
    ymax = max([v for v in list(plan) + list(actual) + [projected or 0] if not math.isnan(v)] or [1])
    return _figure(traces, title, subtitle, barmode="group", bargap=0.25,
                   yaxis=dict(range=[0, ymax * 1.18], gridcolor=theme.LIGHT_GREY, tickformat=",d",
                              separatethousands=True))


# ---------------------------------------------------------------- county map
def _bins_count(values: pd.Series) -> list[float]:
    v = values.dropna()
    if v.empty or v.max() <= 0:
        return [0, 1]
    top = float(v.max())
    mag = 10 ** math.floor(math.log10(top))
    step = math.ceil(top / mag / 4) * mag / 1.0
    return [0] + [step * k for k in range(1, 5)]


def classify(df: pd.DataFrame, metric: str, lang: str, level: str = "people"):
    """Per county: class index, legend labels, colours and the value text for hover (dashboard.metrics says
    how each metric is classed, at the dashboard's level). Non-poverty counties and 'no data' are explicit classes."""
    m = metrics.for_level(metric, level)[1]
    poverty = df["is_poverty_county"].fillna(False).astype(bool).to_numpy()
    cls = np.full(len(df), -1, dtype="int64")  # numpy masks: pandas' setitem cost ~0.1 ms a step
    v = df[m.column]
    a = v.to_numpy(dtype="float64", na_value=np.nan)
    known = ~np.isnan(a)
    if m.kind == "bands":
        labels, colors = m.labels(lang), list(m.colors)
        value_text = v.map(lambda x: fmt_pct(x, lang, m.digits))
        for i, e in enumerate(m.edges):
            cls[a >= e] = i
    elif m.kind == "years":
        years = settings.SCHEDULE_YEARS
        labels = [year_label(y, lang) for y in years]
        colors = [theme.YEARS[y] for y in years]
        for i, y in enumerate(years):
            cls[known & (np.maximum(a, years[0]) == y)] = i
        value_text = v.map(lambda x: "—" if pd.isna(x) else year_label(int(x), lang))
    else:  # counts
        v = v.astype("float64")
        edges = _bins_count(v.clip(lower=0))
        labels = [f"{fmt_number(edges[i], lang)}–{fmt_number(edges[i + 1], lang)}" for i in range(len(edges) - 1)]
        labels[-1] = f"≥{fmt_number(edges[-2], lang)}"
        labels[0] = f"≤{fmt_number(edges[1], lang)}" if len(edges) > 2 else labels[0]
        colors = list(m.colors[1:len(labels) + 1])
        for i, e in enumerate(edges[:-1]):
            cls[(np.maximum(a, 0) >= e) if i else known] = i
        value_text = v.map(lambda x: fmt_count(x, m.unit, lang))
    value_text = value_text.to_numpy(dtype="object", copy=True)
    if m.kind == "years" and m.not_exited:
        labels.append(t("not_exited", lang))
        colors.append(theme.SEQ_ORANGE[2])
        cls[poverty & ~known] = len(years)
        value_text[poverty & ~known] = t("not_exited", lang)
    n = len(labels)
    labels = labels + [t("no_data", lang), t("non_poverty", lang)]
    colors = colors + [theme.NO_DATA, theme.LIGHT_GREY]
    cls[poverty & (cls < 0)] = n  # poverty county without a value → explicit "no data"
    cls[~poverty] = n + 1
    value_text[~poverty] = t("non_poverty", lang)
    return pd.Series(cls, index=df.index), labels, colors, pd.Series(value_text, index=df.index, dtype="object")


def choropleth_figure(df: pd.DataFrame, *, metric: str, lang: str, title: str, subtitle: str,
                      prefectures: list[str] | None = None, counties_geojson: dict | None = None,
                      prefectures_geojson: dict | None = None, height: int = 620, level: str = "people",
                      labels: list[tuple[str, float, float]] | None = None) -> dict:
    """df: one row per county (dashboard.queries.county_metrics). Colours are discrete classes of the metric at
    the dashboard's `level`; `labels`: place names drawn at (name, lon, lat) where they fit."""
    if df.empty:
        return empty_figure(t("empty", lang), title, subtitle, height)
    label_key = metrics.for_level(metric, level)[0]
    cls, class_labels, colors, value_text = classify(df, metric, lang, level)
    labels, place_labels = class_labels, labels
    n = len(labels)
    scale = []
    for i, c in enumerate(colors):
        scale += [[i / n, c], [(i + 1) / n, c]]
    metric_name = t(label_key, lang)
    custom = list(zip(esc_all(df["county_name"]), esc_all(df["prefecture_name"].fillna("")), value_text,
                      df["county_code"]))
    traces = [dict(
        type="choropleth",
        geojson=counties_geojson, featureidkey="properties.code", locations=df["county_code"],
        z=cls.astype(float), zmin=-0.5, zmax=n - 0.5, colorscale=scale, customdata=custom,
        marker=dict(line=dict(color="#6B7280", width=0.5)),
        hovertemplate="<b>%{customdata[0]}</b>" + t("paren", lang, text="%{customdata[1]}") + "<br>" + metric_name
                      + t("colon", lang) + "%{customdata[2]}<extra></extra>",
        colorbar=dict(tickvals=list(range(n)), ticktext=labels, title=dict(text=""), len=0.8, thickness=18,
                      outlinecolor="#6B7280", outlinewidth=1),
        meta="counties", name=metric_name,
    )]
    if prefectures:
        traces.append(dict(
            type="choropleth", geojson=prefectures_geojson, featureidkey="properties.code", locations=prefectures,
            z=[0] * len(prefectures), colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
            showscale=False, hoverinfo="skip", marker=dict(line=dict(color=theme.INK, width=1.8)),
            meta="prefectures", name="prefectures",
        ))
    if place_labels:
        traces.append(dict(type="scattergeo", mode="text", lon=[x[1] for x in place_labels],
                           lat=[x[2] for x in place_labels], text=esc_all([x[0] for x in place_labels]),
                           hoverinfo="skip", showlegend=False, meta="labels",
                           textfont=dict(size=12, color=theme.INK, family=theme.FONT,
                                         shadow="-1px -1px 2px white, 1px -1px 2px white, -1px 1px 2px white, "
                                                "1px 1px 2px white")))
    return _figure(traces, title, subtitle, height, margin=dict(l=10, r=10, t=80, b=10), clickmode="event",
                   dragmode=False, geo=_GEO | dict(bgcolor="white"))


def big_screen(fig: dict, *, background: str, text: str, classes: list[str] | None = None,
               labels: list[tuple[str, float, float]] | None = None, label_color: str | None = None) -> dict:
    """A figure restyled for the meeting room's screen: no title, the theme's background and text colour, no
    margins. `classes`: the map's class colours for this background (replacing the counties' colours, same
    order); `labels`: place names drawn on the map at (name, lon, lat)."""
    layout = _merge(fig["layout"], dict(paper_bgcolor=background, font=dict(size=22, color=text),
                                        margin=dict(l=0, r=0, t=10, b=0), geo=dict(bgcolor=background)))
    layout.pop("title", None)
    data = [dict(tr) for tr in fig["data"]]
    for tr in data:
        if tr.get("meta") == "counties" and classes:
            n = len(classes)
            tr["colorscale"] = [x for i, c in enumerate(classes) for x in ([i / n, c], [(i + 1) / n, c])]
            tr["colorbar"] = _merge(tr.get("colorbar", {}), dict(tickfont=dict(color=text, size=22)))
    if labels:
        data = [tr for tr in data if tr.get("meta") != "labels"]
        data.append(dict(type="scattergeo", mode="text", lon=[x[1] for x in labels], lat=[x[2] for x in labels],
                         text=[x[0] for x in labels], hoverinfo="skip", showlegend=False, meta="labels",
                         textfont=dict(size=18, color=label_color or text, family=theme.FONT, weight=700,
                                       shadow=", ".join(f"{x}px {y}px 2px {background}"
                                                        for x in (-1, 1) for y in (-1, 1)))))
    return {"data": data, "layout": layout}


_GEO = dict(fitbounds="locations", visible=False, projection=dict(type="mercator"))


def village_map_figure(df: pd.DataFrame, *, county_code: str, lang: str, title: str, subtitle: str,
                       counties_geojson: dict | None = None, height: int = 520) -> dict:
    """Villages as points coloured by status, over the county outline."""
    d = df.dropna(subset=["lon", "lat"])
    if d.empty:
        return empty_figure(t("empty", lang), title, subtitle, height)
    traces = [dict(
        type="choropleth", geojson=counties_geojson, featureidkey="properties.code", locations=[county_code], z=[0],
        colorscale=[[0, "#F7F7F7"], [1, "#F7F7F7"]], showscale=False, hoverinfo="skip",
        marker=dict(line=dict(color=theme.INK, width=1.5)), meta="counties", name="county")]
    for status in ("behind", "on_plan", "exited"):
        s = d[d["status"] == status]
        if s.empty:
            continue
        traces.append(dict(
            type="scattergeo", lon=s["lon"], lat=s["lat"], mode="markers", name=t(f"st_{status}", lang),
            marker=dict(size=9, color=theme.STATUS[status], line=dict(color="white", width=0.8),
                        symbol={"behind": "square", "on_plan": "circle", "exited": "diamond"}[status]),
            customdata=list(zip(esc_all(s["village_name"]), s["village_code"], s["incidence"].map(lambda x: fmt_pct(x, lang)))),
            hovertemplate="<b>%{customdata[0]}</b><br>" + t("col_incidence", lang) + ": %{customdata[2]}<extra></extra>",
        ))
    return _figure(traces, title, subtitle, height, margin=dict(l=10, r=10, t=80, b=10), geo=_GEO)


# ---------------------------------------------------------------- ranking, pathways
def ranking_figure(df: pd.DataFrame, *, lang: str, title: str, subtitle: str, level: str) -> dict:
    """df: code, name, plan, actual, completion, status, villages_behind (sorted). Bars = completion (actual /
    expected to date), coloured by status (dashboard.progress); a dashed line marks 100 % of the expected."""
    d = df[df["plan"].fillna(0) > 0]
    if d.empty:
        return empty_figure(t("empty", lang), title, subtitle)
    d = d.sort_values("completion", ascending=True)
    exp = 1.0
    # the completion scheme of the map (theme.PROGRESS by the map's classes); grey when not rated
    colors = [metrics.progress_colour(c) if s in ("red", "amber", "green") else theme.RAG[s]
              for c, s in zip(d["completion"], d["status"])]
    text = [f"{fmt_pct(c, lang)} ({fmt_count(a, level, lang)} / {fmt_count(p, level, lang)})"
            for c, a, p in zip(d["completion"], d["actual"], d["plan"])]
    behind = [f"{t('behind', lang)}: {0 if pd.isna(b) else int(b)}" for b in d["villages_behind"]]
    bars = dict(type="bar", y=esc_all(d["name"]), x=d["completion"], orientation="h", marker=dict(color=colors), text=text,
                textposition="outside", cliponaxis=False, customdata=d["code"], hovertext=behind,
                hovertemplate="%{y}: %{text}<br>%{hovertext}<extra></extra>")
    h = max(320, 34 * len(d) + 120)
    return _figure(
        [bars], title, subtitle, h, margin=dict(l=20, r=30, t=90, b=40), showlegend=False,
        yaxis=dict(automargin=True),
        xaxis=dict(tickformat=".0%", range=[0, max(1.3, float(d["completion"].max() or 0) * 1.7)],
                   gridcolor=theme.LIGHT_GREY),
        shapes=[_line(exp, exp, 0, 1, "x", "y domain", "dash", theme.INK)],
        annotations=[dict(text=f"{t('kpi_expected', lang)} {fmt_pct(exp, lang)}", x=exp, xref="x", xanchor="center",
                          y=1, yref="y domain", yanchor="bottom", showarrow=False)])


def pathways_figure(df: pd.DataFrame, *, lang: str, title: str, subtitle: str, pathway: str = "all") -> dict:
    """df: pathway, unit, plan, actual. Grouped horizontal bars; housing and water are in households.
    A chosen `pathway` is highlighted: its bars in the plan/actual colours and its name in bold, the others grey."""
    if df.empty:
        return empty_figure(t("empty", lang), title, subtitle)
    d = df.iloc[::-1]
    names = [t(f"pw_{p}", lang) + (t("paren", lang, text=t("households", lang)) if u == "households" else "")
             for p, u in zip(d["pathway"], d["unit"])]
    chosen = [pathway in ("all", p) for p in d["pathway"]]
    if pathway != "all":
        names = [f"<b>{n}</b>" if c else n for n, c in zip(names, chosen)]
    plan_colors = [theme.PLAN if c else theme.LIGHT_GREY for c in chosen]
    actual_colors = [theme.ACTUAL if c else theme.GREY for c in chosen]
    traces = [
        dict(type="bar", y=names, x=d["plan"], orientation="h", name=t("plan", lang), marker=dict(color=plan_colors),
             text=[fmt_count(v, u, lang) for v, u in zip(d["plan"], d["unit"])], textposition="outside",
             cliponaxis=False),
        dict(type="bar", y=names, x=d["actual"], orientation="h", name=t("actual", lang),
             marker=dict(color=actual_colors), cliponaxis=False, textposition="outside",
             text=[f"{fmt_count(v, u, lang)} · {fmt_pct(v / p if p and not pd.isna(p) else None, lang)}"
                   for v, p, u in zip(d["actual"], d["plan"], d["unit"])]),
    ]
    if pathway != "all":  # the legend in the plan/actual colours (a bar trace's legend takes its first bar's, grey)
        for tr, colour in zip(traces, (theme.PLAN, theme.ACTUAL)):
            tr["showlegend"] = False
            traces.append(dict(type="scatter", x=[None], y=[None], mode="markers", name=tr["name"], hoverinfo="skip",
                               marker=dict(symbol="square", size=12, color=colour)))
    return _figure(traces, title, subtitle, 460, barmode="group", margin=dict(l=150, r=60, t=90, b=40),
                   xaxis=dict(range=[0, float(d[["plan", "actual"]].max().max() or 1) * 1.35],
                              gridcolor=theme.LIGHT_GREY))


# ---------------------------------------------------------------- county / village details
BREAKDOWN_HEIGHT = 640  # three panels stacked: every category gets its own labelled row


def breakdown_figure(df: pd.DataFrame, *, lang: str, title: str, subtitle: str) -> dict:
    """df: dimension, category, households. Status, household type and main cause stacked (one panel each, as
    tall as its categories), each category's label on its row (all ticks listed: plotly drops labels that
    crowd otherwise), register values in the UI language."""
    if df.empty:
        return empty_figure(t("empty", lang), title, subtitle)
    dims = [d for d in ("status", "attribute", "cause") if (df["dimension"] == d).any()]
    rows = {d: int((df["dimension"] == d).sum()) for d in dims}
    gap = 0.07  # room for a panel's heading
    span = 1 - gap * len(dims)
    traces, axes, titles, top = [], {}, [], 1.0
    for i, dim in enumerate(dims):
        s = df[df["dimension"] == dim].sort_values("households")
        n = "" if i == 0 else str(i + 1)
        labels = esc_all([value_label(c, lang) for c in s["category"]])
        high = top - gap
        low = high - span * rows[dim] / sum(rows.values())
        traces.append(dict(type="bar", y=labels, x=s["households"], orientation="h", xaxis=f"x{n}",
                           yaxis=f"y{n}", marker=dict(color=theme.BLUE), textposition="outside", cliponaxis=False,
                           showlegend=False, text=[fmt_count(v, "households", lang) for v in s["households"]],
                           hovertemplate="%{y}: %{text}<extra></extra>"))
        axes[f"xaxis{n}"] = dict(anchor=f"y{n}", domain=[0.0, 1.0], gridcolor=theme.LIGHT_GREY,
                                 range=[0, float(s["households"].max() or 1) * 1.5], showticklabels=False)
        axes[f"yaxis{n}"] = dict(anchor=f"x{n}", domain=[max(low, 0.0), high], automargin=True,
                                 tickmode="array", tickvals=labels, ticktext=labels, tickfont=dict(size=13))
        titles.append(dict(text=t(f"dim_{dim}", lang), x=0, xref="paper", xanchor="left", y=high, yref="paper",
                           yanchor="bottom", showarrow=False, font=dict(size=15)))
        top = low
    return _figure(traces, title, subtitle, BREAKDOWN_HEIGHT, margin=dict(l=20, r=30, t=90, b=20),
                   annotations=titles, bargap=0.25, **axes)


def _round_step(top: float) -> float:
    """A round tick step (1, 2 or 5 × 10^k) giving about four ticks up to `top`."""
    raw = top / 4
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)


def history_figure(df: pd.DataFrame, *, lang: str, title: str, subtitle: str, as_of: str | None = None) -> dict:
    """df: quarter_label, remaining_people, returned_households, new_households (optional), incidence.
    The series end at the as-of quarter (the query's rows), which is marked. Incidence on the right axis from 0
    with round ticks; the 3 % exit line is labelled inside the plot, away from the ticks."""
    if df.empty:
        return empty_figure(t("empty", lang), title, subtitle)
    x = df["quarter_label"]
    traces = [dict(type="bar", x=x, y=df["remaining_people"], name=t("h_remaining", lang),
                   marker=dict(color=theme.PLAN))]
    if "returned_households" in df:
        traces.append(dict(type="scatter", x=x, y=df["returned_households"], name=t("h_returned", lang),
                           mode="lines+markers", line=dict(color=theme.VERMILION)))
    if "new_households" in df:
        traces.append(dict(type="scatter", x=x, y=df["new_households"], name=t("h_new", lang),
                           mode="lines+markers", line=dict(color=theme.PURPLE, dash="dot")))
    traces.append(dict(type="scatter", x=x, y=df["incidence"], name=t("h_incidence", lang), mode="lines+markers",
                       line=dict(color=theme.INK, width=3), xaxis="x", yaxis="y2"))
    exit_line = settings.INCIDENCE_EXIT
    top = max(float(pd.to_numeric(df["incidence"], errors="coerce").max() or 0), exit_line) * 1.15
    step = _round_step(top)
    top = math.ceil(top / step) * step
    pct = f"{exit_line * 100:g}%"
    shapes = [_line(0, 1, exit_line, exit_line, "x domain", "y2", "dash", theme.GREEN)]
    notes = [dict(text=t("exit_line", lang, pct=pct), x=0.01, xref="x domain", xanchor="left", y=exit_line,
                  yref="y2", yanchor="bottom", showarrow=False, font=dict(size=13, color=theme.GREEN))]
    if as_of and as_of in set(x):
        shapes.append(_line(as_of, as_of, 0, 1, "x", "y domain", "dot", theme.INK))
        notes.append(dict(text=t("as_of_mark", lang, q=as_of), x=as_of, xref="x", xanchor="right", y=0.97,
                          yref="y domain", yanchor="top", showarrow=False, font=dict(size=13)))
    return _figure(
        traces, title, subtitle, 400,
        xaxis=dict(anchor="y", domain=[0.0, 0.92], type="category"),
        yaxis=dict(anchor="x", domain=[0.0, 1.0], gridcolor=theme.LIGHT_GREY, rangemode="tozero"),
        # a little headroom over the top tick: its label stays clear of the legend above the plot
        yaxis2=dict(anchor="x", overlaying="y", side="right", range=[0, top + step * 0.2], dtick=step, tick0=0,
                    tickformat=".0%" if step >= 0.01 else ".1%", showgrid=False),
        shapes=shapes, annotations=notes)


def target_series_figure(df: pd.DataFrame, *, target: dict, lang: str, title: str, subtitle: str) -> dict:
    """A plan target's reported values (df: period_end, value, is_demo) against its value (horizontal line) and
    deadline (vertical line); published values filled, demo values hollow, each named in the legend."""
    if df.empty or not target:
        return empty_figure(t("empty", lang), title, subtitle)
    df = df.sort_values("period_end")
    x = df["period_end"].astype(str).str[:10].tolist()
    y = pd.to_numeric(df["value"], errors="coerce").tolist()
    demo = df["is_demo"].fillna(True).astype(bool).tolist()
    traces = [dict(type="scatter", x=x, y=y, mode="lines", line=dict(color=theme.BLUE, width=2), showlegend=False,
                   hoverinfo="skip")]
    for is_demo, name, symbol in ((False, t("tg_real", lang), "circle"), (True, t("tg_demo", lang), "circle-open")):
        pts = [(a, b) for a, b, d in zip(x, y, demo) if d == is_demo]
        if pts:
            traces.append(dict(type="scatter", x=[a for a, _ in pts], y=[b for _, b in pts], mode="markers",
                               name=name, marker=dict(symbol=symbol, size=10, color=theme.BLUE, line=dict(width=2))))
    deadline = str(target.get("deadline") or "")[:10]
    value = target.get("value")
    shapes, notes = [], []
    if value is not None and not (isinstance(value, float) and math.isnan(value)):
        shapes.append(_line(0, 1, value, value, "x domain", "y", "dash", theme.GREEN))
        notes.append(dict(text=f"{t('tg_target_line', lang)} {fmt_number(value, lang)}", x=0.01, xref="x domain",
                          xanchor="left", y=value, yref="y", yanchor="bottom", showarrow=False,
                          font=dict(size=13, color=theme.GREEN)))
    if deadline:
        shapes.append(_line(deadline, deadline, 0, 1, "x", "y domain", "dot", theme.VERMILION))
        notes.append(dict(text=f"{t('tg_deadline_line', lang)} {deadline}", x=deadline, xref="x", xanchor="right",
                          y=0.97, yref="y domain", yanchor="top", showarrow=False,
                          font=dict(size=13, color=theme.VERMILION)))
    xs = sorted(set(x) | ({deadline} if deadline else set()))
    return _figure(traces, title, subtitle, 400, shapes=shapes, annotations=notes,
                   xaxis=dict(type="date", range=[xs[0], xs[-1]] if len(xs) > 1 else None, gridcolor=theme.LIGHT_GREY),
                   yaxis=dict(gridcolor=theme.LIGHT_GREY, rangemode="tozero", title=dict(text=esc(target.get("unit") or ""))))
