/* Meeting mode keyboard: → next, ← previous, space pause/resume. Only acts on the /meeting page. */
(function () {
  document.addEventListener('keydown', function (ev) {
    if (!document.getElementById('meeting-root')) { return; }
    var tag = (ev.target && ev.target.tagName) || '';
    if (tag === 'INPUT' || tag === 'TEXTAREA') { return; }
    var id = null;
    if (ev.key === 'ArrowRight' || ev.key === 'PageDown') { id = 'mt-next'; }
    else if (ev.key === 'ArrowLeft' || ev.key === 'PageUp') { id = 'mt-prev'; }
    else if (ev.key === ' ' || ev.code === 'Space') { id = 'mt-pause'; }
    if (!id) { return; }
    var btn = document.getElementById(id);
    if (btn) { ev.preventDefault(); btn.click(); }
  });
})();
