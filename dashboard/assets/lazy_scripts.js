// plotly.js and AG Grid load when the first chart or grid mounts, not before the page's first render (which
// waits for every script in the page). Their URLs, stamped for caching, are in the page's meta tags
// (web.lazy_script_metas).
(function () {
  function url(name) {
    var m = document.querySelector('meta[name="gansu-lazy-' + name + '"]');
    return m && m.content;
  }

  // dcc.Graph loads window._dashPlotlyJSURL when window.Plotly is missing; Dash's renderer would point it at
  // plotly python's full bundle (4.7 MB): keep it on ours
  var plotlyUrl = url('plotly');
  if (plotlyUrl && !window.Plotly) {
    Object.defineProperty(window, '_dashPlotlyJSURL', {
      configurable: true, get: function () { return plotlyUrl; }, set: function () {}
    });
  }

  // AG Grid: the renderer finds components at window[namespace][type]; until the real bundle is there, AgGrid is
  // this stand-in, which holds the grid's box (same id, class and style) and then renders the real grid with the
  // same props. The namespace stays ours once loaded (with the bundle's getApi/getApiAsync), so a grid is never
  // mounted twice.
  var gridUrl = url('ag-grid');
  if (!gridUrl || window.dash_ag_grid || !window.React) { return; }
  var React = window.React;
  var ns = {};
  var Real = null;
  var loading = null;

  function load() {
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var s = document.createElement('script');
        s.src = gridUrl;
        s.async = true;
        s.onload = function () {
          var real = window.dash_ag_grid;
          window.dash_ag_grid = ns;
          Object.keys(real).forEach(function (k) { if (k !== 'AgGrid') { ns[k] = real[k]; } });
          Real = real.AgGrid;
          Object.keys(Real).forEach(function (k) { if (!(k in AgGrid)) { AgGrid[k] = Real[k]; } });
          resolve(Real);
        };
        s.onerror = function () { loading = null; reject(new Error('AG Grid did not load')); };
        document.head.appendChild(s);
      });
    }
    return loading;
  }

  function AgGrid(props) {
    var state = React.useState(function () { return Real ? {grid: Real} : {}; });
    var shown = state[0];
    var set = state[1];
    React.useEffect(function () {
      if (shown.grid) { return undefined; }
      var live = true;
      load().then(function (R) { if (live) { set({grid: R}); } },
                  function () { if (live) { set({failed: true}); } });
      return function () { live = false; };
    }, []);
    if (shown.grid) { return React.createElement(shown.grid, props); }
    var en = document.documentElement.lang === 'en';
    return React.createElement('div', {id: props.id, className: props.className, style: props.style},
      shown.failed ? React.createElement('p', {role: 'alert', className: 'notice'},
        en ? 'The table did not load: reload the page.' : '表格未能加载，请刷新页面。') : null);
  }
  AgGrid.dashRenderType = true;  // as the real AgGrid: the renderer passes it dashRenderType
  ns.AgGrid = AgGrid;
  window.dash_ag_grid = ns;
})();
