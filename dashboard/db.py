"""Read-only DuckDB access for the app.

One connection per process, opened lazily on first use (never at import: gunicorn workers fork first),
a cursor per request, and a new connection as soon as the warehouse file is swapped (the ETL builds a new
file and `os.replace`s it, which changes the inode; a rewrite in place changes the mtime). The file's
stamp is checked on every cursor, under the lock.

Why not `duckdb.connect(path)`: DuckDB keeps one database instance per path in the process and hands it
out again while any connection to it is alive. A worker that reopened the path while another thread's
query still ran on the old connection got the old, deleted file back, and served it for good. So each
open is a fresh in-memory instance that ATTACHes the file read-only, and an old connection is never
closed under a running request: it is dropped and goes away with its last cursor.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import duckdb

from etl import paths


class WarehouseMissing(RuntimeError):
    """The warehouse file does not exist or cannot be opened."""


_lock = threading.Lock()
_EMPTY = {"con": None, "stamp": None, "version": None, "pid": None, "built_at": None, "opened_at": None}
_state: dict = {"path": None, **_EMPTY}


def configure(path: str | os.PathLike | None) -> None:
    """Point the app at a warehouse file (app.py --db, tests). None = etl.paths.WAREHOUSE. Pointing it at
    the file it already reads changes nothing (report builds call this inside a running server)."""
    new = Path(path) if path else None
    with _lock:
        if (new or paths.WAREHOUSE) != db_path():
            _drop_locked(close=True)
        _state["path"] = new


def db_path() -> Path:
    return _state["path"] or paths.WAREHOUSE


def _stamp(p: Path):
    st = p.stat()
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _drop_locked(close: bool) -> None:
    """Forget the current connection. `close` only when nothing may still use it (configure); a swap
    just drops it, so a request running on it finishes on the snapshot it started with."""
    con = _state["con"]
    _state.update(_EMPTY)
    if close and con is not None:
        try:
            con.close()
        except Exception:  # noqa: BLE001 - busy (a request still runs on it): it goes with its last cursor
            pass


def _open(p: Path) -> tuple[duckdb.DuckDBPyConnection, dict]:
    con = duckdb.connect(":memory:")
    try:
        con.execute("ATTACH ? AS wh (READ_ONLY)", [str(p)])
        # the app reads the warehouse and nothing else: no other file, no URL, no setting changed later
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        try:
            meta = dict(con.execute("SELECT key, value FROM wh.meta").fetchall())
        except duckdb.Error:
            meta = {}
    except duckdb.Error as e:
        con.close()
        raise WarehouseMissing(f"{p}: {e}") from e
    return con, meta


def _current() -> tuple[duckdb.DuckDBPyConnection, str]:
    """(connection, warehouse_version) of the file now at the path, reopening when it changed."""
    p = db_path()
    with _lock:
        try:
            stamp = _stamp(p)  # before opening: a swap between the two makes the next call reopen again
        except OSError as e:
            raise WarehouseMissing(str(p)) from e
        if _state["con"] is None or _state["stamp"] != stamp or _state["pid"] != os.getpid():
            con, meta = _open(p)
            _drop_locked(close=False)
            _state.update(con=con, stamp=stamp, pid=os.getpid(), version=meta.get("warehouse_version") or
                          f"stamp-{stamp}", built_at=meta.get("built_at"), opened_at=time.time())
        return _state["con"], _state["version"]


def cursor() -> duckdb.DuckDBPyConnection:
    """A cursor for one request on the current warehouse (cursors of one connection are thread-safe)."""
    cur = _current()[0].cursor()
    cur.execute("USE wh")
    return cur


def version() -> str:
    """meta.warehouse_version of the file now at the path (opens/reopens as needed)."""
    return _current()[1]


def status() -> dict:
    """What /healthz reports: the version this process serves, when it was loaded and opened. No data."""
    _, v = _current()
    with _lock:
        return {"warehouse_version": v, "built_at": _state["built_at"],
                "opened_at": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(_state["opened_at"]))}
