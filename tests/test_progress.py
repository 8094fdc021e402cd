"""The on-track rule (dashboard.progress) where the app shows it: Q.ranking, the ranking's colours, the rule
sentence on the page and in the Word report.

Expected values come from SQL written here over the dim_/fct_ tables (not the marts the app reads) and from the
SPEC's numbers typed in: green at >= 100 % of the expected-to-date, amber at >= 85 %, red below (SPEC §5);
villages and counties are certified at year end, so not rated before Q4.
"""

import pytest

from dashboard import charts, settings, theme
from dashboard import queries as Q
from dashboard.filters import Filters

GREEN, AMBER = 1.00, 0.85  # SPEC §5
START = 2018  # the plan's first year (SPEC §2)


DEFAULT_PROFILE = (0.05, 0.15, 0.30, 1.0)  # the configured default for 2018, which has no previous year


def _share(con, year: int, quarter: int) -> float:
    """Last year's people exits by the end of `quarter`, as a share of last year's exits (latest snapshot)."""
    if year == START:
        return DEFAULT_PROFILE[quarter - 1]
    (share,) = con.execute(
        """SELECT sum(household_size) FILTER (WHERE quarter(exit_date) <= $q) / sum(household_size)
           FROM fct_household_snapshot
           WHERE as_of = (SELECT max(as_of) FROM fct_household_snapshot) AND status = '已脱贫'
             AND year(exit_date) = $y - 1""", {"q": quarter, "y": year}).fetchone()
    return float(share)


_UNIT = """SELECT county_code, CASE WHEN $by_pref THEN c.prefecture_code ELSE county_code END AS code,
                  CASE WHEN $by_pref THEN p.prefecture_name ELSE county_name END AS name
           FROM dim_county c JOIN dim_prefecture p USING (prefecture_code)
           WHERE is_poverty_county AND ($pref IS NULL OR c.prefecture_code = $pref)"""

_ORACLE = {
    # per county: expected to date (earlier years' targets in full + this year's times the share, rounded
    # half-even per county) and exits since 2018 in the as-of snapshot
    "people": f"""WITH u AS ({_UNIT}),
        t AS (SELECT county_code, sum(target) FILTER (WHERE year < $y) AS before, sum(target) FILTER (WHERE year = $y)
                     AS this FROM fct_county_target WHERE indicator = 'people_exit' GROUP BY 1),
        a AS (SELECT county_code, sum(household_size) AS n FROM fct_household_snapshot
              WHERE as_of = $as_of AND status = '已脱贫' AND year(exit_date) BETWEEN {START} AND $y GROUP BY 1),
        per AS (SELECT u.*, round_even(coalesce(t.before, 0) + coalesce(t.this, 0) * $share, 0) AS plan,
                       coalesce(a.n, 0) AS actual FROM u LEFT JOIN t USING (county_code) LEFT JOIN a USING (county_code))""",
    # villages: this year's target in full; an exit counts once certified (31 Dec of its year)
    "villages": f"""WITH u AS ({_UNIT}),
        t AS (SELECT county_code, sum(target) FILTER (WHERE year <= $y) AS plan FROM fct_county_target
              WHERE indicator = 'villages_exit' GROUP BY 1),
        a AS (SELECT county_code, count(*) AS n FROM dim_village
              WHERE actual_exit_year BETWEEN {START} AND $y AND make_date(actual_exit_year, 12, 31) <= $as_of
              GROUP BY 1),
        per AS (SELECT u.*, coalesce(t.plan, 0) AS plan, coalesce(a.n, 0) AS actual
                FROM u LEFT JOIN t USING (county_code) LEFT JOIN a USING (county_code))""",
    "counties": f"""WITH u AS ({_UNIT}),
        per AS (SELECT u.*, (planned_exit_year BETWEEN {START} AND $y)::INT AS plan,
                       (actual_exit_year BETWEEN {START} AND $y AND planned_exit_year >= {START}
                        AND make_date(actual_exit_year, 12, 31) <= $as_of)::INT AS actual
                FROM u JOIN dim_county USING (county_code))""",
}


def _oracle(con, level: str, quarter: str, prefecture: str | None) -> list[dict]:
    y, n = int(quarter[:4]), int(quarter[-1])
    as_of = f"{y}-{['03-31', '06-30', '09-30', '12-31'][n - 1]}"
    params = {"y": y, "as_of": as_of, "by_pref": prefecture is None, "pref": prefecture}
    if level == "people":
        params["share"] = _share(con, y, n)
    rows = con.execute(
        _ORACLE[level] + """,
        behind AS (SELECT county_code, count(*) FILTER (WHERE behind_schedule) AS n FROM mart_village_status
                   WHERE as_of = $as_of GROUP BY 1)
        SELECT code, name, sum(plan) AS plan, sum(actual) AS actual, sum(coalesce(behind.n, 0)) AS behind
        FROM per LEFT JOIN behind USING (county_code) GROUP BY code, name""", params).fetchall()
    out = []
    for code, name, plan, actual, behind in rows:
        completion = actual / plan if plan else None
        if completion is None:
            status = "none"
        elif level != "people" and n < 4:
            status = "year_end"
        else:
            status = "green" if completion >= GREEN else "amber" if completion >= AMBER else "red"
        out.append(dict(code=code, name=name, plan=float(plan), actual=float(actual), completion=completion,
                        status=status, villages_behind=int(behind)))
    return sorted(out, key=lambda r: (r["completion"] is None, r["completion"] or 0, r["code"]))


QUARTERS = ("2018Q3", "2019Q2", "2019Q4", "2020Q3")
CASES = [(level, quarter, pref) for level in ("people", "villages", "counties") for quarter in QUARTERS
         for pref in (None, "622900")]


@pytest.mark.parametrize("level,quarter,prefecture", CASES)
def test_ranking_matches_sql_oracle(demo, level, quarter, prefecture):
    f = Filters(as_of=quarter, level=level, prefecture=prefecture)
    got = charts.chart_data("ranking", f, Q.viewer_scope())
    want = _oracle(demo, level, quarter, prefecture)
    assert list(got["code"]) == [r["code"] for r in want]
    for g, w in zip(got.to_dict("records"), want):
        assert (g["name"], g["plan"], g["actual"], g["villages_behind"]) == (
            w["name"], w["plan"], w["actual"], w["villages_behind"]), w["code"]
        if w["completion"] is None:
            assert g["completion"] != g["completion"], w["code"]  # NaN: no plan
        else:
            assert g["completion"] == pytest.approx(w["completion"]), w["code"]
        assert g["status"] == w["status"], (w["code"], w["completion"])


@pytest.mark.parametrize("level,quarter,prefecture", CASES)
def test_ranking_colours_are_the_status_of_each_bar(demo, level, quarter, prefecture):
    f = Filters(as_of=quarter, level=level, prefecture=prefecture)
    fig = charts.figure("ranking", f, Q.viewer_scope())
    want = [r for r in _oracle(demo, level, quarter, prefecture) if r["plan"] > 0]
    if not want:  # nothing planned yet: the empty figure
        assert fig["data"] == []
        return
    bars = fig["data"][0]
    assert list(bars["y"]) == [r["name"] for r in want]
    assert list(bars["marker"]["color"]) == [_bar_colour(r) for r in want]


def _bar_colour(r) -> str:
    """The map's completion classes (<70 %, 70–85 %, 85–100 %, ≥100 %), orange → blue, stated here independently;
    grey when not rated."""
    if r["status"] not in ("red", "amber", "green"):
        return theme.RAG[r["status"]]
    c = r["completion"]
    return "#2166AC" if c >= GREEN else "#FFD92F" if c >= AMBER else "#F1A340" if c >= 0.7 else "#B35806"


def test_people_statuses_on_the_demo_cover_all_three_colours(demo):
    """The oracle cases above would prove little if every bar had one colour."""
    seen = {r["status"] for q in QUARTERS for p in (None, "622900") for r in _oracle(demo, "people", q, p)}
    assert {"green", "amber", "red"} <= seen, seen


# ---------------------------------------------------------------- the rule sentence
@pytest.fixture
def thresholds(monkeypatch):
    monkeypatch.setattr(settings, "RAG_GREEN", 0.9)
    monkeypatch.setattr(settings, "RAG_AMBER", 0.7)


def test_rule_sentence_on_the_page_says_the_thresholds_in_force(thresholds):
    from dashboard import components as C

    zh = C.rule_text(Filters(as_of="2019Q2"), 0.25, "last_year", 2018, "2019-06-30").children
    assert zh == ("进度规则：按累计进度评定——2018年以来累计实际 ÷ 累计应完成（以往年度计划全额 + 本年计划的25%，"
                  "截至2019年6月30日，季节曲线：2018年各季度实际脱贫分布）。达到90%为绿色，70%以上为黄色，低于70%为红色。"
                  "提前完成的不算滞后。贫困村、贫困县在年底统一验收，年中不评定。")
    en = C.rule_text(Filters(as_of="2019Q2", lang="en"), 0.05, "default", None, "2018-03-31").children
    assert "plus 5% of this year's, seasonal profile: configured default profile" in en
    assert "Green at ≥ 90%, amber at ≥ 70%, red below" in en


def test_word_report_rule_sentence_says_the_thresholds_in_force(thresholds, demo):
    import io
    import shutil

    import docx

    from dashboard import docx_report

    if shutil.which("chromium") is None:
        pytest.skip("charts are rendered by kaleido/chromium")
    doc = docx.Document(io.BytesIO(docx_report.build_docx("622926", "2019-12-31")))
    rule = next(p.text for p in doc.paragraphs if p.text.startswith("进度规则"))
    assert "达到90%为绿色，70%以上为黄色，低于70%为红色" in rule
    assert "达到100%" not in rule and "85%" not in rule
