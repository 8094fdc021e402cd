"""Boundary geometry as the browser's map needs it (from geo.boundaries, read once per process).

d3-geo (plotly's geo subplot) treats a ring's orientation on the sphere: an exterior ring must be
clockwise, or the polygon is read as "the whole globe minus this shape" and paints the map full.
The files follow RFC 7946 (counter-clockwise exteriors), so we re-orient here.
"""

from __future__ import annotations

import copy
from functools import lru_cache

import shapely
from shapely.geometry import mapping, shape


def _orient(fc: dict) -> dict:
    out = copy.deepcopy(fc)
    for feat in out["features"]:
        g = shapely.orient_polygons(shape(feat["geometry"]), exterior_cw=True)
        feat["geometry"] = mapping(g)
    return out


@lru_cache(maxsize=1)
def map_geometry() -> dict:
    from geo import boundaries

    return {"counties": _orient(boundaries.counties_geojson()), "prefectures": _orient(boundaries.prefectures_geojson())}


@lru_cache(maxsize=128)
def label_points(codes: tuple[str, ...], *, height_px: int = 560, font_px: int = 19) -> tuple:
    """Place names for a map showing the places `codes` (prefecture or county codes), at each shape's
    representative point, where they fit: largest shapes first, a name is left out when its box (at `font_px`
    per character, on a map about `height_px` high) would overlap one already placed. ((name, lon, lat), ...)"""
    import math

    from shapely.geometry import box

    g = map_geometry()
    want = set(codes)
    feats = [x for fc in (g["prefectures"], g["counties"]) for x in fc["features"] if x["properties"]["code"] in want]
    shapes = [(x["properties"]["name"], shape(x["geometry"])) for x in feats]
    if not shapes:
        return ()

    def merc(lon, lat):
        return math.radians(lon), math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    xs, ys = zip(*(merc(*pt) for _, s in shapes for pt in (s.bounds[:2], s.bounds[2:])))
    px = height_px / max(max(ys) - min(ys), 1e-9)  # map units → pixels
    placed, out = [], []
    for name, s in sorted(shapes, key=lambda x: -x[1].area):
        pt = s.representative_point()
        x, y = merc(pt.x, pt.y)
        w, h = (len(name) * font_px + 6) / px / 2, (font_px + 7) / px / 2
        b = box(x - w, y - h, x + w, y + h)
        if any(b.intersects(o) for o in placed):
            continue
        placed.append(b)
        out.append((name, round(pt.x, 4), round(pt.y, 4)))
    return tuple(out)
