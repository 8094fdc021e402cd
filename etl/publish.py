"""Publish the warehouse to the app nodes: `python -m etl publish --db FILE --to DIR [--to DIR ...]`.

Each DIR is a node's warehouse folder (or one shared folder the nodes poll). A published version is an
immutable file named by its version and checksum, `warehouse-<warehouse_version>-<sha256[:12]>.duckdb`, next to
`<name>.sha256` (`sha256sum` format) and the pointer `CURRENT` (the name of the file to serve). Every file is
written under a temp name, fsynced and renamed, the pointer last, so a node sees the old version or the whole
new one. The node (dashboard/db.py, GANSU_WAREHOUSE_DIR) checks the checksum before it swaps. One publish at a
time per folder (a file lock); the last KEEP versions stay, older ones are removed (a node still reading one
keeps its open file).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
from pathlib import Path

import duckdb

POINTER = "CURRENT"
KEEP = 3
CHUNK = 4 * 2**20
NAME = re.compile(r"warehouse-[0-9a-zA-Z_-]{1,64}-[0-9a-f]{12}\.duckdb")


class PublishFailed(RuntimeError):
    """The source is missing or unreadable, or a target folder cannot be written."""


def _fsync_dir(d: Path) -> None:
    fd = os.open(d, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """`data` at `path` under a temp name, fsynced, then renamed over it."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _version_of(path: Path) -> str:
    con = duckdb.connect(":memory:")
    try:
        con.execute("ATTACH ? AS wh (READ_ONLY)", [str(path)])
        row = con.execute("SELECT value FROM wh.meta WHERE key = 'warehouse_version'").fetchone()
    except duckdb.Error as e:
        raise PublishFailed(f"{path}: not a warehouse ({type(e).__name__})") from e
    finally:
        con.close()
    v = row[0] if row else None
    if not v or not re.fullmatch(r"[0-9a-zA-Z_-]{1,64}", v):
        raise PublishFailed(f"{path}: no usable meta.warehouse_version")
    return v


@contextlib.contextmanager
def _dir_lock(d: Path):
    with open(d / ".publish.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def publish(db: Path, targets: list[Path], keep: int = KEEP) -> dict:
    """Copy `db` to every target folder as one immutable version; returns {name, version, sha256, targets}."""
    db, targets = Path(db), [Path(t) for t in targets]
    if not targets:
        raise PublishFailed("no --to folder")
    for d in targets:
        d.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        for d in targets:
            stack.enter_context(_dir_lock(d))
        tmps = [d / f".incoming-{os.getpid()}.duckdb" for d in targets]
        h = hashlib.sha256()
        try:
            # one read of the source (a load may replace it meanwhile: this open file stays the old one)
            with open(db, "rb") as src, contextlib.ExitStack() as outs:
                files = [outs.enter_context(open(t, "wb")) for t in tmps]
                for t in tmps:
                    os.chmod(t, 0o600)
                while chunk := src.read(CHUNK):
                    h.update(chunk)
                    for f in files:
                        f.write(chunk)
                for f in files:
                    f.flush()
                    os.fsync(f.fileno())
            digest = h.hexdigest()
            version = _version_of(tmps[0])
            name = f"warehouse-{version}-{digest[:12]}.duckdb"
            for d, tmp in zip(targets, tmps):
                os.replace(tmp, d / name)  # a re-publish of the same version replaces identical bytes
                write_atomic(d / f"{name}.sha256", f"{digest}  {name}\n".encode())
                write_atomic(d / POINTER, (name + "\n").encode())
                _prune(d, name, keep)
        except OSError as e:
            raise PublishFailed(f"{e.filename or db}: {e.strerror}") from e
        finally:
            for t in tmps:
                with contextlib.suppress(FileNotFoundError):
                    t.unlink()
    return {"name": name, "version": version, "sha256": digest, "targets": [str(d) for d in targets]}


def _prune(d: Path, current: str, keep: int) -> None:
    """Keep the newest `keep` versions (by mtime), the current one always."""
    versions = sorted((p for p in d.iterdir() if NAME.fullmatch(p.name)), key=lambda p: p.stat().st_mtime,
                      reverse=True)
    for p in versions[keep:]:
        if p.name != current:
            for q in (p, p.with_name(p.name + ".sha256")):
                with contextlib.suppress(FileNotFoundError):
                    q.unlink()


def read_pointer(d: Path) -> tuple[str, str] | None:
    """(file name, expected sha256) that folder `d` says to serve, or None when it names nothing usable."""
    try:
        name = (d / POINTER).read_text(encoding="ascii").strip()
        if not NAME.fullmatch(name):
            return None
        digest = (d / f"{name}.sha256").read_text(encoding="ascii").split()[0]
    except (OSError, UnicodeDecodeError, IndexError):
        return None
    return (name, digest) if re.fullmatch(r"[0-9a-f]{64}", digest) else None


def text(result: dict) -> str:
    return json.dumps(result, ensure_ascii=False)
