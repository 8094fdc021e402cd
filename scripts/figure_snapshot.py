"""Snapshot of what the app shows, to prove a refactoring changes nothing but what it means to.

    .venv/bin/python scripts/figure_snapshot.py dump OUT.jsonl.gz [--db FILE]   (default /work/cache/demo.duckdb)
    .venv/bin/python scripts/figure_snapshot.py diff A.jsonl.gz B.jsonl.gz

`dump` writes one line per item: the figure JSON of every chart over quarters × languages × levels × views ×
metrics × scopes (province, a prefecture, a county, a village), the page layouts (every component and string),
the meeting slides and the report facts and document text. Views are built from URL queries (the stable
interface), so the same script runs on the code before and after a change. `diff` lists the items that differ
and, for each, the first differing paths.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUARTERS = ("2018Q1", "2018Q4", "2019Q2", "2020Q4")
LANGS = ("zh", "en")
LEVELS = ("people", "villages", "counties")
VIEWS = ("annual", "cumulative")
METRICS = ("completion", "remaining", "incidence", "planned_year", "actual_year", "gap", "returned")
PREFECTURE, COUNTY = "622900", "622926"
EXTRA = ({"pathway": "industry"}, {"ctype": "片区", "deep": "两州一县"})


def _json(obj) -> str:
    import plotly.utils

    return json.dumps(obj, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False, sort_keys=True)


def _filters(query: dict):
    from dashboard import queries as Q
    from dashboard.filters import Filters

    return Q.resolve(Filters.parse(query))


def _village(scope) -> str:
    from dashboard import db

    return db.cursor().execute(
        "SELECT min(village_code) FROM dim_village WHERE county_code = $c AND lon IS NOT NULL", {"c": COUNTY}
    ).fetchone()[0]


def _lines(db_path: str):
    import app  # noqa: F401 - registers the pages
    from dashboard import charts, db
    from dashboard import queries as Q

    db.configure(db_path)
    Q.clear_cache()
    scope = Q.viewer_scope()
    village = _village(scope)
    overview = ("schedule", "map", "ranking", "pathways")
    county = ("schedule", "pathways", "village_map", "breakdown", "history")
    for qtr, lang, level, view, metric in itertools.product(QUARTERS, LANGS, LEVELS, VIEWS, METRICS):
        base = {"as_of": qtr, "lang": lang, "level": level, "view": view, "metric": metric}
        for where in ({}, {"prefecture": PREFECTURE}):
            f = _filters(base | where)
            for name in overview:
                yield f"fig {name} {_json(base | where)}", charts.figure(name, f, scope, {})
        f = _filters(base)
        for name in county:
            yield f"fig {name} county={COUNTY} {_json(base)}", charts.figure(name, f, scope, {"county": COUNTY})
        yield f"fig v_history village={village} {_json(base)}", charts.figure("v_history", f, scope,
                                                                              {"village": village})
    for qtr, lang, extra in itertools.product(QUARTERS[2:], LANGS, EXTRA):
        base = {"as_of": qtr, "lang": lang} | extra
        f = _filters(base)
        for name in overview:
            yield f"fig {name} {_json(base)}", charts.figure(name, f, scope, {})
    yield from _pages(village)
    yield from _meeting()
    yield from _reports()


def _pages(village):
    import dash

    layouts = {p["module"].rsplit(".", 1)[-1]: p["layout"] for p in dash.page_registry.values()}
    for qtr, lang in itertools.product(QUARTERS, LANGS):
        for extra in ({}, {"prefecture": PREFECTURE, "level": "villages", "view": "cumulative", "metric": "gap"}):
            q = {"as_of": qtr, "lang": lang} | extra
            yield f"page overview {_json(q)}", layouts["overview"](**q)
        q = {"as_of": qtr, "lang": lang}
        yield f"page county {_json(q)}", layouts["county"](code=COUNTY, **q)
        yield f"page village {_json(q)}", layouts["village"](code=village, **q)
    for lang in LANGS:
        yield f"page data lang={lang}", layouts["data"](lang=lang)
    yield "page overview (no query)", layouts["overview"]()


def _meeting():
    from dashboard.pages import meeting as page

    for code, qtr, lang in itertools.product(("620000", PREFECTURE, COUNTY), ("2019Q2", "2020Q4"), LANGS):
        q = {"scope": code, "as_of": qtr, "lang": lang, "theme": "light"}
        root = page.layout(**q)
        yield f"meeting layout {_json(q)}", root
        state = next(c for c in root.children if getattr(c, "id", None) == "mt-state").data
        for i in range(len(state["slides"])):
            yield f"meeting slide {i} {_json(q)}", page._render(i, state)


def _facts_module():
    try:
        from dashboard import facts as F  # after the split
    except ImportError:
        from dashboard import report as F
    return F


def _old_shape(d: dict) -> None:
    """The facts in their shape at the start of the simplification (issue #11), so that content is compared,
    not field names: as_of became a Quarter (it was the date, with `quarter` and `q` beside it); the per-level
    status moved into the KPIs (it was `rag`: level → (status, ratio)), whose added fields are dropped here; the
    counties' `rag` column is `status`."""
    if hasattr(d.get("as_of"), "end"):
        q = d["as_of"]
        d.update(quarter=q.label, as_of=q.end, q=q.number)
    if "rag" not in d:
        d["rag"] = {lv: (k["status"], k["ratio"]) for lv, k in d["kpis"].items()}
        d["kpis"] = {lv: {n: v for n, v in k.items() if n not in ("completion", "expected", "status", "ratio")}
                     for lv, k in d["kpis"].items()}
    for row in d["counties"] + d["behind_counties"]:
        if "status" in row:
            row["rag"] = row.pop("status")


def _reports():
    import io

    import docx
    import pandas as pd
    import pptx

    from dashboard import report

    F = _facts_module()
    for code, qtr, lang in itertools.product(("620000", PREFECTURE, COUNTY), QUARTERS, LANGS):
        fx = F.facts(code, qtr, lang)
        d = {k: v for k, v in vars(fx).items() if k not in ("f", "filters")}  # filters: named by the key
        d = {k: v.to_dict("records") if isinstance(v, pd.DataFrame) else
             {a: b.to_dict("records") for a, b in v.items()} if k == "schedules" else v for k, v in d.items()}
        d["behind_counties"] = F.behind_counties(fx).to_dict("records")
        d["behind_villages"] = F.behind_villages(fx).head(50).to_dict("records")
        d["n_behind_villages"] = len(F.behind_villages(fx))
        _old_shape(d)
        yield f"facts {code} {qtr} {lang}", d
    build_docx = getattr(report, "build_docx", None) or __import__("dashboard.docx_report").docx_report.build_docx
    build_pptx = getattr(report, "build_pptx", None) or __import__("dashboard.pptx_report").pptx_report.build_pptx
    for code, as_of in (("620000", "2019-06-30"), (PREFECTURE, "2019-08-15"), (COUNTY, "2020-12-31")):
        doc = docx.Document(io.BytesIO(build_docx(code, as_of)))
        text = [p.text for p in doc.paragraphs if not p.text.startswith("生成时间")]
        text += [[[c.text for c in r.cells] for r in tb.rows] for tb in doc.tables]
        yield f"docx {code} {as_of}", text
    for code, as_of in (("620000", "2019-06-30"), (COUNTY, "2020-12-31")):
        prs = pptx.Presentation(io.BytesIO(build_pptx(code, as_of)))
        yield f"pptx {code} {as_of}", [[sh.text_frame.text if sh.has_text_frame else
                                        [[c.text for c in r.cells] for r in sh.table.rows] if sh.has_table else
                                        sh.shape_type for sh in s.shapes] for s in prs.slides]


def dump(out: str, db_path: str) -> None:
    n = 0
    with gzip.open(out, "wt", encoding="utf-8") as fh:
        for key, obj in _lines(db_path):
            fh.write(json.dumps({"key": key, "value": json.loads(_json(obj))}, ensure_ascii=False) + "\n")
            n += 1
    print(f"wrote {n} items to {out}")


def _read(path: str) -> dict:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return {d["key"]: d["value"] for d in map(json.loads, fh)}


def _paths(a, b, at="", out=None, limit=5):
    out = [] if out is None else out
    if len(out) >= limit:
        return out
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if a.get(k, "<missing>") != b.get(k, "<missing>"):
                _paths(a.get(k, "<missing>"), b.get(k, "<missing>"), f"{at}.{k}", out, limit)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                _paths(x, y, f"{at}[{i}]", out, limit)
    else:
        out.append(f"{at}: {str(a)[:160]!r} -> {str(b)[:160]!r}")
    return out


def diff(a_path: str, b_path: str, limit: int = 5) -> int:
    a, b = _read(a_path), _read(b_path)
    only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    changed = [k for k in a if k in b and a[k] != b[k]]
    print(f"{len(a)} items before, {len(b)} after; {len(changed)} differ, {len(only_a)} only before, "
          f"{len(only_b)} only after")
    for k in only_a:
        print(f"only before: {k}")
    for k in only_b:
        print(f"only after: {k}")
    for k in changed:
        print(f"differs: {k}")
        for p in _paths(a[k], b[k], limit=limit):
            print(f"    {p}")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("out")
    d.add_argument("--db", default="/work/cache/demo.duckdb")
    c = sub.add_parser("diff")
    c.add_argument("a")
    c.add_argument("b")
    c.add_argument("--paths", type=int, default=5, help="differing paths shown per item")
    a = ap.parse_args(argv)
    if a.cmd == "dump":
        dump(a.out, a.db)
        return 0
    return diff(a.a, a.b, a.paths)


if __name__ == "__main__":
    sys.exit(main())
