"""Register errors are loaded with a warning (etl_warnings), not rejected: the household still counts."""

import json

import duckdb
import pytest

from etl.load import SCHEMA_VERSION, load
from etl.validate import ID_WEIGHTS
from tests.fixtures import HOUSEHOLDS, household_rows, write_csv, write_tiny_inputs


def rows(db, sql, params=()):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def with_check_digit(body17: str) -> str:
    return body17 + "10X98765432"[sum(int(d) * w for d, w in zip(body17, ID_WEIGHTS)) % 11]


def wrong_check_digit(idn: str) -> str:
    return idn[:17] + ("0" if idn[17] != "0" else "1")


def load_q2(tmp_path, edit):
    """The tiny inputs with the 2019Q2 households edited by `edit(data)` (data[1] is H1, ... data[5] is H5)."""
    folder = write_tiny_inputs(tmp_path / "in")
    data = household_rows("2019-06-30")
    edit(data)
    write_csv(folder / "households_2019Q2.csv", data)
    db = tmp_path / "w.duckdb"
    report = load(folder, db, progress=False)
    hh = next(t for t in report.tables if t.file_name == "households_2019Q2.csv")
    return db, report, hh


def warnings(db, file_name="households_2019Q2.csv"):
    return rows(db, "SELECT line, column_name, rule, household_id, village_code, county_code, CAST(as_of AS VARCHAR) "
                    "FROM etl_warnings WHERE file_name = ? ORDER BY line, rule", [file_name])


def people_2019q2(db) -> int:
    return rows(db, "SELECT sum(people_total) FROM mart_county_status WHERE as_of = DATE '2019-06-30'")[0][0]


def test_wrong_check_digit_is_loaded_with_a_warning_and_still_counts(tmp_path):
    def edit(data):
        data[2][4] = wrong_check_digit(data[2][4])  # H2, 6 people, in 622926001001
    db, report, hh = load_q2(tmp_path, edit)
    assert (hh.rows_in, hh.rows_loaded, hh.rows_rejected, hh.rows_warned) == (5, 5, 0, 1)
    assert hh.warnings_by_rule == {"id_checksum": 1}
    assert warnings(db) == [(3, "head_id_number", "id_checksum", "H2", "622926001001", "622926", "2019-06-30")]
    assert rows(db, "SELECT count(*) FROM etl_rejects WHERE file_name = 'households_2019Q2.csv'") == [(0,)]
    assert people_2019q2(db) == 4 + 6 + 3 + 4 + 2  # every household counts
    assert "loaded with warnings 1: id_checksum 1" in report.text()


def test_old_15_digit_id_is_loaded_with_a_warning(tmp_path):
    def edit(data):
        data[1][4] = "622926800101123"  # H1: 15 digits, born 1980-01-01
    db, _, hh = load_q2(tmp_path, edit)
    assert (hh.rows_loaded, hh.rows_rejected) == (5, 0)
    assert [w[2] for w in warnings(db)] == ["id_15_digit"]  # born 1980: no age warning


@pytest.mark.parametrize("birth, warned", [
    ("20030630", False),  # 16 on the snapshot date 2019-06-30
    ("20030701", True),   # 16 the day after
    ("19080701", False),  # 110 (111 the day after)
    ("19080630", True),   # 111 that day: older than 110
])
def test_head_age_by_the_id_birth_date_at_the_snapshot_date(tmp_path, birth, warned):
    def edit(data):
        data[4][4] = with_check_digit("622926" + birth + "123")  # H4
    db, _, hh = load_q2(tmp_path, edit)
    assert (hh.rows_loaded, hh.rows_rejected) == (5, 0)
    assert warnings(db) == ([(5, "head_id_number", "head_age", "H4", "622926001002", "622926", "2019-06-30")]
                            if warned else [])


def test_head_age_from_an_old_15_digit_id(tmp_path):
    def edit(data):
        data[4][4] = "622926050101123"  # 15 digits: born 1905-01-01, 114 in 2019
    db, _, _ = load_q2(tmp_path, edit)
    assert [w[2] for w in warnings(db)] == ["head_age", "id_15_digit"]


def test_exited_without_exit_date_and_exit_after_snapshot_are_warnings(tmp_path):
    def edit(data):
        data[1][10] = ""            # H1 已脱贫 without an exit date
        data[5][10] = "2019-07-01"  # H5 已脱贫 after the snapshot date 2019-06-30
    db, _, hh = load_q2(tmp_path, edit)
    assert (hh.rows_in, hh.rows_loaded, hh.rows_rejected, hh.rows_warned) == (5, 5, 0, 2)
    assert [(w[0], w[1], w[2], w[3]) for w in warnings(db)] == [
        (2, "exit_date", "required_when_exited", "H1"), (6, "exit_date", "exit_after_as_of", "H5")]
    assert rows(db, "SELECT count(*) FROM fct_household_snapshot WHERE as_of = DATE '2019-06-30'") == [(5,)]


def test_same_id_in_two_households_of_a_snapshot_warns_on_both(tmp_path):
    def edit(data):
        data[3][4] = data[2][4]  # H3 has H2's ID number
    db, _, hh = load_q2(tmp_path, edit)
    assert (hh.rows_loaded, hh.rows_rejected, hh.rows_warned) == (5, 0, 2)
    got = rows(db, "SELECT line, rule, household_id, message FROM etl_warnings ORDER BY line")
    assert [(g[0], g[1], g[2]) for g in got] == [(3, "duplicate_id", "H2"), (4, "duplicate_id", "H3")]
    assert "另外 1 户相同, 如户编号 H3 " in got[0][3] and "户编号 H2 " in got[1][3]
    # the other snapshot (2019Q4) has no duplicate
    assert rows(db, "SELECT DISTINCT CAST(as_of AS VARCHAR) FROM etl_warnings") == [("2019-06-30",)]


def test_same_id_across_two_files_of_one_snapshot(tmp_path):
    folder = write_tiny_inputs(tmp_path / "in")
    data = household_rows("2019-06-30")
    data[5][4] = data[1][4]  # H5 has H1's ID number, and is in a second file of the same quarter
    write_csv(folder / "households_2019Q2.csv", data[:5])
    write_csv(folder / "households_2019Q2_b.csv", [data[0], data[5]])
    db = tmp_path / "w.duckdb"
    load(folder, db, progress=False)
    assert rows(db, "SELECT file_name, line, rule, household_id FROM etl_warnings") == [
        ("households_2019Q2_b.csv", 2, "duplicate_id", "H5")]


def test_rejected_rows_carry_no_warnings_and_rejects_still_reject(tmp_path):
    def edit(data):
        data[1][4] = wrong_check_digit(data[1][4])
        data[1][1] = "622926009999"   # unknown village: rejected, so not also warned
        data[2][4] = "62292619750505"  # neither 18 nor 15 characters: still rejected
    db, _, hh = load_q2(tmp_path, edit)
    assert (hh.rows_in, hh.rows_loaded, hh.rows_rejected, hh.rows_warned) == (5, 3, 2, 0)
    assert rows(db, "SELECT line, rule FROM etl_rejects WHERE file_name = 'households_2019Q2.csv' ORDER BY line") == [
        (2, "unknown_village"), (3, "id_format")]
    assert warnings(db) == []


def test_warning_messages_hold_no_personal_data(tmp_path):
    def edit(data):
        data[1][4] = wrong_check_digit(data[1][4])
        data[2][4] = with_check_digit("622926201001011234"[:17])
        data[3][4] = data[4][4]
    db, _, _ = load_q2(tmp_path, edit)
    personal = {h[3] for h in HOUSEHOLDS} | {h[4] for h in HOUSEHOLDS} | {r[4] for r in household_rows("2019-06-30")}
    personal |= {"20100101", "2010-01-01", "1980-01-01"}
    msgs = [m for (m,) in rows(db, "SELECT message FROM etl_warnings")]
    assert len(msgs) == 4
    assert not [m for m in msgs for p in personal if p and p[:14] in m]


def test_a_new_file_for_a_quarter_replaces_its_warnings(tmp_path):
    def edit(data):
        data[2][4] = wrong_check_digit(data[2][4])
    db, _, _ = load_q2(tmp_path, edit)
    assert len(warnings(db)) == 1
    fixed = tmp_path / "fixed"
    fixed.mkdir()
    write_csv(fixed / "households_2019Q2_fixed.csv", household_rows("2019-06-30"))
    load(fixed, db, progress=False)
    assert rows(db, "SELECT count(*) FROM etl_warnings") == [(0,)]


def test_schema_version_is_bumped_for_etl_warnings(tiny_warehouse):
    assert SCHEMA_VERSION == "3"  # 2: etl_warnings, 3: etl_rejects.county_code and target_progress
    assert rows(tiny_warehouse, "SELECT value FROM meta WHERE key = 'schema_version'") == [("3",)]
    assert rows(tiny_warehouse, "SELECT count(*) FROM etl_warnings") == [(0,)]


@pytest.fixture
def warned_warehouse(tmp_path):
    """Tiny inputs with H2 (东乡, 622926) given a wrong check digit and H5 (七里河, 620103) a 15-digit ID."""
    def edit(data):
        data[2][4] = wrong_check_digit(data[2][4])
        data[5][4] = "620103700303123"
    folder = write_tiny_inputs(tmp_path / "in")
    for as_of, name in (("2019-06-30", "households_2019Q2.csv"), ("2019-12-31", "households_2019Q4.csv")):
        data = household_rows(as_of)
        edit(data)
        write_csv(folder / name, data)
    db = tmp_path / "w.duckdb"
    load(folder, db, progress=False)
    from dashboard import db as app_db
    from dashboard import queries as Q

    app_db.configure(db)
    Q.clear_cache()
    yield db
    app_db.configure(None)
    Q.clear_cache()


def test_warnings_by_county_and_rule_in_the_viewer_scope(warned_warehouse):
    from dashboard import queries as Q

    every = Q.warnings_by_county(frozenset({"620102", "620103", "622926"}))
    assert every[["county_code", "rule", "households"]].values.tolist() == [
        ["620103", "id_15_digit", 1], ["622926", "id_checksum", 1]]  # latest snapshot only: one household each
    assert Q.warnings_by_county(frozenset({"622926"}))["county_code"].tolist() == ["622926"]
    assert Q.warning_rows("620103", frozenset({"622926"})).empty  # a county outside the scope shows nothing


def test_warning_rows_of_a_county_are_masked(warned_warehouse):
    from dashboard import queries as Q

    df = Q.warning_rows("622926", frozenset({"622926"}))
    h2 = next(h for h in HOUSEHOLDS if h[0] == "H2")
    assert df[["household_id", "rule", "head_name"]].values.tolist() == [["H2", "id_checksum", "马*国"]]
    idn = df["head_id_number"].iloc[0]
    assert idn == h2[4][:6] + "*" * 12  # dashboard.masking: the area code only
    assert h2[3] not in df.to_csv() and wrong_check_digit(h2[4]) not in df.to_csv()


def _texts(component) -> str:
    out = []

    def walk(c):
        if isinstance(c, (list, tuple)):
            for x in c:
                walk(x)
        elif isinstance(c, str):
            out.append(c)
        elif hasattr(c, "to_plotly_json") or isinstance(c, dict) and "namespace" in c:  # (or as JSON)
            j = c.to_plotly_json()["props"] if hasattr(c, "to_plotly_json") else c["props"]
            walk(j.get("children"))
            walk(j.get("data") if isinstance(j.get("data"), dict) else None)  # a deferred grid (components.deferred)
            for k in ("href", "rowData"):
                if k in j:
                    out.append(json.dumps(j[k], ensure_ascii=False, default=str))
    walk(component)
    return "\n".join(out)


def test_data_page_lists_warnings_and_a_county_s_rows(warned_warehouse):
    import app  # noqa: F401  (registers the pages)
    from dashboard.pages import data

    page = _texts(data.layout())
    assert "登记错误警告" in page and "id_checksum" in page and "/data?county=622926" in page
    assert "已脱敏" not in page
    page = _texts(data.layout(county="622926"))
    assert "东乡族自治县 待更正的户（已脱敏）" in page and '"household_id": "H2"' in page and "马*国" in page
    assert "马建国" not in page


def test_demo_register_errors_are_warned_in_every_snapshot_and_count(demo_warehouse):
    """The demo's labelled errors (3 per ID rule, 3 pairs sharing an ID) warn in each of the 12 snapshots;
    the published figures are checked unchanged by test_etl.py::test_demo_reproduces_the_plan_and_public_actuals."""
    got = rows(demo_warehouse, "SELECT rule, count(*), count(DISTINCT as_of), count(DISTINCT household_id) "
                               "FROM etl_warnings GROUP BY rule ORDER BY rule")
    assert got == [("duplicate_id", 72, 12, 6), ("head_age", 36, 12, 3), ("id_15_digit", 36, 12, 3),
                   ("id_checksum", 36, 12, 3)]
    assert rows(demo_warehouse, "SELECT sum(rows_rejected) FROM etl_load_files") == [(0,)]
