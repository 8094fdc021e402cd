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

On a cluster node (GANSU_WAREHOUSE_DIR, or configure() given a folder) the file to serve is the one the
folder's `CURRENT` pointer names (written by `python -m etl publish`, etl/publish.py). A new version is served
only after its sha256 matches its `.sha256` file: a background thread checks it while requests keep reading the
old version; a copy that does not match is refused (logged) and the old version stays. With nothing verified yet,
or a `DRAIN` file in the folder, the node is unavailable (`available()`: /healthz and requests answer 503).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

import duckdb

from etl import paths, publish

log = logging.getLogger("dashboard")
DRAIN = "DRAIN"  # a file of this name in the node's folder takes the node out of the load balancer (503)


class WarehouseMissing(RuntimeError):
    """The warehouse file does not exist or cannot be opened."""


_lock = threading.Lock()
_EMPTY = {"con": None, "stamp": None, "version": None, "pid": None, "built_at": None, "opened_at": None,
          "served": None, "sha256": None}
_state: dict = {"path": None, **_EMPTY}
_ENV_DIR = os.environ.get("GANSU_WAREHOUSE_DIR") or None
# folder mode: the pointer last read, what this process checked (name, sha256, file stamp) -> matched, the check
_dir: dict = {"ptr_stamp": None, "wanted": None, "checked": {}, "checking": None}


def configure(path: str | os.PathLike | None) -> None:
    """Point the app at a warehouse file or a published folder (app.py --db, tests). None = GANSU_WAREHOUSE_DIR
    or etl.paths.WAREHOUSE. Pointing it at what it already reads changes nothing (report builds call this
    inside a running server)."""
    new = Path(path) if path else None
    with _lock:
        if (new or _default()) != (_state["path"] or _default()):
            _drop_locked(close=True)
            _dir.update(ptr_stamp=None, wanted=None, checked={}, checking=None)
        _state["path"] = new


def _default() -> Path:
    return Path(_ENV_DIR) if _ENV_DIR else paths.WAREHOUSE


def folder() -> Path | None:
    """The published folder this node serves from, or None (a single warehouse file)."""
    p = _state["path"] or _default()
    return p if p.is_dir() else None


def db_path() -> Path:
    """The warehouse file served now (in folder mode: the verified version being served, else the folder)."""
    p = _state["path"] or _default()
    if p.is_dir():
        return _state.get("served") or p
    return p


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
        # a page's queries are small: DuckDB's own threads only add scheduling to each (stress run: ~15 % less
        # CPU per page with 1)
        con.execute("SET threads = ?", [paths.APP_DUCKDB_THREADS])
        con.execute("SET lock_configuration = true")
        try:
            meta = dict(con.execute("SELECT key, value FROM wh.meta").fetchall())
        except duckdb.Error:
            meta = {}
    except duckdb.Error as e:
        con.close()
        raise WarehouseMissing(f"{p}: {e}") from e
    return con, meta


def _wanted_locked(d: Path) -> tuple[str, str] | None:
    """(file name, sha256) the folder's pointer names; the pointer is re-read only when it changed."""
    try:
        st = _stamp(d / publish.POINTER)
    except OSError:
        st = None
    if st != _dir["ptr_stamp"]:
        _dir["ptr_stamp"], _dir["wanted"] = st, publish.read_pointer(d)
    return _dir["wanted"]


def _matches(p: Path, digest: str) -> bool:
    try:
        return publish.sha256_file(p) == digest
    except OSError:
        return False


def _record(key: tuple, ok: bool, served: Path | None) -> None:
    """Remember a check (under the lock); a refused copy is logged by name, the old version stays."""
    checked = _dir["checked"]
    checked[key] = ok
    while len(checked) > 16:
        checked.pop(next(iter(checked)))
    if not ok:
        log.warning("warehouse %s refused: its sha256 does not match %s.sha256; still serving %s",
                    key[0], key[0], served.name if served else "nothing")


def _check_in_background(p: Path, key: tuple) -> None:
    ok = _matches(p, key[1])
    with _lock:
        _record(key, ok, _state["served"])
        if _dir["checking"] == (key, os.getpid()):
            _dir["checking"] = None


def _folder_target_locked(d: Path) -> Path | None:
    """The file to serve now: the pointer's version once its checksum matched, else the one served so far.
    A new version is checked in a background thread while requests go on with the old one; with nothing
    served yet, it is checked here (the node is unavailable meanwhile anyway)."""
    served = _state["served"] if _state["con"] is not None and _state["pid"] == os.getpid() else None
    wanted = _wanted_locked(d)
    if wanted is None:
        return served
    p = d / wanted[0]
    if p == served:
        return served
    try:
        key = (wanted[0], wanted[1], _stamp(p))
    except OSError:
        return served
    ok = _dir["checked"].get(key)
    if ok is None and served is None:
        ok = _matches(p, key[1])
        _record(key, ok, None)
    elif ok is None:
        if _dir["checking"] is None or _dir["checking"][1] != os.getpid():
            _dir["checking"] = (key, os.getpid())
            threading.Thread(target=_check_in_background, args=(p, key), daemon=True).start()
        return served
    return p if ok else served


def _current() -> tuple[duckdb.DuckDBPyConnection, str]:
    """(connection, warehouse_version) of the file now at the path, reopening when it changed."""
    with _lock:
        d = folder()
        if d is not None:
            p = _folder_target_locked(d)
            if p is None:
                raise WarehouseMissing(f"{d}: no verified warehouse version")
            if p == _state["served"] and _state["con"] is not None and _state["pid"] == os.getpid():
                return _state["con"], _state["version"]  # a published version never changes: no stat
        else:
            p = db_path()
        try:
            stamp = _stamp(p)  # before opening: a swap between the two makes the next call reopen again
        except OSError as e:
            raise WarehouseMissing(str(p)) from e
        if _state["con"] is None or _state["stamp"] != stamp or _state["pid"] != os.getpid():
            try:
                con, meta = _open(p)
            except WarehouseMissing:
                if d is None or _state["served"] is None or _state["pid"] != os.getpid():
                    raise
                _record((p.name, _dir["wanted"][1], stamp), False, _state["served"])  # checksum ok, not a warehouse
                return _state["con"], _state["version"]
            _drop_locked(close=False)
            _state.update(con=con, stamp=stamp, pid=os.getpid(), version=meta.get("warehouse_version") or
                          f"stamp-{stamp}", built_at=meta.get("built_at"), opened_at=time.time(),
                          served=p if d is not None else None, sha256=_dir["wanted"][1] if d is not None else None)
        return _state["con"], _state["version"]


def available() -> tuple[bool, str]:
    """Whether a cluster node takes requests: (False, why) while draining or with no verified version.
    A single-file app is always available (its pages say when the warehouse is missing)."""
    d = folder()
    if d is None:
        return True, "ok"
    if (d / DRAIN).exists():
        return False, "draining"
    try:
        _current()
    except WarehouseMissing:
        return False, "unavailable"
    return True, "ok"


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
        out = {"warehouse_version": v, "built_at": _state["built_at"],
               "opened_at": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(_state["opened_at"]))}
        if _state["served"] is not None:  # folder mode: the published file, and a newer one not served yet
            wanted = _dir["wanted"]
            pending = wanted[0] if wanted and wanted[0] != _state["served"].name else None
            out.update(file=_state["served"].name, sha256=_state["sha256"], pending=pending,
                       refused=any(k[0] == pending and not ok for k, ok in _dir["checked"].items()))
        return out
