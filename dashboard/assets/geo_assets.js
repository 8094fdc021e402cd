// The map's base topology, in the page: plotly.js uses window.PlotlyGeoAssets before it fetches
// topojsonURL, so the county map draws without a second round trip (and without any internet).
// Same empty topology as assets/topojson/*.json (kept for image export and as the fallback URL).
(function () {
  var empty = {"type": "Topology", "arcs": [], "transform": {"scale": [1, 1], "translate": [0, 0]}, "objects": {"coastlines": {"type": "GeometryCollection", "geometries": []}, "land": {"type": "GeometryCollection", "geometries": []}, "ocean": {"type": "GeometryCollection", "geometries": []}, "lakes": {"type": "GeometryCollection", "geometries": []}, "rivers": {"type": "GeometryCollection", "geometries": []}, "countries": {"type": "GeometryCollection", "geometries": []}, "subunits": {"type": "GeometryCollection", "geometries": []}}};
  window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};
  window.PlotlyGeoAssets.topojson = window.PlotlyGeoAssets.topojson || {};
  window.PlotlyGeoAssets.topojson.world_110m = empty;
  window.PlotlyGeoAssets.topojson.world_50m = empty;
})();
