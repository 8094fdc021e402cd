"""Boundary geometry as the browser's map needs it (from geo.boundaries, read once per process).

d3-geo (plotly's geo subplot) treats a ring's orientation on the sphere: an exterior ring must be
clockwise, or the polygon is read as "the whole globe minus this shape" and paints the map full.
The files follow RFC 7946 (counter-clockwise exteriors), so we re-orient here.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import re
from functools import lru_cache

import flask
import orjson
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


# The browser fetches the geometry when its first map draws (assets/geo_assets.js), from a URL named by its
# content: cached for a year, renamed when the boundaries change, and never part of a page's layout answer.
GEOMETRY_RULE = "/geo/map.<digest>.json"


@lru_cache(maxsize=1)
def geometry_json() -> tuple[bytes, str]:
    """(JSON of map_geometry(), its content digest)."""
    body = orjson.dumps(map_geometry())
    return body, hashlib.sha256(body).hexdigest()[:16]


def geometry_meta(app) -> str:
    """The <meta> that tells assets/geo_assets.js where the geometry is ("" without boundaries: the app runs,
    its maps show no shapes, and the log says why)."""
    try:
        digest = geometry_json()[1]
    except Exception as e:  # noqa: BLE001 - the app still runs without a map
        logging.getLogger("dashboard").error("boundaries not available: %s", e)
        return ""
    return f'<meta name="gansu-geometry" content="{app.get_relative_path(GEOMETRY_RULE.replace("<digest>", digest))}">'


def serve_geometry(digest: str):
    body, current = geometry_json()
    if digest != current:  # a page from before the boundaries changed: reloading it gives the new URL
        flask.abort(404)
    resp = flask.Response(body, mimetype="application/json")
    resp.headers["Cache-Control"] = "private, max-age=31536000, immutable"  # behind the login
    return resp


def init_app(app) -> None:
    app.server.add_url_rule(GEOMETRY_RULE, "geometry", serve_geometry)


_AUTONOMOUS = re.compile(r"^(.+?)(?:(?:保安|东乡|撒拉|回|藏|裕固|哈萨克|蒙古|土)族)+自治([州县])$")


def short_name(name: str) -> str:
    """The short form a map label uses: 临夏回族自治州 → 临夏州, 积石山保安族东乡族撒拉族自治县 → 积石山县,
    东乡族自治县 → 东乡县 (the hover keeps the full name)."""
    m = _AUTONOMOUS.match(name)
    if m:
        return m.group(1) + m.group(2)
    return re.sub(r"族自治([州县])$", r"\1", name)


@lru_cache(maxsize=128)
def label_points(codes: tuple[str, ...], *, height_px: int = 560, font_px: int = 19) -> tuple:
    """Place names for a map showing the places `codes` (prefecture or county codes), at each shape's
    representative point, where they fit: largest shapes first, a name is left out when its box (at `font_px`
    per character, on a map about `height_px` high) would overlap one already placed. ((name, lon, lat), ...)"""
    import math

    from shapely.geometry import Point, box

    g = map_geometry()
    want = set(codes)
    feats = [x for fc in (g["prefectures"], g["counties"]) for x in fc["features"] if x["properties"]["code"] in want]
    shapes = [(short_name(x["properties"]["name"]), shape(x["geometry"])) for x in feats]
    if not shapes:
        return ()

    def merc(lon, lat):
        return math.radians(lon), math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    xs, ys = zip(*(merc(*pt) for _, s in shapes for pt in (s.bounds[:2], s.bounds[2:])))
    px = height_px / max(max(ys) - min(ys), 1e-9)  # map units → pixels
    def unmerc(x, y):
        return math.degrees(x), math.degrees(2 * math.atan(math.exp(y)) - math.pi / 2)

    placed, out = [], []
    for name, s in sorted(shapes, key=lambda x: -x[1].area):
        pt = s.representative_point()
        x0, y0 = merc(pt.x, pt.y)
        w, h = (len(name) * font_px + 6) / px / 2, (font_px + 7) / px / 2
        # the representative point, else a label's height or width away from it, still inside the shape
        for dx, dy in ((0, 0), (0, 2 * h), (0, -2 * h), (w, 0), (-w, 0), (0, 4 * h), (0, -4 * h)):
            x, y = x0 + dx, y0 + dy
            b = box(x - w, y - h, x + w, y + h)
            lon, lat = unmerc(x, y)
            if (dx or dy) and not s.contains(Point(lon, lat)):
                continue
            if not any(b.intersects(o) for o in placed):
                placed.append(b)
                out.append((name, round(lon, 4), round(lat, 4)))
                break
    return tuple(out)
