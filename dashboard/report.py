"""Reports for one scope and date on the command line: Word (DOCX), the Word report as PDF, or PowerPoint (PPTX).

    python -m dashboard.report --scope 622900 --as-of 2019-06-30 --format docx --out linxia.docx [--lang en] [--db FILE]
                               [--as NAME]

scope: 620000 (province), a prefecture code (622900) or a county code (622926). The as-of date snaps to
the latest loaded quarter-end on or before it, and the document says so. --lang: zh (default) or en. --format pdf
converts the Word report through LibreOffice headless (`make system` installs it). The facts come from
dashboard.facts (the same queries as the dashboard); the writers are dashboard.docx_report and
dashboard.pptx_report. Only this command points the process at a warehouse (db.configure): the app's report
buttons use the app's connection. Every report written is an audit row in the app store (GANSU_APP_DB), like
the app's buttons: who (`cli:` + the OS user, or --as NAME: for whom it was made, the OS user in the detail),
the place, the counties it covers, format and quarter.
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
    ap.add_argument("--as", dest="as_name", default=None, metavar="NAME",
                    help="the person the report is for, named in the audit log (default: the OS user)")
    a = ap.parse_args(argv)
    from dashboard.auth import accounts

    if a.as_name is not None:
        try:
            accounts.check_name(a.as_name)
        except accounts.AccountError as e:
            print(f"error: --as: {e}", file=sys.stderr)
            return 2
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
    _audit(a, data)
    print(f"wrote {a.out} ({len(data) / 1024:.0f} KB) in {time.perf_counter() - t0:.1f} s")
    return 0


def _audit(a, data: bytes) -> None:
    """The audit row of a report written (the store migrated first: the CLI may run before the app ever did)."""
    from dashboard import auth
    from dashboard import queries as Q
    from dashboard.auth import store
    from dashboard.facts import snap

    with store.init_lock():
        store.upgrade()
    quarter, _ = snap(a.as_of)
    os_user = auth.os_user()
    who = a.as_name or f"cli:{os_user}"
    auth.audit("export", target=a.scope, rows=len(Q.scope_counties(a.scope) & Q.viewer_scope()), who=who,
               detail=f"report {a.format} {quarter} cli" + (f" by {os_user}" if a.as_name else ""))


if __name__ == "__main__":
    sys.exit(main())
