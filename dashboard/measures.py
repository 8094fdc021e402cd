"""Pure measure logic: expected share by the as-of date (seasonal profile), on-track status, projection."""

from __future__ import annotations

import pandas as pd

from etl import paths


def quarter_of(as_of: str) -> int:
    return (int(as_of[5:7]) - 1) // 3 + 1


def expected_share(profile: pd.DataFrame, year: int, quarter: int, default=None) -> tuple[float, str, int | None]:
    """Cumulative share of the year's target expected by the end of `quarter`.

    Uses last year's quarterly share of actual exits (mart_quarter_profile) when that year has a full,
    positive profile; otherwise the configured default (paths.DEFAULT_QUARTER_PROFILE).
    Returns (share, basis, basis_year): basis 'last_year' or 'default'.
    """
    default = default or paths.DEFAULT_QUARTER_PROFILE
    prev = profile[profile["year"] == year - 1] if profile is not None and len(profile) else None
    if prev is not None and len(prev) == 4 and prev["people"].sum() > 0:
        prev = prev.sort_values("quarter")
        shares = (prev["people"] / prev["people"].sum()).cumsum().tolist()
        return float(min(shares[quarter - 1], 1.0)), "last_year", year - 1
    return float(default[quarter - 1]), "default", None


def expected_to_date(plan_before: float, plan: float, share: float, level: str) -> float:
    """Exits expected by the as-of date, cumulative: every earlier year's plan in full, plus the seasonal
    share of this year's plan (people) or all of it (villages and counties, certified at year end)."""
    return plan_before + plan * (share if level == "people" else 1.0)


def rag(cum_actual: float, plan_before: float, plan: float, share: float, level: str,
        quarter: int) -> tuple[str, float | None]:
    """Status and ratio of cumulative actual to cumulative expected-to-date. Judging the year alone would
    paint red every place that got out ahead of its plan. Villages and counties are certified at year
    end: before Q4 they are not rated ('year_end')."""
    if not plan and not plan_before:
        return "none", None
    if level in ("villages", "counties") and quarter < 4:
        return "year_end", None
    expected = expected_to_date(plan_before, plan, share, level)
    ratio = cum_actual / expected if expected else None
    if ratio is None:
        return "none", None
    if ratio >= paths.RAG_GREEN:
        return "green", ratio
    if ratio >= paths.RAG_AMBER:
        return "amber", ratio
    return "red", ratio


def projection(actual: float, share: float) -> float:
    """Year-end at the current pace: actual-to-date scaled by the seasonal share expected by now."""
    return actual / share if share > 0 else float(actual)
