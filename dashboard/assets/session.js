// A session that ends while a page is open (idle or absolute time-out, logout elsewhere, password reset):
// Dash's callbacks then get 401 and the page would just stop. Dash 4 has no hook for a failed callback
// request (its request_post hook sees only successes), so this wraps fetch: a 401 from one of Dash's own
// requests shows the shell's notice (#session-expired, text from dashboard/i18n.py) in the page's language,
// with a link back to this page through the login form.
(function () {
  var DASH = /\/_dash-(update-component|layout|dependencies)(\?|$)/;
  var orig = window.fetch;
  if (!orig) { return; }

  function show() {
    var box = document.getElementById('session-expired');
    if (!box) { return; }
    var lang = new URLSearchParams(window.location.search).get('lang') === 'en' ? 'en' : 'zh';
    var q = new URLSearchParams({next: window.location.pathname + window.location.search});
    if (lang === 'en') { q.set('lang', 'en'); }
    Array.prototype.forEach.call(box.children, function (el) {
      el.style.display = el.getAttribute('lang') === lang ? '' : 'none';
      var a = el.querySelector('a.relogin');
      if (a) { a.setAttribute('href', '/login?' + q.toString()); }
    });
    box.style.display = '';
  }

  window.fetch = function (input, init) {
    var url = typeof input === 'string' ? input : (input && input.url) || '';
    return orig.apply(this, arguments).then(function (res) {
      if (res.status === 401 && DASH.test(url)) { show(); }
      return res;
    });
  };
})();
