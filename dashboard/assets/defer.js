// Work nobody sees at first paint waits (components.deferred, graph_card(defer=True), the maps): a chart below
// the fold is drawn when it comes near the screen, or else once the page has settled, in the browser's idle time,
// one per idle period, so the page's first render is not one long task and the first seconds stay free (the maps
// are below the fold). A page's first chart is in its first render; the others at its top (defer="soon") are drawn
// right after it, one a task.
// A component that only matters once used (the follow-up form's long target list, whose search index costs
// ~100 ms) gets its data at the first pointer, focus or key inside it.
(function () {
  function dc() { return window.dash_clientside; }  // (other scripts may replace the object)
  var queue = [];
  var asked = false;
  var QUIET_MS = 2500;  // an off-screen chart waits this long after the first render before idle time draws it
  var drawnAt = null;
  var ric = window.requestIdleCallback || function (f) { return setTimeout(f, 50); };

  function nextIdle() {
    if (asked || !queue.length) { return; }
    asked = true;
    ric(function () {
      asked = false;
      if (queue.length) { queue[0](true); }
    }, {timeout: 4000});
  }

  // ms since the page's first render was drawn (every graph on it plotted; a deferred one is not on it yet; a
  // graph shows in the DOM only once Dash's graph chunk is there), or -1
  function sinceFirstRender() {
    if (drawnAt === null) {
      var gs = document.querySelectorAll('.dash-graph');
      if (!gs.length && performance.now() < 10000) { return -1; }
      for (var i = 0; i < gs.length; i++) {
        var gd = gs[i].querySelector('.js-plotly-plot');
        if (!gd || !gd._fullLayout) { return -1; }
      }
      drawnAt = performance.now();
    }
    return performance.now() - drawnAt;
  }

  // polls `test` every 50 ms (at most `capMs`), first in a task after the caller's; resolves when it holds
  function until(test, capMs) {
    var t0 = performance.now();
    return new Promise(function (resolve) {
      setTimeout(function check() {
        if (test() || performance.now() - t0 > capMs) { resolve(); } else { setTimeout(check, 50); }
      }, 0);
    });
  }

  // key's chart is drawn (it has traces), or the slot holds no chart
  function drawn(key) {
    var el = document.querySelector('[data-defer="' + key + '"]') || document.getElementById(key);
    var gd = el && el.querySelector('.js-plotly-plot');
    return gd ? !!(gd._fullLayout && gd.data && gd.data.length) : !!(el && el.children.length);
  }

  // after the next frame is painted (or 100 ms, for a tab in the background), in a task of its own
  function afterPaint() {
    return new Promise(function (resolve) {
      var done = false;
      function go() { if (!done) { done = true; setTimeout(resolve, 0); } }
      requestAnimationFrame(go);
      setTimeout(go, 100);
    });
  }

  // the charts drawn right after the first render (graph_card(defer="soon")) come one a task, in turn:
  // each waits for the first render (and its paint) and for the one before it to be drawn, so no two share a
  // long task
  var soonChain = Promise.resolve();
  function soonTurn(key) {
    var mine = soonChain.then(function () { return until(function () { return sinceFirstRender() >= 0; }, 10000); })
      .then(afterPaint);
    soonChain = mine.then(function () { return until(function () { return drawn(key); }, 3000); });
    return mine;
  }

  // resolves when the element with data-defer=key (or id=key) nears the viewport, or else, QUIET_MS after the
  // first render, in an idle period (one per period, in turn); `soon`: right after the first render, in turn
  // (soonTurn); never inside the first render's task
  function whenShown(key, soon) {
    if (soon) { return soonTurn(key); }
    return new Promise(function (resolve) {
      var done = false;
      var waiting = false;
      var near = false;  // the slot came near the screen: drawn as soon as the first render is (not in idle time)
      var io = null;
      function go(idle) {
        if (done) { return; }
        near = near || !idle;
        var t = sinceFirstRender();
        var wait = t < 0 ? 100 : near ? 0 : QUIET_MS - t;
        if (wait > 0) {
          if (!waiting) {
            waiting = true;
            setTimeout(function () { waiting = false; go(true); }, wait);
          }
          return;
        }
        done = true;
        if (io) { io.disconnect(); }
        var i = queue.indexOf(go);
        if (i >= 0) { queue.splice(i, 1); }
        resolve();
        nextIdle();
      }
      queue.push(go);
      var tries = 0;
      (function watch() {  // the slot may not be in the DOM yet when the callback runs
        var el = document.querySelector('[data-defer="' + key + '"]') || document.getElementById(key);
        if (el && window.IntersectionObserver) {
          io = new IntersectionObserver(function (entries) {
            if (entries.some(function (e) { return e.isIntersecting; })) { setTimeout(function () { go(false); }, 0); }
          }, {rootMargin: '200px 0px'});
          io.observe(el);
        } else if (!el && !done && tries++ < 40) {
          setTimeout(watch, 50);
        }
      })();
      nextIdle();
    });
  }
  var api = {
    // a deferred slot's content (a component as JSON, or {soon: true, component}), once the slot is shown
    show: function (data) {
      if (!data) { return dc().no_update; }
      var key = dc().callback_context.outputs_list.id.of;
      var soon = data.soon === true;
      return whenShown(key, soon).then(function () { return soon ? data.component : data; });
    },
    // a prop value kept in a store until its component is first used (data-wake; followups: the target list)
    use: function (woken, value) { return woken ? value : dc().no_update; },
    shown: whenShown
  };
  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.defer = api;

  function wake(e) {
    var w = e.target && e.target.closest && e.target.closest('[data-wake]');
    if (w && !w.getAttribute('data-woken') && dc().set_props) {
      w.setAttribute('data-woken', '1');
      dc().set_props(w.getAttribute('data-wake'), {data: true});
    }
  }
  ['pointerdown', 'focusin', 'keydown'].forEach(function (t) { document.addEventListener(t, wake, true); });
})();
