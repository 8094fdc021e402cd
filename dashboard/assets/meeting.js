/* Meeting mode keyboard: → next, ← previous, space pause/resume, digits (+ Enter, or a short pause) jump to
   that slide, ☰ opens the list of slides. Only acts on the /meeting page; never touches the URL. */
(function () {
  var digits = '', timer = null;
  function jumpTo() {
    var n = parseInt(digits, 10);
    digits = '';
    if (timer) { clearTimeout(timer); timer = null; }
    var btn = document.getElementById('{"i":' + (n - 1) + ',"type":"mt-go"}');
    if (btn) { btn.click(); }
  }
  function closeList() {
    var list = document.getElementById('mt-jump');
    if (list) { list.classList.remove('open'); }
  }
  document.addEventListener('click', function (ev) {
    if (!document.getElementById('meeting-root')) { return; }
    var t = ev.target;
    if (t && t.id === 'mt-list') {
      document.getElementById('mt-jump').classList.toggle('open');
    } else if (t && t.classList && t.classList.contains('mt-go')) {
      closeList();
    }
  });
  document.addEventListener('keydown', function (ev) {
    if (!document.getElementById('meeting-root')) { return; }
    var tag = (ev.target && ev.target.tagName) || '';
    if (tag === 'INPUT' || tag === 'TEXTAREA') { return; }
    if (/^[0-9]$/.test(ev.key)) {
      digits += ev.key;
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(jumpTo, 900);
      ev.preventDefault();
      return;
    }
    if (ev.key === 'Enter' && digits) { ev.preventDefault(); jumpTo(); return; }
    if (ev.key === 'Escape') { closeList(); return; }
    var id = null;
    if (ev.key === 'ArrowRight' || ev.key === 'PageDown') { id = 'mt-next'; }
    else if (ev.key === 'ArrowLeft' || ev.key === 'PageUp') { id = 'mt-prev'; }
    else if (ev.key === ' ' || ev.code === 'Space') { id = 'mt-pause'; }
    if (!id) { return; }
    var btn = document.getElementById(id);
    if (btn) { ev.preventDefault(); btn.click(); }
  });
})();
