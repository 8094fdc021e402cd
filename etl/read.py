"""Read an input file (CSV in UTF-8/UTF-8-BOM/GB18030, or XLSX) into a DuckDB staging table of text columns.

Every staged row keeps its line number in the file (`_line`), so a rejected row can be found again.
Title rows above the header are found and skipped; which table a file holds is decided by its header.
"""

import csv
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import duckdb
import pyarrow as pa

from etl.contract import TABLES, Table, match_headers

HEADER_SEARCH_ROWS = 15


class InputError(Exception):
    """A file that cannot be loaded at all. The message says which file and what to do."""


@dataclass
class Staged:
    table: Table
    relation: str  # temp table with `_line` + canonical text columns
    file_name: str
    rows_in: int
    blank_lines: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    sheet: str | None = None


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


def _decode(raw: bytes, file_name: str) -> tuple[str, str]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise InputError(f"{file_name}: 无法识别的文件编码 (not UTF-8 or GB18030); 请另存为 UTF-8 CSV 或 XLSX.")


def _unique_names(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for h in headers:
        base = h or "column"
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base}_{seen[base]}")
    return names


def _head_text(raw: bytes) -> str:
    """The first 64 KB as text, for finding the header (a cut multi-byte character at the end is dropped)."""
    head = raw[: 1 << 16]
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return head.decode(encoding)
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 4:  # cut in the middle of the last character
                return head[: exc.start].decode(encoding)
    raise InputError("无法识别的文件编码 (not UTF-8 or GB18030); 请另存为 UTF-8 CSV 或 XLSX.")


def stage_csv(con: duckdb.DuckDBPyConnection, path: Path, relation: str) -> Staged:
    raw = path.read_bytes()
    try:
        head_rows = list(csv.reader(_head_text(raw).splitlines()[:HEADER_SEARCH_ROWS]))
    except InputError as exc:
        raise InputError(f"{path.name}: {exc}") from exc
    header_idx, table, positions = _find_header(head_rows, path.name)
    headers = head_rows[header_idx]
    names = _unique_names(headers)
    columns = ", ".join(f"NULLIF(\"{names[i]}\", '') AS {name}" for i, name in positions.items())
    columns += "".join(f", NULL::VARCHAR AS {c}" for c in table.column_names if c not in positions.values())

    def read(source: Path) -> None:
        reader = (f"read_csv('{source}', skip={header_idx}, header=true, all_varchar=true, null_padding=true, "
                  f"delim=',', quote='\"', escape='\"', names={names!r}, strict_mode=false)")
        con.execute(f"CREATE OR REPLACE TEMP TABLE {relation} AS "
                    f"SELECT CAST(row_number() OVER () AS BIGINT) + {header_idx + 1} AS _line, {columns} FROM {reader}")

    text = None
    try:
        try:
            read(path)  # DuckDB reads UTF-8 (with or without BOM) itself, and says when a file is not UTF-8
        except duckdb.InvalidInputException as exc:
            if "unicode" not in str(exc).lower():
                raise
            text = _decode(raw, path.name)[0]  # GB18030: transcode to a temporary UTF-8 copy
            with tempfile.NamedTemporaryFile("w", suffix=".csv", encoding="utf-8", delete=False) as tmp:
                tmp.write(text)
            try:
                read(Path(tmp.name))
            finally:
                Path(tmp.name).unlink(missing_ok=True)
    except duckdb.Error as exc:
        raise InputError(f"{path.name}: CSV 无法解析 (cannot parse CSV): {exc}") from exc
    # The CSV reader skips blank lines; map row numbers back to file lines only when there are any.
    blank = 0
    if b"\n\n" in raw or b"\n\r\n" in raw:
        body = (text if text is not None else raw.decode("utf-8-sig", errors="replace")).split("\n")[header_idx + 1 :]
        while body and not body[-1].strip("\r"):
            body.pop()
        line_numbers = [header_idx + 2 + i for i, line in enumerate(body) if line.strip("\r")]
        blank = len(body) - len(line_numbers)
        if blank:
            con.execute(f"UPDATE {relation} SET _line = ($1)[_line - {header_idx + 1}]", [line_numbers])
    rows_in = con.execute(f"SELECT count(*) FROM {relation}").fetchall()[0][0]
    ignored = [h for i, h in enumerate(headers) if i not in positions and h.strip()]
    return Staged(table, relation, path.name, rows_in, blank, ignored)


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
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types
        raise InputError(f"{path.name}: XLSX 无法打开 (cannot open workbook): {exc}") from exc
    staged = []
    for n, sheet_name in enumerate(workbook.sheet_names):
        rows = workbook.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
        if not any(any(c not in (None, "") for c in r) for r in rows[:HEADER_SEARCH_ROWS]):
            continue
        text_rows = [[_cell_text(c) for c in r] for r in rows]
        header_idx, table, positions = _find_header(
            [[c or "" for c in r] for r in text_rows], f"{path.name} [{sheet_name}]"
        )
        body = [(header_idx + 2 + i, r) for i, r in enumerate(text_rows[header_idx + 1 :])]
        kept = [(line, r) for line, r in body if any(c not in (None, "") for c in r)]
        while body and not any(c not in (None, "") for c in body[-1][1]):
            body.pop()
        arrays = {"_line": pa.array([line for line, _ in kept], pa.int64())}
        for name in table.column_names:
            pos = next((i for i, c in positions.items() if c == name), None)
            arrays[name] = pa.array(
                [(r[pos] if pos is not None and pos < len(r) else None) for _, r in kept], pa.string()
            )
        relation = f"{relation_prefix}_{n}"
        arrow_table = pa.table(arrays)
        con.register("_xlsx_arrow", arrow_table)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {relation} AS SELECT * FROM _xlsx_arrow")
        con.unregister("_xlsx_arrow")
        headers = text_rows[header_idx]
        ignored = [h for i, h in enumerate(headers) if i not in positions and h]
        staged.append(
            Staged(table, relation, path.name, len(kept), len(body) - len(kept), ignored, sheet_name)
        )
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
            rows = list(csv.reader(text.splitlines()[:HEADER_SEARCH_ROWS]))
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
