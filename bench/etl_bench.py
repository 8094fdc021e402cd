"""ETL speed: full demo generate + load per step with rows/s, against naive baselines in the same run.

    .venv/bin/python bench/etl_bench.py [--sample 20000] [--xlsx-rows 200000] [--skip-full]

1. `python -m etl demo --out DIR` and `python -m etl load DIR --db FILE --quiet` (fresh warehouse under /tmp),
   each timed as a CLI subprocess.
2. One quarter's household file (~498k rows) loaded by the product into a fresh warehouse (with the
   counties/villages/targets it refers to) vs the naive way: pandas.read_csv + DataFrame.to_sql through
   SQLAlchemy + duckdb-engine, timed on a --sample row slice and extrapolated to the file.
3. A --xlsx-rows household sheet read with python-calamine (and the product's stage_xlsx) vs
   pandas.read_excel(engine="openpyxl").
Budgets: generate + load < 60 s; load >= 20x faster than to_sql; XLSX >= 3x faster.
Nothing is written outside BENCH_TMP (default /tmp/gansu-bench).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import PY, ROOT, WORK, table, verdict  # noqa: E402

BUDGET_GEN_LOAD_S = 60.0
BUDGET_TO_SQL_RATIO = 20.0
BUDGET_XLSX_RATIO = 3.0


def timed_cli(args: list[str]) -> tuple[float, str]:
    t = time.perf_counter()
    r = subprocess.run([PY, "-m", "etl", *args], cwd=ROOT, capture_output=True, text=True)
    dt = time.perf_counter() - t
    if r.returncode:
        raise RuntimeError(f"etl {args} failed: {r.stderr[-2000:]}")
    return dt, r.stdout


def rows_loaded(db: Path) -> tuple[int, int]:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        rows_in, hh = con.execute("SELECT sum(rows_in), sum(rows_in) FILTER (WHERE table_name = 'households') "
                                  "FROM etl_load_files").fetchone()
    return int(rows_in), int(hh)


def naive_to_sql(csv: Path, sample: int, target: Path) -> dict:
    """pandas read_csv of the whole file, then to_sql of `sample` rows via SQLAlchemy/duckdb-engine."""
    import pandas as pd
    from sqlalchemy import create_engine

    t = time.perf_counter()
    df = pd.read_csv(csv, dtype=str, keep_default_na=False)
    read_s = time.perf_counter() - t
    target.unlink(missing_ok=True)
    eng = create_engine(f"duckdb:///{target}")
    part = df.iloc[:sample]
    t = time.perf_counter()
    part.to_sql("households", eng, if_exists="replace", index=False, chunksize=5000, method=None)
    to_sql_s = time.perf_counter() - t
    eng.dispose()
    n = len(df)
    return {"rows": n, "read_s": read_s, "sample": len(part), "to_sql_sample_s": to_sql_s,
            "total_s": read_s + to_sql_s * n / len(part)}


def write_xlsx(csv: Path, rows: int, out: Path) -> float:
    """Row by row with xlsxwriter constant_memory (pandas.to_excel writes column by column, which
    constant_memory silently turns into an empty sheet but for column A and the last row)."""
    import csv as csvmod

    import xlsxwriter

    t = time.perf_counter()
    wb = xlsxwriter.Workbook(str(out), {"constant_memory": True})
    ws = wb.add_worksheet("households")
    with open(csv, newline="", encoding="utf-8-sig") as f:
        for i, rec in enumerate(csvmod.reader(f)):
            if i > rows:
                break
            ws.write_row(i, 0, rec)
    wb.close()
    return time.perf_counter() - t


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=20000)
    ap.add_argument("--xlsx-rows", type=int, default=200000)
    ap.add_argument("--skip-full", action="store_true", help="reuse BENCH_TMP/demo and skip the full load")
    a = ap.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    demo = WORK / "demo"
    res: dict = {}

    # 1. full demo generate + load
    if not a.skip_full or not (demo / "DEMO.json").exists():
        shutil.rmtree(demo, ignore_errors=True)
        res["generate_s"], _ = timed_cli(["demo", "--out", str(demo)])
        full_db = WORK / "etl-full.duckdb"
        full_db.unlink(missing_ok=True)
        res["load_s"], out = timed_cli(["load", str(demo), "--db", str(full_db), "--quiet"])
        res["rows_in"], res["hh_rows"] = rows_loaded(full_db)
        res["csv_mb"] = sum(p.stat().st_size for p in demo.glob("*.csv")) / 1e6
        full_db.unlink(missing_ok=True)
    counts = json.loads((demo / "DEMO.json").read_text())["counts"]

    # 2. one quarter of households: product load vs naive to_sql
    one = WORK / "one-quarter"
    shutil.rmtree(one, ignore_errors=True)
    one.mkdir()
    for name in ("counties.csv", "villages.csv", "county_targets.csv", "households_2018Q1.csv", "DEMO.json"):
        (one / name).symlink_to(demo / name)
    q_db = WORK / "etl-one.duckdb"
    q_db.unlink(missing_ok=True)
    res["one_load_s"], _ = timed_cli(["load", str(one), "--db", str(q_db), "--quiet"])
    res["one_rows"], res["one_hh_rows"] = rows_loaded(q_db)
    q_db.unlink(missing_ok=True)
    res["naive"] = naive_to_sql(demo / "households_2018Q1.csv", a.sample, WORK / "naive-to-sql.duckdb")
    (WORK / "naive-to-sql.duckdb").unlink(missing_ok=True)

    # 3. XLSX read
    xlsx = WORK / f"households_{a.xlsx_rows}_rows.xlsx"
    if not xlsx.exists():
        res["xlsx_write_s"] = write_xlsx(demo / "households_2018Q1.csv", a.xlsx_rows, xlsx)
    import duckdb
    import pandas as pd
    from python_calamine import CalamineWorkbook

    from etl.read import stage_xlsx

    t = time.perf_counter()
    rows = CalamineWorkbook.from_path(str(xlsx)).get_sheet_by_name("households").to_python()
    res["calamine_s"] = time.perf_counter() - t
    res["xlsx_rows"] = len(rows) - 1
    del rows
    con = duckdb.connect()
    t = time.perf_counter()
    staged = stage_xlsx(con, xlsx, "stg")
    res["stage_xlsx_s"] = time.perf_counter() - t
    res["stage_rows"] = staged[0].rows_in
    con.close()
    t = time.perf_counter()
    df = pd.read_excel(xlsx, engine="openpyxl", dtype=str)
    res["openpyxl_s"] = time.perf_counter() - t
    res["openpyxl_rows"] = len(df)
    res["xlsx_filled_cells"] = int(df.notna().sum().sum())
    res["xlsx_mb"] = xlsx.stat().st_size / 1e6
    del df

    # report
    nv = res["naive"]
    gen_load = res.get("generate_s", float("nan")) + res.get("load_s", float("nan"))
    to_sql_ratio = nv["total_s"] / res["one_load_s"]
    x_ratio = res["openpyxl_s"] / res["calamine_s"]
    x_ratio_stage = res["openpyxl_s"] / res["stage_xlsx_s"]
    res.update(gen_load_s=gen_load, to_sql_ratio=to_sql_ratio, xlsx_ratio=x_ratio, xlsx_ratio_stage=x_ratio_stage)
    rows_tbl = []
    if "generate_s" in res:
        gen_rows = counts["households"] * 12 + counts["villages"] + counts["counties"]
        rows_tbl += [
            ["demo generate (CLI)", gen_rows, res["generate_s"], gen_rows / res["generate_s"], ""],
            [f"load full demo (CLI, {res['csv_mb']:.0f} MB CSV)", res["rows_in"], res["load_s"],
             res["rows_in"] / res["load_s"], ""],
            ["generate + load", "", gen_load, "", f"< 60 s: {verdict(gen_load < BUDGET_GEN_LOAD_S)}"],
        ]
    rows_tbl += [
        ["load one quarter (CLI; + counties, villages, targets, marts)", res["one_rows"], res["one_load_s"],
         res["one_rows"] / res["one_load_s"], ""],
        ["naive: pandas read_csv (whole file)", nv["rows"], nv["read_s"], nv["rows"] / nv["read_s"], ""],
        [f"naive: to_sql via SQLAlchemy duckdb-engine ({nv['sample']:,}-row sample)", nv["sample"],
         nv["to_sql_sample_s"], nv["sample"] / nv["to_sql_sample_s"], ""],
        ["naive: read_csv + to_sql, extrapolated to the file", nv["rows"], nv["total_s"], nv["rows"] / nv["total_s"],
         f"ratio {to_sql_ratio:.0f}x (>= 20x: {verdict(to_sql_ratio >= BUDGET_TO_SQL_RATIO)})"],
        [f"XLSX python-calamine to_python ({res['xlsx_rows']:,} rows x 12, {res['xlsx_mb']:.0f} MB, "
         f"{res['xlsx_filled_cells']:,} filled cells)", res["xlsx_rows"], res["calamine_s"],
         res["xlsx_rows"] / res["calamine_s"], ""],
        ["XLSX product stage_xlsx (calamine + text + Arrow -> DuckDB)", res["stage_rows"], res["stage_xlsx_s"],
         res["stage_rows"] / res["stage_xlsx_s"], f"ratio vs openpyxl {x_ratio_stage:.1f}x"],
        ["XLSX pandas.read_excel(engine=openpyxl)", res["openpyxl_rows"], res["openpyxl_s"],
         res["openpyxl_rows"] / res["openpyxl_s"],
         f"calamine ratio {x_ratio:.1f}x (>= 3x: {verdict(x_ratio >= BUDGET_XLSX_RATIO)})"],
    ]
    print("\n## ETL\n")
    print(table(["step", "rows", "seconds", "rows/s", "budget"], rows_tbl))
    return res


if __name__ == "__main__":
    main()
