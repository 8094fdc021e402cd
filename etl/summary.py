"""Province plan and actual per year, computed from the loaded rows (never copied from the spec)."""

from pathlib import Path

import duckdb

PLAN_AND_ACTUAL = """
WITH latest AS (SELECT max(as_of) AS as_of FROM mart_snapshot),
people AS (
    SELECT year, sum(plan_people) AS plan, sum(actual_people) AS actual,
           sum(plan_households) AS plan_households, sum(actual_households) AS actual_households
    FROM mart_county_year WHERE pathway = 'all' AND as_of = (SELECT as_of FROM latest) GROUP BY year),
villages AS (
    SELECT CASE WHEN planned_exit_year < 2018 THEN 'before_2018' ELSE CAST(planned_exit_year AS VARCHAR) END AS y,
           count(*) AS n FROM dim_village GROUP BY y),
villages_actual AS (
    SELECT CASE WHEN actual_exit_year < 2018 THEN 'before_2018' ELSE CAST(actual_exit_year AS VARCHAR) END AS y,
           count(*) AS n FROM dim_village WHERE actual_exit_year IS NOT NULL GROUP BY y),
counties AS (
    SELECT CASE WHEN planned_exit_year < 2018 THEN 'before_2018' ELSE CAST(planned_exit_year AS VARCHAR) END AS y,
           count(*) AS n FROM dim_county WHERE is_poverty_county GROUP BY y),
counties_actual AS (
    SELECT CASE WHEN actual_exit_year < 2018 THEN 'before_2018' ELSE CAST(actual_exit_year AS VARCHAR) END AS y,
           count(*) AS n FROM dim_county WHERE is_poverty_county AND actual_exit_year IS NOT NULL GROUP BY y)
SELECT 'people_plan', CAST(year AS VARCHAR), plan FROM people
UNION ALL SELECT 'people_actual', CAST(year AS VARCHAR), actual FROM people
UNION ALL SELECT 'households_plan', CAST(year AS VARCHAR), plan_households FROM people
UNION ALL SELECT 'households_actual', CAST(year AS VARCHAR), actual_households FROM people
UNION ALL SELECT 'villages_plan', y, n FROM villages
UNION ALL SELECT 'villages_actual', y, n FROM villages_actual
UNION ALL SELECT 'counties_plan', y, n FROM counties
UNION ALL SELECT 'counties_actual', y, n FROM counties_actual
"""

PATHWAYS = """
SELECT pathway, sum(plan_people) AS plan_people, sum(plan_households) AS plan_households,
       sum(actual_people) AS actual_people, sum(actual_households) AS actual_households
FROM mart_county_year WHERE as_of = (SELECT max(as_of) FROM mart_snapshot) AND pathway <> 'all'
GROUP BY pathway
"""

TOTALS = """
SELECT (SELECT sum(household_size) FROM fct_household_snapshot WHERE as_of = (SELECT min(as_of) FROM mart_snapshot)),
       (SELECT count(*) FROM dim_village),
       (SELECT count(*) FILTER (is_deep_poverty) FROM dim_village),
       (SELECT count(*) FILTER (village_category = '建档立卡贫困村') FROM dim_village),
       (SELECT count(*) FILTER (is_poverty_county) FROM dim_county),
       (SELECT count(*) FILTER (deep_poverty IS NOT NULL) FROM dim_county),
       (SELECT count(*) FILTER (deep_poverty = '两州一县') FROM dim_county),
       (SELECT count(*) FROM mart_reconciliation)
"""


def _num(value):
    return None if value is None else int(value)


def summary(db: Path) -> dict:
    with duckdb.connect(str(db), read_only=True) as con:
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        rows = con.execute(PLAN_AND_ACTUAL).fetchall()
        pathways = con.execute(PATHWAYS).fetchall()
        totals = con.execute(TOTALS).fetchall()[0]
    out: dict = {}
    for measure, year, value in rows:
        level, kind = measure.rsplit("_", 1)
        out.setdefault(level, {"plan": {}, "actual": {}})[kind][year] = _num(value)
    for level in out.values():
        for kind in ("plan", "actual"):
            level[kind] = dict(sorted(level[kind].items(), key=lambda kv: (kv[0] != "before_2018", kv[0])))
    people_start, villages, deep_villages, registered, counties, deep_counties, two_one, mismatches = totals
    out["people"]["total_at_start"] = _num(people_start)
    out["villages"].update(total=villages, deep_poverty=deep_villages, registered=registered,
                           not_registered=villages - registered)
    out["counties"].update(total=counties, deep_poverty=deep_counties, two_prefectures_one_county=two_one)
    out["pathways"] = {p: {"plan_people": _num(pp), "plan_households": _num(ph), "actual_people": _num(ap),
                           "actual_households": _num(ah)} for p, pp, ph, ap, ah in sorted(pathways)}
    out["reconciliation_mismatches"] = mismatches
    out["as_of"] = meta.get("data_as_of")
    out["demo"] = meta.get("demo") == "true"
    return out
