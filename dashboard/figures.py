"""Pure figure builders: DataFrame (+ words) → plotly Figure. No I/O, no Dash.

Every figure carries its own title (scope · period · measure) and a subtitle line with the as-of date,
the source and, for demo data, the demo label, so an exported image is self-describing.
Map figures leave `geojson` empty unless given: the app attaches the geometry in the browser from a
store sent once per visit (recolouring never resends geometry).
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard import theme
from dashboard.i18n import fmt_count, fmt_number, fmt_pct, t
from etl import paths


def _layout(fig: go.Figure, title: str, subtitle: str, height: int = 420, **kw) -> go.Figure:
    fig.update_layout(
        **theme.BASE_LAYOUT,
        title=dict(text=f"<b>{title}</b><br><span style='font-size:12px;color:#52606D'>{subtitle}</span>",
                   x=0.01, xanchor="left", y=1, yref="container", yanchor="top", pad=dict(t=14),
                   font=dict(size=18)),
        height=height,
    )
    if kw:
        fig.update_layout(**kw)
    return fig


def empty_figure(message: str, title: str = "", subtitle: str = "", height: int = 300) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                       font=dict(size=16, color="#52606D"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title, subtitle, height)


def year_label(y: int, lang: str) -> str:
    return t("before_2018", lang) if y <= 2017 else t("year_fmt", lang, year=y)


# ---------------------------------------------------------------- exit schedule
def schedule_figure(df: pd.DataFrame, *, level: str, view: str, lang: str, title: str, subtitle: str,
                    current_year: int | None = None, projected: float | None = None) -> go.Figure:
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
    fig = go.Figure()
    fig.add_bar(x=x, y=plan, name=t("plan", lang), marker_color=theme.PLAN,
                text=[fmt_count(v, unit, lang) for v in plan], textposition="outside",
                hovertemplate="%{x} " + t("plan", lang) + ": %{text}<extra></extra>")
    fig.add_bar(x=x, y=actual, name=t("actual", lang), marker_color=theme.ACTUAL,
                text=["" if math.isnan(v) else fmt_count(v, unit, lang) for v in actual], textposition="outside",
                hovertemplate="%{x} " + t("actual", lang) + ": %{text}<extra></extra>")
    if projected is not None and current_year is not None and current_year in set(df["year"]):
        i = int(df.index[df["year"] == current_year][0])
        base = float(actual.iloc[i - 1]) if view == "cumulative" and i > 0 else 0.0
        val = round(base + projected)
        ys = [None] * len(x)
        ys[i] = val
        fig.add_bar(x=x, y=ys, name=t("projection", lang),
                    marker=dict(color="rgba(0,0,0,0)", line=dict(color=theme.PROJECTION, width=2),
                                pattern=dict(shape="/", fgcolor=theme.PROJECTION, size=8, solidity=0.3)),
                    text=[fmt_count(val, unit, lang) if v is not None else "" for v in ys],
                    textposition="outside",
                    hovertemplate="%{x} " + t("projection", lang) + ": %{text}<extra></extra>")
    ymax = max([v for v in list(plan) + list(actual) + [projected or 0] if not math.isnan(v)] or [1])
    _layout(fig, title, subtitle, barmode="group", bargap=0.25)
    fig.update_yaxes(range=[0, ymax * 1.18], gridcolor=theme.LIGHT_GREY, tickformat=",d", separatethousands=True)
    return fig


# ---------------------------------------------------------------- county map
METRIC_UNITS = {"remaining": "people", "gap": "people", "returned": "people"}


def _bins_count(values: pd.Series) -> list[float]:
    v = values.dropna()
    if v.empty or v.max() <= 0:
        return [0, 1]
    top = float(v.max())
    mag = 10 ** math.floor(math.log10(top))
    step = math.ceil(top / mag / 4) * mag / 1.0
    return [0] + [step * k for k in range(1, 5)]


def classify(df: pd.DataFrame, metric: str, lang: str, current_year: int | None = None):
    """Per county: class index, legend labels, colours and the value text for hover.
    Non-poverty counties and 'no data' are explicit classes."""
    labels: list[str]
    colors: list[str]
    poverty = df["is_poverty_county"].fillna(False).astype(bool)
    value_text = pd.Series("—", index=df.index, dtype="object")
    cls = pd.Series(-1, index=df.index, dtype="int64")
    if metric == "completion":
        # progress to date (actual / expected by now): the same bands as the on-track rule
        edges = [0, 0.7, paths.RAG_AMBER, paths.RAG_GREEN]
        labels = ["<70%", f"70–{paths.RAG_AMBER:.0%}", f"{paths.RAG_AMBER:.0%}–{paths.RAG_GREEN:.0%}",
                  f"≥{paths.RAG_GREEN:.0%}"]
        colors = [theme.COMPLETION[0], theme.COMPLETION[2], theme.COMPLETION[3], theme.COMPLETION[5]]
        v = df["completion"]
        value_text = v.map(lambda x: fmt_pct(x, lang))
        for i, e in enumerate(edges):
            cls[(v >= e).fillna(False)] = i
    elif metric == "incidence":
        edges = [0, paths.INCIDENCE_EXIT, 0.10, paths.INCIDENCE_WATCH_COUNTY]
        labels = [t("may_exit", lang), "3–10%", "10–20%", t("watch", lang)]
        colors = [theme.SEQ_ORANGE[0], theme.SEQ_ORANGE[1], theme.SEQ_ORANGE[3], theme.SEQ_ORANGE[4]]
        v = df["incidence"]
        value_text = v.map(lambda x: fmt_pct(x, lang, 2))
        for i, e in enumerate(edges):
            cls[(v >= e).fillna(False)] = i
    elif metric in ("planned_year", "actual_year"):
        col = "planned_exit_year" if metric == "planned_year" else "actual_exit_year"
        years = [2017, 2018, 2019, 2020]
        labels = [year_label(y, lang) for y in years]
        colors = [theme.YEARS[y] for y in years]
        v = df[col]
        for i, y in enumerate(years):
            cls[(v.fillna(0).clip(lower=2017 if True else 0) == y) & v.notna()] = i
        value_text = v.map(lambda x: "—" if pd.isna(x) else year_label(int(x), lang))
        if metric == "actual_year":
            labels.append(t("not_exited", lang))
            colors.append(theme.SEQ_ORANGE[2])
            cls[poverty & v.isna()] = len(years)
            value_text[poverty & v.isna()] = t("not_exited", lang)
    else:  # counts: remaining, gap, returned
        col = {"remaining": "remaining_people", "gap": "gap_people", "returned": "returned_people"}[metric]
        v = df[col].astype("float64")
        edges = _bins_count(v.clip(lower=0))
        labels = [f"{fmt_number(edges[i], lang)}–{fmt_number(edges[i + 1], lang)}" for i in range(len(edges) - 1)]
        labels[-1] = f"≥{fmt_number(edges[-2], lang)}"
        labels[0] = f"≤{fmt_number(edges[1], lang)}" if len(edges) > 2 else labels[0]
        colors = (theme.SEQ_BLUE if metric == "remaining" else theme.SEQ_ORANGE)[1:len(labels) + 1]
        for i, e in enumerate(edges[:-1]):
            cls[(v.clip(lower=0) >= e).fillna(False) if i else v.notna()] = i
        value_text = v.map(lambda x: fmt_count(x, "people", lang))
    n = len(labels)
    labels = labels + [t("no_data", lang), t("non_poverty", lang)]
    colors = colors + [theme.NO_DATA, theme.LIGHT_GREY]
    cls[poverty & (cls < 0)] = n  # poverty county without a value → explicit "no data"
    cls[~poverty] = n + 1
    if metric in ("planned_year", "actual_year"):
        pass
    value_text[~poverty] = t("non_poverty", lang)
    return cls, labels, colors, value_text


def choropleth_figure(df: pd.DataFrame, *, metric: str, lang: str, title: str, subtitle: str,
                      prefectures: list[str] | None = None, counties_geojson: dict | None = None,
                      prefectures_geojson: dict | None = None, height: int = 620) -> go.Figure:
    """df: one row per county (dashboard.queries.county_metrics). Colours are discrete classes."""
    if df.empty:
        return empty_figure(t("empty", lang), title, subtitle, height)
    cls, labels, colors, value_text = classify(df, metric, lang)
    n = len(labels)
    scale = []
    for i, c in enumerate(colors):
        scale += [[i / n, c], [(i + 1) / n, c]]
    metric_name = t(f"m_{metric}", lang)
    custom = list(zip(df["county_name"], df["prefecture_name"].fillna(""), value_text,
                      df["county_code"]))
    fig = go.Figure()
    fig.add_trace(go.Choropleth(
        geojson=counties_geojson, featureidkey="properties.code", locations=df["county_code"],
        z=cls.astype(float), zmin=-0.5, zmax=n - 0.5, colorscale=scale, customdata=custom,
        marker=dict(line=dict(color="#6B7280", width=0.5)),
        hovertemplate="<b>%{customdata[0]}</b>（%{customdata[1]}）<br>" + metric_name
                      + "：%{customdata[2]}<extra></extra>" if lang == "zh" else
                      "<b>%{customdata[0]}</b> (%{customdata[1]})<br>" + metric_name + ": %{customdata[2]}<extra></extra>",
        colorbar=dict(tickvals=list(range(n)), ticktext=labels, title=dict(text=""), len=0.8, thickness=18,
                      outlinecolor="#6B7280", outlinewidth=1),
        meta="counties", name=metric_name,
    ))
    if prefectures:
        fig.add_trace(go.Choropleth(
            geojson=prefectures_geojson, featureidkey="properties.code", locations=prefectures,
            z=[0] * len(prefectures), colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
            showscale=False, hoverinfo="skip", marker=dict(line=dict(color=theme.INK, width=1.8)),
            meta="prefectures", name="prefectures",
        ))
    fig.update_geos(fitbounds="locations", visible=False, projection_type="mercator", bgcolor="white")
    _layout(fig, title, subtitle, height, margin=dict(l=10, r=10, t=80, b=10), clickmode="event",
            dragmode=False)
    return fig


def village_map_figure(df: pd.DataFrame, *, county_code: str, lang: str, title: str, subtitle: str,
                       counties_geojson: dict | None = None, height: int = 520) -> go.Figure:
    """Villages as points coloured by status, over the county outline."""
    d = df.dropna(subset=["lon", "lat"])
    if d.empty:
        return empty_figure(t("empty", lang), title, subtitle, height)
    fig = go.Figure()
    fig.add_trace(go.Choropleth(
        geojson=counties_geojson, featureidkey="properties.code", locations=[county_code], z=[0],
        colorscale=[[0, "#F7F7F7"], [1, "#F7F7F7"]], showscale=False, hoverinfo="skip",
        marker=dict(line=dict(color=theme.INK, width=1.5)), meta="counties", name="county"))
    for status in ("behind", "on_plan", "exited"):
        s = d[d["status"] == status]
        if s.empty:
            continue
        fig.add_trace(go.Scattergeo(
            lon=s["lon"], lat=s["lat"], mode="markers", name=t(f"st_{status}", lang),
            marker=dict(size=9, color=theme.STATUS[status], line=dict(color="white", width=0.8),
                        symbol={"behind": "square", "on_plan": "circle", "exited": "diamond"}[status]),
            customdata=list(zip(s["village_name"], s["village_code"], s["incidence"].map(lambda x: fmt_pct(x, lang)))),
            hovertemplate="<b>%{customdata[0]}</b><br>" + t("col_incidence", lang) + ": %{customdata[2]}<extra></extra>",
        ))
    fig.update_geos(fitbounds="locations", visible=False, projection_type="mercator")
    return _layout(fig, title, subtitle, height, margin=dict(l=10, r=10, t=80, b=10))


# ---------------------------------------------------------------- ranking, pathways
def ranking_figure(df: pd.DataFrame, *, lang: str, title: str, subtitle: str, expected_share: float,
                   level: str) -> go.Figure:
    """df: code, name, plan, actual, completion, villages_behind (sorted). Bars = completion, coloured by
    status against the share expected by now; a dashed line marks the expected share."""
    d = df[df["plan"].fillna(0) > 0]
    if d.empty:
        return empty_figure(t("empty", lang), title, subtitle)
    d = d.sort_values("completion", ascending=True)
    exp = expected_share if level == "people" else 1.0
    colors = [theme.RAG["green"] if c >= exp * paths.RAG_GREEN else theme.RAG["amber"]
              if c >= exp * paths.RAG_AMBER else theme.RAG["red"] for c in d["completion"].fillna(0)]
    text = [f"{fmt_pct(c, lang)} ({fmt_count(a, level, lang)} / {fmt_count(p, level, lang)})"
            for c, a, p in zip(d["completion"], d["actual"], d["plan"])]
    behind = [f"{t('behind', lang)}: {0 if pd.isna(b) else int(b)}" for b in d["villages_behind"]]
    fig = go.Figure(go.Bar(y=d["name"], x=d["completion"], orientation="h", marker_color=colors, text=text,
                           textposition="outside", cliponaxis=False, customdata=d["code"], hovertext=behind,
                           hovertemplate="%{y}: %{text}<br>%{hovertext}<extra></extra>"))
    fig.add_vline(x=exp, line_dash="dash", line_color=theme.INK,
                  annotation_text=f"{t('kpi_expected', lang)} {fmt_pct(exp, lang)}", annotation_position="top")
    h = max(320, 34 * len(d) + 120)
    _layout(fig, title, subtitle, h, margin=dict(l=20, r=30, t=90, b=40), showlegend=False)
    fig.update_yaxes(automargin=True)
    fig.update_xaxes(tickformat=".0%", range=[0, max(1.3, float(d["completion"].max() or 0) * 1.7)],
                     gridcolor=theme.LIGHT_GREY)
    return fig


def pathways_figure(df: pd.DataFrame, *, lang: str, title: str, subtitle: str) -> go.Figure:
    """df: pathway, unit, plan, actual. Grouped horizontal bars; housing and water are in households."""
    if df.empty:
        return empty_figure(t("empty", lang), title, subtitle)
    d = df.iloc[::-1]
    names = [t(f"pw_{p}", lang) + (f"（{t('households', lang)}）" if u == "households" and lang == "zh"
                                   else f" ({t('households', lang)})" if u == "households" else "")
             for p, u in zip(d["pathway"], d["unit"])]
    fig = go.Figure()
    fig.add_bar(y=names, x=d["plan"], orientation="h", name=t("plan", lang), marker_color=theme.PLAN,
                text=[fmt_count(v, u, lang) for v, u in zip(d["plan"], d["unit"])], textposition="outside")
    fig.add_bar(y=names, x=d["actual"], orientation="h", name=t("actual", lang), marker_color=theme.ACTUAL,
                text=[f"{fmt_count(v, u, lang)} · {fmt_pct(v / p if p and not pd.isna(p) else None, lang)}"
                      for v, p, u in zip(d["actual"], d["plan"], d["unit"])], textposition="outside")
    _layout(fig, title, subtitle, 460, barmode="group", margin=dict(l=150, r=60, t=90, b=40))
    fig.update_xaxes(range=[0, float(d[["plan", "actual"]].max().max() or 1) * 1.35], gridcolor=theme.LIGHT_GREY)
    fig.update_traces(cliponaxis=False)
    return fig


# ---------------------------------------------------------------- county / village details
def breakdown_figure(df: pd.DataFrame, *, lang: str, title: str, subtitle: str) -> go.Figure:
    if df.empty:
        return empty_figure(t("empty", lang), title, subtitle)
    dims = ["status", "attribute", "cause"]
    fig = make_subplots(rows=1, cols=3, subplot_titles=[t(f"dim_{d}", lang) for d in dims], horizontal_spacing=0.12)
    for i, dim in enumerate(dims, start=1):
        s = df[df["dimension"] == dim].sort_values("households")
        fig.add_bar(y=s["category"], x=s["households"], orientation="h", marker_color=theme.BLUE, row=1, col=i,
                    text=[fmt_count(v, "households", lang) for v in s["households"]], textposition="auto",
                    showlegend=False, hovertemplate="%{y}: %{text}<extra></extra>")
    return _layout(fig, title, subtitle, 380, margin=dict(l=110, r=20, t=100, b=30))


def history_figure(df: pd.DataFrame, *, lang: str, title: str, subtitle: str) -> go.Figure:
    """df: quarter_label, remaining_people, returned_households, new_households (optional), incidence."""
    if df.empty:
        return empty_figure(t("empty", lang), title, subtitle)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_bar(x=df["quarter_label"], y=df["remaining_people"], name=t("h_remaining", lang),
                marker_color=theme.PLAN)
    if "returned_households" in df:
        fig.add_scatter(x=df["quarter_label"], y=df["returned_households"], name=t("h_returned", lang),
                        mode="lines+markers", line=dict(color=theme.VERMILION))
    if "new_households" in df:
        fig.add_scatter(x=df["quarter_label"], y=df["new_households"], name=t("h_new", lang),
                        mode="lines+markers", line=dict(color=theme.PURPLE, dash="dot"))
    fig.add_scatter(x=df["quarter_label"], y=df["incidence"], name=t("h_incidence", lang), mode="lines+markers",
                    line=dict(color=theme.INK, width=3), secondary_y=True)
    fig.add_hline(y=paths.INCIDENCE_EXIT, line_dash="dash", line_color=theme.GREEN, secondary_y=True,
                  annotation_text="3%", annotation_position="right")
    _layout(fig, title, subtitle, 400)
    fig.update_yaxes(gridcolor=theme.LIGHT_GREY, secondary_y=False)
    fig.update_yaxes(tickformat=".0%", secondary_y=True, rangemode="tozero", showgrid=False)
    return fig
