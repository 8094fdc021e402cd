"""Several nodes (issue #16): `python -m etl publish` writes checksummed immutable versions, a node serves a
version only after its checksum matched, refuses a corrupt copy and keeps the old one, answers 503 while
draining or with nothing verified; and the short version of bench/cluster_bench.py (PostgreSQL, nginx, two
gunicorn nodes, 20 readers, a publish, a drain and a kill -9 in the middle)."""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from dashboard import db

ROOT = Path(__file__).resolve().parent.parent


def _new_version(src: Path, dst: Path, version: str) -> Path:
    shutil.copyfile(src, dst)
    con = duckdb.connect(str(dst))
    con.execute("UPDATE meta SET value = ? WHERE key = 'warehouse_version'", [version])
    con.close()
    return dst


def _wait_version(version: str, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while (v := db.version()) != version and time.monotonic() < deadline:
        time.sleep(0.02)
    return v


@pytest.fixture
def node_dir(tmp_path):
    d = tmp_path / "node"
    yield d
    db.configure(None)


def test_publish_cli_writes_versioned_file_checksum_and_pointer_to_every_folder(tiny_warehouse, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    r = subprocess.run([sys.executable, "-m", "etl", "publish", "--db", str(tiny_warehouse), "--to", str(a),
                        "--to", str(b)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    digest = hashlib.sha256(tiny_warehouse.read_bytes()).hexdigest()
    con = duckdb.connect(str(tiny_warehouse), read_only=True)
    version = con.execute("SELECT value FROM meta WHERE key = 'warehouse_version'").fetchone()[0]
    con.close()
    name = f"warehouse-{version}-{digest[:12]}.duckdb"
    for d in (a, b):
        assert sorted(p.name for p in d.iterdir() if not p.name.startswith(".")) == sorted(
            ["CURRENT", name, name + ".sha256"])
        assert (d / "CURRENT").read_text().strip() == name
        assert (d / f"{name}.sha256").read_text() == f"{digest}  {name}\n"  # `sha256sum -c` reads it
        assert (d / name).read_bytes() == tiny_warehouse.read_bytes()
        assert not [p for p in d.iterdir() if "tmp" in p.name or "incoming" in p.name]
    bad = subprocess.run([sys.executable, "-m", "etl", "publish", "--db", str(tmp_path / "none.duckdb"), "--to",
                          str(a)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "publish failed" in bad.stderr and "Traceback" not in bad.stderr
    assert (a / "CURRENT").read_text().strip() == name


def test_node_swaps_to_a_verified_version_and_refuses_a_corrupt_copy(tiny_warehouse, tmp_path, node_dir, caplog):
    from dashboard import queries as Q
    from etl.publish import publish

    first = publish(tiny_warehouse, [node_dir])
    db.configure(node_dir)
    assert db.version() == first["version"]
    assert db.status()["file"] == first["name"] and db.status()["sha256"] == first["sha256"]
    assert Q.meta()["warehouse_version"] == first["version"]

    second = publish(_new_version(tiny_warehouse, tmp_path / "v2.duckdb", "v2"), [node_dir])
    assert _wait_version("v2") == "v2"
    assert Q.meta()["warehouse_version"] == "v2"  # the query cache is keyed by the version
    assert db.status()["file"] == second["name"] and db.status()["pending"] is None

    third = publish(_new_version(tiny_warehouse, tmp_path / "v3.duckdb", "v3"), [node_dir])
    with open(node_dir / third["name"], "r+b") as fh:  # the copy on this node is damaged after its checksum
        fh.seek(4096)
        byte = fh.read(1)
        fh.seek(4096)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with caplog.at_level(logging.WARNING, logger="dashboard"):
        deadline = time.monotonic() + 10
        while not db.status().get("refused") and time.monotonic() < deadline:
            time.sleep(0.02)
    st = db.status()
    assert st["refused"] and st["pending"] == third["name"]
    assert st["warehouse_version"] == "v2" and st["file"] == second["name"]
    assert db.version() == "v2" and Q.meta()["warehouse_version"] == "v2"
    assert any("refused" in r.getMessage() and third["name"] in r.getMessage() for r in caplog.records)


def test_a_new_node_with_only_a_corrupt_copy_serves_nothing(tiny_warehouse, node_dir):
    from etl.publish import publish

    r = publish(tiny_warehouse, [node_dir])
    (node_dir / f"{r['name']}.sha256").write_text("0" * 64 + f"  {r['name']}\n")
    db.configure(node_dir)
    with pytest.raises(db.WarehouseMissing):
        db.version()
    assert db.available() == (False, "unavailable")


def test_node_answers_503_while_draining_or_unverified_so_nginx_moves_on(tiny_warehouse, node_dir):
    import app as app_module
    from etl.publish import publish

    r = publish(tiny_warehouse, [node_dir])
    db.configure(node_dir)
    c = app_module.server.test_client()
    h = c.get("/healthz")
    assert h.status_code == 200 and h.json["status"] == "ok" and h.json["file"] == r["name"]
    assert c.get("/login").status_code == 200
    (node_dir / db.DRAIN).touch()
    h = c.get("/healthz")
    assert h.status_code == 503 and h.json["status"] == "draining" and h.json["warehouse_version"] == r["version"]
    for path in ("/login", "/", "/_dash-layout"):
        resp = c.get(path, headers={"Accept": "text/html"})
        assert resp.status_code == 503 and resp.headers["Retry-After"] == "1", path
    assert c.get("/assets/style.css").status_code != 503  # static files need no warehouse (the login guard answers)
    (node_dir / db.DRAIN).unlink()
    assert c.get("/healthz").status_code == 200 and c.get("/login").status_code == 200
    (node_dir / "CURRENT").unlink()  # a node that never had a version (configure again: a fresh process)
    db.configure(None)
    db.configure(node_dir)
    assert c.get("/healthz").status_code == 503 and c.get("/login").status_code == 503


def test_cluster_behind_nginx_publish_drain_kill9_no_failed_request(tiny_warehouse):
    """The short run of bench/cluster_bench.py: 2 nodes, 20 readers (4 logins) for ~10 s through nginx."""
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        pytest.fail("nginx is not installed: run `make system` (Debian package nginx)")
    sys.path.insert(0, str(ROOT))
    from bench import cluster_bench

    r = cluster_bench.run(tiny_warehouse, nodes=2, users=20, seconds=10, logins=4, say=lambda *_: None)
    assert r["failed"] == 0, r
    assert r["served"] > 100, r
    assert r["seconds_to_all_nodes_new"] is not None and r["seconds_to_all_nodes_new"] < 10, r
    assert r["restarted_node_serves_new"], r
    assert r["drained_node_healthz"] == 503, r
    assert all(v == {"page": 200, "callback_ok": True} for v in r["session_on_other_nodes"].values()), r
    assert r["same_callbacks_on_every_node"], r
    assert all(k.startswith("302 POST /login") for k in r["not_ok_from_nginx"]), r
    assert r["retried_by_nginx"] >= 1, r  # the drained node's 503s, at least, went to the other node
