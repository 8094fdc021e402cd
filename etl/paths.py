"""Every path and setting of the project, read from the environment with defaults (one place)."""

import os
from pathlib import Path

from etl.contract import PLAN_START_YEAR, PLAN_YEARS  # noqa: F401  (the contract's, re-exported for marts/settings)

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("GANSU_DATA_DIR", ROOT / "data"))
WAREHOUSE = Path(os.environ.get("GANSU_DB", DATA_DIR / "warehouse.duckdb"))
DEMO_DIR = Path(os.environ.get("GANSU_DEMO_DIR", DATA_DIR / "demo"))
GEO_DIR = DATA_DIR / "geo"
REFERENCE_DIR = DATA_DIR / "reference"
SCHEMA_SQL = ROOT / "etl" / "schema.sql"

INCIDENCE_EXIT = 0.03  # a village or county may exit below 3 % poverty incidence
# (the dashboard's thresholds and seasonal profile: dashboard/settings.py)

# ---- dashboard settings (app.py / dashboard/) ----
APP_HOST = os.environ.get("GANSU_APP_HOST", "127.0.0.1")
APP_PORT = int(os.environ.get("GANSU_APP_PORT", "8050"))
# Query-result cache per process (keyed by warehouse_version): bounded by bytes (keys + values), and entries.
QUERY_CACHE_MB = float(os.environ.get("GANSU_QUERY_CACHE_MB", "128"))
QUERY_CACHE_SIZE = int(os.environ.get("GANSU_QUERY_CACHE_SIZE", "512"))
APP_DUCKDB_THREADS = max(1, int(os.environ.get("GANSU_APP_DUCKDB_THREADS", "1")))  # per app process
# HTTP (dashboard/web.py): request body limit (413 above), heavy exports at a time per node, TLS in front.
MAX_REQUEST_BYTES = int(os.environ.get("GANSU_MAX_REQUEST_KB", "1024")) * 1024
HEAVY_EXPORT_SLOTS = int(os.environ.get("GANSU_HEAVY_EXPORT_SLOTS", "1"))
HEAVY_LOCK_DIR = os.environ.get("GANSU_HEAVY_LOCK_DIR")  # default: a private folder under the temp dir
HTTPS = os.environ.get("GANSU_HTTPS", "0") == "1"

# ---- ETL limits (etl/read.py, etl/load.py) ----
# DuckDB memory for a load (default: a quarter of RAM, at least 1 GiB); past it DuckDB spills to
# GANSU_ETL_TEMP_DIR (default: a private folder next to the warehouse, removed after the load) or stops
# with a message. Fields longer than Excel's cell limit and rows wider than ETL_MAX_COLUMNS refuse the file.
_RAM_MIB = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") >> 20
ETL_MEMORY_LIMIT = os.environ.get("GANSU_ETL_MEMORY_LIMIT") or f"{max(1024, _RAM_MIB // 4)}MiB"
ETL_TEMP_DIR = os.environ.get("GANSU_ETL_TEMP_DIR") or None
ETL_MAX_FIELD_CHARS = int(os.environ.get("GANSU_ETL_MAX_FIELD_CHARS", "32767"))
ETL_MAX_COLUMNS = int(os.environ.get("GANSU_ETL_MAX_COLUMNS", "1000"))
