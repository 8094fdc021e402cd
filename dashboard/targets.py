"""The status rule for the plan's targets, once (pure: DataFrames in, DataFrames out; no SQL, no Dash).

What a progress value means (target_progress.value, in the target's unit):
- count / money: the amount reached since the target's start, cumulative. The start is 1 January of the plan's
  first year; a target stated for one year ("2019年退出2646个") or recurring every year (`recurrence` annual)
  starts on 1 January of its year and its value is that year's to date.
- share / floor / cap: the level at the period's end (a coverage in percent, a standard, a ratio).

Now (as of a quarter end; only rows with period_end <= it):
- no_data: not assessable (kind not in ASSESSABLE, no value) or no row by then.
- met: count, money, share, floor at or above the value; cap at or below it (a cap or floor is met while within bound).
- overdue: the deadline has come (as-of >= deadline) and it is not met.
- on_track / behind: progress made / progress expected by the as-of date >= settings.TARGET_NOW_ON_TRACK.
  Expected: a count or money target over whole calendar years follows the exits' seasonal curve
  (dashboard.progress.expected_share: each earlier year in full, this year's seasonal share); anything else a
  straight line from its start (counts: 0 at the start; levels: the first value reported) to the deadline.
At the deadline (ESCAP's anticipated progress): the recent pace (from the last value reported at least
settings.TARGET_RECENT_DAYS before the latest one, else the first) ÷ the pace still needed to reach the value by
the deadline: on_track >= TARGET_PACE_ON_TRACK, needs_acceleration >= TARGET_PACE_LIMITED, limited >= 0,
regressing < 0; cannot_assess with fewer than two values. Met → on_track; once the deadline has come, the share
of the needed progress achieved stands for the pace. Every target is judged on its own value: an end-of-plan
target is never the sum of its yearly targets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard import progress, settings
from dashboard.i18n import fmt_pct, t
from dashboard.quarter import Quarter
from etl.contract import ONE_YEAR_DEADLINE

ASSESSABLE = ("count", "share", "floor", "cap", "money")
NOW = ("met", "on_track", "behind", "overdue", "no_data")
AHEAD = ("on_track", "needs_acceleration", "limited", "regressing", "cannot_assess")
BEHIND = ("behind", "overdue")
_WORST_NOW = {"overdue": 0, "behind": 1, "on_track": 2, "met": 3, "no_data": 9}
_WORST_AHEAD = {"regressing": 0, "limited": 1, "needs_acceleration": 2, "on_track": 3, "cannot_assess": 9}
# target_progress unit levels of a catalog level: household/person targets are reported per county
UNIT_LEVEL = {"household": "county", "person": "county", "township": "county"}


def _date(v) -> pd.Timestamp | None:
    if v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v)) or str(v).strip() in ("", "nan", "NaT"):
        return None
    return pd.Timestamp(str(v)[:10])


# ---------------------------------------------------------------- the catalog
def catalog(ref: pd.DataFrame, as_of: str) -> pd.DataFrame:
    """ref_plan_targets → one row per target with what the rule needs: assessable, value, deadline, start,
    seasonal, series_id (the progress series it is measured on: its own, or for an earlier or later document's
    figure of the same thing that of `same_target_as`), in_force at `as_of` ('yes' | 'not_yet' | 'superseded')
    and revision (the other documents' figures of the same thing)."""
    c = ref.copy()
    c["value"] = pd.to_numeric(c["value"], errors="coerce")
    for col in ("recurrence", "same_target_as", "deadline_text", "in_force_from", "in_force_to", "document_date"):
        c[col] = c[col].astype("object").where(c[col].notna(), "") if col in c else ""
    c["deadline"] = pd.to_datetime(c["deadline"].astype(str).str[:10], errors="coerce")
    c["assessable"] = c["kind"].isin(ASSESSABLE) & c["value"].notna() & c["deadline"].notna()
    plan_start = pd.Timestamp(settings.PLAN_START_YEAR, 1, 1)
    one_year = c["deadline_text"].astype(str).str.match(ONE_YEAR_DEADLINE) | (c["recurrence"] == "annual")
    amount = c["kind"].isin(("count", "money"))
    start = c["deadline"].map(lambda d: pd.Timestamp(d.year, 1, 1) if pd.notna(d) else pd.NaT)
    c["start"] = start.where(one_year & amount, plan_start)
    c["annual"] = (c["recurrence"] == "annual") & amount
    c["direction"] = np.where(c["kind"] == "cap", -1.0, 1.0)
    c["series_id"] = c["same_target_as"].where(c["same_target_as"] != "", c["id"])
    when = pd.Timestamp(as_of)
    frm = pd.to_datetime(c["in_force_from"].where(c["in_force_from"] != "", c["document_date"]).astype(str).str[:10],
                         errors="coerce")
    to = pd.to_datetime(c["in_force_to"].astype(str).str[:10], errors="coerce")
    c["in_force"] = np.where(frm.notna() & (frm > when), "not_yet", np.where(to.notna() & (to < when), "superseded", "yes"))
    c["deadline_year"] = c["deadline"].dt.year.astype("Int64")
    return c


def revisions(cat: pd.DataFrame, lang: str) -> dict[str, str]:
    """target id → its revision in words: the other documents' figures of the same thing issued by the catalog's
    as-of date, with the dates each was in force ('650,000 · 甘肃省2018年政府工作报告 · 2018-01-24–2018-08-21');
    only targets that have one."""
    out = {}
    for _, g in cat.groupby("series_id"):
        if len(g) < 2:
            continue
        for _, r in g.iterrows():
            if not visible(r):
                continue
            others = g[(g["id"] != r["id"]) & (g["in_force"] != "not_yet")]  # no document issued after the as-of
            if others.empty:
                continue
            out[r["id"]] = "；".join(
                f"{_num(o['value'])} · {o['document']} · {o['in_force_from'] or o['document_date']}–{o['in_force_to'] or ''}"
                + (f" · {t('tg_in_force', lang)}" if o["in_force"] == "yes" else "")
                for _, o in others.iterrows())
    return out


def visible(r) -> bool:
    """Is a catalog row shown as of its catalog's date? A later document's figure of a target (same_target_as) only
    once issued; the plan's own targets always (marked not yet in force before the plan's date)."""
    return not (r["in_force"] == "not_yet" and r["same_target_as"])


def _num(v) -> str:
    return "—" if pd.isna(v) else (f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}")


# ---------------------------------------------------------------- the expectation
def seasonal_fraction(start: pd.Timestamp, deadline: pd.Timestamp, as_of: Quarter, share: float) -> float:
    """Share of the way expected by `as_of` for a target over whole calendar years [start, deadline]: every
    earlier year in full plus `share` of this one (dashboard.progress.expected_share), over the years."""
    years = list(range(start.year, deadline.year + 1))
    if as_of.year < years[0]:
        return 0.0
    if as_of.year > years[-1]:
        return 1.0
    return (as_of.year - years[0] + share) / len(years)


def _is_whole_years(start: pd.Timestamp, deadline: pd.Timestamp) -> bool:
    return start.month == 1 and start.day == 1 and deadline.month == 12 and deadline.day == 31


def _met(value, target, direction):
    return np.where(direction < 0, value <= target, value >= target)


# ---------------------------------------------------------------- status of every (target, unit)
_COLS = ["target_id", "unit_code", "latest", "latest_date", "points", "is_demo", "expected", "ratio", "status",
         "pace_ratio", "projected", "ahead"]


def assess(cat: pd.DataFrame, prog: pd.DataFrame, as_of: str, profile: pd.DataFrame | None = None) -> pd.DataFrame:
    """Status now and at the deadline of every (target, unit) with progress rows.

    cat: `catalog(...)`. prog: target_progress rows (target_id, unit_code, period_end, value, is_demo); rows after
    `as_of` (a quarter end) are ignored here too. Returns one row per catalog target and unit that has rows
    (target_id = the catalog id, so a revision row is judged on its series against its own value), columns
    _COLS: latest value and date, points (values in its window), is_demo (of the latest), expected by the
    as-of date, ratio (progress made / expected), status (NOW), pace_ratio, projected (value at the deadline
    at the recent pace) and ahead (AHEAD)."""
    when = pd.Timestamp(as_of)
    q = Quarter.of_date(as_of)
    c = cat[cat["assessable"]].copy()
    if prog is None or prog.empty or c.empty:
        return pd.DataFrame(columns=_COLS)
    p = prog[["target_id", "unit_code", "period_end", "value", "is_demo"]].copy()
    p["period_end"] = pd.to_datetime(p["period_end"].astype(str).str[:10])
    p = p[(p["period_end"] <= when) & p["value"].notna()]
    # an annual target's window is the as-of year (or its last year once the deadline has passed)
    yr = np.minimum(when.year, c["deadline"].dt.year)
    c["w_start"] = c["start"].where(~c["annual"], pd.to_datetime(yr.astype(str) + "-01-01"))
    c["w_end"] = c["deadline"].where(~c["annual"], np.minimum(pd.to_datetime(yr.astype(str) + "-12-31"), c["deadline"]))
    whole = pd.Series([_is_whole_years(s, e) for s, e in zip(c["w_start"], c["w_end"])], index=c.index, dtype=bool)
    seasonal = c["kind"].isin(("count", "money")) & whole
    share = progress.expected_share(profile, q.year, q.number)[0]
    c["season_frac"] = [seasonal_fraction(s, e, q, share) if ok else np.nan
                        for s, e, ok in zip(c["w_start"], c["w_end"], seasonal)]
    m = c[["id", "series_id", "kind", "value", "direction", "w_start", "w_end", "season_frac"]].rename(
        columns={"id": "cat_id", "value": "target"}).merge(p.rename(columns={"target_id": "series_id"}), on="series_id")
    m = m[m["period_end"] >= m["w_start"]].sort_values(["cat_id", "unit_code", "period_end"])
    if m.empty:
        return pd.DataFrame(columns=_COLS)
    # groups of (target, unit) as runs of the sorted rows: positions of each group's first and last row
    m = m.reset_index(drop=True)
    key = (m["cat_id"] + "|" + m["unit_code"]).to_numpy()
    pos = np.arange(len(m))
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    ends = np.r_[starts[1:], len(m)] - 1
    sizes = ends - starts + 1
    dates = m["period_end"].to_numpy()
    # the recent pace starts at the last value reported at least TARGET_RECENT_DAYS before the latest (else the first)
    t_last = np.repeat(dates[ends], sizes)
    early = np.where(dates <= t_last - np.timedelta64(settings.TARGET_RECENT_DAYS, "D"), pos, -1)
    base_pos = np.maximum.reduceat(early, starts)
    base_pos = np.where(base_pos < 0, starts, base_pos)
    idx = pd.MultiIndex.from_arrays([m["cat_id"].to_numpy()[ends], m["unit_code"].to_numpy()[ends]],
                                    names=["cat_id", "unit_code"])
    first, last, base = (m.iloc[p].set_axis(idx) for p in (starts, ends, base_pos))
    r = last[["kind", "target", "direction", "w_start", "w_end", "season_frac", "is_demo"]].copy()
    r["latest"], r["latest_date"], r["points"] = last["value"], last["period_end"], sizes
    amount = r["kind"].isin(("count", "money"))
    v0 = pd.Series(np.where(amount, 0.0, first["value"]), index=r.index)
    t0 = first["period_end"].where(~amount, r["w_start"])
    span = (r["w_end"] - t0).dt.days.clip(lower=1)
    line = ((when - t0).dt.days / span).clip(0, 1)
    frac = r["season_frac"].where(r["season_frac"].notna(), line)
    r["expected"] = v0 + (r["target"] - v0) * frac
    need = r["expected"] - v0
    made = r["latest"] - v0
    r["ratio"] = np.where(need * r["direction"] > 0, made / need.where(need != 0), np.nan)
    met = _met(r["latest"], r["target"], r["direction"])
    due = when >= r["w_end"]
    ok = np.isnan(r["ratio"]) | (r["ratio"] >= settings.TARGET_NOW_ON_TRACK)
    r["status"] = np.select([met, due, ok], ["met", "overdue", "on_track"], "behind")
    # at the deadline
    t1, v1 = r["latest_date"], r["latest"]
    tb, vb = base["period_end"], base["value"]
    rate = (v1 - vb) / (t1 - tb).dt.days.where((t1 - tb).dt.days > 0)
    left = (r["w_end"] - t1).dt.days
    needed = (r["target"] - v1) / left.where(left > 0)
    achieved = made / (r["target"] - v0).where((r["target"] - v0) != 0)  # once the deadline has come
    r["pace_ratio"] = np.where(met, np.nan, np.where(due | (left <= 0), achieved, rate / needed))
    r["projected"] = np.where(due | (left <= 0), v1, v1 + rate * left.clip(lower=0))
    pr = r["pace_ratio"]
    r["ahead"] = np.select(
        [met, r["points"] < 2, pr >= settings.TARGET_PACE_ON_TRACK, pr >= settings.TARGET_PACE_LIMITED, pr >= 0,
         pr < 0],
        ["on_track", "cannot_assess", "on_track", "needs_acceleration", "limited", "regressing"], "cannot_assess")
    r = r.reset_index().rename(columns={"cat_id": "target_id"})
    r["is_demo"] = r["is_demo"].astype(bool)
    return r[_COLS].reset_index(drop=True)


def summary(cat: pd.DataFrame, judged: pd.DataFrame, unit: str = "620000") -> pd.DataFrame:
    """One row per catalog target: its own row for `unit` when it has one (a province target for the province,
    a county's row when one county is selected), else the worst status over the units judged (no data / cannot
    assess only when all are), with units, units_behind and units_ahead_bad (not on track at the deadline)."""
    base = cat[["id", "sector", "section", "level", "kind", "value", "unit", "deadline", "deadline_year", "quote",
                "document", "in_force", "assessable"]].rename(columns={"id": "target_id", "value": "target"})
    if judged.empty:
        out = base.assign(latest=np.nan, latest_date=pd.NaT, expected=np.nan, ratio=np.nan, is_demo=None,
                          units=0, units_behind=0, status="no_data", ahead="cannot_assess", projected=np.nan,
                          pace_ratio=np.nan)
        return out.reset_index(drop=True)
    j = judged.copy()
    j["own"] = j["unit_code"] == unit
    j["rank_now"] = j["status"].map(_WORST_NOW)
    j["rank_ahead"] = j["ahead"].map(_WORST_AHEAD)
    counts = j.groupby("target_id").agg(units=("unit_code", "size"),
                                        units_behind=("status", lambda s: int(s.isin(BEHIND).sum())))
    own = j[j["own"]].set_index("target_id")
    worst_now = j.sort_values(["rank_now", "ratio"]).groupby("target_id").head(1).set_index("target_id")
    worst_ahead = j.sort_values(["rank_ahead", "pace_ratio"]).groupby("target_id").head(1).set_index("target_id")
    now = worst_now.copy()
    now.update(own)
    ahead = worst_ahead[["ahead", "pace_ratio", "projected"]].copy()
    ahead.update(own[["ahead", "pace_ratio", "projected"]])
    one = j.groupby("target_id")["unit_code"].nunique() == 1
    cols = now[["latest", "latest_date", "expected", "ratio", "status", "is_demo"]].join(ahead).join(counts)
    # several units and no row of the selected unit: the latest value / expected belong to the worst unit only
    several = ~cols.index.isin(own.index) & ~one.reindex(cols.index).fillna(False)
    cols.loc[several, ["latest", "expected", "latest_date"]] = [np.nan, np.nan, pd.NaT]
    out = base.merge(cols, left_on="target_id", right_index=True, how="left")
    out["status"] = out["status"].fillna("no_data")
    out["ahead"] = out["ahead"].fillna("cannot_assess")
    out["units"] = out["units"].fillna(0).astype(int)
    out["units_behind"] = out["units_behind"].fillna(0).astype(int)
    return out.reset_index(drop=True)


def counts(summ: pd.DataFrame) -> dict:
    """{"now": {status: targets}, "ahead": {status: targets}} over the assessable targets in force (and every
    status listed, with 0)."""
    s = summ[summ["assessable"] & (summ["in_force"] == "yes")]
    return {"now": {k: int((s["status"] == k).sum()) for k in NOW},
            "ahead": {k: int((s["ahead"] == k).sum()) for k in AHEAD}}


# ---------------------------------------------------------------- history
def history(cat: pd.DataFrame, prog: pd.DataFrame, quarters: list[str], profile: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per (target, unit): the status at each quarter of `quarters` (labels, in time order, up to the as-of),
    each judged with only what was known then, summed up as since (the first quarter of the current run
    behind or overdue), quarters (its length), value (progress ratio at the last quarter), prev_value and
    trend (better / worse / same against the quarter before); plus status and ahead at the last quarter."""
    from dashboard.status_history import summarise

    frames = []
    for label in quarters:
        end = Quarter.parse(label).end
        a = assess(cat, prog, end, profile)
        if a.empty:
            continue
        frames.append(a.assign(quarter=label, key=a["target_id"] + "|" + a["unit_code"],
                               behind=a["status"].isin(BEHIND),
                               value=np.where(a["status"] == "met", 1.0, a["ratio"].astype("float64"))))
    if not frames:
        return pd.DataFrame(columns=["target_id", "unit_code", "status", "ahead", "behind", "since", "quarters",
                                     "value", "prev_value", "change", "trend"])
    long = pd.concat(frames, ignore_index=True)
    h = summarise(long[["key", "quarter", "behind", "value"]], "key")
    last = long[long["quarter"] == long.groupby("key")["quarter"].transform("max")].set_index("key")
    h = h.join(last[["target_id", "unit_code", "status", "ahead"]], on="key")
    return h.drop(columns="key")


# ---------------------------------------------------------------- words
def rule_sentence(lang: str) -> str:
    """The rule in words, with the thresholds in force (settings)."""
    return t("tg_rule", lang, now=fmt_pct(settings.TARGET_NOW_ON_TRACK, lang, 0),
             on=fmt_pct(settings.TARGET_PACE_ON_TRACK, lang, 0), lim=fmt_pct(settings.TARGET_PACE_LIMITED, lang, 0),
             days=settings.TARGET_RECENT_DAYS)


def due_this_year_behind(summ: pd.DataFrame, year: int) -> pd.DataFrame:
    """Targets in force, due in `year`, behind or overdue now or not on track at the deadline (the deck's slide and the
    report's section), worst first."""
    s = summ[summ["assessable"] & (summ["in_force"] == "yes") & (summ["deadline_year"] == year)]
    s = s[s["status"].isin(BEHIND) | s["ahead"].isin(("needs_acceleration", "limited", "regressing"))]
    return s.assign(_r=s["status"].map(_WORST_NOW), _a=s["ahead"].map(_WORST_AHEAD)).sort_values(
        ["_r", "_a", "sector", "target_id"]).drop(columns=["_r", "_a"]).reset_index(drop=True)


__all__ = ["AHEAD", "ASSESSABLE", "BEHIND", "NOW", "UNIT_LEVEL", "assess", "catalog", "counts",
           "due_this_year_behind", "history", "revisions", "rule_sentence", "seasonal_fraction", "summary"]
