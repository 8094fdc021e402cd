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

// Attach the county/prefecture geometry to a map figure that the server sent without it: recolouring a map
// moves only colours over the wire. The geometry is fetched once per visit, when the first map draws, from the
// fingerprinted URL in <meta name="gansu-geometry"> (cached for a year; geoprep.py), not carried in the layout.
// A map's first drawing waits for the page's first render to be drawn: a task of its own (assets/defer.js).
window.dash_clientside = window.dash_clientside || {};
window.dash_clientside.geo = {
  attach: function (raw) { return withGeometry(raw, false); },
  attachListed: function (raw) { return withGeometry(raw, true); }  // only the traced counties
};

var geometry = null;  // the promise of the fetch, shared by every map of the visit

function loadGeometry() {
  var meta = document.querySelector('meta[name="gansu-geometry"]');
  if (!geometry) {
    geometry = !meta ? Promise.resolve(null) : fetch(meta.content, {credentials: 'same-origin'})
      .then(function (r) { if (!r.ok) { throw new Error('HTTP ' + r.status); } return r.json(); })
      .catch(function (e) {
        geometry = null;  // the next map tries again
        console.error('map geometry not loaded (' + e.message + '): reload the page');
        return null;
      });
  }
  return geometry;
}

function withGeometry(raw, onlyListed) {
  var dc = window.dash_clientside;
  if (!raw) { return dc.no_update; }
  var id = dc.callback_context && dc.callback_context.outputs_list.id;  // read now: the context is per call
  return loadGeometry().then(function (geo) { return whenShown(id, attachGeometry(raw, geo, onlyListed)); });
}

function whenShown(id, fig) {
  var dc = window.dash_clientside;
  var el = typeof id === 'string' && document.getElementById(id);
  var gd = el && el.querySelector('.js-plotly-plot');
  if (!dc.defer || (gd && gd.data && gd.data.length)) { return fig; }  // a recolour
  return dc.defer.shown(id, true).then(function () { return fig; });  // after the page's first render
}

function attachGeometry(raw, geo, onlyListed) {
  if (!geo) { return raw; }
  var data = (raw.data || []).map(function (tr) {
    if (tr.meta === 'counties' && geo.counties) {
      if (!onlyListed) { return Object.assign({}, tr, {geojson: geo.counties}); }
      var want = {};
      (tr.locations || []).forEach(function (c) { want[c] = true; });
      var feats = geo.counties.features.filter(function (ft) { return want[ft.properties.code]; });
      return Object.assign({}, tr, {geojson: {type: 'FeatureCollection', features: feats}});
    }
    if (tr.meta === 'prefectures' && geo.prefectures) { return Object.assign({}, tr, {geojson: geo.prefectures}); }
    return tr;
  });
  return {data: data, layout: raw.layout};
}
