"""Plan targets through the warehouse: the as-of cut and scope of the queries, the registry and the data API, the
meeting deck's slide and the Word report's section. Target tables are written into copies of warehouses built by
the real ETL (tests/targets_support.py); expected statuses are worked out by hand in the tests."""

from __future__ import annotations

import io
import json
import shutil

import pytest

from tests import targets_support as S
from tests.conftest import app_store, client_login, ensure_user

DINGXI, DONGXIANG, LINXIA = "621100", "622926", "622900"


@pytest.fixture(scope="module")
def tiny_targets(tiny_warehouse, tmp_path_factory):
    """The tiny warehouse with: the real catalog; pathway_industry_people (1,476,000 by 2020, whole years) at
    900,000 by 2019Q4 (expected 1,476,000 × 2/3 = 984,000: 91 % → behind) and 1,000,000 in 2020Q1 (after the
    as-of); village_exit_2019 (2,646 in 2019) met with 2,700 (a published figure); county_exit_2019 (24) at 20: overdue
    at 2019Q4; cooperatives_all_villages_2018_08 (100 % by 2018-08-31) in two villages."""
    db = tmp_path_factory.mktemp("tg_tiny") / "warehouse.duckdb"
    shutil.copyfile(tiny_warehouse, db)
    S.write_tables(db, [
        ("pathway_industry_people", "620000", "province", "2018-12-31", 500000, True),
        ("pathway_industry_people", "620000", "province", "2019-06-30", 600000, True),
        ("pathway_industry_people", "620000", "province", "2019-12-31", 900000, True),
        ("pathway_industry_people", "620000", "province", "2020-03-31", 1000000, True),
        ("village_exit_2019", "620000", "province", "2019-12-31", 2700, False, "统计公报 2019"),
        ("county_exit_2019", "620000", "province", "2019-12-31", 20, True),
        ("cooperatives_all_villages_2018_08", "622926001001", "village", "2018-06-30", 50, True),
        ("cooperatives_all_villages_2018_08", "622926001001", "village", "2018-09-30", 80, True),
        ("cooperatives_all_villages_2018_08", "620103001001", "village", "2018-09-30", 100, True),
    ])
    return db


@pytest.fixture
def on(request):
    from dashboard import db
    from dashboard import queries as Q

    def use(path):
        db.configure(path)
        Q.clear_cache()
        request.addfinalizer(lambda: (db.configure(None), Q.clear_cache()))

    return use


def _f(as_of, **kw):
    from dashboard.filters import Filters

    return Filters(as_of=as_of, **kw)


def test_as_of_means_as_of(tiny_targets, on):
    from dashboard import charts
    from dashboard import queries as Q

    on(tiny_targets)
    scope = Q.scope_counties("620000")
    rows = Q.target_progress(_f("2019Q4"), scope, "pathway_industry_people")
    assert rows["period_end"].max() == "2019-12-31" and len(rows) == 3  # 2020Q1 is not known at 2019Q4
    s = charts.target_summary(_f("2019Q4"), scope).set_index("target_id")
    r = s.loc["pathway_industry_people"]
    assert r["latest"] == 900000 and r["expected"] == pytest.approx(984000)
    assert r["status"] == "behind"
    assert s.loc["village_exit_2019", "status"] == "met" and not s.loc["village_exit_2019", "is_demo"]
    # at 2019Q2: the Q2 value, expected 1,476,000 × (1 + 0.15) / 3 = 565,800 → on track
    r = charts.target_summary(_f("2019Q2"), scope).set_index("target_id").loc["pathway_industry_people"]
    assert r["latest"] == 600000 and r["expected"] == pytest.approx(565800) and r["status"] == "on_track"
    assert charts.target_summary(_f("2019Q2"), scope).set_index("target_id").loc["village_exit_2019", "status"] \
        == "no_data"
    # the cooperatives (100 % by 2018-08-31): one village met, one at 80 % past the deadline → overdue
    u = charts.target_units(_f("2019Q4"), scope, "cooperatives_all_villages_2018_08").set_index("unit_code")
    assert u.loc["620103001001", "status"] == "met" and u.loc["622926001001", "status"] == "overdue"
    assert u.loc["622926001001", "since"] == "2019Q2" and u.loc["622926001001", "quarters"] == 2


def test_scope_a_prefecture_user_sees_province_rows_and_own_units_only(demo_warehouse, tmp_path, on):
    """定西市's analyst gets no 东乡县 (临夏州) rows; 临夏州's prefecture row only for a user with all of 临夏州."""
    import duckdb

    from dashboard import queries as Q

    db = tmp_path / "warehouse.duckdb"
    shutil.copyfile(demo_warehouse, db)
    with duckdb.connect(str(db), read_only=True) as con:
        dingxi_county = con.execute("SELECT min(county_code) FROM dim_county WHERE prefecture_code = ?",
                                    [DINGXI]).fetchone()[0]
        dx_village, dingxi_village = (con.execute("SELECT min(village_code) FROM dim_village WHERE county_code = ?",
                                                  [c]).fetchone()[0] for c in (DONGXIANG, dingxi_county))
    rows = [("cooperatives_all_villages_2018_08", v, "village", "2018-09-30", 90, True) for v in (dx_village, dingxi_village)]
    rows += [("east_enterprise_per_county", c, "county", "2019-12-31", 1, True) for c in (DONGXIANG, dingxi_county)]
    rows += [("land_quota_linxia_gannan", p, "prefecture", "2019-12-31", 500, True) for p in (LINXIA, DINGXI)]
    rows += [("pathway_industry_people", "620000", "province", "2019-12-31", 900000, True)]
    S.write_tables(db, rows)
    on(db)
    f = _f("2019Q4")
    dingxi = Q.target_progress(f, Q.scope_counties(DINGXI))
    assert sorted(dingxi["unit_code"]) == sorted(["620000", DINGXI, dingxi_county, dingxi_village])
    assert not dingxi["unit_code"].str.startswith("6229").any()
    dongxiang = Q.target_progress(f, Q.scope_counties(DONGXIANG))
    assert sorted(dongxiang["unit_code"]) == sorted(["620000", DONGXIANG, dx_village])  # not 临夏州's own row
    linxia = Q.target_progress(f, Q.scope_counties(LINXIA))
    assert LINXIA in set(linxia["unit_code"]) and DINGXI not in set(linxia["unit_code"])
    # a county filter inside the province narrows to that county's rows (and the province's)
    one = Q.target_progress(f.replace(county=DONGXIANG), Q.scope_counties("620000"))
    assert sorted(one["unit_code"]) == sorted(["620000", DONGXIANG, dx_village])


@pytest.fixture(scope="module")
def api(request, tmp_path_factory, tiny_targets):
    import app as app_module
    from dashboard import db
    from dashboard import queries as Q

    db.configure(tiny_targets)
    Q.clear_cache()
    with app_store("sqlite", request, tmp_path_factory, "tg_api"):
        ensure_user("tg_lanzhou", "analyst", "620100")
        yield app_module.app.server
    db.configure(None)
    Q.clear_cache()


def test_api_lists_targets_with_their_status(api):
    c = client_login(api)
    index = json.loads(c.get("/api/index.json").data)
    names = {x["name"]: x for x in index["charts"]}
    assert {"targets", "target_series", "target_units"} <= set(names)
    assert names["target_units"]["required"] == ["target"]
    doc = json.loads(c.get("/api/targets.json?as_of=2019Q4").data)
    cols = doc["columns"]
    rows = {r[cols.index("目标编号")]: dict(zip(cols, r)) for r in doc["rows"]}
    cat = S.catalog_frame()  # every target of the catalog but a later document's figure not yet issued at 2019Q4
    later = (cat["same_target_as"] != "") & (cat["in_force_from"] > "2019-12-31")
    assert later.sum() == 2 and len(rows) == len(cat) - 2
    assert not set(cat.loc[later, "id"]) & set(rows)
    assert rows["pathway_industry_people"]["现状"] == "滞后"
    assert rows["village_exit_2019"]["现状"] == "已达标"
    assert rows["overall_poor_people_all_exit"]["现状"] == "无数据"  # a dated action: not assessable
    assert rows["people_exit_2018_gwr2018"]["效力"] == "已被修订"
    en = json.loads(c.get("/api/targets.json?as_of=2019Q4&lang=en").data)
    assert "Status now" in en["columns"]
    csv_text = c.get("/api/targets.csv?as_of=2019Q4").data.decode("utf-8-sig")
    assert "pathway_industry_people" in csv_text and "滞后" in csv_text
    assert c.get("/api/target_units.json?as_of=2019Q4").status_code == 400  # needs target=
    assert c.get("/api/target_units.json?target=no_such_target").status_code == 400
    u = json.loads(c.get("/api/target_units.json?as_of=2019Q4&target=cooperatives_all_villages_2018_08").data)
    assert len(u["rows"]) == 2


def test_api_units_follow_the_scope(api):
    from tests.conftest import ensure_user as _pw

    c = client_login(api, "tg_lanzhou", _pw("tg_lanzhou", "analyst", "620100"))
    u = json.loads(c.get("/api/target_units.json?as_of=2019Q4&target=cooperatives_all_villages_2018_08").data)
    codes = [r[u["columns"].index("单位代码")] for r in u["rows"]]
    assert codes == ["620103001001"]  # 兰州市's village only, not 东乡县's


def _pptx_text(data: bytes) -> list[str]:
    from pptx import Presentation

    prs = Presentation(io.BytesIO(data))
    return ["\n".join(sh.text_frame.text if sh.has_text_frame else "\n".join(
        c.text for row in sh.table.rows for c in row.cells) if sh.has_table else "" for sh in s.shapes)
        for s in prs.slides]


def test_deck_and_word_report_have_the_targets_due_this_year_and_behind(tiny_targets, on):
    from docx import Document

    from dashboard import docx_report, pptx_report
    from dashboard.quarter import Quarter

    on(tiny_targets)
    slides = _pptx_text(pptx_report.build_pptx("620000", Quarter(2019, 4), "zh"))
    slide = [s for s in slides if "2019年到期且滞后的目标任务" in s]
    assert len(slide) == 1
    assert "county_exit_2019" in slide[0] and "逾期未完成" in slide[0]
    assert "village_exit_2019" not in slide[0]  # met
    assert "cooperatives_all_villages_2018_08" not in slide[0]  # due in 2018
    slides = _pptx_text(pptx_report.build_pptx("620000", Quarter(2019, 4), "en"))
    assert any("Targets due in 2019 and behind" in s and "Overdue" in s for s in slides)
    doc = Document(io.BytesIO(docx_report.build_docx("620000", Quarter(2019, 4), "zh")))
    heads = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert any("2019年到期且滞后的目标任务" in h for h in heads)
    cells = [c.text for tb in doc.tables for row in tb.rows for c in row.cells]
    assert "county_exit_2019" in cells and "逾期未完成" in cells and "village_exit_2019" not in cells
