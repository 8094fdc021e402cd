"""Long fuzzing run of `etl load` (the property of tests/test_etl_fuzz.py, random cases, counted not stopped).

    .venv/bin/python scripts/fuzz_etl.py --cases 5000 [--seed N]

Prints the cases tried, how many loaded / were refused cleanly / were unchanged, the rows in = loaded + rejected
totals, and the property violations: tracebacks (any exception but LoadFailed), rows lost, a failed load that
changed the warehouse, a valid file refused. Exit status 1 when there was any violation.
"""

import argparse
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402

from tests.test_etl_fuzz import base_warehouse, cases, run_case  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()
    counts: Counter = Counter()
    first_failures: list[str] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="gansu-fuzz-base-") as folder:
        base_db = base_warehouse(Path(folder))

        @seed(args.seed)
        @settings(max_examples=args.cases, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=cases())
        def run(case):
            counts["cases"] += 1
            try:
                outcome = run_case(case, base_db)
            except AssertionError as exc:
                counts["property violated"] += 1
                if "not in the warehouse" in str(exc):
                    counts["cases losing rows"] += 1
                first_failures.append(f"{case[0]} {len(case[1])} bytes: AssertionError {str(exc)[:300]}")
                return
            except Exception:
                counts["tracebacks"] += 1
                first_failures.append(f"{case[0]} {len(case[1])} bytes:\n{traceback.format_exc(limit=4)}")
                return
            counts[outcome["outcome"]] += 1
            for k in ("rows_in", "rows_loaded", "rows_rejected"):
                counts[k] += outcome.get(k, 0)
            if counts["cases"] % 500 == 0:
                print(f"  {counts['cases']} cases, {time.perf_counter() - started:.0f} s", flush=True)

        run()
    seconds = time.perf_counter() - started
    print(f"fuzz_etl: seed {args.seed}, {counts['cases']} cases in {seconds:.0f} s: loaded {counts['loaded']}, "
          f"refused cleanly {counts['refused']}, unchanged {counts['unchanged']}")
    print(f"  rows in {counts['rows_in']} = loaded {counts['rows_loaded']} + rejected {counts['rows_rejected']}"
          f"  [{'ok' if counts['rows_in'] == counts['rows_loaded'] + counts['rows_rejected'] else 'MISMATCH'}]")
    print(f"  tracebacks {counts['tracebacks']}, property violations {counts['property violated']}, "
          f"cases losing rows {counts['cases losing rows']}")
    for text in first_failures[:5]:
        print("---", text)
    return 1 if counts["tracebacks"] or counts["property violated"] else 0


if __name__ == "__main__":
    sys.exit(main())
