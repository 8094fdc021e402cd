"""The county-level queries read every county once per snapshot and pick the viewer's counties in Python
(queries.selected). Checked here against plain SQL over the warehouse's tables for scopes (province, a
prefecture, a county) x filters (prefecture, county, poverty type, deep poverty incl. 'any', pathway, quarter),
including a filter outside the scope: nothing of a county outside the viewer's scope may show.
"""

import itertools

import pytest

from dashboard import queries as Q
from dashboard.filters import Filters

SCOPES = ("620000", "621100", "622926")  # province, 定西市, 东乡县
FILTERS = ({}, {"prefecture": "621100"}, {"prefecture": "622900"}, {"county": "622926"}, {"county": "621102"},
           {"ctype": "片区"}, {"deep": "any"}, {"deep": "两州一县"}, {"pathway": "industry"},
           {"prefecture": "622900", "deep": "any", "pathway": "water"})
QUARTERS = ("2018Q2", "2019Q4", "2020Q3")


def _sel_sql(scope_code: str, f: Filters) -> tuple[str, list]:
    """The viewer's selected counties, written out here in SQL (not taken from the module)."""
    sql = """SELECT county_code FROM dim_county
             WHERE (? = '620000' OR county_code = ? OR prefecture_code = ?)
               AND (?::VARCHAR IS NULL OR prefecture_code = ?) AND (?::VARCHAR IS NULL OR county_code = ?)
               AND (?::VARCHAR IS NULL OR poverty_type = ?)
               AND (?::VARCHAR IS NULL OR deep_poverty = ? OR (? = 'any' AND deep_poverty IS NOT NULL))"""
    return sql, [scope_code] * 3 + [f.prefecture] * 2 + [f.county] * 2 + [f.ctype] * 2 + [f.deep] * 3


@pytest.fixture(scope="module")
def cases(demo):
    out = []
    for scope_code, extra, q in itertools.product(SCOPES, FILTERS, QUARTERS):
        out.append((scope_code, Filters(as_of=q, **extra)))
    return out


def test_the_selected_counties_are_those_of_the_scope_and_the_filters(demo, cases):
    for scope_code, f in cases:
        sql, params = _sel_sql(scope_code, f)
        want = {r[0] for r in demo.execute(sql, params).fetchall()}
        got = Q.selected(f, Q.scope_counties(scope_code))
        assert got == want, (scope_code, f)
        assert set(Q.county_metrics(f, Q.scope_counties(scope_code))["county_code"]) == want


def test_schedules_totals_and_pathways_add_up_the_selected_counties_only(demo, cases):
    for scope_code, f in cases:
        scope = Q.scope_counties(scope_code)
        sel_sql, sel_params = _sel_sql(scope_code, f)
        sel = f"county_code IN ({sel_sql})"
        sched = Q.schedules(f, scope).set_index(["level", "year"])
        for year in (2018, 2019, 2020):
            plan, actual = demo.execute(
                f"""SELECT coalesce(sum(plan_people), 0), coalesce(sum(actual_people), 0) FROM mart_county_year
                    WHERE as_of = ?::DATE AND pathway = ? AND year = ? AND {sel}""",
                [f.as_of_date, f.pathway, year, *sel_params]).fetchone()
            assert (sched.loc[("people", year), "plan"], sched.loc[("people", year), "actual"]) == (plan, actual)
            plan, actual = demo.execute(
                f"""SELECT coalesce(sum(plan_villages), 0), coalesce(sum(actual_villages), 0) FROM mart_county_year
                    WHERE as_of = ?::DATE AND pathway = 'all' AND year = ? AND {sel}""",
                [f.as_of_date, year, *sel_params]).fetchone()
            assert (sched.loc[("villages", year), "plan"], sched.loc[("villages", year), "actual"]) == (plan, actual)
            plan, actual = demo.execute(
                f"""SELECT count(*) FILTER (WHERE planned_exit_year = ?),  -- an exit counts from 31 Dec of its year
                           count(*) FILTER (WHERE actual_exit_year = ? AND make_date(?, 12, 31) <= ?::DATE)
                    FROM dim_county WHERE is_poverty_county AND {sel}""",
                [year, year, year, f.as_of_date, *sel_params]).fetchone()
            assert (sched.loc[("counties", year), "plan"], sched.loc[("counties", year), "actual"]) == (plan, actual)
        tot = Q.totals(f, scope)
        villages, counties = demo.execute(
            f"""SELECT (SELECT count(*) FROM dim_village WHERE {sel}),
                       (SELECT count(*) FROM dim_county WHERE is_poverty_county AND {sel})""",
            [*sel_params, *sel_params]).fetchone()
        assert (tot["villages"], tot["counties"]) == (villages, counties)
        assert tot["people"] == sum(sched.loc[("people", y), "plan"] for y in (2018, 2019, 2020))
        want = {p: (pp or 0, ap or 0, ph or 0, ah or 0) for p, pp, ap, ph, ah in demo.execute(
            f"""SELECT pathway, sum(plan_people), sum(actual_people), sum(plan_households), sum(actual_households)
                FROM mart_county_year WHERE as_of = ?::DATE AND year = ? AND pathway <> 'all' AND {sel}
                GROUP BY pathway""", [f.as_of_date, f.year, *sel_params]).fetchall()}
        got = Q.pathways(f, scope)
        assert {r.pathway: (r.plan_people, r.actual_people, r.plan_households, r.actual_households)
                for r in got.itertuples()} == want, (scope_code, f)


def test_a_filter_outside_the_scope_shows_nothing(demo):
    f = Filters(as_of="2019Q4", prefecture="622900")  # 临夏州, asked by a 定西市 viewer
    scope = Q.scope_counties("621100")
    assert Q.selected(f, scope) == frozenset()
    assert Q.county_metrics(f, scope).empty
    assert Q.pathways(f, scope).empty
    assert Q.totals(f, scope) == {"people": 0, "villages": 0, "counties": 0}
    assert (Q.schedules(f, scope)[["plan", "actual"]] == 0).all().all()


def test_a_countys_breakdown_and_history_are_its_own_rows_and_only_in_scope(demo):
    for scope_code, county, q in (("620000", "622926", "2019Q2"), ("622900", "622926", "2020Q4"),
                                  ("621100", "621102", "2018Q3")):
        f = Filters(as_of=q)
        scope = Q.scope_counties(scope_code)
        got = Q.breakdown(f, county, scope)
        want = demo.execute("""SELECT dimension, category, households, people FROM mart_county_breakdown
                               WHERE as_of = ?::DATE AND county_code = ?""", [f.as_of_date, county]).fetchall()
        assert sorted(map(tuple, got.itertuples(index=False))) == sorted(want)
        hist = Q.county_history(f, county, scope)
        want = demo.execute("""SELECT quarter_label, remaining_people FROM mart_county_status JOIN mart_snapshot
                               USING (as_of) WHERE county_code = ? AND as_of <= ?::DATE ORDER BY as_of""",
                            [county, f.as_of_date]).fetchall()
        assert list(zip(hist["quarter_label"], hist["remaining_people"])) == want
    f = Filters(as_of="2019Q4")
    assert Q.breakdown(f, "622926", Q.scope_counties("621100")).empty  # 东乡县 for a 定西市 viewer
    assert Q.county_history(f, "622926", Q.scope_counties("621100")).empty
