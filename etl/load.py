"""Load a folder (or one file) of contract tables into the warehouse, all or nothing.

The load works on a copy of the warehouse and swaps it in with os.replace only when everything succeeded,
so a failed or killed load leaves the warehouse exactly as it was and readers never see half a load.
Files already loaded (same SHA-256) are skipped: loading the same file twice changes nothing.
The copy lives in a private folder (0700) next to the warehouse, with DuckDB's spill files; the new warehouse
keeps the mode the old one had (0600 when new). Messages never quote DuckDB's text of a row or a value.
"""

import fcntl
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
from tqdm import tqdm

from etl import paths
from etl.contract import LOAD_ORDER, PATHWAYS, REPORTED_LEVEL, TABLES, TARGET_PROGRESS, Table
from etl.marts import build_marts
from etl.read import InputError, Staged, peek_tables, stage_file
from etl.validate import (
    DUPLICATE_ID_MESSAGE,
    PATHWAY_NAMES,
    PATHWAY_SPLIT,
    county_sql,
    install_macros,
    reject_sql,
    typed_name,
    typed_select,
    warn_sql,
)

SCHEMA_VERSION = "3"  # 2: etl_warnings; 3: etl_rejects.county_code, ref_plan_targets, target_progress
DEMO_MANIFEST = "DEMO.json"
UNCHANGED = "导入未执行，数据库保持不变 (nothing was loaded; the warehouse is unchanged)."


class LoadFailed(Exception):
    """The load did not happen; the warehouse is unchanged. The message says why and what to do."""


@dataclass
class TableReport:
    file_name: str
    table: str
    rows_in: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    status: str = "loaded"
    blank_lines: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    rejects_by_rule: dict[str, int] = field(default_factory=dict)
    rows_warned: int = 0  # loaded rows with at least one warning (etl_warnings)
    warnings_by_rule: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        if self.status == "unchanged":
            return f"{self.file_name:<36} {self.table:<15} unchanged (already loaded, same SHA-256)"
        ok = "ok" if self.rows_in == self.rows_loaded + self.rows_rejected else "MISMATCH"
        text = (f"{self.file_name:<36} {self.table:<15} rows in {self.rows_in:>9,} = loaded {self.rows_loaded:>9,}"
                f" + rejected {self.rows_rejected:>7,}  [{ok}]")
        if self.rejects_by_rule:
            text += "  rejects: " + ", ".join(f"{k} {v}" for k, v in sorted(self.rejects_by_rule.items()))
        if self.warnings_by_rule:
            text += (f"  loaded with warnings {self.rows_warned:,}: "
                     + ", ".join(f"{k} {v}" for k, v in sorted(self.warnings_by_rule.items())))
        if self.blank_lines:
            text += f"  (blank lines skipped: {self.blank_lines})"
        if self.ignored_columns:
            text += f"  (columns not in the contract, ignored: {', '.join(self.ignored_columns)})"
        return text


@dataclass
class LoadReport:
    load_id: int | None
    status: str  # loaded | unchanged
    tables: list[TableReport]
    seconds: float = 0.0
    published: TableReport | None = None  # data/reference/published_progress.csv into target_progress

    def text(self) -> str:
        lines = [r.line() for r in self.tables] + ([self.published.line()] if self.published else [])
        head = (f"load {self.load_id}: {self.status} in {self.seconds:.1f} s" if self.load_id
                else "nothing to load: every file was loaded before (warehouse unchanged)")
        return "\n".join([head, *lines])


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params=None):
    return con.execute(sql, params or []).fetchall()[0][0]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def input_files(source: Path) -> list[Path]:
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise LoadFailed(f"{source}: 找不到文件或目录 (no such file or folder).")
    files = sorted(p for p in source.rglob("*") if p.suffix.lower() in (".csv", ".xlsx", ".xlsm")
                   and not p.name.startswith(("~$", ".")))
    if not files:
        raise LoadFailed(f"{source}: 目录中没有 CSV 或 XLSX 文件 (no .csv or .xlsx files in the folder).")
    return files


def db_error(exc: Exception) -> str:
    """DuckDB's message without the data it may quote: first line only, quoted text masked."""
    first = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", str(exc).split("\n", 1)[0])
    return f"{type(exc).__name__}: {first[:300]}"


def check_db_path(db: Path) -> None:
    """--db must be a file (or not exist yet) in a folder that exists or can be made."""
    if db.exists() and not db.is_file():
        raise LoadFailed(f"{db}: 不是文件 (not a file: a folder?); 请用 --db 指定数据库文件, 例如 data/warehouse.duckdb.")
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LoadFailed(f"{db}: 无法创建所在目录 (cannot create the folder {db.parent}: {exc.strerror}); "
                         "请用 --db 指定一个可写目录中的文件.") from None


@contextmanager
def writer_lock(db: Path):
    try:
        fd = os.open(db.parent / f".{db.name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise LoadFailed(f"{db}: 无法在该目录写入 (cannot write in {db.parent}: {exc.strerror}); "
                         "请用 --db 指定一个可写目录中的文件.") from None
    with os.fdopen(fd, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise LoadFailed(f"{db}: 另一个导入正在进行 (another load is running); 请稍后再试.") from exc
        yield


def schema_mismatch(db: Path, version) -> str:
    """What to say when a warehouse was written by another version of the ETL, and the command that rebuilds it."""
    new = db.with_name(db.stem + f".v{SCHEMA_VERSION}" + db.suffix)
    return (f"{db}: 数据库结构版本为 {version}，本程序写入版本 {SCHEMA_VERSION} (warehouse schema_version {version}, "
            f"this ETL writes {SCHEMA_VERSION}). 请把全部输入文件导入一个新的 --db 文件, 确认无误后替换旧文件 "
            f"(rebuild it: load all input files into a new --db file, then replace the old one): "
            f"python -m etl load <输入目录 input folder> --db {new} && mv {new} {db}; "
            "演示数据 (the demo): rm the old file, then make warehouse.")


def check_schema(con: duckdb.DuckDBPyConnection, db: Path) -> None:
    """Refuse a warehouse of another schema_version (LoadFailed says how to rebuild it)."""
    version = con.execute("SELECT max(value) FROM meta WHERE key = 'schema_version'").fetchall()[0][0]
    if version != SCHEMA_VERSION:
        raise LoadFailed(schema_mismatch(db, version))


def loaded_checksums(db: Path) -> set[str]:
    if not db.exists():
        return set()
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            check_schema(con, db)
            return {r[0] for r in con.execute("SELECT sha256 FROM etl_load_files WHERE status = 'loaded'").fetchall()}
    except duckdb.CatalogException:
        raise LoadFailed(f"{db}: 是 DuckDB 文件，但不是本系统的数据库 (a DuckDB file, but not a warehouse of this "
                         "project: no etl_load_files); 请用 --db 指定另一个文件.") from None
    except duckdb.Error as exc:
        raise LoadFailed(f"{db}: 不是 DuckDB 数据库或无法打开 (not a DuckDB warehouse, or it cannot be opened: "
                         f"{db_error(exc)}); 请用 --db 指定数据库文件.") from None


def connect_warehouse(path: Path, spill: Path) -> duckdb.DuckDBPyConnection:
    """The load's connection: DuckDB's memory bounded (GANSU_ETL_MEMORY_LIMIT), spilling into `spill`."""
    return duckdb.connect(str(path), config={"memory_limit": paths.ETL_MEMORY_LIMIT, "temp_directory": str(spill)})


def is_demo_source(source: Path) -> bool:
    folder = source if source.is_dir() else source.parent
    manifest = folder / DEMO_MANIFEST
    return manifest.exists() and json.loads(manifest.read_text(encoding="utf-8")).get("demo") is True


def load(source: Path, db: Path = paths.WAREHOUSE, progress: bool = True) -> LoadReport:
    started = time.perf_counter()
    source, db = Path(source), Path(db)
    files = input_files(source)
    check_db_path(db)
    with writer_lock(db):
        for stale in db.parent.glob(f".{db.name}.loading-*"):  # left by a killed load; we hold the lock
            if stale.is_dir() and not stale.is_symlink():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)
        sums = {f: sha256(f) for f in tqdm(files, desc="checksums", unit="file", disable=not progress)}
        known = loaded_checksums(db)
        new_files = [f for f in files if sums[f] not in known]
        unchanged = [TableReport(f.name, "-", status="unchanged") for f in files if sums[f] in known]
        if not new_files:
            return LoadReport(None, "unchanged", unchanged, time.perf_counter() - started)
        work = db.parent / f".{db.name}.loading-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        spill = None
        try:
            work.mkdir(mode=0o700)  # private: the copy and the spill files hold names and ID numbers
            tmp = work / db.name
            spill = Path(tempfile.mkdtemp(prefix="gansu-etl-", dir=paths.ETL_TEMP_DIR)) if paths.ETL_TEMP_DIR \
                else work / "spill"
            mode = stat.S_IMODE(db.stat().st_mode) if db.exists() else 0o600
            if db.exists():
                shutil.copyfile(db, tmp)
            report = _load_into(tmp, spill, new_files, sums, source, is_demo_source(source), progress)
            report.tables = unchanged + report.tables
            os.chmod(tmp, mode)
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(tmp, db)
            dir_fd = os.open(db.parent, os.O_RDONLY)
            os.fsync(dir_fd)
            os.close(dir_fd)
        except InputError as exc:
            raise LoadFailed(f"{exc}\n{UNCHANGED}") from None
        except (duckdb.OutOfMemoryException, MemoryError):
            raise LoadFailed(f"内存不足 (out of memory): 导入所需内存超过 GANSU_ETL_MEMORY_LIMIT={paths.ETL_MEMORY_LIMIT} "
                             f"(the load needs more memory than that); 请调高该设置或把文件拆小后重试.\n{UNCHANGED}") from None
        except duckdb.Error as exc:
            raise LoadFailed(f"数据库错误 (database error): {db_error(exc)}\n{UNCHANGED}") from None
        except OSError as exc:
            raise LoadFailed(f"{db}: 文件错误 (file error: {exc.strerror}: {exc.filename})\n{UNCHANGED}") from None
        finally:
            shutil.rmtree(work, ignore_errors=True)
            if spill is not None and paths.ETL_TEMP_DIR:
                shutil.rmtree(spill, ignore_errors=True)
    report.seconds = time.perf_counter() - started
    return report


def _load_into(tmp: Path, spill: Path, files: list[Path], sums: dict[Path, str], source: Path, demo: bool,
               progress: bool) -> LoadReport:
    fresh = not tmp.exists()
    con = connect_warehouse(tmp, spill)
    try:
        if fresh:
            con.execute(paths.SCHEMA_SQL.read_text(encoding="utf-8"))
            con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [SCHEMA_VERSION])
        install_macros(con)
        _load_reference(con)  # before the files: target_progress is checked against the catalog
        load_id = scalar(con, "SELECT coalesce(max(load_id), 0) + 1 FROM etl_loads")
        started_at = datetime.now()
        reports = []
        replaced_snapshots: set = set()
        # one file at a time, in dependency order (counties, villages, targets, households): memory stays
        # at one file's size however many quarters the folder holds
        rank = {f: min([LOAD_ORDER.index(t) for t in peek_tables(f)] or [0]) for f in files}
        for n, f in enumerate(tqdm(sorted(files, key=lambda f: (rank[f], f.name)), desc="loading", unit="file",
                                   disable=not progress)):
            staged = sorted(stage_file(con, f, f"stg_{n}"), key=lambda s: LOAD_ORDER.index(s.table.name))
            for s in staged:
                r, as_of = _apply(con, s, load_id, replaced_snapshots, demo)
                con.execute(
                    "INSERT INTO etl_load_files VALUES (?, ?, ?, ?, ?, ?, ?, 'loaded', ?)",
                    [load_id, r.file_name, r.table, sums[f], r.rows_in, r.rows_loaded, r.rows_rejected, as_of],
                )
                reports.append(r)
        totals = [sum(getattr(r, k) for r in reports) for k in ("rows_in", "rows_loaded", "rows_rejected")]
        con.execute("INSERT INTO etl_loads VALUES (?, ?, ?, ?, 'loaded', ?, ?, ?, ?)",
                    [load_id, started_at, datetime.now(), str(source), *totals, demo])
        published = _build_target_progress(con, load_id)
        build_marts(con)
        _set_meta(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return LoadReport(load_id, "loaded", reports, published=published)


def _checked(con: duckdb.DuckDBPyConnection, s: Staged, load_id: int, replaced_snapshots: set,
             skip: tuple[str, ...] = ()) -> str:
    """Type one staged table and collect its failed rules in the temp table `rj`; returns the typed relation."""
    table = s.table
    rel = f"v_{s.relation}"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {rel} AS {typed_select(table, s.relation)}")
    con.execute("CREATE OR REPLACE TEMP TABLE rj (_line BIGINT, column_name VARCHAR, rule VARCHAR, "
                "value VARCHAR, message VARCHAR)")
    if table.name in PREPARE:
        PREPARE[table.name](con, rel)
    con.execute(f"INSERT INTO rj {reject_sql(table, rel, skip)}")
    if s.fields:  # a CSV row with more or fewer fields than its header: its cells may be shifted
        lo, hi = s.fields
        con.execute(f"""INSERT INTO rj SELECT _line, '*', 'field_count', CAST(_fields AS VARCHAR),
                            '该行有 ' || _fields || ' 个字段，表头有 ' || $hi || ' 个 (row has ' || _fields
                            || ' fields, the header ' || $hi || '; cells may be shifted)'
                        FROM {rel} WHERE _fields < $lo OR _fields > $hi""", {"lo": lo, "hi": hi})
        # ... and rejected for that alone
        con.execute("DELETE FROM rj WHERE rule <> 'field_count' AND _line IN "
                    "(SELECT _line FROM rj WHERE rule = 'field_count')")
    # a totals row is rejected as such, not also for every rule its blank cells break
    con.execute("DELETE FROM rj WHERE rule <> 'totals_row' AND _line IN (SELECT _line FROM rj WHERE rule = 'totals_row')")
    _reject_duplicates(con, rel, table, load_id, replaced_snapshots)
    if table.name in CHECK_AFTER:
        CHECK_AFTER[table.name](con, rel)
    return rel


def _record_rejects(con, rel: str, table_name: str, file_name: str, load_id: int, county: str) -> None:
    con.execute(f"""INSERT INTO etl_rejects (load_id, table_name, file_name, line, column_name, rule, value, message,
                                             county_code)
                    SELECT ?, ?, ?, rj._line, column_name, rule, value, message, c._county
                    FROM rj LEFT JOIN (SELECT _line, {county} AS _county FROM {rel}) c USING (_line)
                    ORDER BY rj._line, rule""", [load_id, table_name, file_name])


def _apply(con: duckdb.DuckDBPyConnection, s: Staged, load_id: int, replaced_snapshots: set,
           demo: bool = False) -> tuple[TableReport, object]:
    """Validate one staged table, quarantine its bad rows, load the rest: (report, snapshot date if one)."""
    table = s.table
    rel = _checked(con, s, load_id, replaced_snapshots)
    _record_rejects(con, rel, table.name, s.file_name, load_id, county_sql(table))
    good = f"(SELECT * FROM {rel} WHERE _line NOT IN (SELECT _line FROM rj))"
    as_of = STORE[table.name](con, good, Batch(table, s.file_name, load_id, replaced_snapshots, demo))
    rows_rejected = scalar(con, "SELECT count(DISTINCT _line) FROM rj")
    rows_loaded = scalar(con, f"SELECT count(*) FROM {good}")
    by_rule = dict(con.execute("SELECT rule, count(DISTINCT _line) FROM rj GROUP BY rule").fetchall())
    warned = con.execute("SELECT rule, count(DISTINCT line) FROM etl_warnings WHERE load_id = ? AND file_name = ? "
                         "AND table_name = ? GROUP BY rule", [load_id, s.file_name, table.name]).fetchall()
    rows_warned = scalar(con, "SELECT count(DISTINCT line) FROM etl_warnings WHERE load_id = ? AND file_name = ? "
                              "AND table_name = ?", [load_id, s.file_name, table.name])
    if rows_loaded + rows_rejected != s.rows_in:  # the accounting identity of the contract
        raise LoadFailed(f"{s.file_name}: rows in {s.rows_in} != loaded {rows_loaded} + rejected {rows_rejected}")
    con.execute(f"DROP TABLE {rel}")
    con.execute(f"DROP TABLE {s.relation}")
    report = TableReport(s.file_name + (f" [{s.sheet}]" if s.sheet else ""), table.name, s.rows_in,
                         rows_loaded, rows_rejected, blank_lines=s.blank_lines, ignored_columns=s.ignored_columns,
                         rejects_by_rule=by_rule, rows_warned=rows_warned, warnings_by_rule=dict(warned))
    return report, as_of


@dataclass
class Batch:
    """What a table's store function needs besides the good rows."""
    table: Table
    file_name: str
    load_id: int
    replaced_snapshots: set
    demo: bool


def insert_sql(con, target: str, table: Table, source: str, extra: dict[str, str]) -> str:
    """INSERT by column name: each warehouse column from the contract column of that name (typed when the
    contract types it), or from `extra`. A warehouse column neither provides is an error, not a silent NULL."""
    columns = [r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
                                         "AND schema_name = 'main' ORDER BY column_index", [target]).fetchall()]
    values = {c: typed_name(table, c) for c in table.column_names} | extra
    missing = [c for c in columns if c not in values]
    if missing:
        raise LoadFailed(f"{target}: 数据库列 {missing} 在契约中没有来源 (warehouse columns with no source in the contract)")
    return (f"INSERT INTO {target} ({', '.join(columns)}) "
            f"SELECT {', '.join(values[c] for c in columns)} FROM {source}")


def _reject_duplicates(con, rel: str, table: Table, load_id: int, replaced_snapshots: set) -> None:
    keys = ", ".join(typed_name(table, k) for k in table.key)  # e.g. county_code, year__v, indicator__v
    con.execute(f"""
        INSERT INTO rj
        SELECT _line, '{table.key[0]}', 'duplicate_key', concat_ws(' / ', {keys}),
               '重复的记录，与第 ' || first_line || ' 行重复 (duplicate key, same as line ' || first_line || ')'
        FROM (SELECT _line, {keys}, first(_line) OVER (PARTITION BY {keys} ORDER BY _line) AS first_line,
                     row_number() OVER (PARTITION BY {keys} ORDER BY _line) AS n
              FROM {rel} WHERE _line NOT IN (SELECT _line FROM rj) AND {keys.split(',')[-1]} IS NOT NULL)
        WHERE n > 1""")
    if table.name == "households" and replaced_snapshots & {
        r[0] for r in con.execute(f"SELECT DISTINCT as_of__v FROM {rel}").fetchall()
    }:  # the same snapshot split over several files of this load
        con.execute(f"""
            INSERT INTO rj
            SELECT r._line, 'household_id', 'duplicate_key', r.household_id,
                   '该户已在本次导入的另一文件中 (duplicate key: already in another file of this load)'
            FROM {rel} r JOIN fct_household_snapshot f
              ON f.as_of = r.as_of__v AND f.household_id = r.household_id AND f.load_id = {load_id}
            WHERE r._line NOT IN (SELECT _line FROM rj)""")


def _resolve_county_names(con, rel: str) -> None:
    """Counties given by name only get their code from geo.names; unknown names are rejected with candidates."""
    rows = con.execute(f"SELECT _line, county_name, prefecture_name FROM {rel} "
                       "WHERE county_code IS NULL AND county_name IS NOT NULL").fetchall()
    if not rows:
        return
    from geo.names import UnknownPlaceName, county_code

    for line, name, prefecture in rows:
        try:
            code = county_code(name, prefecture)
            con.execute(f"UPDATE {rel} SET county_code = ? WHERE _line = ?", [code, line])
        except UnknownPlaceName as exc:
            con.execute("INSERT INTO rj VALUES (?, 'county_name', 'unknown_name', ?, ?)", [line, name, str(exc)])


def _check_locations(con, rel: str) -> None:
    rows = con.execute(f"SELECT _line, county_code, lon__v, lat__v FROM {rel} WHERE lon__v IS NOT NULL "
                       "AND lat__v IS NOT NULL AND _line NOT IN (SELECT _line FROM rj)").fetchall()
    if not rows:
        return
    from geo.locate import check_points

    lines, codes, lons, lats = zip(*rows)
    for line, reason, lon, lat in zip(lines, check_points(list(codes), list(lons), list(lats)), lons, lats):
        if reason:
            con.execute("INSERT INTO rj VALUES (?, 'lon', 'location', ?, ?)", [line, f"{lon}, {lat}", reason])


def _upsert_counties(con, good: str, load_id: int) -> None:
    con.execute(f"""
        INSERT OR REPLACE INTO dim_prefecture
        SELECT DISTINCT ON (p) p, coalesce(g.prefecture_name, d.prefecture_name)
        FROM (SELECT *, coalesce(prefecture_code, left(county_code, 4) || '00') AS p FROM {good}) g
        LEFT JOIN dim_prefecture d ON d.prefecture_code = g.p""")
    con.execute(f"DELETE FROM dim_county WHERE county_code IN (SELECT county_code FROM {good})")
    con.execute(insert_sql(con, "dim_county", TABLES["counties"], good, {
        "prefecture_code": "coalesce(prefecture_code, left(county_code, 4) || '00')", "load_id": str(load_id)}))


def _upsert_villages(con, good: str, load_id: int) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE _v AS SELECT * FROM {good}")
    missing = con.execute("SELECT village_code, county_code FROM _v WHERE lon__v IS NULL").fetchall()
    con.execute("ALTER TABLE _v ADD COLUMN location_source VARCHAR")
    con.execute("UPDATE _v SET location_source = 'reported' WHERE lon__v IS NOT NULL")
    if missing:
        from geo.locate import synthetic_points

        codes, counties = zip(*missing)
        lons, lats = synthetic_points(list(codes), list(counties))
        con.execute("CREATE OR REPLACE TEMP TABLE _pts AS SELECT unnest($1) AS c, unnest($2) AS x, unnest($3) AS y",
                    [list(codes), [float(x) for x in lons], [float(y) for y in lats]])
        con.execute("UPDATE _v SET lon__v = x, lat__v = y, location_source = 'synthetic' FROM _pts "
                    "WHERE _pts.c = _v.village_code")
    con.execute("DELETE FROM dim_village WHERE village_code IN (SELECT village_code FROM _v)")
    con.execute(insert_sql(con, "dim_village", TABLES["villages"], "_v", {
        "is_deep_poverty": "coalesce(is_deep_poverty__v, village_category = '深度贫困非建档村')",
        "location_source": "location_source", "load_id": str(load_id)}))
    con.execute("DROP TABLE _v")


def _insert_households(con, good: str, load_id: int, replaced: set):
    snapshots = [r[0] for r in con.execute(f"SELECT DISTINCT as_of__v FROM {good}").fetchall()]
    for as_of in snapshots:
        if as_of not in replaced:  # a new file for a loaded quarter replaces that quarter's snapshot
            con.execute("DELETE FROM fct_household_snapshot WHERE as_of = ?", [as_of])
            con.execute("DELETE FROM etl_warnings WHERE table_name = 'households' AND as_of = ?", [as_of])
            replaced.add(as_of)
    canonical = "NULLIF(concat_ws(',', " + ", ".join(
        f"CASE WHEN list_contains(_pw, '{zh}') THEN '{zh}' END" for zh in PATHWAY_NAMES) + "), '')"
    extra = {"county_code": "county_code", "pathways": canonical, "load_id": str(load_id)}
    extra |= {f"pw_{suffix}": f"list_contains(_pw, '{zh}')" for zh, suffix, _ in PATHWAYS}
    source = (f"(SELECT g.*, v.county_code FROM (SELECT *, regexp_split_to_array(coalesce(pathways, ''), "
              f"'{PATHWAY_SPLIT}') AS _pw FROM {good}) g JOIN dim_village v USING (village_code))")
    con.execute(insert_sql(con, "fct_household_snapshot", TABLES["households"], source, extra))
    return snapshots[0] if len(snapshots) == 1 else None


def _warn_households(con, good: str, table: Table, file_name: str, load_id: int) -> None:
    """Warnings on the loaded rows of one households file: the rules of validate.WARNINGS, and the same ID
    number in two households of one snapshot (this file's rows and those of earlier files of this load)."""
    # a loaded village code starts with its county's code (villages rule code_prefix_mismatch)
    con.execute(f"CREATE OR REPLACE TEMP VIEW _g AS SELECT *, left(village_code, 6) AS _county FROM {good}")
    key = "?, 'households', ?, _line, column_name, rule, as_of__v, household_id, village_code, _county, message"
    sql = warn_sql(table, "_g")
    if sql:
        con.execute(f"INSERT INTO etl_warnings SELECT {key} FROM ({sql}) JOIN _g USING (_line) ORDER BY _line, rule",
                    [load_id, file_name])
    # windows, not a self-join: 300,000 rows with one ID number stay linear
    con.execute("""
        INSERT INTO etl_warnings
        SELECT $load_id, 'households', $file, g._line, 'head_id_number', 'duplicate_id', g.as_of__v, g.household_id,
               g.village_code, g._county,
               format($msg, d.n - 1, CASE WHEN d.first_id = g.household_id THEN d.last_id ELSE d.first_id END)
        FROM _g g JOIN (
            SELECT as_of, household_id, count(*) OVER w AS n, min(household_id) OVER w AS first_id,
                   max(household_id) OVER w AS last_id
            FROM fct_household_snapshot  -- this file's rows and those of earlier files of this load
            WHERE load_id = $load_id AND head_id_number IS NOT NULL AND as_of IN (SELECT as_of__v FROM _g)
            WINDOW w AS (PARTITION BY as_of, head_id_number)) d
          ON d.as_of = g.as_of__v AND d.household_id = g.household_id
        WHERE d.n > 1 ORDER BY g._line""", {"load_id": load_id, "file": file_name, "msg": DUPLICATE_ID_MESSAGE})
    con.execute("DROP VIEW _g")


def _store_county_targets(con, good: str, b: Batch) -> None:
    con.execute(f"DELETE FROM fct_county_target t USING {good} g WHERE t.county_code = g.county_code "
                "AND t.year = g.year__v AND t.indicator = g.indicator__v")
    con.execute(insert_sql(con, "fct_county_target", b.table, good, {"load_id": str(b.load_id)}))


def _store_households(con, good: str, b: Batch):
    as_of = _insert_households(con, good, b.load_id, b.replaced_snapshots)
    _warn_households(con, good, b.table, b.file_name, b.load_id)
    return as_of


def _store_target_progress(con, good: str, b: Batch) -> None:
    """A loaded key replaces the row of the same key (target, unit, period end) loaded before."""
    con.execute(f"DELETE FROM fct_target_progress t USING {good} g WHERE t.target_id = g.target_id "
                "AND t.unit_code = g.unit_code AND t.period_end = g.period_end__v")
    con.execute(insert_sql(con, "fct_target_progress", b.table, good, {
        "unit_level": "unit_level__v", "is_demo": "true" if b.demo else "false", "load_id": str(b.load_id)}))


# per table: a step before the checks, one after them (needs the other rejects), and where good rows go
PREPARE = {"counties": lambda con, rel: _resolve_county_names(con, rel)}
CHECK_AFTER = {"villages": lambda con, rel: _check_locations(con, rel)}
STORE = {
    "counties": lambda con, good, b: _upsert_counties(con, good, b.load_id),
    "villages": lambda con, good, b: _upsert_villages(con, good, b.load_id),
    "county_targets": _store_county_targets,
    "households": _store_households,
    "target_progress": _store_target_progress,
}
assert set(STORE) == set(TABLES)

REFERENCE = {"ref_plan_figures": "plan_figures.csv", "ref_counties": "gansu_counties.csv",
             "ref_province_totals": "gansu_province_totals.csv", "ref_published_progress": "published_progress.csv"}
PUBLISHED = "published_progress.csv"


def _load_reference(con: duckdb.DuckDBPyConnection) -> None:
    """The public facts of data/reference, with their sources, refreshed at every load; the plan's target
    catalog as ref_plan_targets (deadline DATE, value DOUBLE) and `_plan_targets` for the checks."""
    for table, name in REFERENCE.items():
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM read_csv(?, header=true, all_varchar=true)",
                    [str(paths.REFERENCE_DIR / name)])
    con.execute("""CREATE OR REPLACE TABLE ref_plan_targets AS
                   SELECT * REPLACE (CAST(deadline AS DATE) AS deadline, CAST(value AS DOUBLE) AS value)
                   FROM read_csv(?, header=true, all_varchar=true)""", [str(paths.REFERENCE_DIR / "plan_targets.csv")])
    con.execute("CREATE OR REPLACE TEMP TABLE _levels (level VARCHAR, reported_level VARCHAR)")
    con.executemany("INSERT INTO _levels VALUES (?, ?)", list(REPORTED_LEVEL.items()))
    con.execute("CREATE OR REPLACE TEMP TABLE _plan_targets AS SELECT id, reported_level, kind "
                "FROM ref_plan_targets JOIN _levels USING (level)")


def _build_target_progress(con: duckdb.DuckDBPyConnection, load_id: int) -> TableReport:
    """target_progress = the loaded rows + the real published figures, checked by the input table's own rules
    (but for the period: a published figure may be a baseline before 2018). A row of the published file that
    breaks a rule is kept out, and ref_published_progress says which rule (`not_loaded_because`)."""
    con.execute("""CREATE OR REPLACE TEMP TABLE stg_published AS
                   SELECT CAST(rowid + 2 AS BIGINT) AS _line, NULL::INTEGER AS _fields,  -- line 1: the header
                          target_id, unit_code, period_end, value, citation AS source, note
                   FROM ref_published_progress""")
    rows_in = scalar(con, "SELECT count(*) FROM stg_published")
    staged = Staged(TARGET_PROGRESS, "stg_published", PUBLISHED, rows_in)
    rel = _checked(con, staged, load_id, set(), skip=("period_range",))
    # the file's rows that are not progress (e.g. the province average a relative target compares with) stay in
    # ref_published_progress, marked: they are not input-file rejects, so not in etl_rejects
    con.execute("""CREATE OR REPLACE TABLE ref_published_progress AS
                   SELECT r.*, j.rules IS NULL AS in_target_progress, j.rules AS not_loaded_because
                   FROM (SELECT rowid + 2 AS line, * FROM ref_published_progress) r
                   LEFT JOIN (SELECT _line AS line, string_agg(rule || ': ' || message, '; ' ORDER BY rule) AS rules
                              FROM rj GROUP BY _line) j USING (line)
                   ORDER BY line""")
    by_rule = dict(con.execute("SELECT rule, count(DISTINCT _line) FROM rj GROUP BY rule").fetchall())
    rejected = scalar(con, "SELECT count(DISTINCT _line) FROM rj")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _published AS
                    SELECT target_id, unit_code, unit_level__v AS unit_level, period_end__v AS period_end,
                           value__v AS value, false AS is_demo, source, note, {load_id} AS load_id
                    FROM {rel} WHERE _line NOT IN (SELECT _line FROM rj)""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _progress AS
        SELECT *, 'input' AS origin FROM fct_target_progress f
        WHERE NOT f.is_demo OR NOT EXISTS (SELECT 1 FROM _published p WHERE p.target_id = f.target_id
                                           AND p.unit_code = f.unit_code AND p.period_end = f.period_end)
        UNION ALL
        SELECT *, 'published' FROM _published p
        WHERE NOT EXISTS (SELECT 1 FROM fct_target_progress f WHERE NOT f.is_demo AND p.target_id = f.target_id
                          AND p.unit_code = f.unit_code AND p.period_end = f.period_end)""")
    con.execute("DELETE FROM target_progress")
    con.execute("""
        INSERT INTO target_progress BY NAME
        SELECT p.*, CASE WHEN p.unit_level IN ('county', 'village') THEN left(p.unit_code, 6) END AS county_code,
               CASE p.unit_level WHEN 'prefecture' THEN p.unit_code
                    WHEN 'county' THEN c.prefecture_code WHEN 'village' THEN c.prefecture_code END AS prefecture_code
        FROM _progress p LEFT JOIN dim_county c ON c.county_code = left(p.unit_code, 6)""")
    loaded = scalar(con, "SELECT count(*) FROM _published")
    for t in (rel, "stg_published", "_published", "_progress"):
        con.execute(f"DROP TABLE {t}")
    return TableReport(PUBLISHED + " (real figures)", "target_progress", rows_in, loaded, rejected,
                       rejects_by_rule=by_rule)


def _set_meta(con: duckdb.DuckDBPyConnection) -> None:
    as_of = scalar(con, "SELECT max(as_of) FROM fct_household_snapshot")
    demo = scalar(con, "SELECT coalesce(bool_or(demo), false) FROM etl_loads")
    values = {"warehouse_version": uuid.uuid4().hex, "built_at": datetime.now().isoformat(timespec="seconds"),
              "demo": "true" if demo else "false", "data_as_of": as_of.isoformat() if as_of else ""}
    con.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list(values.items()))
