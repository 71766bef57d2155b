// lifecircle map page: print layout and image. "Print" lays the current
// view out on an A4 or A3 landscape sheet (title, legend, scale bar, north
// arrow, date, data sources) that the browser prints through print.css
// (@page size); "Save image" draws the same sheet onto a canvas (the map's
// canvases, tiles and SVG overlays, then the decorations) and downloads a
// PNG of the sheet's size. Terms come from the glossary (glossary.js).
(function () {
  'use strict';
  // Sheet sizes in CSS pixels (96 per inch) of landscape A4 and A3.
  var PAPER = { A4: { w: 1123, h: 793, css: 'A4 landscape' }, A3: { w: 1587, h: 1122, css: 'A3 landscape' } };
  var G = window.lifecircleGlossary || {};
  var LOCAL = {
    zh: { close: '关闭', defaultTitle: '生活圈设施覆盖', facilitiesFrom: '设施', residentsFrom: '居民', made: '制图：lifecircle', metres: '米', km: '公里' },
    en: { close: 'Close', defaultTitle: 'Life circle coverage', facilitiesFrom: 'facilities', residentsFrom: 'residents', made: 'Made with lifecircle', metres: 'm', km: 'km' }
  };
  var st = { open: false, paper: 'A4', title: '', home: null, next: null, pageStyle: null };

  function lc() { return window.lifecircle || {}; }
  function lang() { return lc().lang ? lc().lang() : 'zh'; }
  function term(k) { var g = G[k]; return g ? g[lang()] : k; }
  function local(k) { return (LOCAL[lang()] || LOCAL.en)[k]; }
  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // ------------------------------------------------------------ layout
  function buttons() {
    var tools = document.querySelector('#topbar .tools');
    if (!tools || $('print-button')) return;
    var p = el('button', '', term('print'));
    p.id = 'print-button';
    p.type = 'button';
    p.addEventListener('click', function () { open(st.paper); });
    tools.insertBefore(p, $('lang-switch'));
  }

  function controls() {
    var c = $('print-controls');
    if (c) return c;
    c = el('div', 'print-controls');
    c.id = 'print-controls';
    var paper = el('select');
    paper.id = 'print-paper';
    ['A4', 'A3'].forEach(function (k) { var o = el('option', '', k); o.value = k; paper.appendChild(o); });
    paper.addEventListener('change', function () { open(paper.value); });
    var title = el('input');
    title.id = 'print-title-input';
    title.type = 'text';
    title.maxLength = 120;
    title.addEventListener('input', function () { st.title = title.value; $('print-title').textContent = title.value; });
    var pr = el('button', 'primary');
    pr.id = 'print-go';
    pr.type = 'button';
    pr.addEventListener('click', function () { window.print(); });
    var img = el('button');
    img.id = 'print-image';
    img.type = 'button';
    img.addEventListener('click', saveImage);
    var cl = el('button');
    cl.id = 'print-close';
    cl.type = 'button';
    cl.addEventListener('click', close);
    [el('label', '', ''), paper, el('label', '', ''), title, pr, img, cl].forEach(function (x) { c.appendChild(x); });
    document.body.insertBefore(c, document.body.firstChild);
    return c;
  }

  function labelControls() {
    var c = controls();
    var labels = c.querySelectorAll('label');
    labels[0].textContent = term('paper');
    labels[1].textContent = term('map_title');
    $('print-go').textContent = term('print');
    $('print-image').textContent = term('save_image');
    $('print-close').textContent = local('close');
    $('print-paper').value = st.paper;
    $('print-title-input').value = st.title;
  }

  function sheet() {
    var s = $('print-sheet');
    if (s) return s;
    s = el('div', 'print-sheet');
    s.id = 'print-sheet';
    s.innerHTML =
      '<header class="ps-head"><h1 id="print-title"></h1><div class="ps-sub" id="print-sub"></div>' +
      '<div class="ps-date" id="print-date"></div></header>' +
      '<div class="ps-body"><div class="ps-map" id="print-map"></div>' +
      '<aside class="ps-side"><div class="ps-legend" id="print-legend"></div>' +
      '<div class="ps-north" id="print-north" title="N"></div>' +
      '<div class="ps-scale" id="print-scale"><div class="ps-scale-bar" id="print-scale-bar"></div><div class="ps-scale-label" id="print-scale-label"></div></div>' +
      '</aside></div>' +
      '<footer class="ps-foot" id="print-foot"></footer>';
    document.body.appendChild(s);
    $('print-north').appendChild(northArrow());
    return s;
  }

  function northArrow() {
    var NS = 'http://www.w3.org/2000/svg';
    var svg = document.createElementNS(NS, 'svg');
    svg.setAttribute('viewBox', '0 0 40 56');
    svg.setAttribute('width', '40');
    svg.setAttribute('height', '56');
    svg.setAttribute('xmlns', NS);
    var a = document.createElementNS(NS, 'path');
    a.setAttribute('d', 'M20 14 L30 52 L20 44 L10 52 Z');
    a.setAttribute('fill', '#1f2933');
    var n = document.createElementNS(NS, 'text');
    n.setAttribute('x', '20');
    n.setAttribute('y', '12');
    n.setAttribute('text-anchor', 'middle');
    n.setAttribute('font-size', '13');
    n.setAttribute('font-weight', '700');
    n.setAttribute('font-family', 'sans-serif');
    n.setAttribute('fill', '#1f2933');
    n.textContent = 'N';
    svg.appendChild(a);
    svg.appendChild(n);
    return svg;
  }

  function defaultTitle() {
    var s = lc().summary && lc().summary();
    var p = s && s.profile;
    var name = p ? (lang() === 'zh' ? (p.name_zh || p.name_en) : (p.name_en || p.name_zh)) : '';
    // The project's name when the server gives one, else what the map shows.
    var project = s && (s.project || s.title);
    if (project) return String(project);
    return local('defaultTitle') + (name ? ' — ' + name : '');
  }

  // sources lists the data behind the map: OSM, and the facilities'
  // sources other than OSM (the user's files), and the residents' source.
  function sources() {
    var parts = ['© OpenStreetMap contributors'];
    var seen = {};
    var s = lc().summary && lc().summary();
    (s && s.types || []).forEach(function (ty) {
      var l = lc().facilityLayer && lc().facilityLayer(ty.id);
      if (!l) return;
      l.eachLayer(function (x) {
        var src = x.feature && x.feature.properties && x.feature.properties.source;
        // OSM extracts are credited as OpenStreetMap; other sources are the user's files.
        if (src && !/^osm\b|openstreetmap|\.(osm|pbf|osm\.gz|osm\.bz2)$/i.test(String(src))) seen[String(src)] = true;
      });
    });
    var files = Object.keys(seen).sort();
    if (files.length) parts.push(local('facilitiesFrom') + ': ' + files.slice(0, 6).join(', ') + (files.length > 6 ? ' …' : ''));
    var dem = document.getElementById('summary-demand');
    if (dem && dem.textContent && dem.textContent !== '–') parts.push(local('residentsFrom') + ': ' + dem.textContent);
    return term('data_sources') + ': ' + parts.join(' · ');
  }

  function today() {
    var d = new Date();
    var p = function (x) { return (x < 10 ? '0' : '') + x; };
    return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate());
  }

  // niceScale returns a scale bar of a round length (1, 2 or 5 × 10^k m)
  // at most maxPx wide at the map's centre.
  function niceScale(map, maxPx) {
    var size = map.getSize();
    var y = size.y / 2;
    var a = map.containerPointToLatLng([size.x / 2 - maxPx / 2, y]);
    var b = map.containerPointToLatLng([size.x / 2 + maxPx / 2, y]);
    var maxM = map.distance(a, b);
    var pow = Math.pow(10, Math.floor(Math.log10(maxM)));
    var m = pow;
    [2, 5, 10].forEach(function (k) { if (k * pow <= maxM) m = k * pow; });
    return { metres: m, px: maxPx * m / maxM };
  }

  function fmtLength(m) {
    return m >= 1000 ? (m / 1000) + ' ' + local('km') : m + ' ' + local('metres');
  }

  function decorate() {
    var map = lc().map;
    $('print-title').textContent = st.title;
    var s = lc().summary && lc().summary();
    var legendSrc = document.querySelector('#map .legend');
    var sub = legendSrc && legendSrc.querySelector('h3');
    $('print-sub').textContent = sub ? sub.textContent : '';
    $('print-date').textContent = term('date') + ': ' + today();
    var lg = $('print-legend');
    lg.textContent = '';
    lg.appendChild(el('h3', '', term('legend')));
    if (legendSrc) {
      var copy = legendSrc.cloneNode(true);
      copy.className = 'ps-legend-items';
      lg.appendChild(copy);
    }
    if (map) {
      var sc = niceScale(map, 150);
      $('print-scale-bar').style.width = sc.px.toFixed(1) + 'px';
      $('print-scale-label').textContent = term('scale') + ' ' + fmtLength(sc.metres);
      $('print-scale').dataset.metres = String(sc.metres);
      $('print-scale').dataset.px = sc.px.toFixed(2);
    }
    $('print-foot').textContent = sources() + ' · ' + local('made');
    if (s) document.body.dataset.printTypes = String((s.types || []).length);
  }

  function setPageStyle() {
    if (!st.pageStyle) {
      st.pageStyle = document.createElement('style');
      document.head.appendChild(st.pageStyle);
    }
    var p = PAPER[st.paper];
    st.pageStyle.textContent = '@page { size: ' + p.css + '; margin: 0; }\n' +
      '.print-sheet { width: ' + p.w + 'px; height: ' + p.h + 'px; }';
  }

  function frames(n) {
    return new Promise(function (resolve) {
      var step = function () { if (--n <= 0) resolve(); else requestAnimationFrame(step); };
      requestAnimationFrame(step);
    });
  }

  // open shows the print layout on paper ("A4" or "A3"): the map moves
  // into the sheet and keeps its centre and zoom.
  function open(paper) {
    var map = lc().map;
    if (!map) return Promise.resolve();
    st.paper = PAPER[paper] ? paper : 'A4';
    if (!st.title) st.title = defaultTitle();
    document.body.dataset.print = 'layout';
    var centre = map.getCenter(), zoom = map.getZoom();
    var m = $('map');
    sheet();
    if (!st.open) {
      st.home = m.parentNode;
      st.next = m.nextSibling;
    }
    st.open = true;
    setPageStyle();
    document.body.classList.add('print-mode');
    labelControls();
    $('print-map').appendChild(m);
    map.invalidateSize({ animate: false, pan: false });
    map.setView(centre, zoom, { animate: false });
    decorate();
    return frames(3).then(function () {
      decorate();
      document.body.dataset.print = 'ready';
    });
  }

  function close() {
    var map = lc().map;
    if (!st.open || !map) return;
    var centre = map.getCenter(), zoom = map.getZoom();
    st.home.insertBefore($('map'), st.next);
    document.body.classList.remove('print-mode');
    st.open = false;
    delete document.body.dataset.print;
    map.invalidateSize({ animate: false, pan: false });
    map.setView(centre, zoom, { animate: false });
  }

  // ------------------------------------------------------------ image
  function loadImage(src) {
    return new Promise(function (resolve) {
      var im = new Image();
      im.onload = function () { resolve(im); };
      im.onerror = function () { resolve(null); };
      im.src = src;
    });
  }

  function svgImage(svg) {
    var xml = new XMLSerializer().serializeToString(svg);
    if (xml.indexOf('xmlns=') < 0) xml = xml.replace('<svg', '<svg xmlns="http://www.w3.org/2000/svg"');
    return loadImage('data:image/svg+xml;charset=utf-8,' + encodeURIComponent(xml));
  }

  function visible(e) {
    var cs = getComputedStyle(e);
    return cs.display !== 'none' && cs.visibility !== 'hidden' && Number(cs.opacity) > 0;
  }

  function rel(r, o) { return { x: r.left - o.left, y: r.top - o.top, w: r.width, h: r.height }; }

  // drawMap draws the map's tiles, canvases, SVG overlays and markers,
  // clipped to the map's box.
  function drawMap(ctx, origin) {
    var m = $('map');
    var box = rel(m.getBoundingClientRect(), origin);
    ctx.save();
    ctx.beginPath();
    ctx.rect(box.x, box.y, box.w, box.h);
    ctx.clip();
    ctx.fillStyle = getComputedStyle(m).backgroundColor || '#eef0f2';
    ctx.fillRect(box.x, box.y, box.w, box.h);
    var same = location.origin;
    // Drawn in the order the screen stacks them: by pane (tiles 200,
    // streets 250, overlays 400, highlight 450, …), then by layer, then
    // in document order.
    var z = function (e, sel) {
      var p = e.closest(sel);
      var v = p ? parseInt(getComputedStyle(p).zIndex, 10) : 0;
      return isNaN(v) ? 0 : v;
    };
    var layers = Array.prototype.slice.call(m.querySelectorAll('img.leaflet-tile, canvas, svg')).map(function (e, i) {
      return { e: e, pane: z(e, '.leaflet-pane'), layer: z(e, '.leaflet-layer'), i: i };
    }).sort(function (a, b) { return a.pane - b.pane || a.layer - b.layer || a.i - b.i; }).map(function (x) { return x.e; });
    var jobs = layers.map(function (e) {
      if (!visible(e) || e.closest('.leaflet-control-container')) return Promise.resolve(null);
      var r = rel(e.getBoundingClientRect(), origin);
      if (e.tagName.toLowerCase() === 'img') {
        // Tiles from another host would taint the canvas: left out.
        if (new URL(e.src, location.href).origin !== same) return Promise.resolve(null);
        return Promise.resolve({ img: e, r: r });
      }
      if (e.tagName.toLowerCase() === 'canvas') return Promise.resolve({ img: e, r: r });
      return svgImage(e).then(function (im) { return im ? { img: im, r: r } : null; });
    });
    return Promise.all(jobs).then(function (items) {
      items.forEach(function (it) { if (it) ctx.drawImage(it.img, it.r.x, it.r.y, it.r.w, it.r.h); });
      // Markers (proposed sites, draggable facilities): discs with their text.
      Array.prototype.forEach.call(m.querySelectorAll('.leaflet-marker-icon'), function (e) {
        var inner = e.firstElementChild || e;
        if (!visible(e)) return;
        var r = rel(inner.getBoundingClientRect(), origin);
        var cs = getComputedStyle(inner);
        ctx.beginPath();
        ctx.arc(r.x + r.w / 2, r.y + r.h / 2, Math.max(3, r.w / 2), 0, 2 * Math.PI);
        ctx.fillStyle = cs.backgroundColor && cs.backgroundColor !== 'rgba(0, 0, 0, 0)' ? cs.backgroundColor : '#1b1b1b';
        ctx.fill();
        ctx.lineWidth = 2;
        ctx.strokeStyle = cs.borderTopColor || '#ffffff';
        ctx.stroke();
        if (inner.textContent) {
          ctx.fillStyle = cs.color || '#fff';
          ctx.font = cs.fontWeight + ' ' + cs.fontSize + ' ' + cs.fontFamily;
          ctx.textAlign = 'center';
          ctx.textBaseline = 'middle';
          ctx.fillText(inner.textContent, r.x + r.w / 2, r.y + r.h / 2);
        }
      });
      ctx.restore();
      ctx.strokeStyle = '#9aa5b1';
      ctx.lineWidth = 1;
      ctx.strokeRect(box.x + 0.5, box.y + 0.5, box.w - 1, box.h - 1);
    });
  }

  function transparent(c) { return !c || c === 'transparent' || /rgba\(.*,\s*0\)$/.test(c); }

  // drawText draws a text node where the layout put it, line by line.
  function drawText(ctx, node, origin) {
    var text = node.textContent.replace(/\s+/g, ' ');
    if (!text.trim()) return;
    var parent = node.parentElement;
    var cs = getComputedStyle(parent);
    var range = document.createRange();
    range.selectNodeContents(node);
    var rects = Array.prototype.filter.call(range.getClientRects(), function (r) { return r.width > 0; });
    if (!rects.length) return;
    ctx.font = cs.fontStyle + ' ' + cs.fontWeight + ' ' + cs.fontSize + ' ' + cs.fontFamily;
    ctx.fillStyle = cs.color;
    ctx.textBaseline = 'alphabetic';
    ctx.textAlign = 'left';
    var fs = parseFloat(cs.fontSize);
    if (rects.length === 1) {
      var r = rel(rects[0], origin);
      ctx.fillText(text.trim(), r.x, r.y + (r.h + fs * 0.7) / 2);
      return;
    }
    // Wrapped: refill the lines by measuring, within the parent's width.
    var words = text.trim().split(/(?=\s)|(?<=[\u3000-\u9fff])/);
    var line = '', k = 0;
    var pr = rel(parent.getBoundingClientRect(), origin);
    var width = pr.w;
    words.forEach(function (w) {
      if (line && ctx.measureText(line + w).width > width && k < rects.length - 1) {
        var r = rel(rects[k++], origin);
        ctx.fillText(line.trim(), r.x, r.y + (r.h + fs * 0.7) / 2);
        line = w;
      } else line += w;
    });
    var last = rel(rects[Math.min(k, rects.length - 1)], origin);
    ctx.fillText(line.trim(), last.x, last.y + (last.h + fs * 0.7) / 2);
  }

  // drawBoxes draws the sheet's decorations (everything but the map):
  // backgrounds, borders, texts and inline SVG, in document order.
  function drawBoxes(ctx, root, origin) {
    var svgs = [];
    var walk = function (e) {
      if (e.id === 'map' || !visible(e)) return;
      var cs = getComputedStyle(e);
      var r = rel(e.getBoundingClientRect(), origin);
      if (e.tagName.toLowerCase() === 'svg') { svgs.push({ e: e, r: r }); return; }
      // A dot: square, with a radius of half its side (an empty box of
      // no height and a rounded corner is not one).
      var round = r.w > 0 && r.h > 0 && Math.abs(r.w - r.h) <= 1 && parseFloat(cs.borderTopLeftRadius) >= Math.min(r.w, r.h) / 2 - 0.5;
      if (round) {
        // A dot (legend swatches): filled and ringed as a circle.
        ctx.beginPath();
        ctx.arc(r.x + r.w / 2, r.y + r.h / 2, r.w / 2, 0, 2 * Math.PI);
        if (!transparent(cs.backgroundColor)) { ctx.fillStyle = cs.backgroundColor; ctx.fill(); }
        if (parseFloat(cs.borderTopWidth) > 0 && !transparent(cs.borderTopColor)) {
          ctx.strokeStyle = cs.borderTopColor;
          ctx.lineWidth = parseFloat(cs.borderTopWidth);
          ctx.stroke();
        }
      } else if (!transparent(cs.backgroundColor)) {
        ctx.fillStyle = cs.backgroundColor;
        ctx.fillRect(r.x, r.y, r.w, r.h);
      }
      [['Top', r.x, r.y, r.x + r.w, r.y], ['Bottom', r.x, r.y + r.h, r.x + r.w, r.y + r.h],
        ['Left', r.x, r.y, r.x, r.y + r.h], ['Right', r.x + r.w, r.y, r.x + r.w, r.y + r.h]].forEach(function (b) {
        var w = parseFloat(cs['border' + b[0] + 'Width']);
        if (round || !(w > 0) || cs['border' + b[0] + 'Style'] === 'none' || transparent(cs['border' + b[0] + 'Color'])) return;
        ctx.strokeStyle = cs['border' + b[0] + 'Color'];
        ctx.lineWidth = w;
        ctx.beginPath();
        ctx.moveTo(b[1], b[2]);
        ctx.lineTo(b[3], b[4]);
        ctx.stroke();
      });
      Array.prototype.forEach.call(e.childNodes, function (c) {
        if (c.nodeType === 3) drawText(ctx, c, origin);
        else if (c.nodeType === 1) walk(c);
      });
    };
    walk(root);
    return Promise.all(svgs.map(function (x) {
      return svgImage(x.e).then(function (im) { if (im) ctx.drawImage(im, x.r.x, x.r.y, x.r.w, x.r.h); });
    }));
  }

  // image renders the sheet to a PNG (data URL) of the sheet's size.
  function image() {
    var wasOpen = st.open;
    var ready = wasOpen ? Promise.resolve() : open(st.paper);
    return ready.then(function () {
      var s = $('print-sheet');
      var origin = s.getBoundingClientRect();
      var p = PAPER[st.paper];
      var c = document.createElement('canvas');
      c.width = p.w;
      c.height = p.h;
      var ctx = c.getContext('2d');
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(0, 0, p.w, p.h);
      return drawBoxes(ctx, s, origin).then(function () { return drawMap(ctx, origin); }).then(function () {
        return c.toDataURL('image/png');
      });
    });
  }

  // saveImage downloads the sheet as a PNG file (through a blob: URL:
  // large data: URLs are cut by some browsers).
  function saveImage() {
    return image().then(function (url) {
      var bin = atob(url.slice(url.indexOf(',') + 1));
      var bytes = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      var href = URL.createObjectURL(new Blob([bytes], { type: 'image/png' }));
      setTimeout(function () { URL.revokeObjectURL(href); }, 60000);
      var a = document.createElement('a');
      a.href = href;
      a.download = (st.title || 'lifecircle').replace(/[\\/:*?"<>|]+/g, '_').slice(0, 80) + '-' + st.paper + '.png';
      document.body.appendChild(a);
      a.click();
      a.remove();
      return url;
    });
  }

  document.addEventListener('lifecircle:render', function () {
    buttons();
    var b = $('print-button');
    if (b) b.textContent = term('print');
    if (st.open) { labelControls(); decorate(); }
  });
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape' && st.open) close(); });
  window.lifecirclePrint = { open: open, close: close, image: image, save: saveImage, paper: PAPER,
    scale: function () { return lc().map ? niceScale(lc().map, 150) : null; } };
})();
