"""Reports: a prefecture Word report < 3 s and a province deck < 5 s, warm (issue 14).

    .venv/bin/python bench/report_bench.py [--runs 3] [--baseline DIR]

Two figures per document, on a private copy of the warehouse (bench.common.warehouse_copy):
- warm: in one process whose chart renderer (kaleido) is already up, as the app is when a header button is
  pressed a second time; the query cache is cleared before each run, so every query runs again. Median of --runs.
- CLI: `python -m dashboard.report …` in a fresh process (imports, browser start, queries, renders), wall clock,
  median of --runs.
--baseline DIR: a checkout of older code (e.g. `git worktree add --detach /tmp/old main`); its CLI is timed the same
way, for before/after figures (an empty column without it).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import PY, ROOT, table, verdict, warehouse_copy  # noqa: E402

BUDGET_DOCX_S = 3.0  # prefecture Word report, warm
BUDGET_PPTX_S = 5.0  # province deck, warm
CASES = (("docx", "622900", "prefecture Word report (临夏州)", BUDGET_DOCX_S),
         ("pptx", "620000", "province deck", BUDGET_PPTX_S))
AS_OF = "2019-06-30"


def _warm(db: Path, runs: int) -> dict[str, list[float]]:
    from dashboard import db as dbm
    from dashboard import docx_report, imaging, pptx_report
    from dashboard import queries as Q

    dbm.configure(db)
    imaging.warm_up()
    out = {}
    for fmt, code, _label, _budget in CASES:
        build = docx_report.build_docx if fmt == "docx" else pptx_report.build_pptx
        build(code, AS_OF)  # first: browser start and geometry, not counted
        times = []
        for _ in range(runs):
            Q.clear_cache()
            t = time.perf_counter()
            build(code, AS_OF)
            times.append(time.perf_counter() - t)
        out[fmt] = times
    dbm.configure(None)
    return out


def _cli(src: Path, db: Path, fmt: str, code: str, runs: int) -> list[float]:
    times = []
    out = Path("/tmp") / f"gansu-report-bench.{fmt}"
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([PY, "-m", "dashboard.report", "--scope", code, "--as-of", AS_OF, "--format", fmt,
                        "--out", str(out), "--db", str(db)], cwd=src, check=True, capture_output=True, timeout=300)
        times.append(time.perf_counter() - t)
    out.unlink(missing_ok=True)
    return times


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--baseline", type=Path, default=None, help="a checkout of older code to time its CLI too")
    a = ap.parse_args(argv)
    db = warehouse_copy()
    warm = _warm(db, a.runs)
    rows, res = [], {}
    for fmt, code, label, budget in CASES:
        cli = _cli(ROOT, db, fmt, code, a.runs)
        base = _cli(a.baseline, db, fmt, code, a.runs) if a.baseline else []
        w = statistics.median(warm[fmt])
        res[fmt] = {"warm_s": w, "warm_all": warm[fmt], "cli_s": statistics.median(cli), "cli_all": cli,
                    "baseline_cli_s": statistics.median(base) if base else None, "budget_s": budget,
                    "pass": w < budget, "label": label}
        rows.append([label, f"{w:.2f}", f"{statistics.median(cli):.2f}",
                     f"{statistics.median(base):.2f}" if base else "—", f"< {budget:g}", verdict(w < budget)])
    print(f"## Reports (as of {AS_OF}; median of {a.runs} runs)\n")
    print(table(["document", "warm s", "CLI s (fresh process)", "baseline CLI s", "budget (warm)", "PASS/MISS"],
                rows))
    print("\nwarm = kaleido already running, query cache cleared before each run; CLI = `python -m dashboard.report`"
          " wall clock including imports and the browser start.")
    return res


if __name__ == "__main__":
    main()
