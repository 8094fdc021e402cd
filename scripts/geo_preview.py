"""Draw the built county layer coloured by prefecture to a PNG (a visual check of data/geo).

    .venv/bin/python scripts/geo_preview.py [OUT.png]     (default /tmp/geo_preview.png)

Offline: plain cartesian plotly figure (no geo subplot, so no topojson fetch), one filled Scatter trace per
prefecture, lon/lat with the y axis stretched by 1/cos(36°) so shapes are not squashed. Needs kaleido +
/usr/bin/chromium and fonts-noto-cjk for the labels.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import plotly.express as px
import plotly.graph_objects as go
import shapely

from geo.boundaries import county_centroids, county_shapes, prefectures_geojson


def _rings(geom) -> tuple[list, list]:
    xs: list = []
    ys: list = []
    for poly in shapely.get_parts(geom):
        x, y = poly.exterior.coords.xy
        xs += list(x) + [None]
        ys += list(y) + [None]
    return xs, ys


def figure() -> go.Figure:
    gdf = county_shapes()
    palette = px.colors.qualitative.Pastel + px.colors.qualitative.Set3
    fig = go.Figure()
    for i, (pcode, grp) in enumerate(gdf.groupby("prefecture_code", sort=True)):
        xs, ys = [], []
        for geom in grp.geometry:
            x, y = _rings(geom)
            xs += x
            ys += y
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                fill="toself",
                fillcolor=palette[i % len(palette)],
                line={"color": "white", "width": 0.6},
                name=f"{grp['prefecture_name'].iloc[0]} {pcode}",
                hoverinfo="skip",
            )
        )
    for f in prefectures_geojson()["features"]:
        x, y = _rings(shapely.geometry.shape(f["geometry"]))
        fig.add_trace(
            go.Scatter(x=x, y=y, mode="lines", line={"color": "#444", "width": 1.2}, showlegend=False)
        )
    cen = county_centroids().merge(gdf[["code", "name"]], on="code")
    fig.add_trace(
        go.Scatter(
            x=cen["lon"],
            y=cen["lat"],
            mode="text",
            text=cen["name"],
            textfont={"size": 9, "color": "#222", "family": "Noto Sans CJK SC"},
            showlegend=False,
        )
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=1 / math.cos(math.radians(36)))
    fig.update_layout(
        title={"text": "甘肃省 87 个县级区划（按市州着色）· data/geo/counties.geojson", "x": 0.5},
        font={"family": "Noto Sans CJK SC"},
        plot_bgcolor="white",
        paper_bgcolor="white",
        legend={"x": 0.01, "y": 0.02, "bgcolor": "rgba(255,255,255,0.8)", "font": {"size": 11}},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    return fig


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path("/tmp/geo_preview.png")
    figure().write_image(out, width=1600, height=1200, scale=1)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
