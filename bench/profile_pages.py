"""CPU per page render in one process (no HTTP server, no other load): where a page's CPU goes.

    BENCH_WAREHOUSE=/work/cache/demo.duckdb .venv/bin/python bench/profile_pages.py [--baseline b88b387]
        [--warm 300] [--visits 200] [--profile]

The page renders are posted to the app's Flask test client as the browser posts them (logged in through the
login form), over the load bench's random mix (overview with a random prefecture / metric / quarter, county
pages, village pages). First --warm visits of another seed (a server that has been up: the per-snapshot
queries are cached, most views are not), then --visits measured: process CPU per visit by page. --profile adds
pyinstrument's call tree of the measured visits. --baseline runs the same in a subprocess on that commit's
code (git archive; this venv, the same warehouse copy) first, and prints both.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def measure(root: Path, warm: int, visits: int, profile: bool) -> dict:
    sys.path.insert(0, str(HERE.parent))
    from bench.common import BENCH_PASSWORD, BENCH_USER, bench_store, places, random_page, warehouse_copy

    db = warehouse_copy()
    os.environ["GANSU_DB"] = str(db)  # before the app reads its settings
    os.environ["GANSU_APP_DB"] = bench_store(root)
    sys.path.insert(0, str(root))  # the measured tree's app and dashboard
    import app as app_module
    from dashboard.metrics import METRICS

    c = app_module.server.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").get_data(as_text=True)).group(1)
    c.post("/login", data={"username": BENCH_USER, "password": BENCH_PASSWORD, "csrf_token": token})
    c.get("/", headers={"Accept": "text/html"})
    csrf = c.get_cookie("_csrf_token").value
    dep = next(d for d in c.get("/_dash-dependencies").get_json() if "_pages_content.children" in d["output"])

    def visit(path: str, search: str) -> None:
        inputs = [{"id": "_pages_location", "property": "pathname", "value": path},
                  {"id": "_pages_location", "property": "search", "value": search}][:len(dep["inputs"])]
        body = {"output": dep["output"], "outputs": [{"id": "_pages_content", "property": "children"},
                                                     {"id": "_pages_store", "property": "data"}],
                "inputs": inputs, "state": [], "changedPropIds": ["_pages_location.pathname"]}
        r = c.post("/_dash-update-component", json=body, headers={"X-CSRFToken": csrf})
        if os.environ.get("DEBUG_PROFILE"):
            print(path, search, r.status_code, len(r.data), r.data[:300], file=sys.stderr)
        if r.status_code != 200 or b"_pages_content" not in r.data:
            raise RuntimeError(f"{path}{search}: {r.status_code} {r.data[:200]!r}")

    mix_places = places(db)

    def mix(n: int, seed: int) -> list[tuple[str, str]]:
        rnd = random.Random(seed)
        return [random_page(rnd, mix_places, METRICS) for _ in range(n)]

    for path, search in mix(warm, seed=7):
        visit(path, search)
    per: dict[str, list[float]] = {}
    prof = None
    if profile:
        from pyinstrument import Profiler

        prof = Profiler(interval=0.0005)
        prof.start()
    t0 = time.process_time()
    for path, search in mix(visits, seed=1):
        a = time.process_time()
        visit(path, search)
        per.setdefault({"/": "overview", "/c": "county", "/v": "village"}[path[:2] if path != "/" else "/"],
                       []).append(time.process_time() - a)
    total = time.process_time() - t0
    out = {"cpu_ms": 1000 * total / visits, **{k: 1000 * sum(v) / len(v) for k, v in per.items()}}
    if prof:
        prof.stop()
        out["tree"] = prof.output_text(unicode=False, color=False)
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default="")
    ap.add_argument("--warm", type=int, default=300)
    ap.add_argument("--visits", type=int, default=200)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--root", default="", help=argparse.SUPPRESS)  # the subprocess of --baseline
    a = ap.parse_args(argv)
    if a.root:
        print(json.dumps(measure(Path(a.root), a.warm, a.visits, a.profile)))
        return
    rows = []
    if a.baseline:
        sys.path.insert(0, str(HERE.parent))
        from bench.lighthouse_bench import baseline_tree

        tree = baseline_tree(a.baseline)
        r = subprocess.run([sys.executable, __file__, "--root", str(tree), "--warm", str(a.warm), "--visits",
                            str(a.visits), *(["--profile"] if a.profile else [])], capture_output=True, text=True,
                           cwd=tree, check=True)
        rows.append((f"baseline ({a.baseline})", json.loads(r.stdout.strip().splitlines()[-1])))
    rows.append(("this", measure(HERE.parent, a.warm, a.visits, a.profile)))
    print(f"\nCPU per page render, in-process, after {a.warm} warm-up visits, {a.visits} measured (ms)\n")
    print("| code | all pages | overview | county | village |\n|---|---|---|---|---|")
    for label, r in rows:
        print(f"| {label} | {r['cpu_ms']:.1f} | {r.get('overview', 0):.1f} | {r.get('county', 0):.1f} | "
              f"{r.get('village', 0):.1f} |")
    for label, r in rows:
        if "tree" in r:
            print(f"\n### {label}\n\n```\n{r['tree']}\n```")


if __name__ == "__main__":
    main()
