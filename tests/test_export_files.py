"""Files that describe themselves (issue 13, item 2): a download says what it is, and says it as the screen does.

The oracle is the screen itself (the page layout the browser gets: its grids' headers and cells, its rule
text) and figures worked out by hand from tests/fixtures.py; the files come through the real download
callback.
"""

import csv
import datetime as dt
import io
import re
from types import SimpleNamespace

import openpyxl
import pandas as pd
import pytest

from dashboard import db, settings
from dashboard import queries as Q
from dashboard.i18n import t
from tests.test_export_safety import post_download


def _use(warehouse):
    db.configure(warehouse)
    Q.clear_cache()


@pytest.fixture(scope="module")
def client():
    import app as app_module
    from tests.conftest import client_login

    yield client_login(app_module.app.server)  # a province-wide user, through the login form
    db.configure(None)
    Q.clear_cache()


def _find(node, id_):
    """The component `id_` of a layout, also one sent as JSON for later (components.deferred: a store's data)."""
    if isinstance(node, dict) and "namespace" in node:
        node = SimpleNamespace(**node["props"])
    if getattr(node, "id", None) == id_:
        return node
    kids = getattr(node, "children", None)
    kids = list(kids) if isinstance(kids, (list, tuple)) else [kids] if kids is not None else []
    if isinstance(getattr(node, "data", None), dict):
        kids.append(node.data)
    for k in kids:
        hit = _find(k, id_)
        if hit is not None:
            return hit
    return None


def _csv(raw: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def _same(file_value: str, screen_value) -> bool:
    if screen_value is None:
        return file_value == ""
    if isinstance(screen_value, (int, float)) and not isinstance(screen_value, bool):
        return file_value != "" and float(file_value) == float(screen_value)
    return file_value == str(screen_value)[:len(file_value)] if re.fullmatch(r"\d{4}-\d\d-\d\d", file_value) \
        else file_value == str(screen_value)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page,code,grid_id,chart", [
    ("county", "622926", "co-villages", "villages"),
    ("village", "622926001001", "vi-households", "households"),
])
def test_grid_download_has_the_screens_columns_words_and_values(client, tiny_warehouse, lang, page, code, grid_id,
                                                                 chart):
    _use(tiny_warehouse)
    from dashboard.pages import county, village

    module = {"county": county, "village": village}[page]
    query = {"as_of": "2019Q2", "lang": lang}
    grid = _find(module.layout(code=code, **query), grid_id)
    _, raw = post_download(client, chart, "csv", {page: code}, query)
    rows = _csv(raw)
    assert len(rows) == len(grid.rowData) > 0
    for col in grid.columnDefs:  # every column on screen, under the screen's header, with the screen's values
        header = col["headerName"]
        assert header in rows[0], (header, list(rows[0]))
        for screen_row, file_row in zip(grid.rowData, rows):
            assert _same(file_row[header], screen_row[col["field"]]), (header, file_row[header],
                                                                        screen_row[col["field"]])
    assert not {"on_plan", "exited", "behind"} & {v for r in rows for v in r.values()}  # labels, not codes


def test_rounded_as_on_screen_and_counts_are_integers(client, tiny_warehouse):
    """东乡族自治县 at 2019Q2 (tests/fixtures.py): H1 (4 people) out on 2019-05-10; plan 2019 = 10 people,
    expected by the end of Q2 = 10 x the default profile's Q2 share; 13 people left of 1,000 rural people."""
    _use(tiny_warehouse)
    share = settings.DEFAULT_QUARTER_PROFILE[1]
    _, raw = post_download(client, "map", "csv", {}, {"as_of": "2019Q2"})
    row = next(r for r in _csv(raw) if r["县代码"] == "622926")
    assert row["累计进度（实际/应完成） %"] == f"{round(4 / (10 * share) * 100, 1)}"  # 266.7, as fmt_pct shows
    assert row["贫困发生率 %"] == "1.3"  # 13 / 1000
    assert row["按进度累计应完成"] == str(round(10 * share))  # a count: no "1.5", no "2.0"
    for r in _csv(raw):  # no "226.0": every count is an integer; only shares carry decimals
        assert not [(k, v) for k, v in r.items() if re.fullmatch(r"-?\d+\.\d+", v) and not k.endswith(" %")]
    _, raw = post_download(client, "ranking", "csv", {}, {"as_of": "2019Q2", "lang": "en"})
    linxia = next(r for r in _csv(raw) if r["Code"] == "622900")
    assert linxia["Gap"] == "-2" and linxia["Progress to date (actual / expected) %"] == "200.0"
    assert linxia["Status"] == "On track"  # 200 % of expected: the rule's label, not the code 'green'


def test_csv_is_a_clean_table_that_says_what_it_is(client, demo_warehouse):
    _use(demo_warehouse)
    _, raw = post_download(client, "villages", "csv", {"county": "622926"}, {"as_of": "2019Q2"})
    text = raw.decode("utf-8-sig")
    df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)  # header first, one table, no notes
    lines = list(csv.reader(io.StringIO(text)))
    assert len({len(r) for r in lines}) == 1 and len(df) == len(lines) - 1 > 100
    assert list(df.columns[-5:]) == ["范围", "截止季度", "数据截止", "来源", "数据性质"]
    assert set(df["范围"]) == {"东乡族自治县"} and set(df["截止季度"]) == {"2019年第2季度"}
    assert set(df["数据截止"]) == {"2019-06-30"} and set(df["数据性质"]) == {"演示数据（非真实统计）"}
    assert set(df["来源"]) == {"建档立卡动态管理数据（季度快照）；计划：甘发〔2018〕20号"}
    assert df["代码"].str.fullmatch(r"622926\d{6}").all()  # 12-digit codes, whole
    quoted = list(csv.reader(io.StringIO(text), quoting=csv.QUOTE_NONNUMERIC))
    assert all(isinstance(r[0], str) for r in quoted[1:])  # codes are quoted text, not numbers
    assert set(df["状态"]) <= {"已退出", "滞后", "按计划推进"}


def test_xlsx_has_title_rows_and_a_notes_sheet(client, demo_warehouse):
    _use(demo_warehouse)
    from dashboard.pages import county

    query = {"as_of": "2019Q2"}
    rule = _find(county.layout(code="622926", **query), "rag-rule").children
    before = dt.datetime.now(dt.UTC)
    _, raw = post_download(client, "villages", "xlsx", {"county": "622926"}, query)
    wb = openpyxl.load_workbook(io.BytesIO(raw))
    data, notes = wb.worksheets
    assert "2019年第2季度" in data["A1"].value and "东乡族自治县" in data["A1"].value
    for part in ("东乡族自治县", "2019年6月30日", "建档立卡动态管理数据", "演示数据（非真实统计）"):
        assert part in data["A2"].value
    assert data["A3"].value == "代码" and data["A3"].font.b and data.freeze_panes == "A4"
    assert data["A4"].data_type == "s" and re.fullmatch(r"622926\d{6}", data["A4"].value)
    header = [c.value for c in data[3]]
    planned = header.index("计划退出年度") + 1
    assert data.cell(4, planned).data_type == "n"  # numbers stay numbers
    info = {r[0].value: r[1].value for r in notes.iter_rows()}
    assert info["范围"] == "东乡族自治县" and info["截止季度"] == "2019年第2季度"
    assert info["数据截止"] == "2019年6月30日" and info["来源"].startswith("建档立卡动态管理数据")
    assert info["数据性质"].startswith("演示数据（非真实统计）")
    assert info["进度规则"] == rule  # the on-track rule as the screen words it
    generated = dt.datetime.fromisoformat(info["生成时间"])
    assert generated.utcoffset() == dt.timedelta(hours=8)
    assert abs((generated - before).total_seconds()) < 120


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_targets_table_and_its_download_give_sector_and_unit_in_the_page_language(client, tiny_warehouse, lang):
    """The catalog writes units in English and sectors in Chinese (data/reference/plan_targets.csv): a Chinese
    page shows neither an English unit nor, in English, a Chinese sector; the file says what the screen says."""
    _use(tiny_warehouse)
    from dashboard.pages import targets

    query = {"as_of": "2019Q4", "lang": lang}
    grid = _find(targets.layout(**query), "tg-table")
    assert len(grid.rowData) > 200
    cjk, word = re.compile(r"[\u4e00-\u9fff]"), re.compile(r"[A-Za-z]{2,}")
    units = {r["unit"] for r in grid.rowData if r["unit"] not in ("", "—")}  # — : no unit
    sectors = {r["sector"] for r in grid.rowData}
    if lang == "zh":
        assert len(units) > 50 and not [u for u in units if word.search(u)], units
        assert all(cjk.search(s) for s in sectors), sectors
    else:
        assert all(word.search(u) and not cjk.search(u) for u in units), units
        assert len(sectors) > 15 and not [s for s in sectors if cjk.search(s)], sectors
    _, raw = post_download(client, "targets", "csv", {}, query)
    rows = {r[t("tg_col_id", lang)]: r for r in _csv(raw)}
    for r in grid.rowData:
        assert rows[r["target_id"]][t("tg_col_unit", lang)] == r["unit"].replace("—", "")
        assert rows[r["target_id"]][t("tg_f_sector", lang)] == r["sector"]
