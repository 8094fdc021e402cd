"""The 18 province-designated deep-poverty counties (省定深度贫困县): the reference file names 8 (with sources),
the demo picks the other 10; the county page says which are demo picks. The plan's 35 = 17 两州一县 + 18."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

REF = Path(__file__).resolve().parent.parent / "data" / "reference"


def _reference_flagged() -> set[str]:
    with open(REF / "gansu_counties.csv", encoding="utf-8", newline="") as f:
        return {r["adcode"] for r in csv.DictReader(f)
                if r["deep_poverty_any"] == "1" and r["deep_poverty"] != "two_prefectures_one_county"}


@pytest.fixture(scope="module")
def demo_db(demo_warehouse):
    from dashboard import db
    from dashboard import queries as Q

    db.configure(demo_warehouse)
    Q.clear_cache()
    yield demo_warehouse
    db.configure(None)
    Q.clear_cache()


def test_demo_picks_are_the_ten_without_a_source(demo_db):
    from dashboard import queries as Q

    with duckdb.connect(str(demo_db), read_only=True) as con:
        kinds = dict(con.execute("SELECT deep_poverty, count(*) FROM dim_county WHERE deep_poverty IS NOT NULL "
                                 "GROUP BY 1").fetchall())
        province = {c for (c,) in con.execute("SELECT county_code FROM dim_county WHERE deep_poverty = '省定'").fetchall()}
    assert kinds == {"两州一县": 17, "省定": 18}  # the plan's 35
    known = _reference_flagged()
    assert len(known) == 8 and known <= province
    assert Q.deep_demo_picks() == frozenset(province - known) and len(province - known) == 10


def test_county_page_says_demo_pick(demo_db):
    import app  # noqa: F401  (registers the pages)
    from dashboard.pages import county

    pick = sorted(__import__("dashboard.queries", fromlist=["x"]).deep_demo_picks())[0]

    def text(code, lang="zh"):
        return json.dumps(county.layout(code=code, lang=lang).to_plotly_json(), ensure_ascii=False, default=str)

    assert "演示选取" in text(pick) and "demo pick" in text(pick, "en")
    assert "演示选取" not in text("620422")  # 会宁: named by a source
    assert "演示选取" not in text("622926")  # 东乡: 两州一县
