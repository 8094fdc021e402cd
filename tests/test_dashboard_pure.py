"""Pure tests of the dashboard modules: filters, i18n formats, measures, exports, figures."""

import io

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import exports, figures, progress
from dashboard.filters import Filters
from dashboard.i18n import fmt_count, fmt_date, fmt_number, fmt_pct


# ---- filters: URL → Filters → URL
@pytest.mark.parametrize("qs", [
    "",
    "?prefecture=622900&as_of=2019Q2&level=villages&lang=en",
    "?county=622921&ctype=%E7%89%87%E5%8C%BA&deep=%E4%B8%A4%E5%B7%9E%E4%B8%80%E5%8E%BF&pathway=water&metric=incidence&view=cumulative",
])
def test_filters_round_trip(qs):
    f = Filters.parse(qs)
    assert f.notices == ()
    assert f.to_search() == qs
    assert Filters.parse(f.to_search()) == f


def test_quarter_value_type():
    from dashboard.quarter import Quarter

    q = Quarter.parse("2019Q2")
    assert (q.year, q.number, q.label, q.end, str(q)) == (2019, 2, "2019Q2", "2019-06-30", "2019Q2")
    assert Quarter.of_date("2019-06-30") == q == Quarter.of_date("2019-04-01")
    assert Quarter.of_date("2020-12-31").end == "2020-12-31"
    assert [Quarter.parse(x) for x in ("2019Q5", "2019-06-30", "", None)] == [None] * 4
    assert Quarter.parse("2018Q4") < q < Quarter.parse("2019Q3")
    f = Filters.parse("?as_of=2019Q4")
    assert f.as_of == Quarter(2019, 4) and (f.year, f.as_of_date) == (2019, "2019-12-31")
    assert Filters(as_of="2019Q4") == f  # a label is accepted where a Quarter is meant


def test_filters_invalid_params_fall_back_with_notice():
    f = Filters.parse({"prefecture": "abc", "level": "planets", "as_of": "2031Q9", "lang": "en"})
    assert (f.prefecture, f.level, f.as_of, f.lang) == (None, "people", None, "en")
    assert len(f.notices) == 1 and "prefecture=abc" in f.notices[0] and "level=planets" in f.notices[0]
    # a well-formed code that is not known is also rejected when the known codes are given
    g = Filters.parse({"prefecture": "629900"}, prefectures=["622900"])
    assert g.prefecture is None and g.notices


def test_filters_title_filename_sql_from_one_object():
    f = Filters.parse("?prefecture=622900&as_of=2019Q2")
    names = {"622900": "临夏州"}
    assert f.title("level_people", names) == "临夏州 · 2019年 · 脱贫人口"
    assert f.filename("level_people", names) == "临夏州_2019Q2_脱贫人口.csv"
    assert f.as_of_date == "2019-06-30" and f.year == 2019
    p = f.sql_params({"622921", "620102"})
    assert p["prefecture"] == "622900" and p["scope"] == ["620102", "622921"] and p["county"] is None
    en = Filters.parse("?as_of=2020Q4&lang=en&pathway=industry")
    assert en.title("level_people") == "Gansu province · 2020 · People exiting poverty · Industry"


# ---- i18n formats
@pytest.mark.parametrize("n,unit,lang,expected", [
    (1_890_000, "people", "zh", "189万人"),
    (776_000, "people", "zh", "77.6万人"),
    (7262, "villages", "zh", "7262个村"),
    (75, "counties", "zh", "75个县"),
    (1_890_000, "people", "en", "1,890,000 people"),
    (7262, "villages", "en", "7,262 villages"),
    (1, "counties", "en", "1 county"),
])
def test_fmt_count(n, unit, lang, expected):
    assert fmt_count(n, unit, lang) == expected


def test_fmt_date_pct_number():
    assert fmt_date("2019-06-30") == "2019年6月30日"
    assert fmt_date("2019-06-30", "en") == "30 Jun 2019"
    assert fmt_pct(0.056) == "5.6%"
    assert fmt_number(12345, "en") == "12,345"
    assert fmt_number(None) == "—"


# ---- measures
def test_expected_share_uses_last_year_profile_or_default():
    prof = pd.DataFrame({"year": [2018] * 4, "quarter": [1, 2, 3, 4], "people": [10, 30, 60, 900], "share": [0] * 4})
    share, basis, year = progress.expected_share(prof, 2019, 2)
    assert basis == "last_year" and year == 2018 and share == pytest.approx(0.04)
    share, basis, _ = progress.expected_share(prof, 2018, 3, default=(0.05, 0.15, 0.30, 1.0))
    assert (share, basis) == (0.30, "default")


def test_rag_thresholds_and_year_end_rule():
    assert progress.rag(100, 0, 1000, 0.10, "people", 2)[0] == "green"
    assert progress.rag(86, 0, 1000, 0.10, "people", 2)[0] == "amber"
    assert progress.rag(84, 0, 1000, 0.10, "people", 2)[0] == "red"
    assert progress.rag(0, 0, 10, 0.10, "villages", 2)[0] == "year_end"  # not painted red mid-year
    assert progress.rag(5, 0, 10, 1.0, "villages", 4)[0] == "red"
    # ahead of plan is not behind: little left to do this year because most got out last year
    assert progress.rag(1_890, 1_420, 470, 1.0, "people", 4)[0] == "green"
    assert progress.rag(1_500, 1_420, 470, 0.10, "people", 2) == ("green", pytest.approx(1_500 / 1_467))
    assert progress.projection(150, 0.3) == pytest.approx(500)


# ---- exports
def test_csv_has_bom_and_keeps_codes_as_text():
    df = pd.DataFrame({"village_code": ["620102000001"], "county_code": ["062010"], "名称": ["张家村"], "n": [3]})
    b = exports.to_csv_bytes(df)
    assert b.startswith(b"\xef\xbb\xbf")
    text = b.decode("utf-8-sig")
    assert "062010" in text and "张家村" in text and "620102000001" in text


def test_xlsx_header_bold_frozen_codes_text():
    openpyxl = pytest.importorskip("openpyxl")
    df = pd.DataFrame({"county_code": ["062010", "622921"], "plan": [10, 20]})
    wb = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx_bytes(df, title="临夏州 · 2019年")))
    ws = wb.active
    assert ws["A1"].value == "临夏州 · 2019年"
    assert ws["A2"].value == "county_code" and ws["A2"].font.b
    assert ws.freeze_panes == "A3"
    assert ws["A3"].value == "062010" and ws["A3"].data_type == "s"
    assert ws["B4"].value == 20


# ---- figures (pure)
def _county_df():
    return pd.DataFrame({
        "county_code": ["620102", "622921", "622922", "622923"],
        "county_name": ["城关区", "临夏县", "康乐县", "永靖县"],
        "prefecture_name": ["兰州市", "临夏州", "临夏州", "临夏州"],
        "is_poverty_county": [False, True, True, True],
        "completion": [None, 0.2, 1.1, None],
        "incidence": [0.001, 0.25, 0.02, None],
        "remaining_people": [0, 100, 5, None], "gap_people": [0, 10, -1, None], "returned_people": [0, 1, 0, None],
        "planned_exit_year": [None, 2019, 2018, 2020], "actual_exit_year": [None, None, 2018, None],
    })


def test_choropleth_classes_non_poverty_grey_and_no_data():
    df = _county_df()
    cls, labels, colors, _ = figures.classify(df, "completion", "zh")
    n = len(labels)
    assert labels[-2:] == ["无数据", "非贫困县"]
    assert list(cls) == [n - 1, 0, 3, n - 2]  # 20 % → "<70%", 110 % → "≥100%" (4th band), None → no data
    cls, labels, _, _ = figures.classify(df, "incidence", "zh")
    assert labels[int(cls[1])].startswith("≥20%") and labels[int(cls[2])].startswith("<3%")


def test_choropleth_figure_is_offline_and_keyed_by_code():
    fig = go.Figure(figures.choropleth_figure(_county_df(), metric="completion", lang="zh", title="T", subtitle="S",
                                              prefectures=["620100", "622900"]))
    tr = fig.data[0]
    assert tr.featureidkey == "properties.code" and list(tr.locations)[1] == "622921"
    assert fig.layout.geo.fitbounds == "locations" and fig.layout.geo.visible is False
    assert tr.geojson is None  # geometry is attached in the browser, never resent per recolour
    assert fig.data[1].meta == "prefectures"


def test_schedule_figure_projection_is_hatched():
    df = pd.DataFrame({"year": [2018, 2019, 2020], "plan": [710, 710, 470], "actual": [776, 300, 0]})
    fig = go.Figure(figures.schedule_figure(df, level="people", view="annual", lang="zh", title="T", subtitle="S",
                                            current_year=2019, projected=600))
    assert [tr.name for tr in fig.data] == ["计划", "实际", "按当前进度预计"]
    assert fig.data[2].marker.pattern.shape == "/"
    assert fig.data[2].y[1] == 600
    cum = go.Figure(figures.schedule_figure(df, level="people", view="cumulative", lang="zh", title="T",
                                            subtitle="S", current_year=2019))
    assert list(cum.data[0].y) == [710, 1420, 1890]
    assert pd.isna(cum.data[1].y[2])  # 2020 not reached at the as-of date: no actual bar


def test_history_exit_line_and_its_label_sit_on_the_incidence_axis():
    df = pd.DataFrame({"quarter_label": ["2019Q1", "2019Q2"], "remaining_people": [900, 500],
                       "returned_households": [0, 1], "incidence": [0.05, 0.02]})
    fig = go.Figure(figures.history_figure(df, lang="zh", title="T", subtitle="S"))
    incidence = [tr for tr in fig.data if tr.name == "贫困发生率"][0]
    assert incidence.yaxis == "y2" and fig.layout.yaxis2.overlaying == "y"
    (line,), (label,) = fig.layout.shapes, fig.layout.annotations
    assert line.yref == label.yref == "y2" and line.y0 == label.y == 0.03


def test_figures_carry_only_the_template_parts_they_use():
    fig = figures.empty_figure("x")
    assert set(fig["layout"]["template"]["data"]) == {"bar", "scatter", "choropleth", "scattergeo"}
    assert "polar" not in fig["layout"]["template"]["layout"]
    assert fig["layout"]["template"]["layout"]["colorway"][0] == "#636efa"  # plotly's default look kept


def test_figure_cache_key_keeps_only_what_the_chart_shows():
    from dashboard.charts import figure_filters

    a, b = Filters(metric="gap", view="cumulative"), Filters(metric="returned", view="cumulative")
    assert figure_filters("schedule", a) == figure_filters("schedule", b)  # the schedule does not show the metric
    assert figure_filters("map", a) != figure_filters("map", b)
    assert figure_filters("map", a) == figure_filters("map", a.replace(view="annual"))
    assert figure_filters("ranking", a.replace(lang="en")) != figure_filters("ranking", a)  # titles are in the language


def test_grid_pages_by_the_rows_that_fit_its_height():
    from dashboard.pagekit import GRID_CHROME_PX, GRID_ROW_PX, grid

    df = pd.DataFrame({"code": [f"{i:03d}" for i in range(195)]})
    box = grid("g", df, [{"field": "code"}], height=540)
    assert box.style["minHeight"] == "540px"  # the grid's box while AG Grid's script loads (no layout shift)
    g = box.children
    size = g.dashGridOptions["paginationPageSize"]
    assert size == 10 and GRID_CHROME_PX + size * GRID_ROW_PX <= 540
    assert size in g.dashGridOptions["paginationPageSizeSelector"]  # the selector shows the size in use
    assert len(g.rowData) == 195 and g.rowData[0]["code"] == "000"


def test_sum_by_is_pandas_groupby_sum():
    """queries._sum_by (the ranking's group sums in Python) gives groupby's rows, order and dtypes."""
    import numpy as np
    import pandas as pd

    from dashboard import queries as Q

    df = pd.DataFrame({"k": pd.Series(["b", "a", "b", None, "c"], dtype="str"),
                       "n": pd.Series(["B", "A", "B", "X", None], dtype="str"),
                       "i": np.array([1, 2, 3, 4, 5], dtype="int64"), "x": [0.5, np.nan, 1.25, 2.0, 3.0],
                       "m": pd.array([1, None, 2, 3, 4], dtype="Int64")})
    for frame in (df, df.iloc[:0]):
        want = frame.groupby(["k", "n"], as_index=False)[["i", "x", "m"]].sum()
        pd.testing.assert_frame_equal(Q._sum_by(frame, "k", "n", ("i", "x", "m")), want, check_exact=True)
