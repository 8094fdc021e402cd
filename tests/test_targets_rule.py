"""dashboard/targets.py: the targets' status rule, against values worked out by hand in each test."""

import datetime as dt

import pandas as pd
import pytest

from dashboard import settings, targets

COLS = ["id", "sector", "section", "level", "kind", "quote", "value", "unit", "deadline", "deadline_text",
        "recurrence", "document", "document_date", "in_force_from", "in_force_to", "same_target_as"]


def cat_row(id_, kind, value, deadline, text="到2020年", recurrence="", **kw):
    r = dict(id=id_, sector="产业", section="一", level="province", kind=kind, quote=id_, value=value, unit="x",
             deadline=deadline, deadline_text=text, recurrence=recurrence, document="甘发〔2018〕20号",
             document_date="2018-08-22", in_force_from="2018-08-22", in_force_to="", same_target_as="")
    r.update(kw)
    return r


def judge(rows, points, as_of, profile=None, unit="620000"):
    cat = targets.catalog(pd.DataFrame(rows, columns=COLS), as_of)
    prog = pd.DataFrame([(tid, unit, d, v, True) for tid, d, v in points],
                        columns=["target_id", "unit_code", "period_end", "value", "is_demo"])
    return targets.assess(cat, prog, as_of, profile).set_index("target_id")


def one(kind, value, points, as_of, **kw):
    return judge([cat_row("t", kind, value, kw.pop("deadline", "2020-12-31"), **kw)],
                 [("t", d, v) for d, v in points], as_of).loc["t"]


# ---------------------------------------------------------------- now
def test_count_follows_the_seasonal_curve():
    # default profile 0.05/0.15/0.30/1.0 (no mart profile): at 2019Q2, 1 year in full + 0.15 of 2019, over 3 years
    expected = 300 * (1 + 0.15) / 3
    r = one("count", 300, [("2018-12-31", 100), ("2019-06-30", expected)], "2019-06-30")
    assert r["expected"] == pytest.approx(115.0)
    assert r["status"] == "on_track"
    r = one("count", 300, [("2019-06-30", 0.94 * expected)], "2019-06-30")
    assert r["status"] == "behind" and r["ratio"] == pytest.approx(0.94)
    r = one("count", 300, [("2019-06-30", 0.95 * expected)], "2019-06-30")
    assert r["status"] == "on_track"
    r = one("count", 300, [("2019-12-31", 190)], "2019-12-31")  # expected 200: 190 / 200 is the threshold itself
    assert r["ratio"] == 0.95 and r["status"] == "on_track"


def test_seasonal_curve_uses_last_years_quarterly_exits():
    profile = pd.DataFrame({"year": [2018] * 4, "quarter": [1, 2, 3, 4], "people": [10, 30, 20, 40],
                            "share": [0.1, 0.3, 0.2, 0.4]})
    cat = targets.catalog(pd.DataFrame([cat_row("t", "count", 300, "2020-12-31")], columns=COLS), "2019-06-30")
    prog = pd.DataFrame([("t", "620000", "2019-06-30", 100.0, True)],
                        columns=["target_id", "unit_code", "period_end", "value", "is_demo"])
    r = targets.assess(cat, prog, "2019-06-30", profile).iloc[0]
    assert r["expected"] == pytest.approx(300 * (1 + 0.4) / 3)  # 2018's Q1+Q2 exits = 40 % of its year


def test_one_year_count_starts_in_its_year():
    # "2019年退出2646个": judged on 2019 alone; at 2019Q4 everything is due
    r = one("count", 2646, [("2019-12-31", 2646)], "2019-12-31", deadline="2019-12-31", text="2019年")
    assert r["status"] == "met"
    r = one("count", 2646, [("2019-06-30", 0.15 * 2646)], "2019-06-30", deadline="2019-12-31", text="2019年")
    assert r["expected"] == pytest.approx(0.15 * 2646) and r["status"] == "on_track"


def test_share_is_a_straight_line_from_its_first_value():
    t0, t1, end = dt.date(2018, 3, 31), dt.date(2019, 12, 31), dt.date(2020, 12, 31)
    expected = 40 + (100 - 40) * (t1 - t0).days / (end - t0).days
    r = one("share", 100, [("2018-03-31", 40), ("2019-12-31", expected - 1)], "2019-12-31")
    assert r["expected"] == pytest.approx(expected)
    assert r["ratio"] == pytest.approx((expected - 1 - 40) / (expected - 40))
    assert r["status"] == "on_track"  # 97 % of the way expected
    r = one("share", 100, [("2018-03-31", 40), ("2019-12-31", 60)], "2019-12-31")
    assert r["status"] == "behind"


def test_met_overdue_and_bounds():
    assert one("count", 100, [("2019-12-31", 100)], "2019-12-31")["status"] == "met"
    assert one("share", 90, [("2019-12-31", 91)], "2019-12-31")["status"] == "met"
    # 2018 target not reached: overdue at its deadline's quarter and after
    for as_of in ("2018-12-31", "2019-12-31"):
        r = one("count", 100, [("2018-12-31", 80)], as_of, deadline="2018-12-31", text="2018年")
        assert r["status"] == "overdue"
    # cap: met while at or below the bound, whatever the deadline
    assert one("cap", 3000, [("2019-12-31", 2500)], "2019-12-31")["status"] == "met"
    assert one("cap", 3000, [("2019-12-31", 3000)], "2019-12-31")["status"] == "met"
    assert one("cap", 3000, [("2018-12-31", 3600), ("2019-12-31", 3550)], "2019-12-31")["status"] == "behind"
    assert one("cap", 3000, [("2020-12-31", 3100)], "2020-12-31")["status"] == "overdue"
    # floor
    assert one("floor", 20000, [("2019-12-31", 20000)], "2019-12-31")["status"] == "met"
    assert one("floor", 20000, [("2018-12-31", 15000), ("2019-12-31", 15100)], "2019-12-31")["status"] == "behind"
    # money follows the count rule
    assert one("money", 1000, [("2019-12-31", 2 / 3 * 1000)], "2019-12-31")["status"] == "on_track"


def test_no_data_and_the_as_of_cut():
    cat = targets.catalog(pd.DataFrame([cat_row("t", "count", 300, "2020-12-31"),
                                        cat_row("act", "dated_action", None, "2020-12-31")], columns=COLS),
                          "2019-06-30")
    prog = pd.DataFrame([("t", "620000", "2019-12-31", 300.0, True), ("act", "620000", "2019-06-30", 1.0, True)],
                        columns=["target_id", "unit_code", "period_end", "value", "is_demo"])
    assert targets.assess(cat, prog, "2019-06-30").empty  # the only row is after the as-of; an action is not assessed
    s = targets.summary(cat, targets.assess(cat, prog, "2019-06-30")).set_index("target_id")
    assert s.loc["t", "status"] == "no_data" and s.loc["act", "status"] == "no_data"
    s = targets.summary(cat, targets.assess(cat, prog, "2019-12-31")).set_index("target_id")
    assert s.loc["t", "status"] == "met"


# ---------------------------------------------------------------- at the deadline
@pytest.mark.parametrize("latest, ahead, ratio", [
    (230, "on_track", (130 / 365) / (70 / 366)),
    (200, "on_track", (100 / 365) / (100 / 366)),
    (190, "needs_acceleration", (90 / 365) / (110 / 366)),
    (150, "limited", (50 / 365) / (150 / 366)),
    (100, "limited", 0.0),
    (90, "regressing", (-10 / 365) / (210 / 366)),
])
def test_pace_against_the_pace_needed(latest, ahead, ratio):
    # recent pace: from the value a year before the latest; needed: what is left over the days left (2020 is leap)
    r = one("count", 300, [("2018-06-30", 10), ("2018-12-31", 100), ("2019-12-31", latest)], "2019-12-31")
    assert r["pace_ratio"] == pytest.approx(ratio)
    assert r["ahead"] == ahead
    assert r["projected"] == pytest.approx(latest + (latest - 100) / 365 * 366)


def test_pace_bands_follow_the_settings(monkeypatch):
    pts = [("2018-12-31", 100), ("2019-12-31", 190)]  # ratio 0.82
    assert one("count", 300, pts, "2019-12-31")["ahead"] == "needs_acceleration"
    monkeypatch.setattr(settings, "TARGET_PACE_ON_TRACK", 0.8)
    assert one("count", 300, pts, "2019-12-31")["ahead"] == "on_track"
    monkeypatch.setattr(settings, "TARGET_PACE_LIMITED", 0.9)
    monkeypatch.setattr(settings, "TARGET_PACE_ON_TRACK", 0.95)
    assert one("count", 300, pts, "2019-12-31")["ahead"] == "limited"
    assert "90%" in targets.rule_sentence("zh") and "95%" in targets.rule_sentence("en")


def test_cannot_assess_with_one_point_and_met_is_on_course():
    assert one("count", 300, [("2019-12-31", 150)], "2019-12-31")["ahead"] == "cannot_assess"
    assert one("count", 300, [("2019-12-31", 300)], "2019-12-31")["ahead"] == "on_track"
    # cap going the wrong way
    r = one("cap", 3000, [("2018-12-31", 3500), ("2019-12-31", 3600)], "2019-12-31")
    assert r["ahead"] == "regressing"


def test_after_the_deadline_the_share_achieved_stands_for_the_pace():
    r = one("count", 100, [("2018-06-30", 50), ("2018-12-31", 70)], "2019-12-31", deadline="2018-12-31", text="2018年")
    assert r["status"] == "overdue" and r["pace_ratio"] == pytest.approx(0.7) and r["ahead"] == "needs_acceleration"


def test_behind_now_and_on_course_at_the_deadline_are_both_shown():
    # slow start, fast recent pace: behind today, on course for the deadline
    r = one("count", 300, [("2018-12-31", 20), ("2019-12-31", 180)], "2019-12-31")
    assert r["status"] == "behind" and r["ahead"] == "on_track"


def test_annual_target_resets_each_year():
    # 1,000 mu every year: the 2019 figure is 2019's to date; judged against 2019's straight-line share
    kw = dict(deadline="2020-12-31", text="", recurrence="annual")
    r = one("count", 1000, [("2018-12-31", 1000), ("2019-06-30", 480)], "2019-06-30", **kw)
    assert r["expected"] == pytest.approx(1000 * 0.15) and r["status"] == "on_track" and r["points"] == 1
    r = one("count", 1000, [("2018-12-31", 1000), ("2019-09-30", 250)], "2019-09-30", **kw)
    assert r["expected"] == pytest.approx(300) and r["status"] == "behind"
    r = one("count", 1000, [("2018-12-31", 1000), ("2019-12-31", 700)], "2019-12-31", **kw)
    assert r["status"] == "overdue"  # the year's 1,000 were due by 31 December


def test_end_of_plan_target_is_not_the_sum_of_its_yearly_targets():
    rows = [cat_row("y2018", "count", 100, "2018-12-31", text="2018年"),
            cat_row("y2019", "count", 100, "2019-12-31", text="2019年"),
            cat_row("y2020", "count", 100, "2020-12-31", text="2020年"),
            cat_row("total", "count", 250, "2020-12-31", text="今后三年")]
    pts = [("y2018", "2018-12-31", 100), ("y2019", "2019-12-31", 70), ("total", "2019-12-31", 170)]
    r = judge(rows, pts, "2019-12-31")
    assert r.loc["total", "expected"] == pytest.approx(250 * 2 / 3)  # not (100 + 100) of the yearly ones
    assert r.loc["total", "status"] == "on_track"
    assert r.loc["y2019", "status"] == "overdue" and r.loc["y2018", "status"] == "met"


# ---------------------------------------------------------------- revisions and the summary
def test_revision_in_force_at_the_as_of_date_and_judged_on_the_same_series():
    rows = [cat_row("exit_2018", "count", 710000, "2018-12-31", text="2018年"),
            cat_row("exit_2018_gwr", "floor", 650000, "2018-12-31", text="", document="2018年政府工作报告",
                    document_date="2018-01-24", in_force_from="2018-01-24", in_force_to="2018-08-21",
                    same_target_as="exit_2018")]
    pts = [("exit_2018", "2018-06-30", 200000), ("exit_2018", "2018-12-31", 680000)]
    early = targets.catalog(pd.DataFrame(rows, columns=COLS), "2018-06-30").set_index("id")
    assert early.loc["exit_2018", "in_force"] == "not_yet" and early.loc["exit_2018_gwr", "in_force"] == "yes"
    late = targets.catalog(pd.DataFrame(rows, columns=COLS), "2018-12-31").set_index("id")
    assert late.loc["exit_2018", "in_force"] == "yes" and late.loc["exit_2018_gwr", "in_force"] == "superseded"
    r = judge(rows, pts, "2018-12-31")
    assert r.loc["exit_2018", "status"] == "overdue"  # 680,000 < 710,000
    assert r.loc["exit_2018_gwr", "status"] == "met"  # the January figure, on the same series
    rev = targets.revisions(late.reset_index(), "zh")
    assert "650,000" in rev["exit_2018"] and "710,000" in rev["exit_2018_gwr"]


def test_summary_takes_the_units_own_row_else_the_worst_unit():
    cat = targets.catalog(pd.DataFrame([cat_row("t", "count", 300, "2020-12-31", level="county")], columns=COLS),
                          "2019-12-31")
    prog = pd.DataFrame([("t", "622926", "2019-12-31", 300.0, True), ("t", "620103", "2019-12-31", 100.0, True),
                         ("t", "620102", "2019-12-31", 199.0, False)],
                        columns=["target_id", "unit_code", "period_end", "value", "is_demo"])
    j = targets.assess(cat, prog, "2019-12-31")
    s = targets.summary(cat, j).iloc[0]
    assert s["status"] == "behind" and s["units"] == 3 and s["units_behind"] == 1  # 199 of 200 is on track
    assert pd.isna(s["latest"])  # several units: no single latest value
    s = targets.summary(cat, j, unit="622926").iloc[0]
    assert s["status"] == "met" and s["latest"] == 300
    c = targets.counts(targets.summary(cat, j))
    assert c["now"] == {"met": 0, "on_track": 0, "behind": 1, "overdue": 0, "no_data": 0}


# ---------------------------------------------------------------- history
def test_history_since_when_behind_and_trend():
    cat = targets.catalog(pd.DataFrame([cat_row("t", "count", 300, "2020-12-31", level="county")], columns=COLS),
                          "2019-12-31")
    q = ["2018Q4", "2019Q1", "2019Q2", "2019Q3", "2019Q4"]
    ends = ["2018-12-31", "2019-03-31", "2019-06-30", "2019-09-30", "2019-12-31"]
    # expected (default profile): 100, 105, 115, 130, 200
    a = [100, 105, 100, 110, 150]  # on track, on track, behind (0.87), behind (0.85), behind (0.75)
    b = [100, 90, 100, 125, 200]  # on track, behind, behind, on track (0.96), on track
    prog = pd.DataFrame([("t", "A", d, float(v), True) for d, v in zip(ends, a)]
                        + [("t", "B", d, float(v), True) for d, v in zip(ends, b)],
                        columns=["target_id", "unit_code", "period_end", "value", "is_demo"])
    h = targets.history(cat, prog, q).set_index("unit_code")
    assert h.loc["A", "since"] == "2019Q2" and h.loc["A", "quarters"] == 3 and h.loc["A", "behind"]
    assert h.loc["A", "trend"] == "worse"
    assert h.loc["A", "change"] == pytest.approx(150 / 200 - 110 / 130)
    assert h.loc["B", "since"] is None and h.loc["B", "quarters"] == 0 and h.loc["B", "trend"] == "better"
    # as of 2019Q2 only what was known then
    h2 = targets.history(cat, prog, q[:3]).set_index("unit_code")
    assert h2.loc["A", "quarters"] == 1 and h2.loc["B", "since"] == "2019Q1" and h2.loc["B", "quarters"] == 2


def test_revision_names_no_document_issued_after_the_as_of_date():
    rows = [cat_row("exit_2020", "count", 470000, "2020-12-31", text="2020年", in_force_to="2020-01-09"),
            cat_row("exit_2020_gwr", "count", 175000, "2020-12-31", text="2020年", document="2020年政府工作报告",
                    document_date="2020-01-10", in_force_from="2020-01-10", same_target_as="exit_2020")]
    early = targets.catalog(pd.DataFrame(rows, columns=COLS), "2019-06-30")
    assert targets.revisions(early, "zh") == {}
    assert [targets.visible(r) for _, r in early.iterrows()] == [True, False]
    rev = targets.revisions(targets.catalog(pd.DataFrame(rows, columns=COLS), "2020-03-31"), "zh")
    assert "175,000" in rev["exit_2020"] and "470,000" in rev["exit_2020_gwr"]
