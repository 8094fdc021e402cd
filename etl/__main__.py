"""python -m etl demo|load|summary|publish — see README.md."""

import argparse
import json
import os
import sys
import time
from pathlib import Path

from etl import paths


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("已中断 (interrupted); 数据库保持不变 (the warehouse is unchanged).", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: say so without a traceback (its text may quote a row)
        print(f"内部错误 (internal error: {type(exc).__name__}); 数据库保持不变 (the warehouse is unchanged). "
              "Run with GANSU_ETL_TRACEBACK=1 for details.", file=sys.stderr)
        if os.environ.get("GANSU_ETL_TRACEBACK") == "1":
            raise
        return 2


def _main(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(prog="python -m etl", description="Gansu poverty-exit warehouse: demo data, loads, summary.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="write the deterministic demo dataset in the input-contract format")
    demo.add_argument("--out", type=Path, default=paths.DEMO_DIR)
    demo.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    demo.add_argument("--scale", type=int, default=1, help="multiply people, households and villages (benchmarks)")
    load = sub.add_parser("load", help="load a folder or file of contract tables into the warehouse (all or nothing)")
    load.add_argument("source", type=Path)
    load.add_argument("--db", type=Path, default=paths.WAREHOUSE)
    load.add_argument("--quiet", action="store_true", help="no progress bars")
    summary = sub.add_parser("summary", help="province plan and actual per year, computed from the loaded rows")
    summary.add_argument("--db", type=Path, default=paths.WAREHOUSE)
    summary.add_argument("--json", action="store_true")
    pub = sub.add_parser("publish", help="copy the warehouse to every node's folder as a new checksummed version")
    pub.add_argument("--db", type=Path, default=paths.WAREHOUSE)
    pub.add_argument("--to", type=Path, action="append", required=True, help="a node's warehouse folder (repeat)")
    args = parser.parse_args(argv)

    if args.command == "publish":
        from etl.publish import PublishFailed, publish, text

        try:
            print(text(publish(args.db, args.to)))
        except PublishFailed as exc:
            print(f"发布失败 (publish failed): {exc}", file=sys.stderr)
            return 1
        return 0

    if args.command == "demo":
        from etl.demo import generate

        started = time.perf_counter()
        manifest = generate(args.out, args.format, scale=args.scale)
        print(f"demo data written to {args.out} in {time.perf_counter() - started:.1f} s: "
              + ", ".join(f"{k} {v:,}" for k, v in manifest["counts"].items()))
        return 0
    if args.command == "load":
        from etl.load import LoadFailed
        from etl.load import load as run_load

        try:
            report = run_load(args.source, args.db, progress=not args.quiet)
        except LoadFailed as exc:
            print(f"导入失败 (load failed): {exc}", file=sys.stderr)
            return 1
        print(report.text())
        return 0
    if args.command == "summary":
        from etl.summary import summary

        if not args.db.exists():
            print(f"{args.db}: 数据库不存在 (no warehouse); run `python -m etl load DIR --db {args.db}` first.",
                  file=sys.stderr)
            return 1
        import duckdb

        from etl.load import LoadFailed, check_schema

        try:
            with duckdb.connect(str(args.db), read_only=True) as con:
                check_schema(con, args.db)
            result = summary(args.db)
        except LoadFailed as exc:
            print(str(exc), file=sys.stderr)
            return 1
        except duckdb.Error as exc:
            from etl.load import db_error

            print(f"{args.db}: 无法读取数据库 (cannot read the warehouse: {db_error(exc)}).", file=sys.stderr)
            return 1
        print(json.dumps(result, ensure_ascii=False, indent=2 if not args.json else None))
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
