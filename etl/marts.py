"""The mart_* tables the app reads, rebuilt from dim_*/fct_* at the end of every load (small: the app never
aggregates households itself). Village and county exits are certified once a year: an exit in year Y counts
from 31 December of Y."""

import duckdb

from etl.contract import PATHWAYS
from etl.paths import INCIDENCE_EXIT, PLAN_START_YEAR, PLAN_YEARS

_YEARS = ", ".join(str(y) for y in PLAN_YEARS)  # SQL list literal of the plan years
_EXIT = f"{INCIDENCE_EXIT:.0%}"

# pathway -> (people target indicator, households target indicator)
PATHWAY_TARGETS = {"all": ("people_exit", "households_exit")} | {
    key: ((ind, None) if ind.endswith("_people") else (None, ind)) for _, key, ind in PATHWAYS
}


def _actual_columns() -> str:
    cols = ["sum(household_size) AS all_people", "count(*) AS all_households"]
    for _, key, _ in PATHWAYS:
        cols += [f"sum(household_size) FILTER (pw_{key}) AS {key}_people",
                 f"count(*) FILTER (pw_{key}) AS {key}_households"]
    return ",\n        ".join(cols)


def _pathway_rows() -> str:
    def lit(value):
        return f"'{value}'" if value else "NULL"

    return ", ".join(f"('{key}', {lit(p)}, {lit(h)})" for key, (p, h) in PATHWAY_TARGETS.items())


def _unpivot_actual() -> str:
    return "\n    UNION ALL ".join(
        f"SELECT as_of, county_code, year, '{key}' AS pathway, {key}_people AS people, {key}_households AS households "
        "FROM actual_wide" for key in PATHWAY_TARGETS
    )


def marts_sql() -> str:
    return f"""
CREATE OR REPLACE MACRO certified_year(d) AS CASE WHEN month(d) = 12 AND day(d) = 31 THEN year(d) ELSE year(d) - 1 END;

CREATE OR REPLACE TABLE mart_snapshot AS
SELECT as_of, year(as_of) || 'Q' || quarter(as_of) AS quarter_label, as_of = max(as_of) OVER () AS is_latest
FROM (SELECT DISTINCT as_of FROM fct_household_snapshot) ORDER BY as_of;

CREATE OR REPLACE TABLE mart_county_year AS
WITH pw(pathway, people_indicator, households_indicator) AS (VALUES {_pathway_rows()}),
actual_wide AS (
    SELECT as_of, county_code, year(exit_date) AS year,
        {_actual_columns()}
    FROM fct_household_snapshot WHERE status = '已脱贫' GROUP BY ALL),
actual AS ({_unpivot_actual()}),
villages AS (
    SELECT s.as_of, v.county_code, v.actual_exit_year AS year, count(*) AS villages
    FROM dim_village v JOIN mart_snapshot s ON v.actual_exit_year <= certified_year(s.as_of)
    GROUP BY ALL),
grid AS (
    SELECT s.as_of, c.county_code, y.year, pw.*
    FROM mart_snapshot s CROSS JOIN dim_county c CROSS JOIN (SELECT unnest([{_YEARS}]) AS year) y
    CROSS JOIN pw)
SELECT g.as_of, g.county_code, CAST(g.year AS SMALLINT) AS year, g.pathway,
       tp.target AS plan_people, coalesce(a.people, 0) AS actual_people,
       th.target AS plan_households, coalesce(a.households, 0) AS actual_households,
       CASE WHEN g.pathway = 'all' THEN tv.target END AS plan_villages,
       CASE WHEN g.pathway = 'all' THEN coalesce(v.villages, 0) END AS actual_villages
FROM grid g
LEFT JOIN actual a USING (as_of, county_code, year, pathway)
LEFT JOIN fct_county_target tp ON tp.county_code = g.county_code AND tp.year = g.year AND tp.indicator = g.people_indicator
LEFT JOIN fct_county_target th ON th.county_code = g.county_code AND th.year = g.year
     AND th.indicator = g.households_indicator
LEFT JOIN fct_county_target tv ON tv.county_code = g.county_code AND tv.year = g.year AND tv.indicator = 'villages_exit'
LEFT JOIN villages v ON v.as_of = g.as_of AND v.county_code = g.county_code AND v.year = g.year
ORDER BY ALL;

CREATE OR REPLACE TABLE mart_village_status AS
WITH hh AS (
    SELECT as_of, village_code, count(*) AS households_total, sum(household_size) AS people_total,
           count(*) FILTER (status <> '已脱贫') AS remaining_households,
           coalesce(sum(household_size) FILTER (status <> '已脱贫'), 0) AS remaining_people,
           coalesce(sum(household_size) FILTER (status = '已脱贫' AND year(exit_date) = year(as_of)), 0)
               AS exited_people_this_year,
           count(*) FILTER (status = '返贫') AS returned_households
    FROM fct_household_snapshot GROUP BY ALL)
SELECT s.as_of, v.village_code, v.county_code,
       coalesce(hh.households_total, 0) AS households_total, coalesce(hh.people_total, 0) AS people_total,
       coalesce(hh.remaining_households, 0) AS remaining_households,
       coalesce(hh.remaining_people, 0) AS remaining_people,
       coalesce(hh.exited_people_this_year, 0) AS exited_people_this_year,
       coalesce(hh.returned_households, 0) AS returned_households,
       coalesce(hh.remaining_people, 0) / v.rural_population AS incidence,
       v.planned_exit_year, v.actual_exit_year,
       coalesce(v.actual_exit_year <= certified_year(s.as_of), false) AS exited,
       v.planned_exit_year <= certified_year(s.as_of)
           AND NOT coalesce(v.actual_exit_year <= certified_year(s.as_of), false) AS behind_schedule
FROM mart_snapshot s CROSS JOIN dim_village v
LEFT JOIN hh ON hh.as_of = s.as_of AND hh.village_code = v.village_code
ORDER BY s.as_of, v.village_code;

CREATE OR REPLACE TABLE mart_county_status AS
WITH prev AS (
    SELECT as_of, lag(as_of) OVER (ORDER BY as_of) AS prev_as_of FROM mart_snapshot),
hh AS (
    SELECT h.as_of, h.county_code, count(*) AS households_total, sum(h.household_size) AS people_total,
           count(*) FILTER (h.status <> '已脱贫') AS remaining_households,
           coalesce(sum(h.household_size) FILTER (h.status <> '已脱贫'), 0) AS remaining_people,
           coalesce(sum(h.household_size) FILTER (h.status = '已脱贫'), 0) AS exited_people,
           count(*) FILTER (h.status = '返贫') AS returned_households,
           coalesce(sum(h.household_size) FILTER (h.status = '返贫'), 0) AS returned_people,
           count(*) FILTER (h.status = '返贫' AND p.status = '已脱贫') AS newly_returned_households,
           CASE WHEN any_value(pr.prev_as_of) IS NOT NULL THEN count(*) FILTER (p.household_id IS NULL) END
               AS new_households
    FROM fct_household_snapshot h
    JOIN prev pr ON pr.as_of = h.as_of
    LEFT JOIN fct_household_snapshot p ON p.as_of = pr.prev_as_of AND p.household_id = h.household_id
    GROUP BY ALL),
vs AS (
    SELECT as_of, county_code, count(*) AS villages_total, count(*) FILTER (exited) AS villages_exited,
           count(*) FILTER (behind_schedule) AS villages_behind
    FROM mart_village_status GROUP BY ALL)
SELECT s.as_of, c.county_code,
       coalesce(hh.households_total, 0) AS households_total, coalesce(hh.people_total, 0) AS people_total,
       coalesce(hh.remaining_households, 0) AS remaining_households,
       coalesce(hh.remaining_people, 0) AS remaining_people, coalesce(hh.exited_people, 0) AS exited_people,
       coalesce(hh.returned_households, 0) AS returned_households,
       coalesce(hh.returned_people, 0) AS returned_people,
       coalesce(hh.newly_returned_households, 0) AS newly_returned_households, hh.new_households,
       coalesce(hh.remaining_people, 0) / c.rural_population AS incidence,
       coalesce(vs.villages_total, 0) AS villages_total, coalesce(vs.villages_exited, 0) AS villages_exited,
       coalesce(vs.villages_behind, 0) AS villages_behind
FROM mart_snapshot s CROSS JOIN dim_county c
LEFT JOIN hh ON hh.as_of = s.as_of AND hh.county_code = c.county_code
LEFT JOIN vs ON vs.as_of = s.as_of AND vs.county_code = c.county_code
ORDER BY s.as_of, c.county_code;

CREATE OR REPLACE TABLE mart_county_breakdown AS
SELECT as_of, county_code, 'status' AS dimension, status AS category, count(*) AS households,
       sum(household_size) AS people FROM fct_household_snapshot GROUP BY ALL
UNION ALL
SELECT as_of, county_code, 'attribute', household_attribute, count(*), sum(household_size)
FROM fct_household_snapshot GROUP BY ALL
UNION ALL
SELECT as_of, county_code, 'cause', coalesce(main_cause, '未填'), count(*), sum(household_size)
FROM fct_household_snapshot GROUP BY ALL
ORDER BY ALL;

CREATE OR REPLACE TABLE mart_quarter_profile AS
SELECT year, quarter, people, people / sum(people) OVER (PARTITION BY year) AS share
FROM (SELECT year(exit_date) AS year, quarter(exit_date) AS quarter, sum(household_size) AS people
      FROM fct_household_snapshot
      WHERE as_of = (SELECT max(as_of) FROM mart_snapshot) AND status = '已脱贫' GROUP BY ALL)
ORDER BY ALL;

CREATE OR REPLACE TABLE mart_reconciliation AS
WITH latest AS (SELECT * FROM fct_household_snapshot WHERE as_of = (SELECT max(as_of) FROM mart_snapshot)),
hh_plan AS (
    SELECT county_code, planned_exit_year AS year, sum(household_size) AS people, count(*) AS households
    FROM latest GROUP BY ALL),
village_plan AS (
    SELECT county_code, planned_exit_year AS year, count(*) AS villages FROM dim_village
    WHERE planned_exit_year >= {PLAN_START_YEAR} GROUP BY ALL),
target_vs_rows AS (
    SELECT 'county' AS level, t.county_code AS code, t.year,
           CASE t.indicator WHEN 'people_exit' THEN '县计划脱贫人口 = 户表计划人口之和'
                            WHEN 'households_exit' THEN '县计划脱贫户数 = 户表计划户数'
                            ELSE '县计划退出村数 = 村表计划退出村数' END AS check_name,
           t.target AS expected,
           coalesce(CASE t.indicator WHEN 'people_exit' THEN p.people WHEN 'households_exit' THEN p.households
                                     ELSE vp.villages END, 0) AS actual
    FROM fct_county_target t
    LEFT JOIN hh_plan p ON p.county_code = t.county_code AND p.year = t.year
    LEFT JOIN village_plan vp ON vp.county_code = t.county_code AND vp.year = t.year
    WHERE t.indicator IN ('people_exit', 'households_exit', 'villages_exit')),
year_end AS (SELECT as_of FROM mart_snapshot WHERE month(as_of) = 12 AND day(as_of) = 31),
village_exit AS (
    SELECT 'village' AS level, m.village_code AS code, m.actual_exit_year AS year,
           '退出村贫困发生率 < {_EXIT}' AS check_name, {INCIDENCE_EXIT} AS expected, round(m.incidence, 4) AS actual
    FROM mart_village_status m JOIN year_end y ON y.as_of = m.as_of
    WHERE year(m.as_of) = m.actual_exit_year AND m.incidence >= {INCIDENCE_EXIT}),
county_exit AS (
    SELECT 'county', m.county_code, c.actual_exit_year, '摘帽县贫困发生率 < {_EXIT}', {INCIDENCE_EXIT}, round(m.incidence, 4)
    FROM mart_county_status m JOIN year_end y ON y.as_of = m.as_of JOIN dim_county c USING (county_code)
    WHERE year(m.as_of) = c.actual_exit_year AND m.incidence >= {INCIDENCE_EXIT})
SELECT r.level, r.code, coalesce(c.county_name, v.village_name) AS name, r.check_name, CAST(r.year AS SMALLINT) AS year,
       CAST(r.expected AS DOUBLE) AS expected, CAST(r.actual AS DOUBLE) AS actual,
       CAST(r.actual - r.expected AS DOUBLE) AS difference
FROM (SELECT * FROM target_vs_rows WHERE expected <> actual
      UNION ALL SELECT * FROM village_exit UNION ALL SELECT * FROM county_exit) r
LEFT JOIN dim_county c ON r.level = 'county' AND c.county_code = r.code
LEFT JOIN dim_village v ON r.level = 'village' AND v.village_code = r.code
ORDER BY ALL;
"""


def build_marts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(marts_sql())
