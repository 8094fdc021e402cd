"""ETL hardening (issue #10, ETL items): no input text becomes SQL, file modes, RFC 4180 files load,
limits with clear messages, no tracebacks and no personal data in messages."""

import hashlib
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest
import xlsxwriter

from etl import paths
from etl.load import SCHEMA_VERSION, LoadFailed, load
from tests.fixtures import HOUSEHOLDS, VILLAGES, household_rows, write_csv, write_tiny_inputs

ROOT = Path(__file__).resolve().parent.parent
ID_NUMBERS = [h[4] for h in HOUSEHOLDS]
NAMES = [h[3] for h in HOUSEHOLDS]
INJECTED = '" || (SELECT min(head_id_number) FROM fct_household_snapshot) || "'


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rows(db: Path, sql: str, params=()):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def no_personal_data(text: str) -> bool:
    return not any(x in text for x in ID_NUMBERS + [i[:17] for i in ID_NUMBERS] + NAMES)


def assert_failed_cleanly(db: Path, before: str, exc: LoadFailed) -> None:
    assert digest(db) == before
    assert not list(db.parent.glob(f".{db.name}.loading-*"))
    assert no_personal_data(str(exc)), str(exc)


def villages_folder(tmp_path: Path, header: list[str], body=None, name: str = "villages.csv") -> Path:
    folder = tmp_path / "new"
    folder.mkdir()
    write_csv(folder / name, [header, *(body if body is not None else VILLAGES[1:])])
    return folder


# ---- 1. no text from an input file becomes SQL ----

def test_injected_header_runs_no_sql(tiny_warehouse, writable_copy, tmp_path):
    """The header of issue #10: maps to village_name by the documented normalisation; its SQL never runs."""
    db = writable_copy(tiny_warehouse)
    header = ["village_name[", *VILLAGES[0], "zz]"]
    header[header.index("village_name")] = f"village_name[{INJECTED}zz]"
    body = [["x", *r[:1], r[1].replace("村", "新村"), *r[2:], "y"] for r in VILLAGES[1:]]
    report = load(villages_folder(tmp_path, header, body), db, progress=False)
    names = [r[0] for r in rows(db, "SELECT village_name FROM dim_village ORDER BY village_code")]
    assert names == ["西果园新村", "布楞沟新村", "达板新村"]  # the cells of that column, nothing else
    assert not any(i in n for n in names for i in ID_NUMBERS)
    (t,) = report.tables[-1:]
    assert (t.rows_in, t.rows_loaded) == (3, 3)
    assert "village_name[" in t.ignored_columns and "zz]" in t.ignored_columns


def test_header_that_maps_to_nothing_is_ignored_by_name(tiny_warehouse, writable_copy, tmp_path):
    db = writable_copy(tiny_warehouse)
    odd = ["备注'\"x", f"x{INJECTED}y", "a'); DROP TABLE dim_county; --"]
    report = load(villages_folder(tmp_path, [*VILLAGES[0], *odd], [[*r, "1", "2", "3"] for r in VILLAGES[1:]]),
                  db, progress=False)
    t = report.tables[-1]
    assert (t.rows_in, t.rows_loaded, t.rows_rejected) == (3, 3, 0)
    assert t.ignored_columns == odd
    assert "备注'\"x" in report.text()
    assert rows(db, "SELECT count(*) FROM dim_county") == [(3,)]


@pytest.mark.parametrize("name", ["v'il\"lages.csv", "villages', header=false) --.csv", "[v]illages.csv",
                                  "村*?.csv"])
def test_file_name_is_not_sql_nor_a_pattern(tmp_path, name):
    folder = write_tiny_inputs(tmp_path / "in")
    (folder / "villages.csv").rename(folder / name)
    db = tmp_path / "w.duckdb"
    report = load(folder, db, progress=False)
    v = next(t for t in report.tables if t.table == "villages")
    assert (v.file_name, v.rows_in, v.rows_loaded) == (name, 3, 3)
    assert rows(db, "SELECT file_name FROM etl_load_files WHERE table_name = 'villages'") == [(name,)]


def test_xlsx_sheet_name_and_header_are_not_sql(tiny_warehouse, writable_copy, tmp_path):
    db = writable_copy(tiny_warehouse)
    folder = tmp_path / "x"
    folder.mkdir()
    book = xlsxwriter.Workbook(str(folder / "villages.xlsx"))
    sheet = book.add_worksheet("v'); DROP TABLE dim_county; --\"")
    header = [*VILLAGES[0]]
    header[header.index("village_name")] = f"village_name[{INJECTED}zz]"
    sheet.write_row(0, 0, header)
    for r, row in enumerate(VILLAGES[1:], start=1):
        sheet.write_row(r, 0, [str(c) for c in row])
    book.close()
    report = load(folder, db, progress=False)
    t = report.tables[-1]
    assert (t.rows_in, t.rows_loaded) == (3, 3) and "DROP TABLE" in t.file_name
    assert rows(db, "SELECT count(*) FROM dim_county") == [(3,)]
    assert sorted(r[0] for r in rows(db, "SELECT village_name FROM dim_village")) == sorted(
        r[1] for r in VILLAGES[1:])


# ---- 4. file modes ----

@pytest.mark.parametrize("mode", [0o600, 0o640])
def test_load_keeps_the_warehouse_mode(tiny_warehouse, writable_copy, tmp_path, mode):
    db = writable_copy(tiny_warehouse)
    os.chmod(db, mode)
    folder = tmp_path / "q"
    folder.mkdir()
    data = household_rows("2019-06-30")
    data[2][2] = 7  # H2 corrected
    write_csv(folder / "households_2019Q2_fix.csv", data)
    assert load(folder, db, progress=False).load_id == 2
    assert stat.S_IMODE(db.stat().st_mode) == mode


def test_new_warehouse_and_demo_files_are_owner_only(tiny_inputs, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    script = ("import os, sys; os.umask(0o022); from etl.__main__ import main; sys.exit(main(sys.argv[1:]))")
    db = tmp_path / "w.duckdb"
    run = subprocess.run([sys.executable, "-c", script, "load", str(tiny_inputs), "--db", str(db), "--quiet"],
                         capture_output=True, text=True, cwd=ROOT, env=env)
    assert run.returncode == 0, run.stderr
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    out = tmp_path / "demo"
    run = subprocess.run([sys.executable, "-c", script, "demo", "--out", str(out)], capture_output=True, text=True,
                         cwd=ROOT, env=env)
    assert run.returncode == 0, run.stderr
    files = sorted(out.iterdir())
    assert len(files) == 17  # 4 tables (incl. target_progress) + 12 quarters + DEMO.json
    assert {f.name: oct(stat.S_IMODE(f.stat().st_mode)) for f in files} == {f.name: "0o600" for f in files}


# ---- 7. valid files load; bad rows are rejected as rows; limits say so ----

@pytest.mark.parametrize("column, value, rule", [
    ("village_name", "布楞\n沟村", None), ("township_name", "高山\r\n乡", None), ("village_name", '布楞"沟"村', None),
    ("village_name", "布楞,沟村", None), ("village_code", "6229\n26001001", "code_format"),
    ("rural_population", "5\n00", "type"),
])
def test_rfc4180_quoted_cells_load(tmp_path, column, value, rule):
    folder = write_tiny_inputs(tmp_path / "in")
    data = [list(r) for r in VILLAGES]
    data[2][data[0].index(column)] = value  # 布楞沟村, line 3
    data[3][data[0].index("rural_population")] = "-1"  # 达板村: a reject on the line after the quoted newline
    write_csv(folder / "villages.csv", data)
    db = tmp_path / "w.duckdb"
    report = load(folder, db, progress=False)
    v = next(t for t in report.tables if t.table == "villages")
    newlines = value.count("\n")
    got = rows(db, "SELECT line, column_name, rule FROM etl_rejects WHERE table_name = 'villages' ORDER BY line")
    want = [(3, column, rule)] if rule else []
    assert got == want + [(4 + newlines, "rural_population", "positive")]
    assert (v.rows_in, v.rows_loaded, v.rows_rejected) == (3, 3 - len(got), len(got))
    if not rule:
        assert rows(db, f"SELECT {column} FROM dim_village WHERE village_code = '622926001001'") == [(value,)]


@pytest.mark.parametrize("quoted", [False, True])
def test_rows_with_too_many_or_too_few_fields_are_rejected_as_rows(tmp_path, quoted):
    folder = write_tiny_inputs(tmp_path / "in")
    data = household_rows("2019-06-30")
    data[2] = [*data[2], "extra"]  # H2, line 3: one extra trailing field
    data[3] = data[3][:-1]  # H3, line 4: as_of missing
    if quoted:
        data[4][3] = '马"秀"兰'  # a quote anywhere in the file
    write_csv(folder / "households_2019Q2.csv", data)
    db = tmp_path / "w.duckdb"
    report = load(folder, db, progress=False)
    hh = next(t for t in report.tables if t.file_name == "households_2019Q2.csv")
    assert (hh.rows_in, hh.rows_loaded, hh.rows_rejected) == (5, 3, 2)
    got = rows(db, "SELECT line, column_name, rule, value FROM etl_rejects WHERE file_name = 'households_2019Q2.csv' "
                   "ORDER BY line")
    assert got == [(3, "*", "field_count", "13"), (4, "*", "field_count", "11")]
    assert sorted(r[0] for r in rows(db, "SELECT household_id FROM fct_household_snapshot "
                                         "WHERE as_of = DATE '2019-06-30'")) == ["H1", "H4", "H5"]


@pytest.mark.parametrize("quoted", [False, True])
def test_huge_field_fails_with_a_clear_message(tiny_warehouse, writable_copy, tmp_path, quoted):
    db = writable_copy(tiny_warehouse)
    before = digest(db)
    data = household_rows("2019-06-30")
    data[3][7] = ('"' if quoted else "") + "产业" * 7_500_000  # 15 M characters on line 4
    folder = tmp_path / "big"
    folder.mkdir()
    write_csv(folder / "households_2019Q2_big.csv", data)
    with pytest.raises(LoadFailed) as exc:
        load(folder, db, progress=False)
    msg = str(exc.value)
    assert "households_2019Q2_big.csv" in msg and f"{paths.ETL_MAX_FIELD_CHARS}" in msg and "line 4" in msg
    assert "产业产业" not in msg and len(msg) < 2000
    assert_failed_cleanly(db, before, exc.value)


def test_million_column_header_fails_with_a_clear_message(tiny_warehouse, writable_copy, tmp_path):
    db = writable_copy(tiny_warehouse)
    before = digest(db)
    folder = tmp_path / "wide"
    folder.mkdir()
    header = VILLAGES[0] + [f"c{i}" for i in range(1_000_000)]
    write_csv(folder / "villages.csv", [header, VILLAGES[1]])
    with pytest.raises(LoadFailed) as exc:
        load(folder, db, progress=False)
    msg = str(exc.value)
    assert "villages.csv" in msg and f"{paths.ETL_MAX_COLUMNS}" in msg and "1,000,011" in msg
    assert_failed_cleanly(db, before, exc.value)


def test_loader_runs_under_a_memory_limit_with_a_private_temp_directory(tiny_inputs, tmp_path, monkeypatch):
    from etl import load as load_module

    seen = {}
    real_connect = load_module.connect_warehouse

    def spy(path, spill):
        con = real_connect(path, spill)
        seen["settings"] = con.execute("SELECT current_setting('memory_limit'), "
                                       "current_setting('temp_directory')").fetchall()[0]
        seen["spill_mode"] = stat.S_IMODE(Path(spill).parent.stat().st_mode)
        return con

    monkeypatch.setattr(paths, "ETL_MEMORY_LIMIT", "300MiB")
    monkeypatch.setattr(load_module, "connect_warehouse", spy)
    load(tiny_inputs, tmp_path / "w.duckdb", progress=False)
    limit, temp = seen["settings"]
    assert limit == "300.0 MiB" and temp.startswith(str(tmp_path / ".w.duckdb.loading-"))
    assert seen["spill_mode"] == 0o700
    assert not list(tmp_path.glob(".w.duckdb.loading-*"))  # spill folder removed with the work folder


def test_out_of_memory_ends_with_a_clear_message(tiny_warehouse, writable_copy, tmp_path, monkeypatch):
    db = writable_copy(tiny_warehouse)
    before = digest(db)
    monkeypatch.setattr(paths, "ETL_MEMORY_LIMIT", "2MiB")
    folder = tmp_path / "q"
    folder.mkdir()
    header, *data = household_rows("2019-12-31")
    write_csv(folder / "households_2019Q4_big.csv", [header] + [[f"X{i}", *data[0][1:]] for i in range(50_000)])
    with pytest.raises(LoadFailed, match="GANSU_ETL_MEMORY_LIMIT") as exc:
        load(folder, db, progress=False)
    assert_failed_cleanly(db, before, exc.value)


# ---- 8. no tracebacks, no personal data in messages ----

def broken_xlsx_files(tiny_inputs: Path, folder: Path) -> list[Path]:
    import pandas as pd

    from etl.demo import _write_xlsx

    good = folder / "good.xlsx"
    _write_xlsx(good, pd.read_csv(tiny_inputs / "households_2019Q2.csv", dtype=str, keep_default_na=False))
    with zipfile.ZipFile(good) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    out = []
    for i, change in enumerate([lambda x: x[: len(x) // 2], lambda x: x.replace(b"<row", b"<rox", 1),
                                lambda x: x.replace(b"</sheetData>", b""), lambda x: b"\x00" * 50]):
        path = folder / f"households_broken{i}.xlsx"
        with zipfile.ZipFile(path, "w") as z:
            for n, data in parts.items():
                z.writestr(n, change(data) if n == "xl/worksheets/sheet1.xml" else data)
        out.append(path)
    (folder / "households_notzip.xlsx").write_bytes(b"PK\x03\x04 not really a zip " + "马明".encode() * 10)
    out.append(folder / "households_notzip.xlsx")
    good.unlink()
    return out


def test_broken_xlsx_gives_a_message_not_a_traceback(tiny_inputs, tiny_warehouse, writable_copy, tmp_path):
    db = writable_copy(tiny_warehouse)
    before = digest(db)
    folder = tmp_path / "x"
    folder.mkdir()
    failed = 0
    for path in broken_xlsx_files(tiny_inputs, folder):
        single = tmp_path / path.stem
        single.mkdir()
        path.rename(single / path.name)
        db.write_bytes(Path(tiny_warehouse).read_bytes())
        try:
            report = load(single, db, progress=False)
        except LoadFailed as exc:
            failed += 1
            assert path.name in str(exc)
            assert_failed_cleanly(db, before, exc)
        else:  # a damaged sheet calamine can still read: loaded with every row accounted for
            assert all(t.rows_in == t.rows_loaded + t.rows_rejected for t in report.tables)
            db.write_bytes(Path(tiny_warehouse).read_bytes())
        run = subprocess.run([sys.executable, "-m", "etl", "load", str(single), "--db", str(db), "--quiet"],
                             capture_output=True, text=True, cwd=ROOT)
        assert "Traceback" not in run.stderr and run.returncode in (0, 1), run.stderr
    assert failed >= 3


def test_bad_db_paths_give_a_message_not_a_traceback(tiny_inputs, tmp_path):
    (tmp_path / "notes.txt").write_text("not a database", encoding="utf-8")
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()  # a DuckDB file, but not a warehouse
    for db in [tmp_path, tmp_path / "notes.txt" / "w.duckdb", tmp_path / "notes.txt", Path("/proc/w.duckdb"), other]:
        run = subprocess.run([sys.executable, "-m", "etl", "load", str(tiny_inputs), "--db", str(db), "--quiet"],
                             capture_output=True, text=True, cwd=ROOT)
        assert run.returncode == 1, (db, run.stdout, run.stderr)
        assert "Traceback" not in run.stderr and str(db) in run.stderr, run.stderr
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "not a database"


def test_no_personal_data_in_any_message(tiny_warehouse, writable_copy, tmp_path):
    db = writable_copy(tiny_warehouse)
    before = digest(db)
    hh = household_rows("2019-06-30")
    cases = {  # DuckDB's own messages for these quoted the row ("Original Line: H3,…,妥文,6229…")
        "long_field.csv": hh[:3] + [[*hh[3][:7], "x" * 3_000_000, *hh[3][8:]]] + hh[4:],
        "extra_field.csv": hh + [[*hh[1], "x", "y"]],
        "bad_utf8.csv": None,
    }
    for name, data in cases.items():
        folder = tmp_path / name.split(".")[0]
        folder.mkdir()
        if data is None:
            text = "\n".join(",".join(map(str, r)) for r in household_rows("2019-06-30"))
            (folder / f"households_2019Q2_{name}").write_bytes(text.encode("utf-8") + b"\xff\xfe\x80 " + text.encode())
        else:
            write_csv(folder / f"households_2019Q2_{name}", data)
        run = subprocess.run([sys.executable, "-m", "etl", "load", str(folder), "--db", str(db)],
                             capture_output=True, text=True, cwd=ROOT)
        assert no_personal_data(run.stdout + run.stderr), run.stdout + run.stderr
        assert "Traceback" not in run.stderr
        db.write_bytes(Path(tiny_warehouse).read_bytes())
    assert digest(db) == before


def test_other_schema_version_is_refused_with_what_to_do(tiny_inputs, tiny_warehouse, writable_copy, tmp_path):
    db = writable_copy(tiny_warehouse)
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    before = digest(db)
    folder = tmp_path / "q"
    folder.mkdir()
    data = household_rows("2019-06-30")
    data[2][2] = 7
    write_csv(folder / "households_2019Q2_fix.csv", data)
    with pytest.raises(LoadFailed, match=f"schema_version 0, this ETL writes {SCHEMA_VERSION}") as exc:
        load(folder, db, progress=False)
    assert "new --db" in str(exc.value)
    # the command that rebuilds it, ready to paste
    new_db = db.with_name(f"warehouse.v{SCHEMA_VERSION}.duckdb")
    assert f"python -m etl load <输入目录 input folder> --db {new_db} && mv {new_db} {db}" in str(exc.value)
    assert_failed_cleanly(db, before, exc.value)


@pytest.mark.parametrize("value, rule", [("6229261980O101123X", "id_format"), ("马明", "id_format"),
                                         ("６２２９２６19800101123", "id_format")])  # full-width digits normalised
def test_id_number_with_letters_is_a_rejected_row_not_a_failed_load(tmp_path, value, rule):
    """Found by the fuzz test: the check-digit SQL cast every character, before the format check guarding it."""
    folder = write_tiny_inputs(tmp_path / "in")
    data = household_rows("2019-06-30")
    data[1][4] = value
    write_csv(folder / "households_2019Q2.csv", data)
    db = tmp_path / "w.duckdb"
    report = load(folder, db, progress=False)
    hh = next(t for t in report.tables if t.file_name == "households_2019Q2.csv")
    assert (hh.rows_in, hh.rows_loaded, hh.rows_rejected) == (5, 4, 1)
    assert rows(db, "SELECT line, rule FROM etl_rejects WHERE file_name = 'households_2019Q2.csv'") == [(2, rule)]
