"""Read an input file (CSV in UTF-8/UTF-8-BOM/GB18030, or XLSX) into a DuckDB staging table of text columns.

Every staged row keeps its line number in the file (`_line`) and, for CSV, its number of fields (`_fields`),
so a rejected row can be found again. Title rows above the header are found and skipped; which table a file
holds is decided by its header. Headers are mapped to the contract's column names in Python, before any SQL
is built: no text from a file (header, cell, sheet or file name) ever becomes SQL. Staging tables are built
from Arrow arrays, or read by DuckDB from a fixed file name in a private folder (the path is a parameter).
"""

import csv
import io
import itertools
import os
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from etl import paths
from etl.contract import TABLES, Table, ident, match_headers

HEADER_SEARCH_ROWS = 15


class InputError(Exception):
    """A file that cannot be loaded at all. The message says which file and what to do."""


@dataclass
class Staged:
    table: Table
    relation: str  # temp table with `_line`, `_fields` + canonical text columns
    file_name: str
    rows_in: int
    blank_lines: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    sheet: str | None = None
    fields: tuple[int, int] | None = None  # CSV: a row has at least / at most this many fields


def shown(text, limit: int = 100) -> str:
    """Text from a file as it may be printed: control characters replaced, at most `limit` characters."""
    s = "".join("?" if unicodedata.category(ch)[0] == "C" else ch for ch in str(text))
    return s if len(s) <= limit else s[: limit - 1] + "…"


def detect_table(headers: list[str]) -> tuple[Table, dict[int, str]] | None:
    """The contract table whose required columns this header row has (most matched columns wins)."""
    best = None
    for table in TABLES.values():
        found = match_headers(table, headers)
        required = {c.name for c in table.columns if c.required}
        if required <= set(found.values()):
            if best is None or len(found) > len(best[1]):
                best = (table, found)
    return best


def _find_header(rows: list[list[str]], file_name: str) -> tuple[int, Table, dict[int, str]]:
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        hit = detect_table([str(c) if c is not None else "" for c in row])
        if hit:
            return i, *hit
    raise InputError(
        f"{file_name}: 在前{HEADER_SEARCH_ROWS}行中找不到表头 (no header row in the first {HEADER_SEARCH_ROWS} rows). "
        "表头须包含县/村/户/县年度目标表的必填列，例如 county_code/县代码、village_code/村代码、household_id/户编号；"
        "see SPEC §4 for the column names."
    )


def _too_wide(file_name: str, line: int, n: int) -> InputError:
    return InputError(
        f"{file_name}: 第{line}行有 {n:,} 列，超过上限 {paths.ETL_MAX_COLUMNS} 列 (line {line} has {n:,} fields; "
        f"at most {paths.ETL_MAX_COLUMNS} columns are accepted, GANSU_ETL_MAX_COLUMNS). 请删除多余的列后重新导入.")


def _too_long(file_name: str, line: int) -> InputError:
    return InputError(
        f"{file_name}: 第{line}行有一个单元格超过 {paths.ETL_MAX_FIELD_CHARS} 个字符 (line {line}: a field longer "
        f"than {paths.ETL_MAX_FIELD_CHARS} characters, GANSU_ETL_MAX_FIELD_CHARS); 请检查该行是否缺少引号或粘贴了大段文字.")


def _utf8(raw: bytes, file_name: str) -> tuple[bytes, bool]:
    """The file as UTF-8 bytes (a BOM kept), and whether it had to be transcoded from GB18030."""
    try:
        raw.decode("utf-8")
        return raw, False
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030").encode("utf-8"), True
    except UnicodeDecodeError:
        raise InputError(f"{file_name}: 无法识别的文件编码 (not UTF-8 or GB18030); 请另存为 UTF-8 CSV 或 XLSX.") from None


def _header_info(headers: list[str], positions: dict[int, str]) -> tuple[list[str], tuple[int, int]]:
    ignored = [shown(h) for i, h in enumerate(headers) if i not in positions and str(h or "").strip()]
    named = max((i for i, h in enumerate(headers) if str(h or "").strip()), default=0) + 1
    return ignored, (named, len(headers))


def _materialize(con: duckdb.DuckDBPyConnection, relation: str, arrow_table: pa.Table) -> None:
    con.register("_stage_arrow", arrow_table)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {relation} AS SELECT * FROM _stage_arrow")
    finally:
        con.unregister("_stage_arrow")


def _staged_arrow(table: Table, lines, fields, columns: dict[str, list]) -> pa.Table:
    n = len(lines)
    arrays = {"_line": pa.array(lines, pa.int64()), "_fields": pa.array(fields, pa.int32())}
    for name in table.column_names:
        arrays[name] = pa.array(columns[name], pa.string()) if name in columns else pa.nulls(n, pa.string())
    return pa.table(arrays)


def _check_field_sizes(arrow_table: pa.Table, table: Table, file_name: str) -> None:
    for name in table.column_names:
        lengths = pc.utf8_length(arrow_table[name])
        too_long = pc.greater(lengths, paths.ETL_MAX_FIELD_CHARS)
        if pc.any(too_long).as_py():
            first = pc.index(too_long, True).as_py()
            raise _too_long(file_name, arrow_table["_line"][first].as_py())


# ---- CSV ----

def _scan_lines(data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per physical line of a file without quotes: length without the line end, fields, bytes of field 1."""
    a = np.frombuffer(data, np.uint8)
    nl = np.flatnonzero(a == 10)
    ends = nl if data.endswith(b"\n") else np.append(nl, len(data))
    starts = np.concatenate(([0], nl + 1))[: len(ends)]
    cr = np.zeros(len(ends), bool)
    nonempty = ends > starts
    cr[nonempty] = a[ends[nonempty] - 1] == 13
    ends = ends - cr
    commas = np.flatnonzero(a == 44)
    first = np.searchsorted(commas, starts)
    fields = np.searchsorted(commas, ends) - first + 1
    comma1 = np.append(commas, len(data))[first]
    return ends - starts, fields, np.minimum(comma1, ends) - starts


def _stage_plain(con, data: bytes, source: Path, relation: str, file_name: str):
    """A CSV without quotes: DuckDB reads it; line numbers and field counts come from a scan of the bytes.
    Returns None when DuckDB's rows do not line up with the scan (the exact reader takes over)."""
    length, fields, first_len = _scan_lines(data)
    if len(length) and length.max() > paths.ETL_MAX_FIELD_CHARS:
        return None  # a long line: the exact reader says whether a field is too long
    if len(fields) and fields.max() > paths.ETL_MAX_COLUMNS:
        line = int(np.argmax(fields > paths.ETL_MAX_COLUMNS)) + 1
        raise _too_wide(file_name, line, int(fields[line - 1]))
    end = 0
    for _ in range(HEADER_SEARCH_ROWS):
        end = data.find(b"\n", end) + 1 or len(data)
    head_text = data[:end].decode("utf-8-sig")
    head_rows = list(csv.reader(io.StringIO(head_text, newline="")))
    header_idx, table, positions = _find_header(head_rows, file_name)
    headers = head_rows[header_idx]
    body = np.arange(header_idx + 1, len(length))
    kept = body[length[body] > 0]
    trailing = body[body > (kept[-1] if len(kept) else header_idx)]
    blank = len(body) - len(kept) - len(trailing)
    lines_table = pa.table({"_line": pa.array(kept + 1, pa.int64()), "_fields": pa.array(fields[kept], pa.int32()),
                            "_len1": pa.array(first_len[kept], pa.int64())})
    width = int(fields.max()) if len(fields) else 1
    picked = {name: pos for pos, name in positions.items()}
    cols = ", ".join(f"NULLIF(r.c{picked[c]}, '') AS {ident(c)}" if c in picked else f"NULL::VARCHAR AS {ident(c)}"
                     for c in table.column_names)
    con.register("_stage_lines", lines_table)
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {relation} AS SELECT l._line, l._fields, {cols}, "
            "coalesce(strlen(r.c0), 0) = l._len1 AND r._r AS _aligned "
            "FROM (SELECT *, true AS _r FROM read_csv(?, header=false, skip=?, columns=?, delim=',', quote='', "
            "escape='', new_line='\\n', null_padding=true, strict_mode=false, auto_detect=false)) r "
            "POSITIONAL JOIN _stage_lines l",
            [str(source), header_idx + 1, {f"c{i}": "VARCHAR" for i in range(width)}],
        )
    finally:
        con.unregister("_stage_lines")
    total, numbered, aligned = con.execute(
        f"SELECT count(*), count(_line), count_if(_aligned) FROM {relation}").fetchall()[0]
    if not total == numbered == aligned == len(kept):
        con.execute(f"DROP TABLE {relation}")
        return None
    con.execute(f"ALTER TABLE {relation} DROP COLUMN _aligned")
    ignored, expected = _header_info(headers, positions)
    return Staged(table, relation, file_name, len(kept), blank, ignored, fields=expected)


def _records(text: str, file_name: str):
    """(first line, fields) of every CSV record, RFC 4180 (quoted commas, quotes and newlines); [] for a blank line."""
    csv.field_size_limit(paths.ETL_MAX_FIELD_CHARS)
    reader = csv.reader(io.StringIO(text, newline=""))
    done = 0
    try:
        for row in reader:
            start, done = done + 1, reader.line_num
            if len(row) > paths.ETL_MAX_COLUMNS:
                raise _too_wide(file_name, start, len(row))
            yield start, row
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise _too_long(file_name, done + 1) from None
        raise InputError(f"{file_name}: 第{done + 1}行 CSV 无法解析 (line {done + 1}: cannot parse CSV: {exc}); "
                         "请另存为标准 CSV (UTF-8).") from None


def _stage_exact(con, text: str, relation: str, file_name: str) -> Staged:
    """Any CSV, read with Python's csv module: exact first line of every record, quoted newlines included."""
    if text.startswith("\ufeff"):
        text = text[1:]
    records = _records(text, file_name)
    head = list(itertools.islice(records, HEADER_SEARCH_ROWS))
    header_idx, table, positions = _find_header([r for _, r in head], file_name)
    headers = head[header_idx][1]
    lines, fields = [], []
    columns: dict[str, list] = {name: [] for name in positions.values()}
    picks = [(pos, columns[name]) for pos, name in positions.items()]
    blank = pending = 0
    for start, row in itertools.chain(head[header_idx + 1 :], records):
        if not row:
            pending += 1
            continue
        blank, pending = blank + pending, 0
        n = len(row)
        lines.append(start)
        fields.append(n)
        for pos, values in picks:
            values.append((row[pos] or None) if pos < n else None)
    _materialize(con, relation, _staged_arrow(table, lines, fields, columns))
    ignored, expected = _header_info(headers, positions)
    return Staged(table, relation, file_name, len(lines), blank, ignored, fields=expected)


def stage_csv(con: duckdb.DuckDBPyConnection, path: Path, relation: str) -> Staged:
    raw = path.read_bytes()
    data, transcoded = _utf8(raw, path.name)
    del raw
    if b'"' not in data and data.count(b"\r") == data.count(b"\r\n"):
        # the fast path: DuckDB reads a fixed name in a private folder (a symlink, or the UTF-8 copy)
        with tempfile.TemporaryDirectory(prefix="gansu-etl-", dir=paths.ETL_TEMP_DIR) as folder:
            source = Path(folder) / "input.csv"
            if transcoded:
                source.write_bytes(data)
            else:
                os.symlink(path.resolve(), source)
            try:
                staged = _stage_plain(con, data, source, relation, path.name)
            except duckdb.OutOfMemoryException:
                raise
            except duckdb.Error:
                staged = None  # DuckDB's message may quote the row: never shown; the exact reader decides
        if staged is not None:
            return staged
    return _stage_exact(con, data.decode("utf-8"), relation, path.name)


# ---- XLSX ----

def _cell_text(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def stage_xlsx(con: duckdb.DuckDBPyConnection, path: Path, relation_prefix: str) -> list[Staged]:
    try:
        return _stage_xlsx(con, path, relation_prefix)
    except (InputError, duckdb.Error):
        raise
    except Exception as exc:  # calamine raises its own error types (damaged zip, sheet XML, ...)
        raise InputError(f"{path.name}: XLSX 无法读取，文件已损坏或不是 XLSX (cannot read the workbook: damaged or not an "
                         f"XLSX file, {type(exc).__name__}); 请用 Excel 打开后另存为 .xlsx 或 CSV UTF-8.") from None


def _stage_xlsx(con: duckdb.DuckDBPyConnection, path: Path, relation_prefix: str) -> list[Staged]:
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    staged = []
    for n, sheet_name in enumerate(workbook.sheet_names):
        label = f"{path.name} [{shown(sheet_name)}]"
        sheet = workbook.get_sheet_by_name(sheet_name)
        if sheet.total_width > paths.ETL_MAX_COLUMNS:
            raise _too_wide(label, 1, sheet.total_width)
        rows = sheet.to_python(skip_empty_area=False)
        if not any(any(c not in (None, "") for c in r) for r in rows[:HEADER_SEARCH_ROWS]):
            continue
        text_rows = [[_cell_text(c) for c in r] for r in rows]
        header_idx, table, positions = _find_header([[c or "" for c in r] for r in text_rows], label)
        body = [(header_idx + 2 + i, r) for i, r in enumerate(text_rows[header_idx + 1 :])]
        kept = [(line, r) for line, r in body if any(c not in (None, "") for c in r)]
        while body and not any(c not in (None, "") for c in body[-1][1]):
            body.pop()
        columns = {name: [(r[pos] if pos < len(r) else None) for _, r in kept] for pos, name in positions.items()}
        arrow_table = _staged_arrow(table, [line for line, _ in kept], [None] * len(kept), columns)
        _check_field_sizes(arrow_table, table, label)
        relation = f"{relation_prefix}_{n}"
        _materialize(con, relation, arrow_table)
        ignored, _ = _header_info([h or "" for h in text_rows[header_idx]], positions)
        staged.append(Staged(table, relation, path.name, len(kept), len(body) - len(kept), ignored,
                             shown(sheet_name)))
    if not staged:
        raise InputError(f"{path.name}: 工作簿中没有数据表 (no sheet with data).")
    return staged


def peek_tables(path: Path) -> list[str]:
    """Which contract tables a file holds, from its first rows only (to load files in dependency order)."""
    try:
        if path.suffix.lower() == ".csv":
            with path.open("rb") as f:
                head = f.read(1 << 16)
            text = head.decode("utf-8-sig", errors="ignore") if head.startswith(b"\xef\xbb\xbf") else None
            if text is None:
                try:
                    text = head.decode("utf-8")
                except UnicodeDecodeError as exc:
                    text = head.decode("utf-8", errors="ignore") if exc.start > len(head) - 4 else \
                        head.decode("gb18030", errors="ignore")
            rows = list(itertools.islice(csv.reader(io.StringIO(text, newline="")), HEADER_SEARCH_ROWS))
            return [_find_header(rows, path.name)[1].name]
        from python_calamine import CalamineWorkbook

        workbook = CalamineWorkbook.from_path(str(path))
        found = []
        for name in workbook.sheet_names:
            rows = workbook.get_sheet_by_name(name).to_python(nrows=HEADER_SEARCH_ROWS)
            for r in rows:
                hit = detect_table([_cell_text(c) or "" for c in r])
                if hit:
                    found.append(hit[0].name)
                    break
        return found
    except Exception:  # an unreadable file fails later, in stage_file, with its own message
        return []


def stage_file(con: duckdb.DuckDBPyConnection, path: Path, relation_prefix: str) -> list[Staged]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return [stage_csv(con, path, relation_prefix)]
    if suffix in (".xlsx", ".xlsm"):
        return stage_xlsx(con, path, relation_prefix)
    raise InputError(f"{path.name}: 不支持的文件类型 {suffix} (only .csv and .xlsx are accepted).")
