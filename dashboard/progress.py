"""The on-track rule, once (pure): what is expected by the as-of date, completion and status, for every level.

Expected to date = every earlier year's plan in full + this year's plan times the seasonal share (people) or
in full (villages and counties, certified at year end). Completion = cumulative actual since 2018 / expected
to date. Status: 'green' at >= settings.RAG_GREEN, 'amber' at >= settings.RAG_AMBER, 'red' below; 'year_end'
for villages and counties before Q4 (not rated mid-year); 'none' without a plan. Judging the year alone would
paint red every place that got out ahead of its plan. KPIs, ranking, map, meeting mode, the reports and the
rule sentence all read this module.
"""

from __future__ import annotations

import pandas as pd

from dashboard import settings
from dashboard.i18n import fmt_date, fmt_pct, t


def expected_share(profile: pd.DataFrame, year: int, quarter: int, default=None) -> tuple[float, str, int | None]:
    """Cumulative share of the year's target expected by the end of `quarter`.

    Uses last year's quarterly share of actual exits (mart_quarter_profile) when that year has a full,
    positive profile; otherwise the configured default (settings.DEFAULT_QUARTER_PROFILE).
    Returns (share, basis, basis_year): basis 'last_year' or 'default'.
    """
    default = default or settings.DEFAULT_QUARTER_PROFILE
    prev = profile[profile["year"] == year - 1] if profile is not None and len(profile) else None
    if prev is not None and len(prev) == 4 and prev["people"].sum() > 0:
        prev = prev.sort_values("quarter")
        shares = (prev["people"] / prev["people"].sum()).cumsum().tolist()
        return float(min(shares[quarter - 1], 1.0)), "last_year", year - 1
    return float(default[quarter - 1]), "default", None


def year_weight(level: str, share: float) -> float:
    """How much of this year's plan is due by now: the seasonal share for people, all of it otherwise."""
    return share if level == "people" else 1.0


def expected_to_date(plan_before, plan, share: float, level: str):
    """Exits expected by the as-of date, cumulative (numbers or Series)."""
    return plan_before + plan * year_weight(level, share)


def rated(level: str, quarter: int) -> bool:
    """Villages and counties are certified at year end: not rated before Q4."""
    return level == "people" or quarter >= 4


def band(ratio) -> str:
    """green / amber / red of completion against the thresholds."""
    if ratio >= settings.RAG_GREEN:
        return "green"
    return "amber" if ratio >= settings.RAG_AMBER else "red"


def status_of(completion, level: str, quarter: int) -> str:
    """Status of one completion value (None / NaN = no plan)."""
    if completion is None or pd.isna(completion):
        return "none"
    return band(completion) if rated(level, quarter) else "year_end"


def assess(cum_actual: pd.Series, expected: pd.Series, level: str, quarter: int) -> pd.DataFrame:
    """Per row: expected, completion (NaN without a plan) and status."""
    completion = (cum_actual / expected.where(expected > 0)).astype("float64")
    status = [status_of(c, level, quarter) for c in completion]
    return pd.DataFrame({"expected": expected, "completion": completion, "status": status}, index=cum_actual.index)


def rag(cum_actual: float, plan_before: float, plan: float, share: float, level: str,
        quarter: int) -> tuple[str, float | None]:
    """(status, completion) of one place and level; completion is None when not rated or without a plan."""
    if not plan and not plan_before:
        return "none", None
    expected = expected_to_date(plan_before, plan, share, level)
    ratio = cum_actual / expected if expected else None
    status = status_of(ratio, level, quarter)
    return status, ratio if status not in ("none", "year_end") else None


def of_level(k: dict, share: float, level: str, quarter: int) -> dict:
    """A level's KPIs (plan, actual, cum_actual, plan_before) judged: this year's completion (actual / plan),
    expected to date, status and ratio (cumulative actual / expected; None when not rated)."""
    status, ratio = rag(k["cum_actual"], k["plan_before"], k["plan"], share, level, quarter)
    return {"completion": k["actual"] / k["plan"] if k["plan"] else None,
            "expected": expected_to_date(k["plan_before"], k["plan"], share, level), "status": status, "ratio": ratio}


def projection(actual: float, share: float) -> float:
    """Year-end at the current pace: actual-to-date scaled by the seasonal share expected by now."""
    return actual / share if share > 0 else float(actual)


def rule_sentence(lang: str, as_of: str, share: float, basis: str, basis_year: int | None) -> str:
    """The rule in words, with the thresholds in force."""
    b = t("profile_last_year", lang, year=basis_year) if basis == "last_year" else t("profile_default", lang)
    return t("rag_rule", lang, date=fmt_date(as_of, lang), share=fmt_pct(share, lang), basis=b,
             g=fmt_pct(settings.RAG_GREEN, lang, 0), a=fmt_pct(settings.RAG_AMBER, lang, 0))
