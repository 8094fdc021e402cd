"""The charts and tables of the app, one registry entry each (CHARTS): the cached query behind it and its
arguments, its rows when they are more than the query's result, its figure, the presentation fields it shows,
whether it exports as an image, the words of its title and the page context it needs.

The page layouts (through `figure`) and the "download data" action both call `chart_data`, so a download gives
exactly the rows behind the chart. A new chart:
its entry here, its figure function in dashboard.figures, its SQL in dashboard.queries, its `ch_<name>` label,
and a card on the page that shows it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pandas as pd

from dashboard import figures, metrics, progress, targets
from dashboard import queries as Q
from dashboard.filters import LEVELS, Filters
from dashboard.i18n import CATALOG, fmt_date, t

SOURCE_KEY = "source_text"


def subtitle(f: Filters, meta: dict) -> str:
    lang = f.lang
    parts = [f"{t('as_of', lang)}{t('colon', lang)}{fmt_date(f.as_of_date, lang)}",
             f"{t('source', lang)}{t('colon', lang)}{t(SOURCE_KEY, lang)}"]
    if meta.get("demo") == "true":
        parts.append(t("demo_label", lang))
    return " · ".join(parts)


@Q.cached
def seasonal(f: Filters) -> tuple[float, str, int | None, int]:
    """(share of this year's people plan expected by the as-of quarter, basis, basis year, quarter number)."""
    q = f.as_of.number
    share, basis, basis_year = progress.expected_share(Q.quarter_profile(), f.year, q)
    return share, basis, basis_year, q


@Q.cached
def kpis(f: Filters, scope) -> dict:
    """Per level: this year's plan/actual, cumulative actual, the 3-year total (from data), and how they stand
    (dashboard.progress.of_level: completion, expected, status, ratio)."""
    share, _, _, q = seasonal(f)
    tot = Q.totals(f, scope)
    s = Q.schedules(f, scope)  # a dozen rows: summed in Python, not three filtered frames
    sums = {lv: {"plan": 0, "actual": 0, "cum_actual": 0, "plan_before": 0} for lv in LEVELS}
    for level, year, plan, actual in zip(s["level"].tolist(), s["year"].tolist(), s["plan"].tolist(),
                                         s["actual"].tolist()):
        k = sums[level]
        if year == f.year:
            k["plan"] += plan
            k["actual"] += actual
        if year <= f.year:
            k["cum_actual"] += actual
        if year < f.year:
            k["plan_before"] += plan
    out = {}
    for level in LEVELS:
        k = sums[level]
        k = {"plan": int(k["plan"]), "actual": int(k["actual"]), "cum_actual": int(k["cum_actual"]),
             "total": int(tot[level]), "plan_before": int(k["plan_before"])}
        out[level] = k | progress.of_level(k, share, level, q)
    return out


def county_progress(f: Filters, scope) -> pd.DataFrame:
    """County metrics with the people's progress to date: expected_people, completion (and status for the
    callers that want it, dashboard.progress)."""
    share, _, _, q = seasonal(f)
    df = Q.county_metrics(f, scope)
    expected = progress.expected_to_date(df["plan_before_people"], df["plan_people"], share, "people")
    judged = progress.assess(df["cum_actual_people"], expected, "people", q)
    return df.assign(expected_people=expected, completion=judged["completion"], status=judged["status"])


# ---------------------------------------------------------------- data and figure of each chart
def _county_filters(f: Filters, ctx: dict) -> Filters:
    """A county page's charts show that county whatever the overview's filters were."""
    return f.replace(county=ctx["county"], prefecture=None, ctype=None, deep=None) if ctx.get("county") else f


def _schedule_data(f, scope, ctx):
    fc = _county_filters(f, ctx)
    return Q.schedule(fc, scope).assign(level=fc.level)


def _schedule_figure(df, f, ctx, **kw):
    share, _, _, q = seasonal(f)
    proj = None
    if f.level == "people" and q < 4:
        proj = progress.projection(float(df[df["year"] == f.year]["actual"].sum()), share)
    return figures.schedule_figure(df, level=f.level, view=f.view, current_year=f.year, projected=proj, **kw)


def _map_data(f, scope, ctx):
    """County metrics with progress to date of people and villages (the map follows the level)."""
    share, _, _, q = seasonal(f)
    df = county_progress(f, scope).drop(columns="status")
    # villages are certified at year end: before Q4 only the earlier years' plan is due
    due = df["plan_villages"].fillna(0) if progress.rated("villages", q) else 0
    expected = progress.expected_to_date(df["plan_before_villages"], due, share, "villages")
    judged = progress.assess(df["cum_actual_villages"], expected, "villages", q)
    return df.assign(completion_villages=judged["completion"], gap_villages=df["plan_villages"] - df["actual_villages"])


def _map_labels(df: pd.DataFrame, f: Filters) -> list:
    """Place names where they fit: the prefectures on the province's map, the counties on a prefecture's (the
    dashboard's map card draws the province about 390 px high)."""
    from dashboard.geoprep import label_points

    by_county = bool(f.prefecture or f.county) or df["prefecture_code"].nunique() <= 1
    codes = df["county_code"] if by_county else df["prefecture_code"]
    try:
        return list(label_points(tuple(sorted(codes.dropna().unique())), height_px=380, font_px=13))
    except Exception:  # noqa: BLE001 - boundary files missing: a map without names is still a map
        return []


def _map_figure(df, f, ctx, **kw):
    prefs = sorted(df["prefecture_code"].dropna().unique().tolist())
    return figures.choropleth_figure(df, metric=f.metric, prefectures=prefs, level=f.level,
                                     labels=_map_labels(df, f), **kw)


def _ranking_data(f, scope, ctx):
    return Q.ranking(f, scope, seasonal(f)[0])


def _ranking_figure(df, f, ctx, **kw):
    return figures.ranking_figure(df, level=f.level, **kw)


def _history_figure(df, f, ctx, **kw):
    return figures.history_figure(df, as_of=f.as_of.label if f.as_of else None, **kw)


def _plain(fn):
    """A figure function that needs only the rows and the words."""
    return lambda df, f, ctx, **kw: fn(df, **kw)



# ---------------------------------------------------------------- plan targets (dashboard.targets)
def _target_unit(f: Filters) -> str:
    """The unit whose own row a target's summary shows: the selected county or prefecture, else the province."""
    return f.county or f.prefecture or "620000"


@Q.cached
def target_catalog(f: Filters):
    return targets.catalog(Q.plan_targets(), f.as_of_date)


def target_judged(f: Filters, scope, target: str | None = None) -> pd.DataFrame:
    """Every (target, unit) of the selection judged as of the quarter (one target's series when given)."""
    cat = target_catalog(f)
    if target:
        cat = cat[cat["id"] == target]
        series = cat["series_id"].iloc[0] if len(cat) else target
    prog = Q.target_progress(f, scope, series) if target else Q.target_values(f, scope)
    return targets.assess(cat, prog, f.as_of_date, Q.quarter_profile())


@Q.cached
def target_summary(f: Filters, scope) -> pd.DataFrame:
    """One row per target of the catalog (dashboard.targets.summary) with its revision in words."""
    if not Q.has_targets():
        return pd.DataFrame()
    cat = target_catalog(f)
    cat = cat[cat.apply(targets.visible, axis=1)]  # as of: no figure of a document issued later
    s = targets.summary(cat, target_judged(f, scope), _target_unit(f))
    rev = targets.revisions(cat, "zh")
    s["revision"] = s["target_id"].map(rev)
    return s.sort_values(["sector", "deadline", "target_id"]).reset_index(drop=True)


def _targets_rows(f, scope, ctx):
    s = target_summary(f, scope)
    if s.empty:
        return s
    s = s.assign(revision=s["target_id"].map(targets.revisions(target_catalog(f), f.lang)))
    return s[["target_id", "sector", "section", "level", "kind", "target", "unit", "deadline", "latest",
              "latest_date", "expected", "ratio", "status", "ahead", "pace_ratio", "projected", "units",
              "units_behind", "in_force", "revision", "is_demo", "document", "quote"]]


def _catalog_row(f: Filters, target: str) -> pd.DataFrame:
    """The catalog's row of one target (empty: no target given, no targets in the warehouse, or unknown)."""
    if not target or not Q.has_targets():
        return pd.DataFrame()
    cat = target_catalog(f)
    return cat[cat["id"] == target]


@Q.cached
def target_units(f: Filters, scope, target: str) -> pd.DataFrame:
    """One target's units as of the quarter: status now and at the deadline with the status history."""
    cat = _catalog_row(f, target)
    if cat.empty:
        return pd.DataFrame()
    prog = Q.target_progress(f, scope, cat["series_id"].iloc[0])
    quarters = [q for q in Q.quarters() if q <= f.as_of.label]
    hist = targets.history(cat, prog, quarters, Q.quarter_profile())
    now = targets.assess(cat, prog, f.as_of_date, Q.quarter_profile())
    names = prog.drop_duplicates("unit_code").set_index("unit_code")[["unit_name", "unit_level"]]
    out = now.join(names, on="unit_code").merge(
        hist[["unit_code", "since", "quarters", "trend"]], on="unit_code", how="left")
    return out.sort_values(["status", "ratio", "unit_code"]).reset_index(drop=True)


def _target_units_rows(f, scope, ctx):
    df = target_units(f, scope, ctx.get("target", ""))
    if df.empty:
        return df
    return df[["target_id", "unit_code", "unit_name", "unit_level", "latest", "latest_date", "expected", "ratio",
               "status", "ahead", "pace_ratio", "projected", "since", "quarters", "trend", "is_demo"]]


def _target_series_rows(f, scope, ctx):
    target = ctx.get("target", "")
    row = _catalog_row(f, target)
    if row.empty:
        return pd.DataFrame()
    p = Q.target_progress(f, scope, row["series_id"].iloc[0])
    unit = _target_unit(f)
    own = p[p["unit_code"] == unit]
    if own.empty and len(p):  # a split target: the units' values summed (counts, money) or averaged (levels)
        how = "sum" if row["kind"].iloc[0] in ("count", "money") else "mean"
        own = p.groupby("period_end", as_index=False).agg(value=("value", how), is_demo=("is_demo", "all"))
        own = own.assign(unit_code=unit, units=p.groupby("period_end")["unit_code"].nunique().to_numpy())
    return own.assign(target_id=target)[[c for c in ("target_id", "unit_code", "period_end", "value", "is_demo",
                                                     "units", "source") if c in own.columns or c == "target_id"]]


def _target_series_figure(df, f, ctx, **kw):
    cat = target_catalog(f)
    row = cat[cat["id"] == ctx.get("target", "")]
    return figures.target_series_figure(df, target=row.iloc[0].to_dict() if len(row) else {}, **kw)


def _target(f, scope, ctx):
    return f, scope, ctx.get("target", "")

Args = Callable[[Filters, frozenset, dict], tuple]


@dataclasses.dataclass(frozen=True)
class Chart:
    query: Callable  # the cached query behind it (dashboard.queries)
    args: Args  # (filters, viewer's scope, page context) → the query's arguments
    rows: Callable[[Filters, frozenset, dict], pd.DataFrame] | None = None  # rows, when more than the query's result
    figure: Callable | None = None  # (rows, filters, context, lang=, title=, subtitle=, **geo) → figure dict
    shows: frozenset[str] = frozenset()  # presentation fields it shows besides the language: "metric", "view"
    image: bool = False  # PNG / SVG / PDF export (maps: see report)
    measure: Callable[[Filters], str] | None = None  # words of the title's measure (default: the ch_<name> label)
    context: str | None = None  # "county" or "village": the page context it needs


def _scoped(f, scope, ctx):
    return f, scope


def _county_page(f, scope, ctx):
    return _county_filters(f, ctx), scope


def _county(f, scope, ctx):
    return f, ctx["county"], scope


CHARTS: dict[str, Chart] = {
    "schedule": Chart(Q.schedules, _county_page, _schedule_data, _schedule_figure, frozenset({"view"}), image=True,
                      measure=lambda f: f"{t(f'level_{f.level}', f.lang)} · {t(f.view, f.lang)}"),
    "map": Chart(Q.county_metrics, _scoped, _map_data, _map_figure, frozenset({"metric"}), image=True,
                 measure=lambda f: t(metrics.for_level(f.metric, f.level)[0], f.lang)),
    "ranking": Chart(Q.county_metrics, _scoped, _ranking_data, _ranking_figure, image=True,
                     measure=lambda f: f"{t(f'level_{f.level}', f.lang)} {t('ch_ranking', f.lang)}"),
    "pathways": Chart(Q.pathways, _county_page, image=True,
                      figure=lambda df, f, ctx, **kw: figures.pathways_figure(df, pathway=f.pathway, **kw)),
    "villages": Chart(Q.villages, _county, context="county"),
    "village_map": Chart(Q.villages, _county, context="county",
                         figure=lambda df, f, ctx, **kw: figures.village_map_figure(df, county_code=ctx["county"], **kw)),
    "breakdown": Chart(Q.breakdown, _county, figure=_plain(figures.breakdown_figure), image=True, context="county"),
    "history": Chart(Q.county_history, _county, figure=_history_figure, image=True, context="county"),
    "v_history": Chart(Q.village_history, lambda f, scope, ctx: (f, ctx["village"], scope),
                       figure=_history_figure, image=True, context="village"),
    "households": Chart(Q.households, lambda f, scope, ctx: (f, ctx["village"], scope), context="village"),
    "loads": Chart(Q.loads, lambda f, scope, ctx: (scope,)),
    "files": Chart(Q.load_files, lambda f, scope, ctx: (scope,)),
    "rejects": Chart(Q.rejects_by_rule, lambda f, scope, ctx: (scope,)),
    "reject_samples": Chart(Q.reject_samples, lambda f, scope, ctx: (scope,)),
    "recon": Chart(Q.reconciliation, lambda f, scope, ctx: (scope,)),
    "warnings": Chart(Q.warnings_by_county, lambda f, scope, ctx: (scope,)),
    "warning_rows": Chart(Q.warning_rows, lambda f, scope, ctx: (ctx.get("county"), scope)),
    "refs": Chart(Q.reference_sources, lambda f, scope, ctx: ()),
    "targets": Chart(target_summary, _scoped, _targets_rows),
    "target_series": Chart(Q.target_progress, lambda f, scope, ctx: (f, scope, ctx.get("target") or None),
                           _target_series_rows, _target_series_figure, image=True, context="target"),
    "target_units": Chart(target_units, _target, _target_units_rows, context="target"),
}


def _measure(name: str, f: Filters) -> str:
    m = CHARTS[name].measure
    if m:
        return m(f)
    return t(f"ch_{name}", f.lang) if f"ch_{name}" in CATALOG else name


def title(name: str, f: Filters, scope, ctx: dict | None = None) -> str:
    ctx = ctx or {}
    names = Q.names(scope)
    if ctx.get("village"):
        info = Q.village_info(ctx["village"], scope) or {}
        return " · ".join([info.get("county_name", ""), info.get("village_name", ctx["village"]),
                           t("year_fmt", f.lang, year=f.year), _measure(name, f)])
    if ctx.get("county"):
        f = f.replace(county=ctx["county"])
    if ctx.get("target"):  # a plan target's detail: named after the target
        return f.title(_measure(name, f), names) + f" · {ctx['target']}"
    return f.title(_measure(name, f), names)


def filename(name: str, f: Filters, scope, ctx: dict | None, ext: str) -> str:
    ctx = ctx or {}
    names = Q.names(scope)
    if ctx.get("county"):
        f = f.replace(county=ctx["county"])
    if ctx.get("village"):  # named after the village it holds, not the URL's prefecture or county
        info = Q.village_info(ctx["village"], scope) or {}
        code = info.get("county_code") or ctx["village"][:6]
        f = f.replace(county=code, prefecture=None, ctype=None, deep=None)
        names = {**names, code: "_".join(filter(None, (info.get("county_name"), info.get("village_name"))))}
    stem = f.filename(_measure(name, f), names, ext)
    if ctx.get("target"):
        stem = f"{ctx['target']}_{stem}"
    if ctx.get("village"):
        stem = f"{ctx['village']}_{stem}"
    return stem


def chart_data(name: str, f: Filters, scope, ctx: dict | None = None) -> pd.DataFrame:
    """The rows behind a chart or table."""
    chart, ctx = CHARTS[name], ctx or {}
    return chart.rows(f, scope, ctx) if chart.rows else chart.query(*chart.args(f, scope, ctx))


def figure_filters(name: str, f: Filters) -> Filters:
    """`f` with the presentation fields chart `name` does not show set to their defaults: the key under
    which its figure is cached (a metric change redraws the map, not the schedule)."""
    default = Filters()
    return f.replace(**{k: getattr(default, k) for k in ("metric", "view") if k not in CHARTS[name].shows})


def figure(name: str, f: Filters, scope, ctx: dict | None = None, **geo):
    ctx = ctx or {}
    chart = CHARTS[name]
    if chart.figure is None:
        raise KeyError(name)
    df = chart_data(name, f, scope, ctx)
    return chart.figure(df, f, ctx, lang=f.lang, title=title(name, f, scope, ctx), subtitle=subtitle(f, Q.meta()),
                        **geo)
