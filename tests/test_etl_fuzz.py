"""Property-based fuzzing of `etl load` (issue #10 item 11), with hypothesis.

Small valid input files (the tiny dataset) are mutated: encodings, truncation, binary junk, quotes and newlines,
huge fields, too many columns, wrong/duplicate headers, extra/missing fields, empty files, XLSX that is damaged or
not a zip. Each is loaded into a copy of a warehouse. Whatever the file, the load either
  - succeeds, with rows in = loaded + rejected in the report, in etl_load_files and in the warehouse itself
    (the loaded rows are in the facts, the rejected lines in etl_rejects: no row lost), and rows in equal to the
    records Python's csv module counts under the header; or
  - fails with LoadFailed only (never another exception, i.e. never a traceback from the CLI), the warehouse
    byte-identical, no work files left, and no name or ID number from the files in the message;
and a valid file (RFC 4180 as csv.writer writes it, quoted newlines and all, header intact) is never refused.
CI runs GANSU_FUZZ_EXAMPLES (default 250) derandomized cases; `scripts/fuzz_etl.py` runs a longer random one.
"""

import csv
import hashlib
import io
import os
import shutil
import sys
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path

import duckdb
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.load import LoadFailed, load
from tests.fixtures import COUNTIES, HOUSEHOLDS, TARGETS, VILLAGES, household_rows, write_tiny_inputs

FILES = {
    "counties.csv": COUNTIES,
    "villages.csv": VILLAGES,
    "county_targets.csv": TARGETS,
    "households_2019Q2.csv": household_rows("2019-06-30"),
    "households_2019Q4.csv": household_rows("2019-12-31", with_bad_row=True),
}
PERSONAL = [h[3] for h in HOUSEHOLDS] + [h[4][:17] for h in HOUSEHOLDS]
FACTS = {"counties": "dim_county", "villages": "dim_village", "county_targets": "fct_county_target",
         "households": "fct_household_snapshot"}
TOKENS = [b"x" * 2_100_000, b'"', b'""', b"\n", b"\r", b"\r\n", b",", b",,", b"\x00", b"\xef\xbb\xbf", b"\xff", b"\xe9\x80",
          "合计".encode(), '"甲\n乙"'.encode(), b'"a""b"', b" ", "　".encode(), b"x" * 40_000, b"," * 1_200,
          b"=HYPERLINK(\"x\")", "６２２９２６".encode(), b"'", b"\\", b"\x1b[31m"]
CELLS = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", "合计", "622926001001", "622926", "2019", "是", "已脱贫", "2019-06-30", "-1", "1e9",
                     "产业、兜底", '" || (SELECT 1) || "', "x'); DROP TABLE dim_county; --", "a\nb", '"', "９９"]),
)
HEADER_TEXT = st.one_of(
    st.text(max_size=15),
    st.sampled_from(["village_name[\" || (SELECT min(head_id_number) FROM fct_household_snapshot) || \"zz]",
                     "备注'\"", "village_code", "村代码", "county_code", "县代码（必填）*", "household_id", ""]),
)


def csv_bytes(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(rows) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
    book.set_properties({"created": datetime(2020, 1, 1)})  # the same bytes every time (hypothesis replays cases)
    sheet = book.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write_string(r, c, str(value))
    book.close()
    return out.getvalue()


@st.composite
def cases(draw):
    """(file name, bytes, the original header when the file is a CSV whose header line is untouched)."""
    name = draw(st.sampled_from(sorted(FILES)))
    rows = [[str(c) for c in r] for r in FILES[name]]
    header_intact = True
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(["drop_row", "dup_row", "extra_field", "drop_field", "set_cell", "blank_row",
                                   "header_text", "dup_header", "swap_cols"]))
        if len(rows) < 2:
            break
        i = draw(st.integers(1, len(rows) - 1))
        if op == "drop_row" and len(rows) > 1:
            rows.pop(i)
        elif op == "dup_row":
            rows.insert(i, list(rows[i]))
        elif op == "extra_field":
            rows[i].append(draw(CELLS))
        elif op == "drop_field" and rows[i]:
            rows[i].pop(draw(st.integers(0, len(rows[i]) - 1)))
        elif op == "set_cell" and rows[i]:
            rows[i][draw(st.integers(0, len(rows[i]) - 1))] = draw(CELLS)
        elif op == "blank_row":
            rows.insert(i, [])
        elif op in ("header_text", "dup_header", "swap_cols"):
            header_intact = False
            j = draw(st.integers(0, len(rows[0]) - 1))
            k = draw(st.integers(0, len(rows[0]) - 1))
            if op == "header_text":
                rows[0][j] = draw(HEADER_TEXT)
            elif op == "dup_header":
                rows[0][j] = rows[0][k]
            else:
                for r in rows:
                    if max(j, k) < len(r):
                        r[j], r[k] = r[k], r[j]
    kind = draw(st.sampled_from(["csv"] * 8 + ["xlsx", "xlsx_damaged", "xlsx_bad_xml", "not_xlsx", "empty"]))
    if kind == "empty":
        return name, b"", None, False
    if kind == "not_xlsx":
        return name.replace(".csv", ".xlsx"), draw(st.sampled_from([b"PK\x03\x04", b""])) + draw(
            st.binary(max_size=200)), None, False
    if kind.startswith("xlsx"):
        data = xlsx_bytes(rows)
        if kind == "xlsx_damaged":
            at = draw(st.integers(0, len(data) - 1))
            data = draw(st.sampled_from([data[:at], data[:at] + draw(st.binary(min_size=1, max_size=64)) + data[at:],
                                         data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]]))
        elif kind == "xlsx_bad_xml":  # a sound zip holding broken sheet XML
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                parts = {n: z.read(n) for n in z.namelist()}
            sheet = parts["xl/worksheets/sheet1.xml"]
            at = draw(st.integers(0, len(sheet)))
            parts["xl/worksheets/sheet1.xml"] = sheet[:at] + draw(st.sampled_from([b"", b"<", b"</row>", b"\x00"]))
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w") as z:
                for n, part in parts.items():
                    z.writestr(n, part)
            data = out.getvalue()
        return name.replace(".csv", ".xlsx"), data, None, False
    data = csv_bytes(rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "gb18030"]))
    if encoding != "utf-8":
        data = data.decode("utf-8").encode(encoding)
    byte_ops = draw(st.integers(0, 3))
    for _ in range(byte_ops):
        op = draw(st.sampled_from(["token", "token", "junk", "delete", "truncate"]))
        at = draw(st.integers(0, len(data)))
        if op == "token":
            data = data[:at] + draw(st.sampled_from(TOKENS)) + data[at:]
        elif op == "junk":
            data = data[:at] + draw(st.binary(min_size=1, max_size=32)) + data[at:]
        elif op == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 40)):]
        else:
            data = data[:at]
    # a valid file: RFC 4180 as csv.writer wrote it, header untouched (cells may break rules: rows get rejected)
    return name, data, rows[0] if header_intact else None, header_intact and byte_ops == 0


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def records_under_header(data: bytes, header: list[str]) -> int | None:
    """Oracle: non-empty CSV records after line 1, when line 1 is still exactly the original header."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        return None
    csv.field_size_limit(sys.maxsize)
    records = list(csv.reader(io.StringIO(text, newline="")))
    if not records or records[0] != header:
        return None
    return sum(1 for r in records[1:] if r)


def check_case(case, base_db: Path, work: Path) -> dict:
    """Load one mutated file into a copy of `base_db`; assert the properties; return what happened."""
    name, data, header, valid = case
    folder = work / "in"
    folder.mkdir()
    (folder / name).write_bytes(data)
    db = work / "warehouse.duckdb"
    shutil.copyfile(base_db, db)
    before = digest(db)
    try:
        report = load(folder, db, progress=False)
    except LoadFailed as exc:
        msg = str(exc)
        assert digest(db) == before, "a failed load changed the warehouse"
        assert not list(work.glob(".warehouse.duckdb.loading-*")), "work files left behind"
        assert "Traceback" not in msg and not any(p in msg for p in PERSONAL), msg
        assert "rows in" not in msg, msg  # the accounting check of load.py never fires
        assert not valid, f"a valid file was refused: {msg}"
        return {"outcome": "refused"}
    if report.status == "unchanged":
        return {"outcome": "unchanged"}
    for t in report.tables:
        assert t.rows_in == t.rows_loaded + t.rows_rejected, t.line()
    lid = report.load_id
    with duckdb.connect(str(db), read_only=True) as con:
        files = con.execute("SELECT table_name, sum(rows_in), sum(rows_loaded), sum(rows_rejected) FROM etl_load_files "
                            "WHERE load_id = ? GROUP BY 1", [lid]).fetchall()
        assert files, "a load with no file recorded"
        lost = 0
        for table, rows_in, loaded, rejected in files:
            assert rows_in == loaded + rejected
            in_facts = con.execute(f"SELECT count(*) FROM {FACTS[table]} WHERE load_id = ?", [lid]).fetchall()[0][0]
            rejected_lines = con.execute("SELECT count(DISTINCT line) FROM etl_rejects WHERE load_id = ? "
                                         "AND table_name = ?", [lid, table]).fetchall()[0][0]
            assert rejected_lines == rejected, (table, rejected_lines, rejected)
            lost += loaded - in_facts
        assert lost == 0, f"{lost} loaded rows are not in the warehouse"
    rows_in = sum(t.rows_in for t in report.tables)
    if header is not None and name.endswith(".csv"):
        expected = records_under_header(data, header)
        if expected is not None:
            assert rows_in == expected, (rows_in, expected)
    return {"outcome": "loaded", "rows_in": rows_in, "rows_loaded": sum(t.rows_loaded for t in report.tables),
            "rows_rejected": sum(t.rows_rejected for t in report.tables)}


def base_warehouse(folder: Path) -> Path:
    inputs = write_tiny_inputs(folder / "inputs")
    db = folder / "base.duckdb"
    load(inputs, db, progress=False)
    return db


def run_case(case, base_db: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="gansu-fuzz-") as work:
        return check_case(case, base_db, Path(work))


EXAMPLES = int(os.environ.get("GANSU_FUZZ_EXAMPLES", "250"))


def test_fuzzed_inputs_never_break_the_load(tmp_path_factory):
    base_db = base_warehouse(tmp_path_factory.mktemp("fuzz"))
    seen = {"refused": 0, "loaded": 0, "unchanged": 0}

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
    @given(case=cases())
    def prop(case):
        seen[run_case(case, base_db)["outcome"]] += 1

    prop()
    print(f"fuzz: {sum(seen.values())} cases: {seen}")
    assert seen["loaded"] > EXAMPLES // 4 and seen["refused"] > EXAMPLES // 20  # both sides were exercised
