"""Shared helpers for the bench scripts: paths, timing stats, a gunicorn server on 127.0.0.1, machine info."""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PY = str(VENV_BIN / "python")
WAREHOUSE_SRC = Path(os.environ.get("BENCH_WAREHOUSE", ROOT / "data" / "warehouse.duckdb"))  # only ever copied
WORK = Path(os.environ.get("BENCH_TMP", "/tmp/gansu-bench"))


def warehouse_copy() -> Path:
    """A private copy of the built warehouse under WORK (the source file is never opened for writing)."""
    WORK.mkdir(parents=True, exist_ok=True)
    dst = WORK / "warehouse.duckdb"
    src_stat = WAREHOUSE_SRC.stat()
    if not dst.exists() or dst.stat().st_size != src_stat.st_size or dst.stat().st_mtime < src_stat.st_mtime:
        shutil.copyfile(WAREHOUSE_SRC, dst)
    return dst


def places(db: Path) -> dict:
    """The warehouse's prefectures, counties, 200 sampled villages and quarters, for the random page mix."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return {"prefectures": [r[0] for r in con.execute("SELECT prefecture_code FROM dim_prefecture").fetchall()],
                "counties": [r[0] for r in con.execute("SELECT county_code FROM dim_county").fetchall()],
                "villages": [r[0] for r in con.execute(
                    "SELECT village_code FROM dim_village USING SAMPLE 200 ROWS (reservoir, 7)").fetchall()],
                "quarters": [r[0] for r in con.execute(
                    "SELECT quarter_label FROM mart_snapshot ORDER BY as_of").fetchall()]}


def random_page(rnd, p: dict, metrics) -> tuple[str, str]:
    """(pathname, search) of one page visit: half overviews with a random prefecture / map metric / as-of
    quarter, 30 % county pages at a random quarter, 20 % village pages (almost every view a new one)."""
    k = rnd.random()
    if k < 0.5:
        q = [f"prefecture={rnd.choice(p['prefectures'])}"] if rnd.random() < 0.5 else []
        q.append(f"metric={rnd.choice(metrics)}")
        if rnd.random() < 0.5:
            q.append(f"as_of={rnd.choice(p['quarters'])}")
        return "/", "?" + "&".join(q)
    if k < 0.8:
        return f"/county/{rnd.choice(p['counties'])}", f"?as_of={rnd.choice(p['quarters'])}"
    return f"/village/{rnd.choice(p['villages'])}", ""


def pct(values, p: float) -> float:
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def stats_ms(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "p50": pct(ms, 50), "p95": pct(ms, 95), "max": max(ms) if ms else float("nan"),
            "mean": statistics.fmean(ms) if ms else float("nan")}


def table(headers: list[str], rows: list[list]) -> str:
    """A GitHub-markdown table (also readable on a terminal)."""
    def fmt(x):
        if isinstance(x, float):
            return f"{x:,.1f}" if abs(x) >= 10 else f"{x:,.2f}"
        if isinstance(x, int):
            return f"{x:,}"
        return str(x)
    cells = [[fmt(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    out = ["| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths)) + " |",
           "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in cells]
    return "\n".join(out)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


BENCH_USER, BENCH_PASSWORD = "bench", "bench-only-password-0123456789"


def bench_store(root: Path = ROOT) -> str:
    """The bench's own app store (under WORK) with a province leader the bench logs in as; a baseline checkout
    (`root`) gets its own, made by its own code (its migrations may be older)."""
    url = f"sqlite:///{WORK / ('app.sqlite' if root == ROOT else f'app-{root.name}.sqlite')}"
    env = dict(os.environ, GANSU_APP_DB=url, PYTHONPATH=str(root))
    for cmd in (["add", BENCH_USER, "--role", "leader", "--scope", "620000", "--password-stdin"],
                ["set-password", BENCH_USER, "--password-stdin"]):
        r = subprocess.run([PY, "-m", "dashboard.users", *cmd], input=BENCH_PASSWORD + "\n", text=True, env=env,
                           cwd=root, capture_output=True)
        if r.returncode == 0:
            break
    return url


def login(base: str) -> requests.Session:
    """A session logged in through POST /login (the form's CSRF token), sending the CSRF header Dash needs."""
    import re

    s = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', s.get(base + "/login", timeout=30).text).group(1)
    r = s.post(base + "/login", data={"username": BENCH_USER, "password": BENCH_PASSWORD, "csrf_token": token},
               timeout=30)
    if not r.ok or "/login" in r.url:
        raise RuntimeError(f"bench login failed: {r.status_code}")
    s.headers["X-CSRFToken"] = s.cookies.get("_csrf_token", "")
    return s


def browser_login(drv, base: str) -> None:
    drv.get(base + "/login")
    drv.find_element("id", "username").send_keys(BENCH_USER)
    drv.find_element("id", "password").send_keys(BENCH_PASSWORD)
    drv.find_element("id", "login-submit").click()
    deadline = time.monotonic() + 20
    while "/login" in drv.current_url and time.monotonic() < deadline:
        time.sleep(0.05)


@contextlib.contextmanager
def gunicorn(db: Path, workers: int = 2, threads: int = 4, timeout_s: float = 90, root: Path = ROOT):
    """Serve app:server from `root` (another checkout for a baseline) as in production; yields (base_url, master
    Popen). Stops only the process it started."""
    port = free_port()
    WORK.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, GANSU_DB=str(db), GANSU_APP_DB=bench_store(root), PYTHONPATH=str(root))
    log = open(WORK / f"gunicorn-{port}.log", "w")
    proc = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "-w", str(workers), "--threads", str(threads), "-b", f"127.0.0.1:{port}", "--reuse-port", "--keep-alive", "30",
         "--timeout", "120", "--chdir", str(root), "app:server"],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({proc.returncode}); see {log.name}")
            try:
                if requests.get(base + "/login", timeout=5).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not come up in time")
            time.sleep(0.3)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        log.close()


def worker_pids(master_pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                st = (d / "status").read_text()
            except OSError:
                continue
            for line in st.splitlines():
                if line.startswith("PPid:") and int(line.split()[1]) == master_pid:
                    out.append(int(d.name))
    return sorted(out)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def machine() -> dict:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_gb = float("nan")
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = int(line.split()[1]) / 1024 / 1024
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    return {"nproc": os.cpu_count(), "ram_gb": round(mem_gb, 1), "cpu": cpu, "python": platform.python_version(),
            "commit": commit + (" (tracked files modified)" if dirty else ""), "argv": " ".join(sys.argv)}
