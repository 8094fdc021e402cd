"""Lighthouse 12 (desktop preset) on every page, this code against a baseline commit, side by side in one run.

    (cd bench/lighthouse && npm ci --no-audit --no-fund)     # `make bench` does this
    BENCH_WAREHOUSE=/work/cache/demo.duckdb .venv/bin/python bench/lighthouse_bench.py [--baseline b88b387] [--runs 3]

Both servers are gunicorn as `make run` runs them (1 worker x 4 threads, keep-alive 30) on the same read-only
warehouse copy; the baseline is `git archive <commit>` in a private folder, served by this venv. Lighthouse
gets the signed-in session cookie through --extra-headers and runs Debian's Chromium (CHROME_PATH). Per page
and server: the median run (by performance score) of --runs; scores 0-100, LCP and TBT in ms, bytes in KiB.
Goals (issue 17): performance >= 90, accessibility >= 95, LCP < 1,200 ms, TBT < 200 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
from pathlib import Path

import duckdb
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, WORK, gunicorn, login, table, verdict, warehouse_copy  # noqa: E402

LH_DIR = ROOT / "bench" / "lighthouse"
LH_BIN = LH_DIR / "node_modules" / ".bin" / "lighthouse"
CHROME = os.environ.get("CHROME_PATH", shutil.which("chromium") or "/usr/bin/chromium")
GOALS = {"performance": 90, "accessibility": 95, "lcp_ms": 1200, "tbt_ms": 200}


def baseline_tree(commit: str) -> Path:
    """The baseline commit's files (git archive) under WORK; made once per commit."""
    sha = subprocess.run(["git", "rev-parse", commit], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.strip()
    dst = WORK / f"baseline-{sha[:10]}"
    if not (dst / "app.py").exists():
        data = subprocess.run(["git", "archive", sha], cwd=ROOT, capture_output=True, check=True).stdout
        dst.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            tar.extractall(dst, filter="data")
    return dst


@contextlib.contextmanager
def serve(root: Path, db: Path, timeout_s: float = 90):
    """gunicorn app:server from `root` as `make run` serves it (-w 1 --threads 4); yields the base URL."""
    with gunicorn(db, workers=1, threads=4, timeout_s=timeout_s, root=root) as (base, _proc):
        yield base


def pages(db: Path, with_targets: bool) -> list[tuple[str, str]]:
    with duckdb.connect(str(db), read_only=True) as con:
        county = con.execute("SELECT county_code FROM dim_county WHERE is_poverty_county ORDER BY 1 LIMIT 1").fetchone()[0]
        village = con.execute("SELECT min(village_code) FROM dim_village WHERE county_code = ?", [county]).fetchone()[0]
    out = [("overview", "/"), ("county", f"/county/{county}"), ("village", f"/village/{village}"),
           ("data", "/data"), ("meeting", "/meeting")]
    return out + ([("targets", "/targets")] if with_targets else [])


def has_page(base: str, cookie: str, path: str) -> bool:
    r = requests.get(base + path, headers={"Cookie": cookie, "Accept": "text/html"}, timeout=60)
    return r.status_code == 200


def lighthouse(url: str, cookie: str, out: Path) -> dict:
    cmd = [str(LH_BIN), url, "--preset=desktop", "--output=json", f"--output-path={out}", "--quiet",
           "--only-categories=performance,accessibility,best-practices",
           "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
           f"--extra-headers={json.dumps({'Cookie': cookie})}"]
    subprocess.run(cmd, check=True, env=dict(os.environ, CHROME_PATH=CHROME), capture_output=True, timeout=300)
    r = json.loads(out.read_text(encoding="utf-8"))
    if "/login" in r.get("finalDisplayedUrl", ""):
        raise RuntimeError(f"{url}: sent to the login page (the session ended: was the bench user's password reset?)")
    cat, aud = r["categories"], r["audits"]
    return {"performance": round(cat["performance"]["score"] * 100),
            "accessibility": round(cat["accessibility"]["score"] * 100),
            "best_practices": round(cat["best-practices"]["score"] * 100),
            "fcp_ms": aud["first-contentful-paint"]["numericValue"],
            "lcp_ms": aud["largest-contentful-paint"]["numericValue"],
            "tbt_ms": aud["total-blocking-time"]["numericValue"],
            "kib": aud["total-byte-weight"]["numericValue"] / 1024,
            "bootup_ms": aud["bootup-time"]["numericValue"],
            "cls": aud["cumulative-layout-shift"]["numericValue"],
            "failed_a11y": sorted(k["id"] for k in cat["accessibility"]["auditRefs"]
                                  if k["weight"] and (aud[k["id"]].get("score") is not None)
                                  and aud[k["id"]]["score"] < 1)}


def median_run(runs: list[dict]) -> dict:
    runs = sorted(runs, key=lambda r: (r["performance"], -r["tbt_ms"]))
    m = dict(runs[len(runs) // 2])
    m["perf_all"] = [r["performance"] for r in runs]
    m["lcp_median"] = statistics.median(r["lcp_ms"] for r in runs)
    m["tbt_median"] = statistics.median(r["tbt_ms"] for r in runs)
    return m


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default="b88b387", help="commit to compare with (default: before issue 17)")
    ap.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page and server (median kept)")
    ap.add_argument("--only", default="", help="comma-separated page names (default: all)")
    a = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the servers on a plain kill too
    if not LH_BIN.exists():
        sys.exit(f"Lighthouse is not installed: (cd {LH_DIR.relative_to(ROOT)} && npm ci --no-audit --no-fund)")
    db = warehouse_copy()
    out_dir = WORK / "lighthouse"
    out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, dict]] = {}
    servers = {"baseline": baseline_tree(a.baseline), "this": ROOT}
    with serve(servers["baseline"], db) as b_base, serve(servers["this"], db) as t_base:
        bases = {"baseline": b_base, "this": t_base}
        cookies = {k: "; ".join(f"{c.name}={c.value}" for c in login(v).cookies) for k, v in bases.items()}
        targets = has_page(t_base, cookies["this"], "/targets")
        todo = [p for p in pages(db, targets) if not a.only or p[0] in a.only.split(",")]
        for name, path in todo:
            for which in ("baseline", "this"):
                if name == "targets" and not has_page(bases[which], cookies[which], path):
                    continue
                requests.get(bases[which] + path, headers={"Cookie": cookies[which]}, timeout=60)  # warm the server
                runs = [lighthouse(bases[which] + path, cookies[which], out_dir / f"{name}-{which}-{i}.json")
                        for i in range(a.runs)]
                results.setdefault(name, {})[which] = median_run(runs)
                r = results[name][which]
                print(f"{name:9} {which:8} perf {r['perf_all']} a11y {r['accessibility']} bp {r['best_practices']} "
                      f"LCP {r['lcp_ms']:.0f} TBT {r['tbt_ms']:.0f} CLS {r['cls']:.3f} {r['kib']:.0f} KiB {r['failed_a11y']}", flush=True)
    rows = []
    for name, by in results.items():
        for which, r in by.items():
            ok = (r["performance"] >= GOALS["performance"] and r["accessibility"] >= GOALS["accessibility"]
                  and r["lcp_ms"] < GOALS["lcp_ms"] and r["tbt_ms"] < GOALS["tbt_ms"])
            rows.append([name, which if which == "this" else f"{which} ({a.baseline})", r["performance"],
                         r["accessibility"], r["best_practices"], f"{r['fcp_ms']:,.0f}", f"{r['lcp_ms']:,.0f}",
                         f"{r['tbt_ms']:,.0f}", f"{r['cls']:.3f}", f"{r['bootup_ms']:,.0f}", f"{r['kib']:,.0f}",
                         "/".join(map(str, r["perf_all"])), verdict(ok) if which == "this" else ""])
    print()
    print(f"Lighthouse 12 desktop, median of {a.runs} (goals: performance >= 90, accessibility >= 95, "
          f"LCP < 1,200 ms, TBT < 200 ms)")
    print(table(["page", "code", "perf", "a11y", "best pr.", "FCP ms", "LCP ms", "TBT ms", "CLS", "JS boot ms", "KiB",
                 "perf runs", "goals"], rows))
    (out_dir / "summary.json").write_text(json.dumps(results, indent=1))
    return results


if __name__ == "__main__":
    main()
