// Measures the report page loaded in the iframe `#page` and writes what it found, as JSON,
// into a `pre#harness-result` of this (outer) page, which `chromium --dump-dom` prints.
// The iframe sets the page's viewport (headless Chromium will not make a window narrower
// than 500 px, an iframe can be 390 px), so the page's media queries see that width.
(function () {
  var frame = document.getElementById('page');
  frame.onload = function () {
    var win = frame.contentWindow, doc = frame.contentDocument;
    var W = win.innerWidth, H = win.innerHeight;
    var r = { width: W, height: H, tables: 0, overflowing: [], page_overflow: false, gate_cells: 0, gate_visible: 0,
              failing_visible: [], svg_texts: 0, small_text: [], recommend_on_first_screen: false };
    function visible(el) {
      var b = el.getBoundingClientRect(), s = win.getComputedStyle(el);
      return b.width > 0 && b.height > 0 && b.left >= -1 && b.right <= W + 1 && s.visibility !== 'hidden' && s.display !== 'none';
    }
    doc.querySelectorAll('table').forEach(function (t, i) {
      r.tables++;
      var box = t.parentElement.getBoundingClientRect(), b = t.getBoundingClientRect();
      if (b.right > box.right + 1 || t.scrollWidth > t.parentElement.clientWidth + 1 || b.right > W + 1) {
        r.overflowing.push((t.id || 'table ' + i) + ': right edge ' + Math.round(b.right) + ' px, container ' + Math.round(box.right) + ' px');
      }
    });
    r.page_overflow = doc.documentElement.scrollWidth > W + 1;
    doc.querySelectorAll('#decision-table td[data-label="gate"]').forEach(function (td) {
      r.gate_cells++;
      if (visible(td)) r.gate_visible++;
      var fail = td.querySelector('.fail');
      if (fail && visible(fail)) r.failing_visible.push(fail.textContent);
    });
    doc.querySelectorAll('svg text').forEach(function (t) {
      r.svg_texts++;
      var m = t.getScreenCTM(), scale = m ? Math.sqrt(m.a * m.a + m.b * m.b) : 1;
      var px = parseFloat(win.getComputedStyle(t).fontSize) * scale;
      if (px < 10.99) r.small_text.push(t.textContent + ' (' + px.toFixed(1) + ' px)');
    });
    var rec = doc.querySelector('.recommend');
    r.recommend_on_first_screen = !!rec && rec.getBoundingClientRect().bottom <= H;
    var pre = document.createElement('pre');
    pre.id = 'harness-result';
    pre.textContent = JSON.stringify(r);
    document.body.appendChild(pre);
  };
  frame.srcdoc = PAGE;
})();
