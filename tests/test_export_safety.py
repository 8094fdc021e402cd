"""Every exported cell is inert, and personal data masks leave enough doubt (issue 10, items 2 and 6).

A tiny warehouse built by the real ETL from the shared fixture's files with crafted names in them
(formula and DDE payloads), then every download format of every chart and table is opened the way a
spreadsheet would see it: XLSX by openpyxl (no formula, no hyperlink), CSV by the csv module (every
crafted text starts with a quote), Word and PowerPoint tables (no cell starts a formula).
"""

import base64
import csv
import datetime as dt
import io
import itertools
import json
import re
import shutil
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from dashboard import db
from dashboard import queries as Q
from dashboard.filters import Filters
from etl.load import load
from etl.validate import ID_WEIGHTS
from tests.fixtures import (
    COUNTIES,
    HOUSEHOLD_HEADER,
    TARGETS,
    VILLAGES,
    household_rows,
    write_csv,
    write_tiny_inputs,
)

EVIL = ['=HYPERLINK("http://x","y")', "@SUM(1)", "+cmd|' /C calc'!A0", "-1+1"]
FORMULA_START = tuple("=+-@\t\r\n＝＋－＠")


def _evil_inputs(folder):
    write_tiny_inputs(folder)
    counties = [list(r) for r in COUNTIES]
    counties[1][3] = "=1+2"  # prefecture name of 兰州市 (in ranking and map rows)
    write_csv(folder / "counties.csv", counties)
    # a 2019 plan for 七里河区, behind at 2019Q4 (its household returned to poverty): the reports list it with
    # its prefecture. (Without a plan for the year the reports fail on the shared fixture: NaN expected.)
    write_csv(folder / "county_targets.csv", TARGETS + [["620103", "2019", "people_exit", "1"]])
    villages = [list(r) for r in VILLAGES]
    villages[1][1], villages[1][2] = EVIL[0], EVIL[2]  # village name, township
    villages[2][1], villages[2][2] = EVIL[1], EVIL[3]
    villages[3][1] = EVIL[3]
    write_csv(folder / "villages.csv", villages)
    for quarter, as_of in (("2019Q2", "2019-06-30"), ("2019Q4", "2019-12-31")):
        rows = household_rows(as_of, with_bad_row=quarter == "2019Q4")
        name_col = HOUSEHOLD_HEADER.index("head_name")
        for i, r in enumerate(rows[1:5]):
            r[name_col] = EVIL[i]
        if quarter == "2019Q4":  # rejected rows: two IDs of the wrong form
            # (an ID number holding '=' or letters stops the whole load in etl/validate.py: a DuckDB cast error)
            bad = list(rows[1])
            idn = bad[HOUSEHOLD_HEADER.index("head_id_number")]
            bad[0], bad[HOUSEHOLD_HEADER.index("head_id_number")] = "H7", idn[:17] + "Y"
            rows.append(bad)
            bad2 = list(rows[2])
            bad2[0] = "H8"
            idn = bad2[HOUSEHOLD_HEADER.index("head_id_number")]
            # (a wrong check digit loads with a warning since etl_warnings: a second wrong form instead)
            bad2[HOUSEHOLD_HEADER.index("head_id_number")] = idn[:16] + "XX"
            rows.append(bad2)
        write_csv(folder / f"households_{quarter}.csv", rows)
    return folder


@pytest.fixture(scope="module")
def evil_warehouse(tmp_path_factory):
    folder = tmp_path_factory.mktemp("evil")
    path = folder / "warehouse.duckdb"
    load(_evil_inputs(folder / "inputs"), path, progress=False)
    db.configure(path)
    Q.clear_cache()
    yield path
    db.configure(None)
    Q.clear_cache()


def test_the_crafted_names_are_in_the_warehouse(evil_warehouse):
    with duckdb.connect(str(evil_warehouse), read_only=True) as con:
        names = {r[0] for r in con.execute("SELECT village_name FROM dim_village UNION SELECT township_name "
                                           "FROM dim_village UNION SELECT head_name FROM fct_household_snapshot")
                 .fetchall()}
        rejected = {r[0] for r in con.execute("SELECT value FROM etl_rejects").fetchall()}
    assert set(EVIL) <= names
    assert len(rejected) >= 3


# ---------------------------------------------------------------- ID mask: candidates given the county
BIRTH_FIRST, BIRTH_LAST = dt.date(1920, 1, 1), dt.date(2004, 12, 31)  # heads of household aged 16-100 in 2020
CHECK = "10X98765432"


def _residues(positions: range, shown: str, fillings) -> dict[int, int]:
    """weighted sum mod 11 → number of fillings of `positions` consistent with the shown characters."""
    out: dict[int, int] = {}
    for digits in fillings:
        if all(s == "*" or s == d for s, d in zip(shown, digits)):
            r = sum(int(d) * ID_WEIGHTS[p] for p, d in zip(positions, digits)) % 11
            out[r] = out.get(r, 0) + 1
    return out


def id_candidates(masked: str, county: str) -> int:
    """How many valid 18-digit ID numbers (area = the county, birth date in range, any sequence, right
    check digit) show as `masked`: computed from the ID structure, not from the masking code."""
    assert len(masked) == 18
    if any(s != "*" and s != c for s, c in zip(masked[:6], county)):
        return 0
    area = sum(int(d) * w for d, w in zip(county, ID_WEIGHTS[:6])) % 11
    days = (BIRTH_LAST - BIRTH_FIRST).days + 1
    dates = _residues(range(6, 14), masked[6:14],
                      ((BIRTH_FIRST + dt.timedelta(i)).strftime("%Y%m%d") for i in range(days)))
    seqs = _residues(range(14, 17), masked[14:17], (f"{i:03d}" for i in range(1000)))
    return sum(nd * ns for rd, nd in dates.items() for rs, ns in seqs.items()
               if masked[17] == "*" or CHECK[(area + rd + rs) % 11] == masked[17])


def test_candidate_count_of_the_old_mask_is_small():
    # the oracle itself: the old mask keeps 1 date in 11 (the check digit) of ~31,000 birth dates
    assert 2_000 < id_candidates("6229**********123X", "622926") < 4_000


def test_id_mask_leaves_at_least_100000_candidates_everywhere(evil_warehouse):
    scope = Q.viewer_scope()
    f = Q.resolve(Filters.parse({"as_of": "2019Q4"}))
    seen = []
    for village in ("620103001001", "622926001001", "622926001002"):
        hh = Q.households(f, village, scope)
        seen += [(m, village[:6]) for m in hh["head_id_number"]]
    rej = Q.reject_samples(scope)
    rej = rej[rej["column_name"] == "head_id_number"]
    seen += [(m, "622926") for m in rej["value"] if len(m) == 18]
    assert len(seen) >= 6 and len(rej) >= 2
    counts = {m: id_candidates(m, c) for m, c in seen}
    assert min(counts.values()) >= 100_000, counts
    # one mask: a household's ID and a rejected ID of the same shape look alike
    assert {m[6:] for m, _ in seen} == {"*" * 12}


def test_masks_never_start_a_formula(evil_warehouse):
    scope = Q.viewer_scope()
    f = Q.resolve(Filters.parse({"as_of": "2019Q4"}))
    hh = pd.concat([Q.households(f, v, scope) for v in ("620103001001", "622926001001", "622926001002")])
    rej = Q.reject_samples(scope)
    masked = list(hh["head_name"]) + list(hh["head_id_number"]) + list(
        rej[rej["column_name"].isin(["head_name", "head_id_number"])]["value"])
    assert masked
    for m in masked:
        assert not m.startswith(FORMULA_START), m
        assert m not in EVIL


def test_mask_expressions_on_crafted_values():
    from dashboard import masking

    values = EVIL + ["\t=1+1", "\r=1+1", "＝1+1", "=", "=1", "马", "马明", "62292619750505123X", "x" * 5000]
    with duckdb.connect() as con:
        got = con.execute(f"SELECT v, {masking.name_sql('v')}, {masking.id_sql('v')} FROM unnest($v) AS t(v)",
                          {"v": values}).fetchall()
    for raw, name, idn in got:
        for m in (name, idn):
            assert not m.startswith(FORMULA_START) and m != raw and len(m) <= 18, (raw, m)
    assert dict((r, n) for r, n, _ in got)["马明"] == "马*"
    assert dict((r, i) for r, _, i in got)["62292619750505123X"] == "622926" + "*" * 12


# ---------------------------------------------------------------- every download, through the real callback
DOWNLOADS = [  # (page context, chart) as the pages' buttons ask for them
    ({}, "schedule"), ({}, "map"), ({}, "ranking"), ({}, "pathways"),
    ({"county": "622926"}, "villages"), ({"county": "620103"}, "villages"), ({"county": "622926"}, "village_map"),
    ({"county": "622926"}, "breakdown"), ({"county": "622926"}, "history"), ({"county": "622926"}, "schedule"),
    ({"village": "622926001001"}, "v_history"), ({"village": "622926001001"}, "households"),
    ({"village": "620103001001"}, "households"),
    ({}, "loads"), ({}, "files"), ({}, "rejects"), ({}, "reject_samples"), ({}, "recon"), ({}, "refs"),
]


def post_download(client, chart: str, fmt: str, ctx: dict, query: dict) -> tuple[str, bytes]:
    """POST the download callback as the browser does on a button click: (file name, bytes). `client`: logged
    in (tests.conftest.client_login)."""
    bid = {"chart": chart, "fmt": fmt, "type": "dl"}
    body = {"output": "download.data", "outputs": {"id": "download", "property": "data"},
            "inputs": [[{"id": bid, "property": "n_clicks", "value": 1}]],
            "state": [{"id": "page-filters", "property": "data", "value": query},
                      {"id": "page-ctx", "property": "data", "value": ctx}],
            "changedPropIds": [json.dumps(bid, sort_keys=True, separators=(",", ":")) + ".n_clicks"]}
    r = client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": client.csrf})
    assert r.status_code == 200, r.data[:500]
    data = r.get_json()["response"]["download"]["data"]
    return data["filename"], base64.b64decode(data["content"]) if data.get("base64") else data["content"].encode()


@pytest.fixture(scope="module")
def download(evil_warehouse):
    import app as app_module
    from tests.conftest import client_login

    client = client_login(app_module.app.server)  # a province-wide user, through the login form
    return lambda chart, fmt, ctx, query: post_download(client, chart, fmt, ctx, query)


def _unsafe(text) -> bool:
    return isinstance(text, str) and text.startswith(FORMULA_START) and not re.fullmatch(r"[+-]?[0-9.,]+%?", text)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_download_holds_a_live_formula(download, lang):
    seen_csv, seen_xlsx, numbers = set(), set(), []
    for (ctx, chart), quarter in itertools.product(DOWNLOADS, ("2019Q2", "2019Q4")):
        query = {"as_of": quarter, "lang": lang}
        _, raw = download(chart, "csv", ctx, query)
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert len(rows) >= 1
        for row in rows:
            for cell in row:
                assert not _unsafe(cell), (chart, "csv", cell)
                seen_csv.add(cell)
        if chart == "ranking":  # unquoted numbers are numbers, negative ones too
            numbers += [v for r in csv.reader(io.StringIO(raw.decode("utf-8-sig")), quoting=csv.QUOTE_NONNUMERIC)
                        for v in r if isinstance(v, float)]

        _, raw = download(chart, "xlsx", ctx, query)
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            for part in z.namelist():  # the sheets' XML: no formula element, no hyperlink
                if part.startswith("xl/worksheets/"):
                    xml = z.read(part).decode("utf-8")
                    assert not re.search(r"<f[ >/]|<hyperlink", xml), (chart, part)
        wb = openpyxl.load_workbook(io.BytesIO(raw))
        for ws in wb.worksheets:
            assert not ws._hyperlinks
            for row in ws.iter_rows():
                for c in row:
                    assert c.data_type != "f" and c.hyperlink is None, (chart, c.coordinate, c.value)
                    assert not _unsafe(c.value), (chart, "xlsx", c.coordinate, c.value)
                    if c.data_type == "n" and c.value is not None:
                        numbers.append(c.value)
                    seen_xlsx.add(c.value)
    crafted = {"'" + e for e in EVIL} | {"'=1+2"}
    assert crafted <= seen_csv and crafted <= seen_xlsx  # they were there, as inert text
    assert any(n < 0 for n in numbers)  # the ranking's gap of 临夏州 in 2019Q2 (-2): a number, not text


@pytest.mark.skipif(shutil.which("chromium") is None, reason="report charts are rendered by kaleido/chromium")
def test_report_tables_hold_no_formula(evil_warehouse):
    import docx
    import pptx

    from dashboard import docx_report, pptx_report

    db.configure(evil_warehouse)
    cells = []
    d = docx.Document(io.BytesIO(docx_report.build_docx("620000", "2019-12-31")))
    cells += [c.text for tb in d.tables for r in tb.rows for c in r.cells]
    deck = pptx.Presentation(io.BytesIO(pptx_report.build_pptx("620000", "2019-12-31")))
    cells += [c.text for s in deck.slides for sh in s.shapes if sh.has_table for r in sh.table.rows for c in r.cells]
    assert "'=1+2" in cells  # 兰州市's crafted name, in the table of counties behind schedule
    assert not [c for c in cells if _unsafe(c)]


def test_village_table_downloads_from_the_browser_are_inert(evil_warehouse, dash_duo):
    """The same files when a user clicks the buttons in Chromium (CSV and XLSX of the county's villages)."""
    from tests.conftest import serving
    from tests.test_browser_downloads import _wait_for_file

    with serving(dash_duo, evil_warehouse) as duo:
        duo.wait_for_page(f"{duo.server_url}/county/622926?as_of=2019Q4")
        duo.wait_for_element("#kpi-people-actual", timeout=20)
        folder = Path(duo.download_path)
        for fmt in ("csv", "xlsx"):
            duo.driver.find_element(
                "css selector", f"button[id*='\"chart\":\"villages\"'][id*='\"fmt\":\"{fmt}\"']").click()
            path = _wait_for_file(folder, f".{fmt}")
            if fmt == "csv":
                cells = [c for r in csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))) for c in r]
            else:
                wb = openpyxl.load_workbook(path)
                assert all(c.data_type != "f" and c.hyperlink is None for ws in wb for r in ws.iter_rows() for c in r)
                cells = [c.value for ws in wb for r in ws.iter_rows() for c in r]
            assert {"'@SUM(1)", "'-1+1"} <= set(cells) and not [c for c in cells if _unsafe(c)]
        assert duo.get_logs() == []
    db.configure(evil_warehouse)  # serving() points the app back at the default warehouse
