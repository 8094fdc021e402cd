"""Glue between queries and figures: for each chart, the rows behind it and its title.

The page layouts (through `figure`) and the "download data" action both call `chart_data`, so a download gives exactly
the rows behind the chart.
"""

from __future__ import annotations

import pandas as pd

from dashboard import figures, measures
from dashboard import queries as Q
from dashboard.filters import Filters
from dashboard.i18n import CATALOG, fmt_date, t

SOURCE_KEY = "source_text"


def subtitle(f: Filters, meta: dict) -> str:
    lang = f.lang
    sep = "：" if lang == "zh" else ": "
    parts = [f"{t('as_of', lang)}{sep}{fmt_date(f.as_of_date, lang)}", f"{t('source', lang)}{sep}{t(SOURCE_KEY, lang)}"]
    if meta.get("demo") == "true":
        parts.append(t("demo_label", lang))
    return " · ".join(parts)


@Q.cached
def seasonal(f: Filters) -> tuple[float, str, int | None, int]:
    q = measures.quarter_of(f.as_of_date)
    share, basis, basis_year = measures.expected_share(Q.quarter_profile(), f.year, q)
    return share, basis, basis_year, q


@Q.cached
def kpis(f: Filters, scope) -> dict:
    """Per level: this year's plan/actual, cumulative actual and the 3-year total (from data)."""
    tot = Q.totals(f, scope)
    out = {}
    for level in ("people", "villages", "counties"):
        s = Q.schedule(f, scope, level)
        this = s[s["year"] == f.year]
        cum = s[s["year"] <= f.year]["actual"].sum()
        out[level] = {
            "plan": int(this["plan"].sum()), "actual": int(this["actual"].sum()),
            "cum_actual": int(cum), "total": int(tot[level]),
            "plan_before": int(s[s["year"] < f.year]["plan"].sum()),
        }
    return out


def _measure(name: str, f: Filters, ctx: dict) -> str:
    lang = f.lang
    if name == "schedule":
        return f"{t(f'level_{f.level}', lang)} · {t(f.view, lang)}"
    if name == "map":
        return t(f"m_{f.metric}", lang)
    if name == "ranking":
        return f"{t(f'level_{f.level}', lang)} {t('ch_ranking', lang)}"
    return t(f"ch_{name}", lang) if f"ch_{name}" in CATALOG else name


def title(name: str, f: Filters, scope, ctx: dict | None = None) -> str:
    ctx = ctx or {}
    names = Q.names(scope)
    if ctx.get("village"):
        info = Q.village_info(ctx["village"], scope) or {}
        return " · ".join([info.get("county_name", ""), info.get("village_name", ctx["village"]),
                           t("year_fmt", f.lang, year=f.year), _measure(name, f, ctx)])
    if ctx.get("county"):
        f = f.replace(county=ctx["county"])
    return f.title(_measure(name, f, ctx), names)


def filename(name: str, f: Filters, scope, ctx: dict | None, ext: str) -> str:
    ctx = ctx or {}
    names = Q.names(scope)
    if ctx.get("county"):
        f = f.replace(county=ctx["county"])
    stem = f.filename(_measure(name, f, ctx), names, ext)
    if ctx.get("village"):
        stem = f"{ctx['village']}_{stem}"
    return stem


def chart_data(name: str, f: Filters, scope, ctx: dict | None = None) -> pd.DataFrame:
    """The rows behind a chart or table."""
    ctx = ctx or {}
    if ctx.get("county"):
        fc = f.replace(county=ctx["county"], prefecture=None, ctype=None, deep=None)
    else:
        fc = f
    if name == "schedule":
        df = Q.schedule(fc, scope)
        return df.assign(level=fc.level)
    if name == "map":
        share, _, _, _ = seasonal(f)
        df = Q.county_metrics(f, scope)
        expected = measures.expected_to_date(df["plan_before_people"], df["plan_people"], share, "people")
        return df.assign(expected_people=expected, completion=(df["cum_actual_people"] / expected.where(expected > 0)))
    if name == "ranking":
        share, _, _, _ = seasonal(f)
        return Q.ranking(f, scope, share)
    if name == "pathways":
        return Q.pathways(fc, scope)
    if name in ("villages", "village_map"):
        return Q.villages(f, ctx["county"], scope)
    if name == "breakdown":
        return Q.breakdown(f, ctx["county"], scope)
    if name == "history":
        return Q.county_history(ctx["county"], scope)
    if name == "v_history":
        return Q.village_history(ctx["village"], scope)
    if name == "households":
        return Q.households(f, ctx["village"], scope)
    if name == "loads":
        return Q.loads()
    if name == "files":
        return Q.load_files()
    if name == "rejects":
        return Q.rejects_by_rule()
    if name == "reject_samples":
        return Q.reject_samples()
    if name == "recon":
        return Q.reconciliation(scope)
    if name == "refs":
        return Q.reference_sources()
    raise KeyError(name)


# Presentation fields a chart shows (title and drawing); it ignores the others.
_SHOWS = {"schedule": {"view"}, "map": {"metric"}}


def figure_filters(name: str, f: Filters) -> Filters:
    """`f` with the presentation fields chart `name` does not show set to their defaults: the key under
    which its figure is cached (a metric change redraws the map, not the schedule)."""
    default = Filters()
    return f.replace(**{k: getattr(default, k) for k in ("metric", "view") if k not in _SHOWS.get(name, ())})


def figure(name: str, f: Filters, scope, ctx: dict | None = None, **geo):
    ctx = ctx or {}
    meta = Q.meta()
    df = chart_data(name, f, scope, ctx)
    ttl, sub, lang = title(name, f, scope, ctx), subtitle(f, meta), f.lang
    if name == "schedule":
        share, _, _, q = seasonal(f)
        proj = None
        if f.level == "people" and q < 4:
            cur = df[df["year"] == f.year]["actual"].sum()
            proj = measures.projection(float(cur), share)
        return figures.schedule_figure(df, level=f.level, view=f.view, lang=lang, title=ttl, subtitle=sub,
                                       current_year=f.year, projected=proj)
    if name == "map":
        prefs = sorted(df["prefecture_code"].dropna().unique().tolist())
        return figures.choropleth_figure(df, metric=f.metric, lang=lang, title=ttl, subtitle=sub, prefectures=prefs,
                                         **geo)
    if name == "ranking":
        share, _, _, _ = seasonal(f)
        return figures.ranking_figure(df, lang=lang, title=ttl, subtitle=sub, expected_share=1.0,
                                      level="villages" if f.level == "villages" else
                                      ("counties" if f.level == "counties" else "people"))
    if name == "pathways":
        return figures.pathways_figure(df, lang=lang, title=ttl, subtitle=sub)
    if name == "village_map":
        return figures.village_map_figure(df, county_code=ctx["county"], lang=lang, title=ttl, subtitle=sub, **geo)
    if name == "breakdown":
        return figures.breakdown_figure(df, lang=lang, title=ttl, subtitle=sub)
    if name in ("history", "v_history"):
        return figures.history_figure(df, lang=lang, title=ttl, subtitle=sub)
    raise KeyError(name)
