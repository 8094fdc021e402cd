"""Concurrent users against gunicorn (-w 2 --threads 4) on 127.0.0.1: req/s, p95, errors, worker RSS.

    .venv/bin/python bench/load_bench.py [--users 20] [--seconds 30] [--max-requests 4000] [--think 2-5]
                                         [--baseline COMMIT] [--workers 2]

Each simulated user (a thread with its own HTTP session) repeats page visits the way the browser makes them
(one page render carrying the page's figures; the map geometry is already in the browser): overview with a random
prefecture / map metric / as-of quarter, a random county page, a random village page; almost every page is
a cache miss (the random mix has thousands of distinct views). Between pages a user reads for --think
seconds (uniform; default 2-5 s, shorter than anyone reads a dashboard page); --think 0 is the stress case
with no reading at all, where 20 threads ask as fast as the server answers. Users arrive spread over the
first reading time; before the clock starts each worker has served a page (a server that has been up).
Bounded: stops at --seconds (hard cap 60 s) or --max-requests, whichever first. Worker RSS
sampled from /proc every 0.5 s. Budget: no errors, p95 < 500 ms, each worker < 500 MB.
--baseline COMMIT first runs the same load (same seeds) on that commit's code (git archive, this venv, the
same warehouse copy), then on this tree, and prints both side by side (issue 17: pages/s against b88b387).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.callbacks_bench import METRICS, Driver  # noqa: E402
from bench.common import (  # noqa: E402
    ROOT,
    gunicorn,
    places,
    random_page,
    rss_mb,
    stats_ms,
    table,
    verdict,
    warehouse_copy,
    worker_pids,
)

BUDGET_P95_MS = 500.0
BUDGET_RSS_MB = 500.0
HARD_STOP_S = 60.0


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--max-requests", type=int, default=4000)
    ap.add_argument("--think", default="2-5", help="seconds between page views: MIN-MAX (uniform) or 0")
    ap.add_argument("--baseline", default="", help="also run this commit's code first, side by side")
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args(argv)
    if not a.baseline:
        return run(a, ROOT, "this")
    from bench.lighthouse_bench import baseline_tree

    base = run(a, baseline_tree(a.baseline), f"baseline ({a.baseline})")
    this = run(a, ROOT, "this")
    print(f"\n## Side by side: {a.users} users, think {a.think} s, gunicorn -w {a.workers} --threads 4\n")
    print(table(["code", "requests", "pages/s", "p50 ms", "p95 ms", "max ms", "errors", "worker RSS peak MB",
                 "server CPU ms/page", "client CPU ms/page"],
                [[r["label"], r["requests"], r["rps"], r["p50"], r["p95"], r["max"], r["errors"],
                  max(r["rss_peak"].values()), r["server_cpu_ms"], r["client_cpu_ms"]] for r in (base, this)]))
    print()
    cbs = sorted(set(base["per_cb"]) | set(this["per_cb"]))
    print(table(["callback", "baseline p50", "baseline p95", "this p50", "this p95"],
                [[k, base["per_cb"].get(k, {}).get("p50", float("nan")), base["per_cb"].get(k, {}).get("p95", float("nan")),
                  this["per_cb"].get(k, {}).get("p50", float("nan")), this["per_cb"].get(k, {}).get("p95", float("nan"))]
                 for k in cbs]))
    return {"baseline": base, "this": this}


def cpu_s(pid: int) -> float:
    f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def run(a, root: Path, label: str) -> dict:
    lo_think, _, hi_think = a.think.partition("-")
    think = (float(lo_think), float(hi_think or lo_think))
    seconds = min(a.seconds, HARD_STOP_S)
    db = warehouse_copy()
    mix_places = places(db)

    with gunicorn(db, workers=a.workers, root=root) as (base, proc):
        workers = worker_pids(proc.pid)
        warm = Driver(base)
        shared_deps = warm.deps_json  # read once: every user uses the same callback map
        for _ in range(2 * len(workers)):  # a server that has been up: each worker opened the warehouse once
            Driver(base, shared_deps).visit("/", "")
        rss_idle = {pid: rss_mb(pid) for pid in workers}
        stop = threading.Event()
        sent = [0]
        lock = threading.Lock()
        drivers: list[Driver] = []
        exc: list[str] = []

        def user(seed: int):
            rnd = random.Random(seed)
            d = Driver(base, shared_deps)
            drivers.append(d)
            orig = d.call

            def bounded(*args, **kw):  # the request budget is shared by all users
                with lock:
                    if sent[0] >= a.max_requests or stop.is_set():
                        raise StopIteration
                    sent[0] += 1
                return orig(*args, **kw)
            d.call = bounded
            if think[1] > 0:  # users arrive over the first reading time, not all in the same millisecond
                stop.wait(rnd.uniform(0, think[1]))
            try:
                while not stop.is_set():
                    d.visit(*random_page(rnd, mix_places, METRICS))
                    if think[1] > 0:
                        stop.wait(rnd.uniform(*think))
            except StopIteration:
                pass
            except Exception as e:  # noqa: BLE001 - a transport error counts as an error
                exc.append(repr(e))

        peak = dict(rss_idle)
        threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(a.users)]
        t0 = time.perf_counter()
        cpu0 = {pid: cpu_s(pid) for pid in workers}, os.times()
        for t in threads:
            t.start()
        while time.perf_counter() - t0 < seconds and sent[0] < a.max_requests and any(t.is_alive() for t in threads):
            for pid in workers:
                try:
                    peak[pid] = max(peak[pid], rss_mb(pid))
                except OSError:
                    pass
            time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join(30)
        wall = time.perf_counter() - t0
        cpu1 = {pid: cpu_s(pid) for pid in workers if Path(f"/proc/{pid}").exists()}, os.times()
        server_cpu = sum(cpu1[0][p] - cpu0[0][p] for p in cpu1[0])
        client_cpu = (cpu1[1].user + cpu1[1].system) - (cpu0[1].user + cpu0[1].system)
        rss_end = {pid: rss_mb(pid) for pid in workers if Path(f"/proc/{pid}").exists()}

    samples = [s for d in drivers for v in d.samples.values() for s in v]
    errors = sum(sum(d.errors.values()) for d in drivers) + len(exc)
    st = stats_ms(samples)
    per_cb: dict = {}
    for d in drivers:
        for k, v in d.samples.items():
            per_cb.setdefault(k, []).extend(v)
    rps = len(samples) / wall
    mode = f"{think[0]:g}-{think[1]:g} s think time" if think[1] > 0 else "no think time (stress)"
    print(f"\n## Load ({label}): {a.users} concurrent users, {mode}, {wall:.1f} s, gunicorn -w {a.workers} --threads 4\n")
    print(table(["requests", "req/s", "p50 ms", "p95 ms", "max ms", "errors", "p95 < 500 ms", "no errors"],
                [[len(samples), rps, st["p50"], st["p95"], st["max"], errors, verdict(st["p95"] < BUDGET_P95_MS),
                  verdict(errors == 0)]]))
    n = max(len(samples), 1)
    print(f"\nCPU per page: server {1000 * server_cpu / n:.1f} ms (workers), load generator {1000 * client_cpu / n:.1f} ms "
          f"(this process: HTTP + JSON of the answers), on {os.cpu_count()} cores")
    if exc:
        print("transport errors:", exc[:3])
    print()
    print(table(["callback", "n", "p50 ms", "p95 ms", "max ms"],
                [[k, len(v), stats_ms(v)["p50"], stats_ms(v)["p95"], stats_ms(v)["max"]]
                 for k, v in sorted(per_cb.items(), key=lambda kv: -stats_ms(kv[1])["p95"])]))
    print()
    print(table(["worker pid", "RSS idle MB", "RSS peak MB", "RSS end MB", "< 500 MB"],
                [[pid, rss_idle[pid], peak[pid], rss_end.get(pid, float("nan")), verdict(peak[pid] < BUDGET_RSS_MB)]
                 for pid in workers]))
    return {"label": label, "server_cpu_ms": 1000 * server_cpu / n, "client_cpu_ms": 1000 * client_cpu / n,
            "requests": len(samples), "rps": rps, **{k: st[k] for k in ("p50", "p95", "max")}, "errors": errors,
            "wall": wall, "rss_peak": peak, "rss_idle": rss_idle, "users": a.users, "think": think,
            "per_cb": {k: stats_ms(v) for k, v in per_cb.items()}}


if __name__ == "__main__":
    main()
