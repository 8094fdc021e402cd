"""Several nodes behind nginx on this machine: publish a new warehouse and kill a node while 20 users read.

    .venv/bin/python bench/cluster_bench.py [--nodes 3] [--users 20] [--seconds 60] [--warehouse FILE]

Starts a throw-away PostgreSQL (tests/pg.py: the shared users/audit store), one GANSU_SECRET_KEY for all,
N gunicorn nodes (-w 1 --threads 4, each with its own warehouse folder, GANSU_WAREHOUSE_DIR) on free loopback
ports, and nginx (Debian's package, not a daemon, its config in a temp folder) in front of them with
deploy/nginx/gansu-proxy.conf. Users read through nginx (page renders as the browser asks them, a page's HTML
now and then; 0.5-1.5 s between pages). Events, as fractions of --seconds: 0.30 `etl publish` of a new version to
every node folder (one command); 0.40 a DRAIN file on the first node for 2 s (then nginx's fail_timeout passes);
0.55 `kill -9` of the last node's process group and an immediate restart; the run ends at --seconds, or 3 s
after the node is back if that is later. Reports requests served and failed (goal 0), requests nginx passed
to another node, seconds until every node serves the new version, p95 before/during/after, and whether a
session made on one node works on each other node, and whether every node has the same callback map.
Only 127.0.0.1; every loop has a deadline; stops by itself (hard cap 120 s of load).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.callbacks_bench import Driver, parse_output  # noqa: E402
from bench.common import BENCH_PASSWORD, BENCH_USER, ROOT, VENV_BIN, free_port, pct, table  # noqa: E402

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
HARD_STOP_S = 120.0
HOST = "127.0.0.1"
FAIL_TIMEOUT_S = 2  # nginx passive check: a node that failed twice gets no requests for this long


def new_version(src: Path, dst: Path) -> str:
    """A copy of `src` as a new warehouse version (new meta.warehouse_version and built_at); returns it."""
    import duckdb

    shutil.copyfile(src, dst)
    v = uuid.uuid4().hex
    con = duckdb.connect(str(dst))
    try:
        con.execute("UPDATE meta SET value = ? WHERE key = 'warehouse_version'", [v])
        con.execute("UPDATE meta SET value = ? WHERE key = 'built_at'", [time.strftime("%Y-%m-%dT%H:%M:%S")])
    finally:
        con.close()
    return v


def healthz(port: int, timeout: float = 2) -> dict | None:
    try:
        r = requests.get(f"http://{HOST}:{port}/healthz", timeout=timeout)
        return r.json() | {"http": r.status_code}
    except (requests.RequestException, ValueError):
        return None


class Node:
    """One gunicorn node on a loopback port with its own warehouse folder; killed and restarted by pid only."""

    def __init__(self, i: int, work: Path, env: dict):
        self.i, self.port, self.dir = i, free_port(), work / f"node{i}"
        self.env = dict(env, GANSU_WAREHOUSE_DIR=str(self.dir), GANSU_HEAVY_LOCK_DIR=str(work / f"locks{i}"))
        self.env.pop("GANSU_DB", None)
        self.log = work / f"node{i}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen(
                [str(VENV_BIN / "gunicorn"), "-w", "1", "--threads", "4", "--keep-alive", "30", "--timeout", "60",
                 "-b", f"{HOST}:{self.port}", "app:server"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_up(self, timeout: float = 60) -> float:
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"node {self.i} exited ({self.proc.returncode}); see {self.log}")
            h = healthz(self.port)
            if h and h["http"] == 200:
                return time.monotonic() - t0
            time.sleep(0.1)
        raise RuntimeError(f"node {self.i} not up in {timeout} s; see {self.log}")

    def kill9(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # the node's own process group: master and worker
        self.proc.wait(10)

    def terminate(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill9()


NGINX_CONF = """worker_processes 1;
{user}
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 512; }}
http {{
    log_format up '$status $request_time "$upstream_addr" "$upstream_status" $request_method $uri';
    access_log {work}/nginx-access.log up;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    upstream gansu_nodes {{
{servers}
        keepalive 16;
    }}
    server {{
        listen {host}:{port};
        include {proxy_conf};
    }}
}}
"""


@contextlib.contextmanager
def nginx(work: Path, node_ports: list[int]):
    """nginx in the foreground (not a daemon) on a free loopback port; yields the port."""
    port, tmp = free_port(), work / "nginx-tmp"
    user = ""
    if os.geteuid() == 0:  # workers run as nobody: they need their temp folders and the path to them
        user = "user nobody nogroup;"
        os.chmod(work, 0o755)
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp / sub).mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(tmp / sub, "nobody", "nogroup")
    servers = "\n".join(f"        server {HOST}:{p} max_fails=2 fail_timeout={FAIL_TIMEOUT_S}s;" for p in node_ports)
    conf = work / "nginx.conf"
    conf.write_text(NGINX_CONF.format(user=user, work=work, tmp=tmp, servers=servers, host=HOST, port=port,
                                      proxy_conf=ROOT / "deploy" / "nginx" / "gansu-proxy.conf"))
    test = subprocess.run([NGINX, "-t", "-p", str(work), "-c", str(conf)], capture_output=True, text=True)
    if test.returncode != 0:
        raise RuntimeError(f"nginx -t: {test.stderr[-800:]}")
    proc = subprocess.Popen([NGINX, "-p", str(work), "-c", str(conf), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=open(work / "nginx-stderr.log", "w"),
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 15
        while healthz(port) is None:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start; see {work}/nginx-error.log")
            time.sleep(0.1)
        yield port
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGQUIT)  # graceful stop of nginx's master and its worker
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)


def add_user(env: dict) -> None:
    r = subprocess.run([str(VENV_BIN / "python"), "-m", "dashboard.users", "add", BENCH_USER, "--role", "leader",
                        "--scope", "620000", "--password-stdin"], input=BENCH_PASSWORD + "\n", text=True, env=env,
                       cwd=ROOT, capture_output=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"users add failed: {r.stderr[-400:]}")


def _page_render(s: requests.Session, base: str) -> bool:
    """The overview's page render (a Dash callback: POST with the session's CSRF header) answers with the page."""
    deps = s.get(base + "/_dash-dependencies", timeout=30)
    if not deps.ok:
        return False
    d = next(x for x in deps.json() if "_pages_content.children" in x["output"])
    body = {"output": d["output"], "outputs": parse_output(d["output"]),
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/"},
                       {"id": "_pages_location", "property": "search", "value": ""}],
            "state": [], "changedPropIds": ["_pages_location.pathname"]}
    r = s.post(base + "/_dash-update-component", json=body, timeout=30)
    return r.status_code == 200 and "_pages_content" in r.json().get("response", {})


def session_everywhere(ports: list[int]) -> dict:
    """Log in on the first node directly; the same cookies must open a page and run a callback on each other."""
    from bench.common import login

    s = login(f"http://{HOST}:{ports[0]}")
    out = {}
    for p in ports[1:]:
        base = f"http://{HOST}:{p}"
        page = s.get(base + "/", headers={"Accept": "text/html"}, timeout=30, allow_redirects=False)
        out[str(p)] = {"page": page.status_code, "callback_ok": _page_render(s, base)}
    return out


def same_callbacks(ports: list[int]) -> bool:
    """Every node hands out the same callback map and layout (ids are deterministic across processes)."""
    import hashlib

    from bench.common import login

    seen = set()
    for p in ports:
        s = login(f"http://{HOST}:{p}")
        deps = s.get(f"http://{HOST}:{p}/_dash-dependencies", timeout=30).content
        layout = s.get(f"http://{HOST}:{p}/_dash-layout", timeout=30).content
        seen.add(hashlib.sha256(deps + b"\0" + layout).hexdigest())
    return len(seen) == 1


def run(warehouse: Path, nodes: int = 3, users: int = 20, seconds: float = 60, think=(0.5, 1.5),
        pages: dict | None = None, say=print, logins: int | None = None) -> dict:
    """The whole scenario; returns the figures (also used by tests/test_cluster.py with a short run)."""
    from etl.publish import publish
    from tests.pg import postgres_server

    seconds = min(seconds, HARD_STOP_S)
    pages = pages or _pages(warehouse)
    work = Path(tempfile.mkdtemp(prefix="gansu-cluster-"))
    started = time.monotonic()
    try:
        with postgres_server() as pg_url:
            env = dict(os.environ, GANSU_APP_DB=pg_url, GANSU_SECRET_KEY=secrets.token_hex(32))
            say(f"PostgreSQL up in {time.monotonic() - started:.1f} s")
            add_user(env)
            publish(warehouse, [work / f"node{i}" for i in range(nodes)])
            ns = [Node(i, work, env) for i in range(nodes)]
            try:
                for n in ns:
                    n.start()
                startup = [round(n.wait_up(), 1) for n in ns]
                say(f"nodes up on ports {[n.port for n in ns]} in {startup} s ({time.monotonic() - started:.1f} s)")
                with nginx(work, [n.port for n in ns]) as port:
                    result = _load(work, ns, port, warehouse, users, seconds, think, pages, say, logins)
                say(f"load done ({time.monotonic() - started:.1f} s)")
                result["session_on_other_nodes"] = session_everywhere([n.port for n in ns])
                result["same_callbacks_on_every_node"] = same_callbacks([n.port for n in ns])
                result["node_startup_s"] = startup
                result.update(_access_log(work / "nginx-access.log"))
                say(f"checks done ({time.monotonic() - started:.1f} s)")
            finally:
                for n in ns:
                    n.terminate()
                for n in ns:
                    n.stop()
        say(f"stopped ({time.monotonic() - started:.1f} s)")
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _pages(warehouse: Path) -> dict:
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        con.execute("ATTACH ? AS wh (READ_ONLY)", [str(warehouse)])
        counties = [r[0] for r in con.execute("SELECT county_code FROM wh.dim_county ORDER BY 1 LIMIT 100").fetchall()]
        villages = [r[0] for r in con.execute("SELECT village_code FROM wh.dim_village ORDER BY 1 LIMIT 200").fetchall()]
    finally:
        con.close()
    return {"counties": counties, "villages": villages}


def _access_log(path: Path) -> dict:
    """From nginx's log: requests it sent to more than one node ($upstream_addr lists each node it tried), and
    the statuses clients got other than 200/204 (with the upstream statuses behind them)."""
    retried, bad = 0, {}
    with contextlib.suppress(OSError):
        for line in path.read_text().splitlines():
            m = re.match(r'(\d+) \S+ "([^"]*)" "([^"]*)" (\S+) (\S+)', line)
            if not m:
                continue
            retried += ", " in m.group(2)
            if m.group(1) not in ("200", "204"):
                k = f"{m.group(1)} {m.group(4)} {m.group(5)} upstream {m.group(3)} via {m.group(2)}"
                bad[k] = bad.get(k, 0) + 1
    return {"retried_by_nginx": retried, "not_ok_from_nginx": bad}


def _load(work, ns, port, warehouse, users, seconds, think, pages, say, logins) -> dict:
    from etl.publish import publish

    base = f"http://{HOST}:{port}"
    deps = Driver(base).deps_json
    for n in ns:  # nodes that have been up: each has rendered a page once
        Driver(f"http://{HOST}:{n.port}", deps).visit("/", "")
    samples: list[tuple[float, float, bool]] = []  # (start since t0, seconds, ok)
    errors: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    logins = min(logins or users, users)
    t0 = time.monotonic()

    def log_in(i: int):
        try:
            return Driver(base, deps).s  # the real login form, through nginx
        except Exception as e:  # noqa: BLE001 - a failed login counts as a failed request
            with lock:
                samples.append((-1.0, 0.0, False))
                errors.append(f"login: {type(e).__name__}: {str(e)[:80]}")
            return None

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(min(logins, 8)) as pool:  # `logins` users log in; the others share their sessions
        sessions = [s for s in pool.map(log_in, range(logins)) if s is not None]

    def user(seed: int):
        rnd = random.Random(seed)
        if not sessions:
            return
        src = sessions[seed % len(sessions)]
        s = requests.Session()
        s.cookies.update(src.cookies)
        s.headers.update(src.headers)
        d = Driver(base, deps, session=s)
        stop.wait(rnd.uniform(0, think[1]))
        while not stop.is_set():
            k = rnd.random()
            s0 = time.monotonic()
            ok = True
            try:
                if k < 0.15:
                    r = d.s.get(base + "/", headers={"Accept": "text/html"}, timeout=30)
                    ok = r.status_code == 200 and "_dash-config" in r.text
                else:
                    before = sum(d.errors.values())
                    if k < 0.55:
                        page = d.visit("/", "")
                    elif k < 0.85:
                        page = d.visit(f"/county/{rnd.choice(pages['counties'])}", "")
                    else:
                        page = d.visit(f"/village/{rnd.choice(pages['villages'])}", "")
                    # a page with its filters (an error page or a message has none)
                    ok = page is not None and sum(d.errors.values()) == before
            except requests.RequestException as e:
                ok = False
                with lock:
                    errors.append(type(e).__name__)
            with lock:
                samples.append((s0 - t0, time.monotonic() - s0, ok))
            stop.wait(rnd.uniform(*think))

    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(users)]
    for t in threads:
        t.start()
    t0 = time.monotonic()
    ev: dict = {}
    v2_file = work / "warehouse-next.duckdb"
    v2 = new_version(warehouse, v2_file)
    victim, drained = ns[-1], ns[0]

    def at(frac: float):
        stop.wait(max(0.0, t0 + frac * seconds - time.monotonic()))

    at(0.30)
    ev["publish_start"] = time.monotonic() - t0
    publish(v2_file, [n.dir for n in ns])
    ev["publish_end"] = time.monotonic() - t0
    pending = {n.i for n in ns}
    deadline = time.monotonic() + 30
    while pending and time.monotonic() < deadline:
        for n in ns:
            h = healthz(n.port)
            if n.i in pending and h and h.get("warehouse_version") == v2:
                pending.discard(n.i)
        time.sleep(0.05)
    ev["all_new"] = time.monotonic() - t0 if not pending else None
    at(0.40)
    (drained.dir / "DRAIN").touch()
    ev["drain"] = time.monotonic() - t0
    h = healthz(drained.port)
    ev["drained_healthz"] = h and h["http"]
    stop.wait(2)
    (drained.dir / "DRAIN").unlink()
    ev["undrain"] = time.monotonic() - t0
    stop.wait(FAIL_TIMEOUT_S + 0.5)  # nginx counted the drained node's 503s: it takes it back after fail_timeout
    at(0.55)
    ev["kill"] = time.monotonic() - t0
    victim.kill9()
    victim.start()
    victim.wait_up()
    ev["restarted"] = time.monotonic() - t0
    h = healthz(victim.port)
    ev["restarted_version_new"] = bool(h and h.get("warehouse_version") == v2)
    stop.wait(max(0.0, min(t0 + HARD_STOP_S, max(t0 + seconds, time.monotonic() + 3)) - time.monotonic()))
    stop.set()
    for t in threads:
        t.join(35)
    wall = time.monotonic() - t0

    during_end = max(ev["all_new"] or ev["publish_end"], ev["restarted"])
    phases = {"before": (0, ev["publish_start"]), "during": (ev["publish_start"], during_end),
              "after": (during_end, wall)}
    out = {"wall_s": round(wall, 1), "served": sum(1 for s in samples if s[2]),
           "failed": sum(1 for s in samples if not s[2]), "errors": sorted(set(errors))[:10],
           "new_version": v2, "seconds_to_all_nodes_new":
           None if ev["all_new"] is None else round(ev["all_new"] - ev["publish_end"], 2),
           "publish_s": round(ev["publish_end"] - ev["publish_start"], 2),
           "kill_to_back_s": round(ev["restarted"] - ev["kill"], 1),
           "restarted_node_serves_new": ev["restarted_version_new"], "drained_node_healthz": ev["drained_healthz"],
           "events_s": {k: round(v, 1) for k, v in ev.items() if isinstance(v, float)}, "p95_ms": {}}
    for name, (a, b) in phases.items():
        xs = [s[1] * 1000 for s in samples if a <= s[0] < b and s[2]]
        out["p95_ms"][name] = {"n": len(xs), "p95": round(pct(xs, 95), 1) if xs else None}
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=3)
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--warehouse", type=Path, default=Path(os.environ.get("BENCH_WAREHOUSE",
                                                                          ROOT / "data" / "warehouse.duckdb")))
    a = ap.parse_args(argv)
    if not a.warehouse.exists():
        sys.exit(f"{a.warehouse}: no warehouse (make warehouse, or --warehouse FILE)")
    r = run(a.warehouse, a.nodes, a.users, a.seconds)
    print(table(["what", "value"], [
        ["requests served / failed", f"{r['served']:,} / {r['failed']:,}"],
        ["passed to another node by nginx", r["retried_by_nginx"]],
        ["publish (copy to every node folder)", f"{r['publish_s']} s"],
        ["publish end -> every node serves the new version", f"{r['seconds_to_all_nodes_new']} s"],
        ["kill -9 -> node back (serving new version)", f"{r['kill_to_back_s']} s ({r['restarted_node_serves_new']})"],
        ["drained node's /healthz", r["drained_node_healthz"]],
        *[[f"p95 {k} (n)", f"{v['p95']} ms ({v['n']})"] for k, v in r["p95_ms"].items()],
        ["session from node 1 on the others", json.dumps(r["session_on_other_nodes"])],
        ["same callback map on every node", str(r["same_callbacks_on_every_node"])],
    ]))
    print(json.dumps(r, indent=1))
    return r


if __name__ == "__main__":
    main()
