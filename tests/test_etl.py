"""ETL: row accounting, messy real-world files, rejects with reasons, idempotency, all-or-nothing loads."""

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
import xlsxwriter

from etl.load import LoadFailed, load
from tests.fixtures import COUNTIES, TARGETS, VILLAGES, household_rows, write_csv, write_tiny_inputs

ROOT = Path(__file__).resolve().parent.parent


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rows(db: Path, sql: str, params=()):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def test_tiny_load_accounts_for_every_row(tiny_warehouse):
    files = rows(tiny_warehouse, "SELECT file_name, rows_in, rows_loaded, rows_rejected FROM etl_load_files ORDER BY 1")
    assert files == [
        ("counties.csv", 3, 3, 0), ("county_targets.csv", 10, 10, 0), ("households_2019Q2.csv", 5, 5, 0),
        ("households_2019Q4.csv", 6, 5, 1), ("villages.csv", 3, 3, 0),
    ]
    # the bad row is line 7 of its file (header on line 1); its wrong check digit is only a warning (not recorded
    # on a rejected row: tests/test_etl_warnings.py)
    rejects = rows(tiny_warehouse, "SELECT file_name, line, column_name, rule, value FROM etl_rejects ORDER BY rule")
    assert rejects == [
        ("households_2019Q4.csv", 7, "village_code", "unknown_village", "622926009999"),
    ]
    assert rows(tiny_warehouse, "SELECT count(*) FROM fct_household_snapshot") == [(10,)]
    assert rows(tiny_warehouse, "SELECT count(DISTINCT load_id), min(load_id) FROM fct_household_snapshot") == [(1, 1)]
    assert rows(tiny_warehouse, "SELECT value FROM meta WHERE key = 'data_as_of'") == [("2019-12-31",)]


def test_marts_by_hand(tiny_warehouse):
    # 东乡: H1 (4 people) out 2019-05-10, H2 (6) out 2019-11-20 -> 4 by mid-2019, 10 by year end
    got = rows(tiny_warehouse, """SELECT as_of, actual_people, plan_people, actual_villages FROM mart_county_year
                                  WHERE county_code = '622926' AND year = 2019 AND pathway = 'all' ORDER BY as_of""")
    assert [(str(a), b, c, d) for a, b, c, d in got] == [("2019-06-30", 4, 10, 0), ("2019-12-31", 10, 10, 1)]
    industry = rows(tiny_warehouse, """SELECT actual_people, plan_people FROM mart_county_year WHERE county_code = '622926'
                                       AND year = 2019 AND pathway = 'industry' AND as_of = DATE '2019-12-31'""")
    assert industry == [(10, 10)]
    status = rows(tiny_warehouse, """SELECT remaining_people, incidence, returned_households, newly_returned_households
                                     FROM mart_county_status WHERE as_of = DATE '2019-12-31' ORDER BY county_code""")
    assert status == [(0, 0.0, 0, 0), (2, 2 / 5000, 1, 1), (7, 7 / 1000, 0, 0)]


def test_same_files_twice_change_nothing(tiny_inputs, tiny_warehouse, writable_copy):
    db = writable_copy(tiny_warehouse)
    before = digest(db)
    report = load(tiny_inputs, db, progress=False)
    assert report.status == "unchanged" and report.load_id is None
    assert digest(db) == before


def test_cli_load_and_summary(tiny_inputs, tmp_path):
    db = tmp_path / "w.duckdb"
    run = subprocess.run([sys.executable, "-m", "etl", "load", str(tiny_inputs), "--db", str(db), "--quiet"],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert "rows in         6 = loaded         5 + rejected       1" in run.stdout
    out = subprocess.run([sys.executable, "-m", "etl", "summary", "--db", str(db), "--json"],
                         capture_output=True, text=True, cwd=ROOT)
    import json

    s = json.loads(out.stdout)
    assert s["people"]["plan"] == {"2018": 2, "2019": 10, "2020": 7}
    assert s["people"]["actual"]["2019"] == 10 and s["people"]["actual"]["2018"] == 0  # H5 returned to poverty
    assert s["villages"]["plan"] == {"before_2018": 1, "2019": 1, "2020": 1}
    assert s["counties"]["actual"] == {"before_2018": 1, "2020": 1}
    assert s["as_of"] == "2019-12-31" and s["demo"] is False


def test_messy_gb18030_csv_with_title_rows_totals_and_fullwidth(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    zh = ["县代码", "县名称", "市州代码", "市州名称", "是否贫困县", "贫困县类型", "深度贫困类型", "农村人口（人）",
          "计划摘帽年度", "实际摘帽年度", "批准退出日期"]
    body = [
        ["甘肃省贫困县基本情况表"], ["填报单位：省扶贫办", "", "单位：人"], zh,
        ["６２０１０３ ", " 七里河区", "620100", "兰州市", "是", "插花", "", "5,000", "2017年", "2017", "2018年10月10日"],
        ["622926", "东乡族自治县", "", "临夏回族自治州", "1", "片区", "两州一县", "１０００", "2020", "2020", "44156"],
        ["", "华亭县", "", "平凉市", "是", "片区", "", "150000", "2019", "2019", "2020/3/3"],
        ["合计", "", "", "", "", "", "", "156000", "", "", ""],
    ]
    write_csv(folder / "县.csv", body, encoding="gb18030")
    db = tmp_path / "w.duckdb"
    report = load(folder, db, progress=False)
    (t,) = report.tables
    assert (t.rows_in, t.rows_loaded, t.rows_rejected) == (4, 3, 1)
    assert t.rejects_by_rule == {"totals_row": 1}
    got = rows(db, """SELECT county_code, county_name, prefecture_code, rural_population, planned_exit_year,
                             actual_exit_date FROM dim_county ORDER BY 1""")
    assert [(c, n, p, r, y, str(d)) for c, n, p, r, y, d in got] == [
        ("620103", "七里河区", "620100", 5000, 2017, "2018-10-10"),
        ("620881", "华亭县", "620800", 150000, 2019, "2020-03-03"),  # code found from the (old) name
        ("622926", "东乡族自治县", "622900", 1000, 2020, "2020-11-21"),  # Excel serial date
    ]
    assert rows(db, "SELECT line, rule FROM etl_rejects") == [(7, "totals_row")]


def test_xlsx_with_numbers_dates_and_leading_zeros(tmp_path):
    folder = write_tiny_inputs(tmp_path / "in")
    (folder / "households_2019Q2.csv").unlink()
    (folder / "households_2019Q4.csv").unlink()
    book = xlsxwriter.Workbook(str(folder / "households.xlsx"))
    sheet = book.add_worksheet("2019年二季度")
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["2019年第二季度建档立卡贫困户信息表"])
    header = ["户编号", "村代码", "家庭人口数", "户主姓名", "户主证件号码", "贫困户属性", "主要致贫原因", "帮扶措施",
              "计划脱贫年度", "脱贫状态", "脱贫日期", "数据截止日期"]
    sheet.write_row(1, 0, header)
    data = household_rows("2019-06-30")[1:]
    for r, row in enumerate(data, start=2):
        row = list(row)
        row[0] = "00" + row[0]  # leading zeros must survive
        sheet.write_string(r, 0, row[0])
        sheet.write_number(r, 1, int(row[1]))  # 12-digit code stored as a number by Excel
        sheet.write_number(r, 2, int(row[2]))
        for c in range(3, 10):
            sheet.write(r, c, row[c])
        if row[10]:
            from datetime import datetime

            sheet.write_datetime(r, 10, datetime.fromisoformat(row[10]), date_fmt)
        sheet.write_string(r, 11, "2019年6月")  # month only: the end of that month
    sheet.write_row(len(data) + 2, 0, ["总计", "", 19])
    book.close()
    db = tmp_path / "w.duckdb"
    report = load(folder, db, progress=False)
    hh = next(t for t in report.tables if t.table == "households")
    assert (hh.rows_in, hh.rows_loaded, hh.rows_rejected) == (6, 5, 1)
    got = rows(db, "SELECT household_id, village_code, as_of, exit_date FROM fct_household_snapshot ORDER BY 1")
    assert got[0][0] == "00H1" and got[0][1] == "622926001001"
    assert {str(r[2]) for r in got} == {"2019-06-30"}
    assert str(got[0][3]) == "2019-05-10"


@pytest.mark.parametrize(
    "column, value, rule",
    [
        ("household_size", "0", "size_range"),
        ("household_size", "四", "type"),
        ("head_id_number", "62292619800101123", "id_format"),
        ("household_attribute", "贫困户", "allowed_values"),
        ("pathways", "产业、旅游", "unknown_pathway"),
        ("planned_exit_year", "2025", "year_range"),
        ("status", "脱贫", "allowed_values"),
        ("exit_date", "2017-12-01", "exit_before_plan_start"),
        ("village_code", "62292600100", "code_format"),
        ("household_id", "", "required"),
    ],
)
def test_each_bad_household_value_is_rejected_with_its_rule(tmp_path, column, value, rule):
    folder = write_tiny_inputs(tmp_path / "in")
    (folder / "households_2019Q4.csv").unlink()
    data = household_rows("2019-06-30")
    col = data[0].index(column)
    data[1][col] = value  # H1 is 已脱贫 with an exit date
    write_csv(folder / "households_2019Q2.csv", data)
    db = tmp_path / "w.duckdb"
    report = load(folder, db, progress=False)
    hh = next(t for t in report.tables if t.table == "households")
    assert (hh.rows_in, hh.rows_loaded, hh.rows_rejected) == (5, 4, 1)
    got = rows(db, "SELECT line, column_name, rule FROM etl_rejects")
    assert (2, column, rule) in got


def test_duplicates_and_cross_table_rules(tmp_path):
    folder = write_tiny_inputs(tmp_path / "in")
    write_csv(folder / "villages.csv", VILLAGES + [
        VILLAGES[1],  # duplicate of line 2
        ["620103001009", "外县村", "镇", "629999", "建档立卡贫困村", "否", "100", "2019", "", "", ""],  # unknown county
        ["622926001009", "错码村", "镇", "620103", "建档立卡贫困村", "否", "100", "2019", "", "", ""],  # prefix
        ["622926001010", "北京村", "镇", "622926", "建档立卡贫困村", "否", "100", "2019", "", "116.4", "39.9"],
    ])
    write_csv(folder / "county_targets.csv", TARGETS + [["622926", "2019", "旅游人口", "5"]])
    write_csv(folder / "counties.csv", COUNTIES + [["620103", "七里河区", "", "", "是", "插花", "", "-5", "2017", "", ""]])
    db = tmp_path / "w.duckdb"
    load(folder, db, progress=False)
    got = {(t, r) for t, r in rows(db, "SELECT table_name, rule FROM etl_rejects WHERE table_name <> 'households'")}
    assert got == {("villages", "duplicate_key"), ("villages", "unknown_county"), ("villages", "code_prefix_mismatch"),
                   ("villages", "location"), ("county_targets", "unknown_indicator"), ("counties", "positive")}
    msg = rows(db, "SELECT message FROM etl_rejects WHERE rule = 'duplicate_key'")[0][0]
    assert "line 2" in msg


def test_unreadable_file_fails_and_leaves_warehouse_as_it_was(tiny_warehouse, writable_copy, tmp_path):
    db = writable_copy(tiny_warehouse)
    before = digest(db)
    bad = tmp_path / "bad"
    bad.mkdir()
    write_csv(bad / "notes.csv", [["会议纪要"], ["内容", "备注"]])
    with pytest.raises(LoadFailed, match="表头"):
        load(bad, db, progress=False)
    assert digest(db) == before
    assert not list(db.parent.glob(".warehouse.duckdb.loading-*"))
    run = subprocess.run([sys.executable, "-m", "etl", "load", str(bad), "--db", str(db), "--quiet"],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 1 and "load failed" in run.stderr


def test_a_new_file_for_a_loaded_quarter_replaces_that_snapshot(tiny_warehouse, writable_copy, tmp_path):
    db = writable_copy(tiny_warehouse)
    folder = tmp_path / "fix"
    folder.mkdir()
    data = household_rows("2019-06-30")
    data[2][data[0].index("household_size")] = 7  # H2 corrected from 6 to 7
    write_csv(folder / "households_2019Q2_corrected.csv", data)
    report = load(folder, db, progress=False)
    assert report.load_id == 2
    got = rows(db, "SELECT household_size, load_id FROM fct_household_snapshot WHERE as_of = DATE '2019-06-30' "
                   "AND household_id = 'H2'")
    assert got == [(7, 2)]
    assert rows(db, "SELECT count(*) FROM fct_household_snapshot WHERE as_of = DATE '2019-06-30'") == [(5,)]


def test_killed_load_leaves_warehouse_exactly_as_it_was(tiny_warehouse, writable_copy, tmp_path):
    """kill -9 in the middle of a big load: the warehouse is byte-for-byte the same afterwards."""
    db = writable_copy(tiny_warehouse)
    before = digest(db)
    big = tmp_path / "big"
    big.mkdir()
    header, *data = household_rows("2019-12-31")
    many = [header] + [[f"X{i}", *row[1:]] for i in range(300_000) for row in data[:1]]
    write_csv(big / "households_2019Q4_big.csv", many)
    proc = subprocess.Popen([sys.executable, "-m", "etl", "load", str(big), "--db", str(db), "--quiet"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while not list(db.parent.glob(".warehouse.duckdb.loading-*")) and time.time() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)  # let it work on the copy for a moment
    assert proc.poll() is None, "the load finished before it could be killed; make the input bigger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert digest(db) == before
    # the next load cleans up what the killed one left and works
    report = load(big, db, progress=False)
    assert report.tables[0].rows_loaded == 300_000
    assert not list(db.parent.glob(".warehouse.duckdb.loading-*"))


def test_demo_reproduces_the_plan_and_public_actuals(demo_warehouse):
    """Figures typed from SPEC §2/§3 and the reference file; the summary computes them from loaded rows."""
    from etl.summary import summary

    s = summary(demo_warehouse)
    assert s["people"]["total_at_start"] == 1_890_000
    assert s["people"]["plan"] == {"2018": 710_000, "2019": 710_000, "2020": 470_000}
    assert s["people"]["actual"] == {"2018": 776_000, "2019": 935_000, "2020": 179_000}
    assert s["villages"]["total"] == 7_262 and s["villages"]["registered"] == 6_220
    assert s["villages"]["not_registered"] == 1_042 and s["villages"]["deep_poverty"] == 3_720
    assert s["villages"]["plan"] == {"before_2018": 907, "2018": 2_181, "2019": 2_646, "2020": 1_528}
    va = s["villages"]["actual"]
    assert va["before_2018"] == 907 and va["before_2018"] + va["2018"] + va["2019"] == 6_868
    assert sum(va.values()) == 7_262
    assert s["counties"]["total"] == 75 and s["counties"]["deep_poverty"] == 35
    assert s["counties"]["two_prefectures_one_county"] == 17
    assert s["counties"]["plan"] == {"before_2018": 18, "2018": 14, "2019": 24, "2020": 19}
    assert s["counties"]["actual"] == {"before_2018": 18, "2018": 18, "2019": 31, "2020": 8}
    p = s["pathways"]
    assert (p["industry"]["plan_people"], p["industry"]["actual_households"]) == (1_476_000, 352_000)
    assert p["employment"]["plan_people"] == 600_000 and p["relocation"]["plan_people"] == 160_000
    assert p["ecology"]["plan_people"] == 20_000 and p["social_security"]["plan_people"] == 354_000
    assert p["housing"]["plan_households"] == 41_000 and p["water"]["plan_households"] == 170_000
    assert p["water"]["actual_people"] == 690_000
    assert s["demo"] is True and s["as_of"] == "2020-12-31"
    # county type splits of the plan (SPEC §2)
    split = rows(demo_warehouse, """SELECT poverty_type, planned_exit_year, count(*) FROM dim_county
                                    WHERE is_poverty_county GROUP BY ALL ORDER BY ALL""")
    assert split == [("插花", 2017, 12), ("插花", 2018, 4), ("插花", 2019, 1),
                     ("片区", 2017, 6), ("片区", 2018, 10), ("片区", 2019, 23), ("片区", 2020, 19)]


def test_demo_is_consistent_below_the_published_level(demo_warehouse):
    # every place that exited was under 3 % at the end of its exit year; nothing left at the end of 2020
    assert rows(demo_warehouse, "SELECT count(*) FROM mart_reconciliation") == [(0,)]
    assert rows(demo_warehouse, """SELECT sum(remaining_people) FROM mart_county_status
                                   WHERE as_of = DATE '2020-12-31'""") == [(0,)]
    # exits come mostly in the fourth quarter; some households return to poverty
    q4 = rows(demo_warehouse, "SELECT min(share) FROM mart_quarter_profile WHERE quarter = 4")[0][0]
    assert q4 > 0.6
    assert rows(demo_warehouse, "SELECT sum(newly_returned_households) > 0 FROM mart_county_status") == [(True,)]
    # county exits agree with the reference file
    import csv

    ref = {r["adcode"]: r["exit_batch_year"] for r in csv.DictReader(open(ROOT / "data/reference/gansu_counties.csv",
                                                                            encoding="utf-8"))}
    got = dict(rows(demo_warehouse, "SELECT county_code, coalesce(CAST(actual_exit_year AS VARCHAR), '') FROM dim_county"))
    assert got == ref


def test_blank_lines_keep_file_line_numbers(tmp_path):
    folder = write_tiny_inputs(tmp_path / "in")
    text = (folder / "villages.csv").read_text(encoding="utf-8").replace("\n6229", "\n\n6229", 1)
    text = text.replace("建档立卡贫困村,是,500", "建档立卡贫困村,是,-500")  # the 布楞沟村 row, now on line 4
    (folder / "villages.csv").write_text(text, encoding="utf-8")
    db = tmp_path / "w.duckdb"
    report = load(folder, db, progress=False)
    v = next(t for t in report.tables if t.table == "villages")
    assert (v.rows_in, v.rows_loaded, v.rows_rejected, v.blank_lines) == (3, 2, 1, 1)
    assert rows(db, "SELECT line, rule FROM etl_rejects WHERE table_name = 'villages'") == [(4, "positive")]


def test_xlsx_inputs_load_like_csv(tiny_inputs, tiny_warehouse, tmp_path):
    """The demo's XLSX writer + the XLSX reader give the same warehouse facts as the CSV files."""
    import pandas as pd

    from etl.demo import _write_xlsx

    folder = tmp_path / "xlsx"
    folder.mkdir()
    for f in tiny_inputs.glob("*.csv"):
        _write_xlsx(folder / f"{f.stem}.xlsx", pd.read_csv(f, dtype=str, keep_default_na=False))
    db = tmp_path / "w.duckdb"
    load(folder, db, progress=False)
    facts = "SELECT * EXCLUDE (load_id) FROM fct_household_snapshot ORDER BY as_of, household_id"
    assert rows(db, facts) == rows(tiny_warehouse, facts)
    dims = "SELECT * EXCLUDE (load_id) FROM dim_village ORDER BY village_code"
    assert rows(db, dims) == rows(tiny_warehouse, dims)
