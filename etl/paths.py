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
INCIDENCE_EXIT = 0.03  # a village or county may exit below 3 % poverty incidence
# (the dashboard's thresholds and seasonal profile: dashboard/settings.py)

# ---- dashboard settings (app.py / dashboard/) ----
APP_HOST = os.environ.get("GANSU_APP_HOST", "127.0.0.1")
APP_PORT = int(os.environ.get("GANSU_APP_PORT", "8050"))
# Query-result cache per process (keyed by warehouse_version): bounded by bytes (keys + values), and entries.
QUERY_CACHE_MB = float(os.environ.get("GANSU_QUERY_CACHE_MB", "128"))
QUERY_CACHE_SIZE = int(os.environ.get("GANSU_QUERY_CACHE_SIZE", "512"))
# HTTP (dashboard/web.py): request body limit (413 above), heavy exports at a time per node, TLS in front.
MAX_REQUEST_BYTES = int(os.environ.get("GANSU_MAX_REQUEST_KB", "1024")) * 1024
HEAVY_EXPORT_SLOTS = int(os.environ.get("GANSU_HEAVY_EXPORT_SLOTS", "1"))
HEAVY_LOCK_DIR = os.environ.get("GANSU_HEAVY_LOCK_DIR")  # default: a private folder under the temp dir
HTTPS = os.environ.get("GANSU_HTTPS", "0") == "1"
