"""The input table target_progress (指标进展), the catalog ref_plan_targets, the real published figures, the
table-driven contract and the county of every reject (TARGETS.md, issues #11, #12, #15 item 2)."""

import csv
import dataclasses
import hashlib
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from etl import contract
from etl.load import SCHEMA_VERSION, LoadFailed, load
from tests.fixtures import write_csv, write_tiny_inputs

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "data" / "reference"
HEADER = ["target_id", "unit_code", "period_end", "value", "source", "note"]


def rows(db: Path, sql: str, params=()):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def catalog() -> list[dict]:
    with (REFERENCE / "plan_targets.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def published() -> list[dict]:
    with (REFERENCE / "published_progress.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def pick(level: str, kind: str) -> str:
    """A catalog target of that level and kind with a value, read from the CSV here (not from the ETL)."""
    return next(t["id"] for t in catalog() if t["level"] == level and t["kind"] == kind and t["value"])


# targets used below, by level and kind
PROVINCE_COUNT = pick("province", "count")
COUNTY_SHARE = pick("county", "share")
VILLAGE_SHARE = pick("village", "share")
HOUSEHOLD_SHARE = pick("household", "share")  # reported per county
PREFECTURE = next(t["id"] for t in catalog() if t["level"] == "prefecture" and t["value"])
COUNTY_MONEY = pick("county", "money")
COUNTY_COUNT = pick("county", "count")
VILLAGE_FLOOR = pick("village", "floor")


def good_rows() -> list[list]:
    return [
        [PROVINCE_COUNT, "620000", "2018-12-31", "1000", "省扶贫办", ""],
        [PROVINCE_COUNT, "620000", "2019-12-31", "2500", "", ""],
        [COUNTY_SHARE, "622926", "2019-06-30", "40.5", "", "东乡"],
        [VILLAGE_SHARE, "622926001001", "2019-09-30", "100", "", ""],
        [HOUSEHOLD_SHARE, "622926", "2019年12月31日", "88", "", ""],  # dates as the other tables take them
        [PREFECTURE, "622900", "2020-03-31", "1", "", ""],
        [VILLAGE_SHARE, "620000", "2019-12-31", "97.5", "", "全省汇总"],  # a share: also as an aggregate above
    ]


# one row per reject reason: (row, rule)
BAD_ROWS = [
    (["no_such_target", "620000", "2019-12-31", "1", "", ""], "unknown_target"),
    ([COUNTY_SHARE, "622927", "2019-12-31", "50", "", ""], "unknown_unit"),  # a code no table has loaded
    ([COUNTY_SHARE, "62292", "2019-12-31", "50", "", ""], "code_format"),
    ([COUNTY_COUNT, "620000", "2019-12-31", "50", "", ""], "wrong_level"),  # the province for a county count
    ([VILLAGE_FLOOR, "622926", "2019-12-31", "50", "", ""], "wrong_level"),  # a county for a village floor
    ([COUNTY_SHARE, "622926001001", "2019-12-31", "50", "", ""], "wrong_level"),  # a village for a county share
    ([HOUSEHOLD_SHARE, "622926001001", "2019-12-31", "50", "", ""], "wrong_level"),  # household targets: per county
    ([PROVINCE_COUNT, "620000", "2017-12-31", "10", "", ""], "period_range"),
    ([PROVINCE_COUNT, "620000", "2021-03-31", "10", "", ""], "period_range"),
    ([COUNTY_SHARE, "622926", "2019-03-31", "100.5", "", ""], "share_range"),
    ([COUNTY_SHARE, "622926", "2019-09-30", "-1", "", ""], "share_range"),
    ([PROVINCE_COUNT, "620000", "2019-03-31", "-5", "", ""], "negative"),
    ([COUNTY_MONEY, "622926", "2019-03-31", "-0.01", "", ""], "negative"),
    ([PROVINCE_COUNT, "620000", "2019-06-30", "很多", "", ""], "type"),
    ([PROVINCE_COUNT, "620000", "2019-02-30", "10", "", ""], "type"),
    ([PROVINCE_COUNT, "", "2019-06-30", "10", "", ""], "required"),
    ([PROVINCE_COUNT, "620000", "2018-12-31", "999", "", "the same key again"], "duplicate_key"),
]


@pytest.fixture(scope="module")
def progress_warehouse(tmp_path_factory):
    folder = write_tiny_inputs(tmp_path_factory.mktemp("tp") / "in")
    write_csv(folder / "target_progress.csv", [HEADER, *good_rows(), *(r for r, _ in BAD_ROWS)])
    db = folder.parent / "w.duckdb"
    report = load(folder, db, progress=False)
    return folder, db, report


def test_each_reject_reason_names_its_row(progress_warehouse):
    folder, db, report = progress_warehouse
    got = rows(db, "SELECT line, rule FROM etl_rejects WHERE table_name = 'target_progress' ORDER BY line, rule")
    first_bad = 2 + len(good_rows())  # line 1 is the header
    assert got == [(first_bad + i, rule) for i, (_, rule) in enumerate(BAD_ROWS)]
    dup = rows(db, "SELECT message FROM etl_rejects WHERE rule = 'duplicate_key' AND table_name = 'target_progress'")
    assert "line 2" in dup[0][0]  # the row it repeats


def test_accounting_rows_in_equal_loaded_plus_rejected(progress_warehouse):
    folder, db, report = progress_warehouse
    (t,) = [r for r in report.tables if r.table == "target_progress"]
    assert (t.rows_in, t.rows_loaded, t.rows_rejected) == (len(good_rows()) + len(BAD_ROWS), len(good_rows()),
                                                             len(BAD_ROWS))
    assert rows(db, "SELECT rows_in, rows_loaded, rows_rejected FROM etl_load_files WHERE table_name = "
                    "'target_progress'") == [(t.rows_in, t.rows_loaded, t.rows_rejected)]
    assert rows(db, "SELECT count(*) FROM fct_target_progress") == [(len(good_rows()),)]


def test_loaded_rows_typed_with_their_level(progress_warehouse):
    folder, db, report = progress_warehouse
    got = rows(db, """SELECT target_id, unit_code, unit_level, CAST(period_end AS VARCHAR), value, is_demo, origin,
                             county_code, prefecture_code
                      FROM target_progress WHERE origin = 'input' ORDER BY period_end, target_id""")
    assert sorted(got, key=lambda r: (r[3], r[0])) == sorted([
        (PROVINCE_COUNT, "620000", "province", "2018-12-31", 1000.0, False, "input", None, None),
        (PROVINCE_COUNT, "620000", "province", "2019-12-31", 2500.0, False, "input", None, None),
        (COUNTY_SHARE, "622926", "county", "2019-06-30", 40.5, False, "input", "622926", "622900"),
        (VILLAGE_SHARE, "622926001001", "village", "2019-09-30", 100.0, False, "input", "622926", "622900"),
        (HOUSEHOLD_SHARE, "622926", "county", "2019-12-31", 88.0, False, "input", "622926", "622900"),
        (PREFECTURE, "622900", "prefecture", "2020-03-31", 1.0, False, "input", None, "622900"),
        (VILLAGE_SHARE, "620000", "province", "2019-12-31", 97.5, False, "input", None, None),
    ], key=lambda r: (r[3], r[0]))


def test_catalog_loaded_as_ref_plan_targets(progress_warehouse):
    folder, db, report = progress_warehouse
    cat = catalog()
    assert rows(db, "SELECT count(*), count(DISTINCT id) FROM ref_plan_targets") == [(len(cat), len(cat))]
    types = dict(rows(db, "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'ref_plan_targets'"))
    assert types["deadline"] == "DATE" and types["value"] == "DOUBLE"
    assert set(types) == set(cat[0])  # all the file's columns
    t = next(t for t in cat if t["id"] == PROVINCE_COUNT)
    assert rows(db, "SELECT CAST(deadline AS VARCHAR), value, quote FROM ref_plan_targets WHERE id = ?",
                [PROVINCE_COUNT]) == [(t["deadline"], float(t["value"]), t["quote"])]


def test_real_published_figures_are_loaded_as_real(progress_warehouse):
    folder, db, report = progress_warehouse
    pub = published()
    # the published file's rows, by key; a later row of the same key is not progress (the province average a
    # relative target is compared with): the first one is the figure
    first = {}
    for i, r in enumerate(pub):
        first.setdefault((r["target_id"], r["unit_code"], r["period_end"]), (i, r))
    got = rows(db, """SELECT target_id, unit_code, CAST(period_end AS VARCHAR), value, source, is_demo
                      FROM target_progress WHERE origin = 'published' ORDER BY ALL""")
    assert got == sorted((k[0], k[1], k[2], float(r["value"]), r["citation"], False) for k, (_, r) in first.items())
    assert len(got) >= 15  # the file holds 17 rows today, two of them comparators
    marked = rows(db, "SELECT line, in_target_progress, not_loaded_because FROM ref_published_progress ORDER BY line")
    assert [m[0] for m in marked] == list(range(2, len(pub) + 2))
    kept = {i + 2 for i, _ in first.values()}
    for line, loaded, why in marked:
        assert loaded == (line in kept), (line, why)
        assert loaded or why.startswith("duplicate_key")
    assert "real figures" in report.text() and "published_progress.csv" in report.text()


def test_a_published_figure_replaces_a_demo_row_of_the_same_key(tmp_path):
    folder = write_tiny_inputs(tmp_path / "in")
    (folder / "DEMO.json").write_text('{"demo": true}', encoding="utf-8")
    real = next(r for r in published() if r["period_end"] >= "2018")  # an input row needs the plan period
    write_csv(folder / "target_progress.csv", [
        HEADER,
        [real["target_id"], real["unit_code"], real["period_end"], "1.5", "demo", ""],
        [PROVINCE_COUNT, "620000", "2019-12-31", "10", "demo", ""],
    ])
    db = tmp_path / "w.duckdb"
    load(folder, db, progress=False)
    assert rows(db, "SELECT value, is_demo, origin FROM target_progress WHERE target_id = ? AND unit_code = ? "
                    "AND period_end = ?", [real["target_id"], real["unit_code"], real["period_end"]]) == [
        (float(real["value"]), False, "published")]
    assert rows(db, "SELECT value, is_demo FROM target_progress WHERE target_id = ?", [PROVINCE_COUNT]) == [
        (10.0, True)]
    # the demo row itself stays loaded (the published file may lose the row later)
    assert rows(db, "SELECT count(*) FROM fct_target_progress") == [(2,)]


def test_reload_is_idempotent_and_a_new_file_replaces_its_keys(progress_warehouse, tmp_path):
    folder, db0, _ = progress_warehouse
    db = tmp_path / "w.duckdb"
    db.write_bytes(db0.read_bytes())
    before = digest(db)
    assert load(folder, db, progress=False).status == "unchanged"
    assert digest(db) == before
    fix = tmp_path / "fix"
    fix.mkdir()
    write_csv(fix / "target_progress_fix.csv", [HEADER, [COUNTY_SHARE, "622926", "2019-06-30", "45", "", "改正"]])
    load(fix, db, progress=False)
    assert rows(db, "SELECT value, note FROM target_progress WHERE target_id = ? AND unit_code = '622926'",
                [COUNTY_SHARE]) == [(45.0, "改正")]
    assert rows(db, "SELECT count(*) FROM fct_target_progress") == [(len(good_rows()),)]
    assert rows(db, "SELECT count(*) FROM target_progress WHERE origin = 'published'") == \
        rows(db0, "SELECT count(*) FROM target_progress WHERE origin = 'published'")


def test_a_failed_load_leaves_the_warehouse_as_it_was(progress_warehouse, tmp_path):
    folder, db0, _ = progress_warehouse
    db = tmp_path / "w.duckdb"
    db.write_bytes(db0.read_bytes())
    before = digest(db)
    bad = tmp_path / "bad"
    bad.mkdir()
    write_csv(bad / "a_target_progress.csv", [HEADER, [COUNTY_SHARE, "622926", "2019-12-31", "60", "", ""]])
    (bad / "b_broken.xlsx").write_bytes(b"not a zip file")
    with pytest.raises(LoadFailed):
        load(bad, db, progress=False)
    assert digest(db) == before
    assert not list(tmp_path.glob(".w.duckdb.loading-*"))


def test_rejects_carry_their_county(progress_warehouse):
    """#12: /data can show a user the rejects of their own counties."""
    folder, db, _ = progress_warehouse
    got = rows(db, "SELECT table_name, line, rule, county_code FROM etl_rejects ORDER BY table_name, line, rule")
    by_rule = {(t, rule): county for t, line, rule, county in got}
    assert by_rule[("households", "unknown_village")] == "622926"  # the village code's first 6 digits
    assert by_rule[("target_progress", "unknown_target")] is None  # a province row
    assert by_rule[("target_progress", "share_range")] == "622926"
    assert by_rule[("target_progress", "code_format")] is None  # '62292': not a county
    assert by_rule[("target_progress", "unknown_unit")] == "622927"  # a county's form, in the row
    lines = {(t, line): county for t, line, rule, county in got if t == "target_progress"}
    first_bad = 2 + len(good_rows())
    wrong_level_household = first_bad + [i for i, (r, _) in enumerate(BAD_ROWS)
                                         if r[0] == HOUSEHOLD_SHARE and r[1].endswith("001001")][0]
    assert lines[("target_progress", wrong_level_household)] == "622926"  # from a village code


def test_counties_and_targets_rejects_carry_their_county(tmp_path):
    folder = write_tiny_inputs(tmp_path / "in")
    write_csv(folder / "county_targets.csv", [["county_code", "year", "indicator", "target"],
                                              ["622926", "2019", "people_exit", "-1"],
                                              ["620102", "2019", "no_such", "1"]])
    db = tmp_path / "w.duckdb"
    load(folder, db, progress=False)
    assert rows(db, "SELECT rule, county_code FROM etl_rejects WHERE table_name = 'county_targets' ORDER BY line") \
        == [("non_negative", "622926"), ("unknown_indicator", "620102")]


def test_column_rules_come_from_the_contract(tmp_path, monkeypatch):
    """#11: a rule carried by a contract column needs no code: `allowed` on a column rejects other values."""
    villages = contract.TABLES["villages"]
    cols = tuple(dataclasses.replace(c, allowed=("西果园镇",)) if c.name == "township_name" else c
                 for c in villages.columns)
    monkeypatch.setitem(contract.TABLES, "villages", dataclasses.replace(villages, columns=cols))
    db = tmp_path / "w.duckdb"
    load(write_tiny_inputs(tmp_path / "in"), db, progress=False)
    assert rows(db, "SELECT line, rule, value FROM etl_rejects WHERE table_name = 'villages' ORDER BY line") == [
        (3, "allowed_values", "高山乡"), (4, "allowed_values", "达板镇")]


def test_a_changed_column_order_of_the_contract_still_loads_by_name(tiny_inputs, tiny_warehouse, tmp_path,
                                                                    monkeypatch):
    """#11: insert by column name: reversing every contract table's columns, and reordering warehouse columns in
    schema.sql, load the same values (compared column by column, by name)."""
    for name, table in list(contract.TABLES.items()):
        monkeypatch.setitem(contract.TABLES, name, dataclasses.replace(table, columns=table.columns[::-1]))
    from etl import paths

    schema = paths.SCHEMA_SQL.read_text(encoding="utf-8")
    for before, after in (
        ("    village_name VARCHAR, township_name VARCHAR,\n    county_code VARCHAR,",
         "    county_code VARCHAR,\n    township_name VARCHAR, village_name VARCHAR,"),
        ("    county_name VARCHAR,\n    prefecture_code VARCHAR,", "    prefecture_code VARCHAR,\n    county_name VARCHAR,"),
        ("county_code VARCHAR, year SMALLINT, indicator VARCHAR, target BIGINT, load_id INTEGER,",
         "load_id INTEGER, target BIGINT, indicator VARCHAR, year SMALLINT, county_code VARCHAR,"),
        ("    target_id VARCHAR,                 -- an id of ref_plan_targets\n    unit_code VARCHAR,",
         "    unit_code VARCHAR,\n    target_id VARCHAR,"),
    ):
        assert before in schema
        schema = schema.replace(before, after)
    reordered = tmp_path / "schema.sql"
    reordered.write_text(schema, encoding="utf-8")
    monkeypatch.setattr(paths, "SCHEMA_SQL", reordered)
    folder = tmp_path / "in"
    folder.mkdir()
    for f in tiny_inputs.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    write_csv(folder / "target_progress.csv", [HEADER, *good_rows()])
    db = tmp_path / "w.duckdb"
    load(folder, db, progress=False)
    ref = tmp_path / "ref.duckdb"
    monkeypatch.undo()
    load(folder, ref, progress=False)
    for table, key in (("dim_county", "county_code"), ("dim_village", "village_code"),
                       ("fct_county_target", "county_code, year, indicator"),
                       ("fct_household_snapshot", "as_of, household_id"),
                       ("fct_target_progress", "target_id, unit_code, period_end")):
        cols = [r[0] for r in rows(ref, "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
                                        "AND column_name <> 'load_id' ORDER BY column_index", [table])]
        sql = f"SELECT {', '.join(cols)} FROM {table} ORDER BY {key}"
        assert rows(db, sql) == rows(ref, sql), table
    assert rows(db, "SELECT column_name FROM duckdb_columns() WHERE table_name = 'dim_village' LIMIT 2") == [
        ("village_code",), ("county_code",)]  # the reordered schema was used


def test_summary_on_a_warehouse_of_another_schema_says_how_to_rebuild(tiny_warehouse, tmp_path):
    db = tmp_path / "old.duckdb"
    db.write_bytes(tiny_warehouse.read_bytes())
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    run = subprocess.run([sys.executable, "-m", "etl", "summary", "--db", str(db)], capture_output=True, text=True,
                         cwd=ROOT)
    assert run.returncode == 1
    assert f"schema_version 2, this ETL writes {SCHEMA_VERSION}" in run.stderr
    assert f"python -m etl load <输入目录 input folder> --db {tmp_path / f'old.v{SCHEMA_VERSION}.duckdb'}" in run.stderr


ASSESSABLE = ("count", "share", "floor", "cap", "money")  # TARGETS.md: the kinds that get a demo series
AS_REPORTED = {"household": "county", "person": "county", "township": "county"}  # else the catalog's level
QUARTER_ENDS = [f"{y}-{md}" for y in (2018, 2019, 2020) for md in ("03-31", "06-30", "09-30", "12-31")]


def test_demo_covers_every_assessable_target(demo_warehouse):
    want = {t["id"]: AS_REPORTED.get(t["level"], t["level"]) for t in catalog()
            if t["value"] and t["kind"] in ASSESSABLE}
    got = dict(rows(demo_warehouse, "SELECT target_id, any_value(unit_level) FROM fct_target_progress "
                                    "WHERE is_demo GROUP BY target_id HAVING count(DISTINCT unit_level) = 1"))
    assert got == want
    # every (target, unit): one row per quarter end 2018Q1-2020Q4
    shape = rows(demo_warehouse, """SELECT count(*), min(n), max(n), min(q), max(q) FROM (
        SELECT target_id, unit_code, count(*) AS n, list(CAST(period_end AS VARCHAR) ORDER BY period_end) AS q
        FROM fct_target_progress GROUP BY ALL)""")
    assert shape[0][1:] == (12, 12, QUARTER_ENDS, QUARTER_ENDS)
    # at its level: every poor county for county targets, 620000 for province ones, a few villages per poor county
    poor = rows(demo_warehouse, "SELECT count(*) FROM dim_county WHERE is_poverty_county")[0][0]
    per_level = dict(rows(demo_warehouse, "SELECT unit_level, max(n) FROM (SELECT target_id, unit_level, "
                                          "count(DISTINCT unit_code) AS n FROM fct_target_progress GROUP BY ALL) "
                                          "GROUP BY ALL"))
    assert per_level["county"] == poor and per_level["province"] == 1
    assert poor <= per_level["village"] <= 4 * poor
    assert rows(demo_warehouse, "SELECT bool_and(v.village_category = '建档立卡贫困村') FROM fct_target_progress f "
                                "JOIN dim_village v ON v.village_code = f.unit_code") == [(True,)]


def test_demo_has_units_behind_and_a_few_targets_missed(demo_warehouse):
    """Judged here from the catalog's own value and kind, at the last quarter end on or after the deadline."""
    short = rows(demo_warehouse, """
        WITH last AS (
            SELECT f.target_id, f.unit_code, arg_max(f.value, f.period_end) AS value, any_value(t.value) AS goal,
                   any_value(t.kind) AS kind
            FROM fct_target_progress f JOIN ref_plan_targets t ON t.id = f.target_id
            WHERE f.period_end >= t.deadline OR f.period_end = DATE '2020-12-31'
            GROUP BY ALL)
        SELECT target_id, avg(CASE WHEN kind = 'cap' THEN value > goal ELSE value < goal END::INT) AS share_short
        FROM last GROUP BY ALL""")
    missed = [t for t, s in short if s == 1]
    behind = [t for t, s in short if 0 < s < 1]
    assert 3 <= len(missed) <= 20, missed
    assert len(behind) >= 20  # units behind in many targets ...
    assert sum(s for t, s in short if 0 < s < 1) / len(behind) < 0.5  # ... but most units on time


def test_demo_target_series_are_labelled_and_deterministic(demo_warehouse, tmp_path):
    from etl.demo import SEED, build_counties, build_villages, target_progress

    assert rows(demo_warehouse, "SELECT bool_and(is_demo), min(source) FROM fct_target_progress") == [
        (True, "演示数据 (demo)")]
    import numpy as np

    rng = np.random.default_rng(SEED)
    counties = build_counties(rng)
    villages = build_villages(rng, counties)
    a = target_progress(counties, villages, SEED)
    b = target_progress(counties, villages, SEED)
    assert a.equals(b)
    assert rows(demo_warehouse, "SELECT count(*) FROM fct_target_progress") == [(len(a),)]
    # in what the app reads, a published figure stands in for the demo row of its key, and only there
    replaced = rows(demo_warehouse, """SELECT count(*) FROM fct_target_progress f JOIN target_progress p
                                       USING (target_id, unit_code, period_end) WHERE p.origin = 'published'""")[0][0]
    published_rows = rows(demo_warehouse, "SELECT count(*) FROM target_progress WHERE origin = 'published'")[0][0]
    assert rows(demo_warehouse, "SELECT count(*) FROM target_progress") == [(len(a) - replaced + published_rows,)]
    assert rows(demo_warehouse, "SELECT bool_and(NOT is_demo) FROM target_progress WHERE origin = 'published'") == [
        (True,)]
    assert replaced >= 1  # e.g. people_exit_2018 at 2018-12-31


def test_demo_series_of_what_the_warehouse_measures_agree_with_it(demo_warehouse):
    """People out per year in the demo's target series = the marts' actual people out, quarter by quarter
    (mart_county_year: status 已脱贫 with an exit date in that year, in each snapshot)."""
    series = rows(demo_warehouse, """
        SELECT t.plan_figures_year, CAST(f.period_end AS VARCHAR), f.value FROM fct_target_progress f
        JOIN ref_plan_targets t ON t.id = f.target_id WHERE t.plan_figures_indicator = 'people_exit_plan'
        ORDER BY ALL""")
    marts = rows(demo_warehouse, """
        SELECT CAST(year AS VARCHAR), CAST(as_of AS VARCHAR), CAST(sum(actual_people) AS DOUBLE)
        FROM mart_county_year WHERE pathway = 'all' GROUP BY ALL ORDER BY ALL""")
    assert len(series) == 36 and series == marts
    villages = rows(demo_warehouse, """
        SELECT f.value FROM fct_target_progress f JOIN ref_plan_targets t ON t.id = f.target_id
        WHERE t.plan_figures_indicator = 'village_exit_plan' AND t.plan_figures_year = '2019'
              AND f.period_end = DATE '2019-12-31'""")
    assert villages == rows(demo_warehouse, "SELECT CAST(count(*) AS DOUBLE) FROM dim_village "
                                            "WHERE actual_exit_year = 2019")


def test_demo_amounts_of_one_year_and_annual_targets_count_within_their_year(demo_warehouse):
    """dashboard.targets reads a count stated for one year ("2019年…") or for every year (recurrence annual) as that
    year's amount to date: the demo writes them so (it wrote them cumulative from 2018, and every unit of an
    annual quota looked overdue at the end of 2019)."""
    cat = {r["id"]: r for r in catalog()}
    annual = [i for i, r in cat.items() if r["recurrence"] == "annual" and r["kind"] in ("count", "money") and r["value"]]
    one_year = [i for i, r in cat.items() if r["deadline_text"].strip() in ("2019年", "2020年")
                and r["kind"] in ("count", "money") and r["value"] and not r["recurrence"]
                and not r["plan_figures_indicator"]]  # the measured ones follow the households (tested above)
    assert annual and one_year
    sql = """SELECT target_id, unit_code, year(period_end) AS y, quarter(period_end) AS q, value FROM fct_target_progress
             WHERE target_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY 1, 2, period_end"""
    got = rows(demo_warehouse, sql, [annual + one_year])
    by = {}
    for tid, unit, y, q, v in got:
        by.setdefault((tid, unit), {})[(y, q)] = v
    for (tid, _unit), s in by.items():
        if tid in annual:  # starts again every 1 January: the first quarter well below the last quarter before it
            for y in (2019, 2020):
                assert s[(y, 1)] < 0.5 * s[(y - 1, 4)], (tid, y, s)
        else:  # nothing counted before its year
            year = int(cat[tid]["deadline_text"].strip()[:4])
            assert all(v == 0 for (y, _q), v in s.items() if y < year), (tid, s)
