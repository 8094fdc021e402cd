"""dashboard.status_history against an oracle written here: the rule re-derived in SQL over the warehouse's
marts (expected = earlier plans + this year's plan x last year's cumulative quarterly share), the runs counted
by hand, and a pure example."""

import duckdb
import pandas as pd
import pytest

from dashboard import queries as Q
from dashboard import settings, status_history
from dashboard.filters import Filters

DEFAULT = [0.05, 0.15, 0.30, 1.0]


def test_summarise_pure_example():
    long = pd.DataFrame({
        "u": ["a"] * 4 + ["b"] * 4 + ["c"],
        "quarter": ["2018Q1", "2018Q2", "2018Q3", "2018Q4"] * 2 + ["2018Q4"],
        "behind": [True, False, True, True, False, False, False, False, True],
        "value": [0.9, 1.0, 0.8, 0.7, 1.0, 1.1, 1.2, 1.2, 0.5],
    })
    s = status_history.summarise(long, "u").set_index("u")
    assert s.loc["a", "since"] == "2018Q3" and s.loc["a", "quarters"] == 2 and s.loc["a", "trend"] == "worse"
    assert s.loc["a", "change"] == pytest.approx(-0.1)
    assert s.loc["b", "since"] is None and s.loc["b", "quarters"] == 0 and s.loc["b", "trend"] == "same"
    assert s.loc["c", "quarters"] == 1 and s.loc["c", "since"] == "2018Q4" and s.loc["c", "trend"] is None
    lower = status_history.summarise(long, "u", higher_is_better=False).set_index("u")
    assert lower.loc["a", "trend"] == "better"


def _oracle_counties(path, as_of: str) -> pd.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    quarters = [r[0] for r in con.sql("SELECT quarter_label FROM mart_snapshot ORDER BY as_of").fetchall()]
    prof = con.sql("SELECT year, quarter, people FROM mart_quarter_profile").df()
    rows = []
    for label in [q for q in quarters if q <= as_of]:
        y, n = int(label[:4]), int(label[-1])
        p = prof[prof["year"] == y - 1].sort_values("quarter")
        share = (p["people"].iloc[:n].sum() / p["people"].sum()) if len(p) == 4 and p["people"].sum() > 0 \
            else DEFAULT[n - 1]
        end = {1: "03-31", 2: "06-30", 3: "09-30", 4: "12-31"}[n]
        df = con.execute(
            """SELECT c.county_code,
                      coalesce(sum(y.plan_people) FILTER (y.year < $y), 0)
                        + coalesce(sum(y.plan_people) FILTER (y.year = $y), 0) * $share AS expected,
                      coalesce(sum(y.actual_people) FILTER (y.year <= $y), 0) AS cum
               FROM dim_county c LEFT JOIN mart_county_year y
                 ON y.county_code = c.county_code AND y.as_of = $d::DATE AND y.pathway = 'all'
               WHERE c.is_poverty_county GROUP BY c.county_code""",
            {"y": y, "share": share, "d": f"{y}-{end}"}).df()
        df["ratio"] = df["cum"].astype(float) / df["expected"].where(df["expected"] > 0)
        df["behind"] = df["ratio"] < settings.RAG_GREEN
        df["quarter"] = label
        rows.append(df)
    con.close()
    return pd.concat(rows)


def test_county_history_matches_oracle(demo_db):
    as_of = "2019Q2"
    got = status_history.counties(Filters(as_of=as_of), Q.viewer_scope()).set_index("county_code")
    oracle = _oracle_counties(demo_db, as_of)
    checked_runs = 0
    for code, g in oracle.groupby("county_code"):
        g = g.sort_values("quarter")
        flags = list(g["behind"])
        run = 0
        for b in reversed(flags):
            if not b:
                break
            run += 1
        r = got.loc[code]
        assert bool(r["behind"]) == flags[-1], code
        assert int(r["quarters"]) == run, code
        assert r["since"] == (g["quarter"].iloc[len(flags) - run] if run else None), code
        ratios = list(g["ratio"])
        assert r["value"] == pytest.approx(ratios[-1]), code
        assert r["change"] == pytest.approx(ratios[-1] - ratios[-2]), code
        d = ratios[-1] - ratios[-2]  # a change under 0.05 percentage points is "same"
        assert r["trend"] == ("better" if d > 0.0005 else "worse" if d < -0.0005 else "same"), code
        checked_runs += run > 1
    assert got["behind"].sum() == oracle[oracle["quarter"] == as_of]["behind"].sum() > 0
    assert checked_runs > 0  # some counties have been behind for more than one quarter


def test_village_history_matches_oracle(demo_db):
    as_of = "2019Q2"
    got = status_history.villages(Filters(as_of=as_of), Q.viewer_scope()).set_index("village_code")
    con = duckdb.connect(str(demo_db), read_only=True)
    o = con.sql("""SELECT m.village_code, s.quarter_label AS q, m.behind_schedule AND NOT m.exited AS b,
                          m.incidence FROM mart_village_status m JOIN mart_snapshot s USING (as_of)
                   JOIN dim_county c USING (county_code)
                   WHERE c.is_poverty_county AND s.quarter_label <= '2019Q2'
                   ORDER BY 1, 2""").df()
    con.close()
    behind_now = o[(o["q"] == as_of) & o["b"].fillna(False)]["village_code"]
    assert len(behind_now) == int(got["behind"].sum()) > 0
    for code in behind_now:
        g = o[o["village_code"] == code]
        flags = list(g["b"].fillna(False))
        run = next((i for i, b in enumerate(reversed(flags)) if not b), len(flags))
        r = got.loc[code]
        assert int(r["quarters"]) == run and r["since"] == list(g["q"])[len(flags) - run]
        inc = list(g["incidence"])
        d = inc[-2] - inc[-1]  # lower incidence is better
        assert r["trend"] == ("better" if d > 0.0005 else "worse" if d < -0.0005 else "same")
