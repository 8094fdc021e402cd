"""Every path and setting of the project, read from the environment with defaults (one place)."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("GANSU_DATA_DIR", ROOT / "data"))
WAREHOUSE = Path(os.environ.get("GANSU_DB", DATA_DIR / "warehouse.duckdb"))
DEMO_DIR = Path(os.environ.get("GANSU_DEMO_DIR", DATA_DIR / "demo"))
GEO_DIR = DATA_DIR / "geo"
REFERENCE_DIR = DATA_DIR / "reference"
SCHEMA_SQL = ROOT / "etl" / "schema.sql"
MARTS_SQL = ROOT / "etl" / "marts.sql"

PLAN_START_YEAR = 2018
PLAN_YEARS = (2018, 2019, 2020)
