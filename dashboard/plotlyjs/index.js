'use strict';

// The dashboard's plotly.js: core + only the trace types its figures use (mirrors plotly.js's
// lib/index-geo.js / lib/index-basic.js). Built by build.mjs into ../assets/plotly-gansu.min.js;
// the bundle's header lists the traces registered here, and tests/test_plotly_bundle.py checks that
// every trace type the app's figures produce is among them. Add a trace here (then `make plotly-bundle`)
// before using a new trace type in dashboard/figures.py.
var Plotly = require('plotly.js/lib/core');

Plotly.register([
    // traces (scatter is also registered by core; listed so the header names it)
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/choropleth'),
    require('plotly.js/lib/scatter'),
    require('plotly.js/lib/scattergeo'),
]);

module.exports = Plotly;
