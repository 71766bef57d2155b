// lifecircle map page: the walking-distance histogram per type (a card in
// the side panel). Data from /api/charts/distances (planner.Histogram:
// residents by distance band up to 1.5 × the threshold, farther,
// unreachable); drawn as SVG here, no chart library. Terms come from the
// glossary (glossary.js).
(function () {
  'use strict';
  var SVGNS = 'http://www.w3.org/2000/svg';
  var G = window.lifecircleGlossary || {};
  var LOCAL = {
    zh: { pick: '类型', residentsAxis: '居民（人）', thresholdMark: '标准 {d} 米', none: '无数据' },
    en: { pick: 'Type', residentsAxis: 'Residents', thresholdMark: 'threshold {d} m', none: 'no data' }
  };
  var state = { data: null, type: null, timer: 0, seq: 0 };

  function lc() { return window.lifecircle || {}; }
  function lang() { return lc().lang ? lc().lang() : 'zh'; }
  function term(key) { var g = G[key]; return g ? g[lang()] : key; }
  function local(key, vars) {
    var s = (LOCAL[lang()] || LOCAL.en)[key] || key;
    return s.replace(/\{(\w+)\}/g, function (m, k) { return vars && vars[k] !== undefined ? vars[k] : m; });
  }
  function nf(x, d) {
    return new Intl.NumberFormat(lang() === 'zh' ? 'zh-CN' : 'en-US', { maximumFractionDigits: d || 0 }).format(x);
  }
  function typeName(h) { return lang() === 'zh' ? (h.name_zh || h.name_en || h.id) : (h.name_en || h.name_zh || h.id); }

  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // histogramSVG draws one type's histogram: bands (blue within the
  // threshold, orange beyond it), a "farther" and an "unreachable" bar in
  // grey, and a dashed line at the threshold.
  function histogramSVG(h, colour) {
    var W = 300, H = 160, L = 38, R = 6, T = 14, B = 44;
    var bars = h.bins.map(function (b, k) {
      return { v: b.residents, within: k < h.threshold_bins, label: nf(b.to_m) };
    });
    bars.push({ v: h.beyond, extra: 'beyond', label: '>' });
    bars.push({ v: h.unreachable, extra: 'unreachable', label: '×' });
    var vmax = Math.max.apply(null, bars.map(function (b) { return b.v; }).concat([1]));
    var n = bars.length, gap = 8; // gap between the bands and the two extra bars
    var bw = (W - L - R - gap) / n;
    var s = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, class: 'hist', role: 'img', 'data-type': h.id,
      'aria-label': term('distance_histogram') + ' ' + typeName(h) });
    s.appendChild(svg('line', { x1: L, y1: T + (H - T - B), x2: W - R, y2: T + (H - T - B), class: 'axis' }));
    var plotH = H - T - B;
    // y axis: 0 and the maximum
    s.appendChild(svg('text', { x: L - 4, y: T + plotH, class: 'tick', 'text-anchor': 'end' }, '0'));
    s.appendChild(svg('text', { x: L - 4, y: T + 8, class: 'tick', 'text-anchor': 'end' }, nf(vmax)));
    bars.forEach(function (b, k) {
      var x = L + k * bw + (b.extra ? gap : 0);
      var hgt = plotH * b.v / vmax;
      var cls = b.extra ? 'hbar extra' : b.within ? 'hbar within' : 'hbar over';
      var r = svg('rect', { x: (x + 1).toFixed(1), y: (T + plotH - hgt).toFixed(1), width: Math.max(1, bw - 2).toFixed(1),
        height: hgt.toFixed(1), class: cls, 'data-residents': String(b.v) });
      r.appendChild(svg('title', {}, (b.extra ? term(b.extra) : '≤ ' + b.label + ' m') + ': ' + nf(b.v) + ' ' + term('residents')));
      s.appendChild(r);
      // x labels: every band's upper edge when there is room, else every other
      if (b.extra || n <= 12 || k % 2 === 1) {
        s.appendChild(svg('text', { x: (x + bw - 1).toFixed(1), y: T + plotH + 11, class: 'tick', 'text-anchor': b.extra ? 'middle' : 'end',
          dx: b.extra ? (-bw / 2 + 1).toFixed(1) : 0 }, b.label));
      }
    });
    // threshold marker at the edge of the last band within it
    var tx = L + h.threshold_bins * bw;
    s.appendChild(svg('line', { x1: tx, y1: T - 6, x2: tx, y2: T + plotH, class: 'threshold' }));
    s.appendChild(svg('text', { x: tx + 3, y: T - 2, class: 'tick threshold-label' }, local('thresholdMark', { d: nf(h.threshold_m) })));
    // The axis's name, then (a line below, right-aligned: in English the
    // two do not fit on one line) what the two grey bars are.
    s.appendChild(svg('text', { x: L, y: H - 17, class: 'tick' }, term('walking_distance') + ' (m) · ' + local('residentsAxis')));
    s.appendChild(svg('text', { x: W - R, y: H - 4, class: 'tick', 'text-anchor': 'end' }, '> ' + term('beyond') + ' · × ' + term('unreachable')));
    return s;
  }

  function card() {
    var c = document.getElementById('chart-card');
    if (c) return c;
    c = document.createElement('section');
    c.className = 'card';
    c.id = 'chart-card';
    c.innerHTML = '<h2 id="chart-title"></h2><label class="row"><span id="chart-pick-label"></span> <select id="chart-type"></select></label>' +
      '<div id="chart-body"></div><div id="chart-figs" class="hint"></div>';
    var after = document.getElementById('coverage-card');
    after.parentNode.insertBefore(c, after.nextSibling);
    c.querySelector('#chart-type').addEventListener('change', function (e) { state.type = e.target.value; draw(); });
    return c;
  }

  function draw() {
    var c = card();
    c.querySelector('#chart-title').textContent = term('distance_histogram');
    c.querySelector('#chart-pick-label').textContent = local('pick');
    var sel = c.querySelector('#chart-type'), body = c.querySelector('#chart-body'), figs = c.querySelector('#chart-figs');
    var types = (state.data && state.data.types) || [];
    sel.textContent = '';
    types.forEach(function (h) {
      var o = document.createElement('option');
      o.value = h.id;
      o.textContent = typeName(h);
      sel.appendChild(o);
    });
    if (!types.length) { body.textContent = local('none'); figs.textContent = ''; return; }
    if (!types.some(function (h) { return h.id === state.type; })) state.type = types[0].id;
    sel.value = state.type;
    var h = types.filter(function (x) { return x.id === state.type; })[0];
    body.textContent = '';
    body.appendChild(histogramSVG(h, lc().typeColour ? lc().typeColour(h.id) : null));
    figs.textContent = term('within_threshold') + ' ' + nf(h.within) + ' · ' + term('beyond') + ' ' + nf(h.beyond) +
      ' · ' + term('unreachable') + ' ' + nf(h.unreachable) + ' / ' + nf(h.residents) + ' ' + term('residents');
    figs.setAttribute('data-within', String(h.within));
  }

  // load asks for the histograms after each render of the panel (first
  // load, edits, language), coalescing the renders of one task.
  function load() {
    clearTimeout(state.timer);
    state.timer = setTimeout(function () {
      var seq = ++state.seq;
      var get = lc().api ? lc().api('GET', 'api/charts/distances') : Promise.reject(new Error('no api'));
      get.then(function (d) {
        if (seq !== state.seq) return;
        state.data = d;
        draw();
      }).catch(function () { /* the panel's own message box shows server errors */ });
    }, 0);
  }

  // The first histograms wait for the map's first render (app.js).
  document.addEventListener('lifecircle:render', function () {
    var l = window.lifecircle;
    if (l && l.afterFirstRender) l.afterFirstRender(load); else load();
  });
  window.lifecircleCharts = { histogramSVG: histogramSVG, data: function () { return state.data; } };
})();
