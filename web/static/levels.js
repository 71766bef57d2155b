// lifecircle map page: the level switch (cells / each level of units, from
// /api/levels) and the units' names as labels where they fit. Uses the
// hooks of app.js (window.lifecircle.ext, "lifecircle:*" events).
(function () {
  'use strict';
  var ext = window.lifecircle && window.lifecircle.ext;
  if (!ext) return;

  // A label is drawn when the unit is at least this wide and tall on
  // screen (CSS px) and does not overlap a label already placed; at most
  // MAX_LABELS, largest units first.
  var MIN_W = 64, MIN_H = 18, MAX_LABELS = 250;

  var levels = [];
  var labelLayer = null;

  function current() {
    var c = ext.state.unitsCollection;
    for (var i = 0; i < levels.length; i++) {
      if (levels[i].collection === c || levels[i].alias === c) return levels[i];
    }
    return null;
  }

  function levelName(l) {
    return ext.state.lang === 'zh' ? l.name_zh : l.name_en;
  }

  function renderSwitch() {
    var sel = document.getElementById('level-switch');
    if (!sel) {
      if (levels.length < 2) return;
      sel = ext.el('select', { id: 'level-switch', 'aria-label': 'level' });
      sel.addEventListener('change', function () { setLevel(sel.value); });
      // On the map, top right: the level is what the map shows.
      var ctl = L.control({ position: 'topright' });
      ctl.onAdd = function () {
        var box = ext.el('label', { class: 'level-control', id: 'level-row' }, [ext.el('span', { id: 'level-label', text: ext.t('level') }), sel]);
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      };
      ctl.addTo(ext.map);
    }
    var lab = document.getElementById('level-label');
    if (lab) lab.textContent = ext.t('level');
    sel.textContent = '';
    levels.forEach(function (l) {
      sel.appendChild(ext.el('option', { value: l.alias || l.collection, text: levelName(l) + ' (' + ext.fmtInt(l.units) + ')', title: l.collection }));
    });
    var c = current();
    if (c) sel.value = c.alias || c.collection;
  }

  // setLevel shows the units of collection id on the map.
  function setLevel(id) {
    if (ext.state.unitsCollection === id) return Promise.resolve();
    ext.state.unitsCollection = id;
    ext.map.closePopup();
    ext.highlightLayer.clearLayers();
    var sel = document.getElementById('level-switch');
    if (sel && sel.value !== id) sel.value = id;
    ext.renderSelects();
    return ext.loadCells().then(function () {
      document.dispatchEvent(new CustomEvent('lifecircle:level', { detail: { collection: id } }));
    }).catch(ext.showError);
  }

  function drawLabels() {
    if (!ext.map) return;
    if (!labelLayer) labelLayer = L.layerGroup().addTo(ext.map);
    labelLayer.clearLayers();
    var l = current();
    var cellsOn = document.getElementById('toggle-cells');
    if (!l || !l.named || (cellsOn && !cellsOn.checked)) return;
    var map = ext.map;
    var view = map.getBounds();
    var cands = [];
    function consider(name, b, center) {
      if (!view.intersects(b)) return;
      var nw = map.latLngToContainerPoint(b.getNorthWest()), se = map.latLngToContainerPoint(b.getSouthEast());
      var w = se.x - nw.x, h = se.y - nw.y;
      if (w < MIN_W || h < MIN_H) return;
      cands.push({ center: center, name: String(name), area: w * h });
    }
    var tiled = ext.tiledUnits && ext.tiledUnits();
    // Units drawn from tiles: their names come with the tiles on screen.
    if (tiled) tiled.named().forEach(function (u) { consider(u.name, u.bounds, function () { return u.center; }); });
    ext.unitLayers().forEach(function (layer) {
      var name = layer.feature && layer.feature.properties && layer.feature.properties.name;
      if (!name || !layer.getBounds) return;
      consider(name, layer.getBounds(), function () { return layer.getCenter(); });
    });
    cands.sort(function (a, b) { return b.area - a.area; });
    var placed = [];
    cands.slice(0, MAX_LABELS * 2).forEach(function (c) {
      if (placed.length >= MAX_LABELS) return;
      var at = c.center();
      var p = map.latLngToContainerPoint(at);
      var half = Math.min(160, 7 * c.name.length + 8) / 2;
      var box = [p.x - half, p.y - 9, p.x + half, p.y + 9];
      for (var i = 0; i < placed.length; i++) {
        var q = placed[i];
        if (box[0] < q[2] && q[0] < box[2] && box[1] < q[3] && q[1] < box[3]) return;
      }
      placed.push(box);
      L.marker(at, {
        interactive: false, keyboard: false,
        icon: L.divIcon({ className: 'unit-label', html: ext.el('span', { text: c.name }), iconSize: null })
      }).addTo(labelLayer);
    });
  }

  document.addEventListener('lifecircle:start', function () {
    ext.api('GET', 'api/levels').then(function (doc) {
      levels = doc.levels || [];
      renderSwitch();
    }).catch(ext.showError);
    ext.map.on('zoomend moveend', drawLabels);
    var cellsOn = document.getElementById('toggle-cells');
    if (cellsOn) cellsOn.addEventListener('change', drawLabels);
  });
  document.addEventListener('lifecircle:cells', function () {
    drawLabels();
    // Tiles arrive after the move that asked for them: label again then.
    var tiled = ext.tiledUnits && ext.tiledUnits();
    if (tiled && !tiled.layer._lcLabels) {
      tiled.layer._lcLabels = true;
      tiled.layer.on('load', drawLabels);
    }
  });
  document.addEventListener('lifecircle:lang', renderSwitch);
  // After an edit, a level other than the first one is reloaded whole:
  // the edit's changed units are of the first level.
  document.addEventListener('lifecircle:change', function (e) {
    var first = ext.state.summary && ext.state.summary.collections && ext.state.summary.collections.units;
    if (e.detail && e.detail.op === 'replace') return; // app.js reloads the cells
    if (ext.state.unitsCollection !== first) ext.loadCells().catch(ext.showError);
  });

  // Hooks for tests and the console.
  window.lifecircle.setLevel = setLevel;
  window.lifecircle.labels = function () {
    var out = [];
    if (labelLayer) labelLayer.eachLayer(function (m) { var e = m.getElement(); if (e) out.push(e.textContent); });
    return out;
  };
})();
