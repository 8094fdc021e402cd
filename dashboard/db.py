"""Read-only DuckDB access for the app.

One connection per process, opened lazily on first use (never at import: gunicorn workers fork first),
a cursor per request, and a reopen when the warehouse file is swapped (the ETL builds a new file and
`os.replace`s it, which changes the inode; a rewrite in place changes the mtime).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb

from etl import paths


class WarehouseMissing(RuntimeError):
    """The warehouse file does not exist or cannot be opened."""


_lock = threading.Lock()
_state: dict = {"path": None, "con": None, "stamp": None, "version": None, "pid": None}


def configure(path: str | os.PathLike | None) -> None:
    """Point the app at a warehouse file (app.py --db, tests). None = etl.paths.WAREHOUSE."""
    with _lock:
        _close_locked()
        _state["path"] = Path(path) if path else None


def db_path() -> Path:
    return _state["path"] or paths.WAREHOUSE


def _stamp(p: Path):
    st = p.stat()
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _close_locked() -> None:
    if _state["con"] is not None:
        try:
            _state["con"].close()
        except Exception:  # noqa: BLE001 - closing a stale handle must never fail a request
            pass
    _state.update(con=None, stamp=None, version=None, pid=None)


def _connection() -> duckdb.DuckDBPyConnection:
    p = db_path()
    try:
        stamp = _stamp(p)
    except FileNotFoundError as e:
        raise WarehouseMissing(str(p)) from e
    with _lock:
        if _state["con"] is None or _state["stamp"] != stamp or _state["pid"] != os.getpid():
            _close_locked()
            try:
                con = duckdb.connect(str(p), read_only=True)
            except duckdb.Error as e:
                raise WarehouseMissing(f"{p}: {e}") from e
            try:
                row = con.execute("SELECT value FROM meta WHERE key = 'warehouse_version'").fetchone()
                version = row[0] if row else None
            except duckdb.Error:
                version = None
            _state.update(con=con, stamp=stamp, version=version or f"stamp-{stamp}", pid=os.getpid())
        return _state["con"]


def cursor() -> duckdb.DuckDBPyConnection:
    """A cursor for one request (cursors of one connection are safe to use from several threads)."""
    return _connection().cursor()


def version() -> str:
    """meta.warehouse_version of the file currently open (opens/reopens as needed)."""
    _connection()
    return _state["version"]
