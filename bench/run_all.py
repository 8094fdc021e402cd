"""Run every benchmark and write bench/RESULTS.md (date, machine, git commit, each script's tables, budgets).

    .venv/bin/python bench/run_all.py [--skip etl,page,...]

Each script also runs alone (see its docstring). Between scripts: sync and 5 s to settle. Run time on 2 cores:
about 4 minutes.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import os
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import callbacks_bench, etl_bench, load_bench, page_bench, report_bench  # noqa: E402
from bench.common import ROOT, machine, table, verdict  # noqa: E402

OUT = ROOT / "bench" / "RESULTS.md"
SETTLE_S = 5.0


class Tee(io.TextIOBase):
    def __init__(self, *streams):
        self.streams = streams

    def write(self, s):
        for st in self.streams:
            st.write(s)
        return len(s)

    def flush(self):
        for st in self.streams:
            st.flush()


def budgets(r: dict) -> list[list]:
    rows = []
    e = r.get("etl")
    if e:
        if "gen_load_s" in e:
            rows.append(["ETL", "demo generate + load < 60 s", f"{e['generate_s']:.1f} + {e['load_s']:.1f} = "
                         f"{e['gen_load_s']:.1f} s", verdict(e["gen_load_s"] < etl_bench.BUDGET_GEN_LOAD_S)])
        rows.append(["ETL", "load >= 20x faster than pandas to_sql (one quarter, 498k rows)",
                     f"{e['naive']['total_s']:.0f} s vs {e['one_load_s']:.1f} s = {e['to_sql_ratio']:.0f}x",
                     verdict(e["to_sql_ratio"] >= etl_bench.BUDGET_TO_SQL_RATIO)])
        rows.append(["ETL", f"XLSX read >= 3x faster than openpyxl ({e['xlsx_rows']:,} rows)",
                     f"calamine {e['calamine_s']:.1f} s vs openpyxl {e['openpyxl_s']:.1f} s = {e['xlsx_ratio']:.1f}x "
                     f"(product stage_xlsx {e['stage_xlsx_s']:.1f} s = {e['xlsx_ratio_stage']:.1f}x)",
                     verdict(e["xlsx_ratio"] >= etl_bench.BUDGET_XLSX_RATIO)])
    c = r.get("callbacks")
    if c:
        cbs = c["callbacks"]
        worst = max(cbs, key=lambda k: cbs[k]["p95"])
        misses = [k for k, v in cbs.items() if not v["pass"]]
        rows.append(["Callbacks", "p95 < 100 ms for each callback",
                     f"worst p95 {cbs[worst]['p95']:.0f} ms ({worst}); misses: {', '.join(misses) or 'none'}",
                     verdict(not misses)])
        rows.append(["Callbacks", ">= 10x faster than naive on the heaviest (overview map)",
                     f"naive map {c['naive']['p50']:.0f} ms vs the whole overview page render, map included, "
                     f"{cbs[callbacks_bench.PAGE_LABEL['ov']]['p50']:.0f} ms = "
                     f"{c['ratio']:.0f}x; vs slowest callback ({c['heaviest']}) {c['naive_vs_heaviest']:.0f}x",
                     verdict(min(c["ratio"], c["naive_vs_heaviest"]) >= callbacks_bench.BUDGET_NAIVE_RATIO)])
    p = r.get("page")
    if p:
        for label, pg in p["pages"].items():
            ts = [t for t in pg["map_s"] if t]
            worst = max(ts) if len(ts) == len(pg["map_s"]) else float("inf")
            rows.append(["Page", f"{label}: navigation -> map drawn < 2 s",
                         f"max {worst * 1000:.0f} ms over {len(pg['map_s'])} runs; "
                         f"{pg['bytes'][-1]['transfer'] / 1024:.0f} KB transferred", verdict(worst < page_bench.BUDGET_MAP_S)])
        rows.append(["Page", "county layer < 300 KB", f"{p['counties_kb']:.0f} KB",
                     verdict(p["counties_kb"] < page_bench.BUDGET_LAYER_KB)])
        once = all(pg["layout_requests"] == 1 and all(u.startswith("_dash-layout") for u, _o, _b in pg["geometry_responses"])
                   for pg in p["pages"].values())
        rows.append(["Page", "geometry sent once per visit (only in /_dash-layout)",
                     "yes" if once else "no", verdict(once)])
        rows.append(["Page", "changing the map metric resends no geometry",
                     "resent" if p["recolour_geometry"] else "not resent", verdict(not p["recolour_geometry"])])
    for key in ("load", "load_stress"):
        lo = r.get(key)
        if not lo:
            continue
        area = (f"Load ({lo['think'][0]:g}-{lo['think'][1]:g} s think)" if lo["think"][1] > 0
                else "Load (stress: no think time)")
        rows.append([area, f"{lo['users']} users: no errors", f"{lo['errors']} errors in {lo['requests']:,} requests",
                     verdict(lo["errors"] == 0)])
        rows.append([area, "p95 < 500 ms", f"p95 {lo['p95']:.0f} ms, p50 {lo['p50']:.0f} ms, {lo['rps']:.1f} pages/s",
                     verdict(lo["p95"] < load_bench.BUDGET_P95_MS)])
        peak = max(lo["rss_peak"].values())
        rows.append([area, "each worker RSS < 500 MB",
                     ", ".join(f"{v:.0f}" for v in lo["rss_peak"].values()) + " MB peak",
                     verdict(peak < load_bench.BUDGET_RSS_MB)])
    rep = r.get("report")
    if rep:
        for v in rep.values():
            rows.append(["Reports", f"{v['label']} < {v['budget_s']:g} s warm",
                         f"warm {v['warm_s']:.2f} s; CLI (fresh process) {v['cli_s']:.2f} s", verdict(v["pass"])])
    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip", default="")
    a = ap.parse_args(argv)
    skip = set(filter(None, a.skip.split(",")))
    started = dt.datetime.now()
    m = machine()
    buf = io.StringIO()
    results: dict = {}
    timings = {}
    runs = (("etl", etl_bench, []), ("callbacks", callbacks_bench, []), ("page", page_bench, []),
            ("load", load_bench, []), ("load_stress", load_bench, ["--think", "0"]), ("report", report_bench, []))
    for name, mod, args in runs:
        if name in skip:
            continue
        os.sync()  # the ETL bench leaves ~2 GB of written files to flush: let it land before the next bench
        time.sleep(SETTLE_S)
        t = time.perf_counter()
        with contextlib.redirect_stdout(Tee(sys.__stdout__, buf)):
            try:
                results[name] = mod.main(args)
            except Exception:  # noqa: BLE001 - one failing bench must not lose the others
                print(f"\n**{name} bench failed**\n\n```\n{traceback.format_exc()}```")
        timings[name] = time.perf_counter() - t
    rows = budgets(results)
    head = [
        "# Benchmarks (issue 6)",
        "",
        f"Generated by `.venv/bin/python bench/run_all.py` on {started:%Y-%m-%d %H:%M}; "
        f"total {sum(timings.values()):.0f} s ({', '.join(f'{k} {v:.0f} s' for k, v in timings.items())}).",
        "",
        f"- Machine: {m['nproc']} cores, {m['ram_gb']} GB RAM, {m['cpu']}; Python {m['python']}",
        f"- Git commit: {m['commit']}",
        "- Data: full demo scale (86 counties, 7,262 villages, 498,020 households x 12 quarterly snapshots); "
        "the app is served from a copy of data/warehouse.duckdb under /tmp.",
        "- Other work was running on the same 2 cores; figures are single runs, not isolated lab numbers.",
        "",
        "## Budgets",
        "",
        table(["area", "budget", "measured", "PASS/MISS"], rows),
        "",
        "# Figures (as printed by each script)",
    ]
    notes = ROOT / "bench" / "NOTES.md"
    tail = "\n" + notes.read_text(encoding="utf-8") if notes.exists() else ""
    OUT.write_text("\n".join(head) + "\n" + buf.getvalue().replace("\n## ", "\n### ") + "\n" + tail,
                   encoding="utf-8")
    print(f"\nwrote {OUT}")


if __name__ == "__main__":
    main()
