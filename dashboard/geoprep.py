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
