"""Reports for one scope and date on the command line: Word (DOCX), the Word report as PDF, or PowerPoint (PPTX).

    python -m dashboard.report --scope 622900 --as-of 2019-06-30 --format docx --out linxia.docx [--lang en] [--db FILE]

scope: 620000 (province), a prefecture code (622900) or a county code (622926). The as-of date snaps to
the latest loaded quarter-end on or before it, and the document says so. --lang: zh (default) or en. --format pdf
converts the Word report through LibreOffice headless (`make system` installs it). The facts come from
dashboard.facts (the same queries as the dashboard); the writers are dashboard.docx_report and
dashboard.pptx_report. Only this command points the process at a warehouse (db.configure): the app's report
buttons use the app's connection.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

FORMATS = ("docx", "pdf", "pptx")


def main(argv=None) -> int:
    t0 = time.perf_counter()
    ap = argparse.ArgumentParser(prog="python -m dashboard.report", description=__doc__.splitlines()[0])
    ap.add_argument("--scope", required=True, help="620000 (province), a prefecture code or a county code")
    ap.add_argument("--as-of", default=None, help="YYYY-MM-DD; snaps to the latest loaded quarter-end on or before it")
    ap.add_argument("--format", choices=FORMATS, default="docx")
    ap.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the document (default zh)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--db", default=None, help="warehouse file (default: etl.paths.WAREHOUSE)")
    a = ap.parse_args(argv)
    from dashboard import imaging

    imaging.warm_up()  # the chart renderer's browser boots (~3 s) while the rest is imported and queried
    from dashboard import db, docx_report, pptx_report
    from dashboard.facts import ReportError

    if a.db:
        db.configure(a.db)
    build = {"docx": docx_report.build_docx, "pdf": docx_report.build_pdf, "pptx": pptx_report.build_pptx}[a.format]
    try:
        data = build(a.scope, a.as_of, a.lang)
    except (ReportError, ValueError, db.WarehouseMissing, docx_report.PdfError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    Path(a.out).write_bytes(data)
    print(f"wrote {a.out} ({len(data) / 1024:.0f} KB) in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
