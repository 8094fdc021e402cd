"""Target tables for the targets tests: ref_plan_targets (the real catalog file) and target_progress rows
written into a copy of a warehouse built by the real ETL, with the columns of /work/team/TARGETS.md.

Until the ETL loads them (branch targets-etl), this is how the tests get real DuckDB tables; afterwards the
tables are replaced by the rows a test names, so each test knows exactly what it judges."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

CATALOG_CSV = Path(__file__).resolve().parent.parent / "data" / "reference" / "plan_targets.csv"
PROGRESS_COLUMNS = ["target_id", "unit_code", "unit_level", "period_end", "value", "is_demo", "source", "note",
                    "load_id"]
QUARTER_ENDS = [f"{y}-{md}" for y in (2018, 2019, 2020) for md in ("03-31", "06-30", "09-30", "12-31")]


def catalog_frame() -> pd.DataFrame:
    """The catalog as ref_plan_targets holds it (value DOUBLE, deadline DATE, the rest text)."""
    df = pd.read_csv(CATALOG_CSV, dtype=str, keep_default_na=False)
    df["value"] = pd.to_numeric(df["value"].replace("", None), errors="coerce")
    df["deadline"] = pd.to_datetime(df["deadline"].replace("", None), errors="coerce").dt.date
    return df


def write_tables(db: Path, progress: list[tuple] | pd.DataFrame, catalog: pd.DataFrame | None = None) -> None:
    """Replace ref_plan_targets (default: the real catalog) and target_progress (rows: target_id, unit_code,
    unit_level, period_end, value, is_demo[, source, note]) in the warehouse file `db`; bump its version."""
    cat = catalog_frame() if catalog is None else catalog
    rows = progress if isinstance(progress, pd.DataFrame) else pd.DataFrame(
        [tuple(r) + (None,) * (8 - len(r)) for r in progress], columns=PROGRESS_COLUMNS[:8])
    rows = rows.assign(load_id=1)[PROGRESS_COLUMNS]
    rows["period_end"] = pd.to_datetime(rows["period_end"]).dt.date
    rows["value"] = rows["value"].astype("float64")
    rows["is_demo"] = rows["is_demo"].astype(bool)
    with duckdb.connect(str(db)) as con:
        con.register("cat_df", cat)
        con.register("prog_df", rows)
        con.execute("CREATE OR REPLACE TABLE ref_plan_targets AS SELECT * FROM cat_df")
        con.execute("""CREATE OR REPLACE TABLE target_progress AS
                       SELECT target_id::VARCHAR AS target_id, unit_code::VARCHAR AS unit_code,
                              unit_level::VARCHAR AS unit_level, period_end::DATE AS period_end,
                              value::DOUBLE AS value, is_demo::BOOLEAN AS is_demo, source::VARCHAR AS source,
                              note::VARCHAR AS note, load_id::BIGINT AS load_id FROM prog_df""")
        con.execute("UPDATE meta SET value = value || 't' WHERE key = 'warehouse_version'")


def synthetic_progress(units: dict[str, list[str]], catalog: pd.DataFrame | None = None, behind: set[str] = frozenset(),
                       quarters: list[str] = QUARTER_ENDS) -> pd.DataFrame:
    """Deterministic quarterly rows for every assessable target at its unit level (units: level → codes):
    counts climb to their value by the deadline, levels climb from half; units in `behind` reach 60 % of the way."""
    from dashboard import targets

    cat = targets.catalog(catalog_frame() if catalog is None else catalog, "2020-12-31")
    out = []
    for _, r in cat[cat["assessable"] & (cat["series_id"] == cat["id"])].iterrows():
        level = targets.UNIT_LEVEL.get(r["level"], r["level"])
        for unit in units.get(level, []):
            for i, end in enumerate(quarters):
                frac = min((i + 1) / len(quarters), 1.0) * (0.6 if unit in behind else 1.0)
                if r["kind"] in ("count", "money"):
                    v = r["value"] * frac
                elif r["kind"] == "cap":
                    v = r["value"] * (1.5 - 0.5 * frac)
                else:
                    v = r["value"] * (0.5 + 0.5 * frac)
                if r["kind"] == "share":
                    v = min(v, 100.0)
                out.append((r["id"], unit, level, end, round(float(v), 4), True, "demo (test)", None))
    return pd.DataFrame(out, columns=PROGRESS_COLUMNS[:8])
