// dcc.Dropdown (Dash 4.4.1) keeps its button out of the Tab order (tabindex=-1) and puts a hidden
// <input tabindex=0 aria-hidden=true> before it that hands focus on to the button (for Safari, plotly/dash#3740).
// A focusable element inside aria-hidden is invisible to screen readers (axe aria-hidden-focus): the button itself
// takes the Tab stop (tabindex=0 puts a button in the Tab order in Safari too) and the hidden input leaves it.
(function () {
  var SEL = '.dash-dropdown-wrapper > input.dash-dropdown-focus-target[tabindex="0"], ' +
    '.dash-dropdown-wrapper > button.dash-dropdown[tabindex="-1"]';
  function fix() {
    var els = document.querySelectorAll(SEL);
    for (var i = 0; i < els.length; i++) {
      var wrap = els[i].parentNode;
      var input = wrap.querySelector(':scope > input.dash-dropdown-focus-target');
      var button = wrap.querySelector(':scope > button.dash-dropdown');
      if (!input || !button) { continue; }
      if (input.tabIndex !== -1) { input.tabIndex = -1; }
      if (button.tabIndex !== 0) { button.tabIndex = 0; }
    }
  }
  new MutationObserver(fix).observe(document.documentElement,
    {childList: true, subtree: true, attributes: true, attributeFilter: ['tabindex']});
  fix();
})();
