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

PLAN_START_YEAR = 2018
PLAN_YEARS = (2018, 2019, 2020)

# ---- dashboard settings (app.py / dashboard/) ----
APP_HOST = os.environ.get("GANSU_APP_HOST", "127.0.0.1")
APP_PORT = int(os.environ.get("GANSU_APP_PORT", "8050"))
# Expected cumulative share of a year's people target by the end of Q1..Q4, used for a year whose
# previous year has no quarterly exit profile (2018). Override: GANSU_DEFAULT_PROFILE="0.05,0.15,0.30,1".
DEFAULT_QUARTER_PROFILE = tuple(
    float(x) for x in os.environ.get("GANSU_DEFAULT_PROFILE", "0.05,0.15,0.30,1.0").split(",")
)
# On-track status: green at >= RAG_GREEN of the expected-to-date, amber at >= RAG_AMBER, red below.
RAG_GREEN = float(os.environ.get("GANSU_RAG_GREEN", "1.0"))
RAG_AMBER = float(os.environ.get("GANSU_RAG_AMBER", "0.85"))
# Poverty-incidence marks: exit standard and the county / village deep-tracking thresholds.
INCIDENCE_EXIT = 0.03
INCIDENCE_WATCH_COUNTY = 0.20
INCIDENCE_WATCH_VILLAGE = 0.30
# Query-result cache entries per process (keyed by warehouse_version).
QUERY_CACHE_SIZE = int(os.environ.get("GANSU_QUERY_CACHE_SIZE", "512"))
