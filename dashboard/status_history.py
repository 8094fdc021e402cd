"""Since when a unit is behind, for how many consecutive quarters, and whether it got better or worse since the
last quarter: one place, over the loaded quarters up to the as-of (meeting mode; the targets tracker and the
reports later).

Counties are judged with the one progress rule (dashboard.progress through charts.county_progress) at every
loaded quarter; villages by the warehouse's behind-schedule flag (mart_village_status) at every quarter.
Pure summary (`summarise`) + two thin readers.
"""

from __future__ import annotations

import pandas as pd

from dashboard import charts
from dashboard import queries as Q
from dashboard.filters import Filters
from dashboard.quarter import Quarter

BEHIND = ("red", "amber")
EPS = 0.0005  # changes smaller than 0.05 percentage points count as "same"


def loaded_until(as_of: Quarter) -> list[Quarter]:
    return [q for q in (Quarter.parse(x) for x in Q.quarters()) if q is not None and q <= as_of]


def summarise(long: pd.DataFrame, key: str, *, higher_is_better: bool = True) -> pd.DataFrame:
    """long: one row per unit (`key`) and quarter (`quarter`, a label sortable in time) with `behind` (bool) and
    `value` (the figure whose change says better/worse). Per unit at its latest quarter: behind, since (the
    first quarter of the current run behind, None when not behind), quarters (length of that run), value,
    previous value, change and trend (better / worse / same; None without a previous quarter)."""
    cols = [key, "behind", "since", "quarters", "value", "prev_value", "change", "trend"]
    if long.empty:
        return pd.DataFrame(columns=cols)
    g = long.sort_values([key, "quarter"]).reset_index(drop=True)
    g["behind"] = g["behind"].fillna(False).astype(bool)
    g["value"] = g["value"].astype("float64")
    by = g.groupby(key, sort=True)
    g["pos"] = by.cumcount()
    g["prev_value"] = by["value"].shift(1)
    # length of the run behind that ends at the latest quarter: trailing True values, counted from the end
    g["trail"] = g.iloc[::-1].groupby(key)["behind"].cumprod().iloc[::-1].astype(int)
    last = by.tail(1).set_index(key)
    run = g.groupby(key)["trail"].sum()
    size = by.size()
    start = g[g["pos"] == g[key].map(size - run)].set_index(key)["quarter"]
    out = pd.DataFrame({"behind": last["behind"], "quarters": run, "value": last["value"],
                        "prev_value": last["prev_value"]})
    out["since"] = start.reindex(out.index).where(out["quarters"] > 0)
    out["since"] = out["since"].astype("object").where(out["since"].notna(), None)
    out["change"] = out["value"] - out["prev_value"]
    good = out["change"] if higher_is_better else -out["change"]
    out["trend"] = pd.Series([None if pd.isna(x) else "better" if x > EPS else "worse" if x < -EPS else "same"
                              for x in good], index=out.index, dtype=object)
    return out.reset_index()[cols]


def counties(f: Filters, scope) -> pd.DataFrame:
    """Poverty counties of the selection `f` (as-of included): status history of their progress to date
    (value = completion, cumulative actual / expected; behind = amber or red)."""
    frames = []
    for q in loaded_until(f.as_of):
        cp = charts.county_progress(f.replace(as_of=q), scope)
        cp = cp[cp["is_poverty_county"].fillna(False).astype(bool)]
        frames.append(pd.DataFrame({"county_code": cp["county_code"], "quarter": q.label,
                                    "behind": cp["status"].isin(BEHIND), "value": cp["completion"]}))
    long = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["county_code", "quarter", "behind", "value"])
    return summarise(long, "county_code")


def villages(f: Filters, scope) -> pd.DataFrame:
    """Villages of the selection's poverty counties: status history of the behind-schedule flag
    (value = poverty incidence, lower is better)."""
    h = Q.village_behind_history(f, scope)
    labels = {q.end: q.label for q in loaded_until(f.as_of)}
    long = pd.DataFrame({"village_code": h["village_code"], "quarter": h["as_of"].map(labels),
                         "behind": h["behind_schedule"].fillna(False).astype(bool) & ~h["exited"].fillna(False).astype(bool),
                         "value": h["incidence"]})
    return summarise(long, "village_code", higher_is_better=False)
