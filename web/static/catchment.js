// lifecircle map page: walking catchments. Clicking a facility (or a
// proposed site) draws the streets it reaches within its type's threshold,
// coloured by walking distance, and the outline of them, and adds who is
// within reach to its popup. It uses the page's helpers that app.js puts
// on window.lifecircle.ui and the hooks app.js calls (onFacilityClick,
// onSiteClick, onLangChange). Plain JavaScript, no build step.
(function () {
  'use strict';

  var LC = window.lifecircle = window.lifecircle || {};
  // Walking distance as a share of the threshold, nearest first
  // (ColorBrewer YlGnBu, dark = near).
  var RAMP = ['#0c2c84', '#225ea8', '#1d91c0', '#41b6c4', '#7fcdbb'];
  var HULL_COLOUR = '#225ea8';
  var layer = null, renderer = null, seq = 0;
  var drawn = null; // the API path of the catchment on the map

  function ui() { return LC.ui; }

  function colourOf(dist, threshold) {
    var k = Math.floor(dist / threshold * RAMP.length);
    return RAMP[Math.max(0, Math.min(RAMP.length - 1, k))];
  }

  function ensureLayer() {
    var map = LC.map;
    if (layer) return layer;
    if (!map.getPane('catchment')) {
      // Above the cells and facilities' canvas, below popups; clicks
      // pass through to the facilities.
      map.createPane('catchment').style.zIndex = 420;
      map.getPane('catchment').style.pointerEvents = 'none';
    }
    renderer = L.svg({ pane: 'catchment', padding: 0.3 });
    layer = L.layerGroup().addTo(map);
    return layer;
  }

  function clear() {
    seq++;
    drawn = null;
    if (layer) layer.clearLayers();
    LC.catchment = null;
  }

  function draw(fc) {
    var g = ensureLayer();
    g.clearLayers();
    var p = fc.properties || {};
    var thr = p.threshold_m || 1;
    if (fc.geometry) {
      L.geoJSON(fc.geometry, {
        pane: 'catchment', renderer: renderer, interactive: false,
        style: function () { return { color: HULL_COLOUR, weight: 1.5, dashArray: '5 4', opacity: 0.9, fillColor: HULL_COLOUR, fillOpacity: 0.08 }; }
      }).addTo(g);
    }
    // Far pieces first, so the near ones draw on top.
    var feats = ((p.network && p.network.features) || []).slice().sort(function (a, b) {
      return b.properties.dist_from_m - a.properties.dist_from_m;
    });
    L.geoJSON({ type: 'FeatureCollection', features: feats }, {
      pane: 'catchment', renderer: renderer, interactive: false,
      style: function (f) {
        var d = (f.properties.dist_from_m + f.properties.dist_to_m) / 2;
        return { color: colourOf(d, thr), weight: 3.5, opacity: 0.95, lineCap: 'round' };
      }
    }).addTo(g);
  }

  function legend(thr) {
    var U = ui();
    var steps = RAMP.map(function (c, k) {
      var a = Math.round(thr * k / RAMP.length), b = Math.round(thr * (k + 1) / RAMP.length);
      return U.el('span', { class: 'catchment-step', title: a + '–' + b + ' m', style: 'background:' + c });
    });
    return U.el('div', { class: 'catchment-legend' }, [
      U.el('span', { text: U.t('catchmentLegend') + ' 0' }),
      U.el('span', { class: 'catchment-ramp' }, steps),
      U.el('span', { text: U.fmtM(thr) })
    ]);
  }

  // info is the popup section with the catchment's figures.
  function info(fc, isSite) {
    var U = ui(), p = fc.properties || {};
    var group = p.demand ? U.t('catchmentGroup', { g: p.demand }) : '';
    var kids = [U.el('div', { class: 'popup-title', text: U.t('catchment') + ' · ' + U.t('catchmentWithin', { d: Math.round(p.threshold_m) }) })];
    if (!p.snapped) {
      kids.push(U.el('div', { class: 'popup-sub', text: U.t('catchmentUnsnapped') }));
    } else {
      kids.push(U.el('table', null, [
        U.el('tr', null, [U.el('td', { text: U.t('catchmentResidents') + group }),
          U.el('td', { class: 'catchment-residents', 'data-residents': String(p.residents), text: U.fmtInt(p.residents) + ' (' + U.t('catchmentPoints', { n: U.fmtInt(p.points) }) + ')' })]),
        U.el('tr', null, [U.el('td', { text: U.t(isSite ? 'catchmentNearestSite' : 'catchmentNearest') }),
          U.el('td', { class: 'catchment-nearest', 'data-residents-nearest': String(p.residents_nearest), text: U.fmtInt(p.residents_nearest) })]),
        U.el('tr', null, [U.el('td', { text: U.t('catchmentStreets') }), U.el('td', { text: p.network_m >= 1000 ? U.t('catchmentKm', { n: (p.network_m / 1000).toFixed(1) }) : U.fmtM(p.network_m) })])
      ]));
      kids.push(legend(p.threshold_m));
    }
    kids.push(U.el('div', { class: 'popup-actions' }, [
      U.el('button', { type: 'button', class: 'catchment-hide', text: U.t('catchmentHide'), onclick: function () { clear(); LC.map.closePopup(); } })
    ]));
    return U.el('div', { class: 'catchment-info' }, kids);
  }

  // relayout fits the open popup to its grown content without setting
  // the content again (which would replace its buttons under a click).
  function relayout() {
    var p = LC.map._popup;
    if (!p || !p.isOpen() || !p._updateLayout) return;
    p._updateLayout();
    p._updatePosition();
  }

  function show(path, content, isSite) {
    var U = ui();
    var my = ++seq;
    var box = U.el('div', { class: 'catchment-info hint', text: U.t('catchmentLoading') });
    content.appendChild(box);
    return U.api('GET', path).then(function (fc) {
      if (my !== seq) return;
      draw(fc);
      drawn = isSite ? null : path;
      box.replaceWith(info(fc, isSite));
      var p = fc.properties || {};
      LC.catchment = {
        id: p.facility_id || p.site_id, type: p.type, residents: p.residents, residents_nearest: p.residents_nearest,
        pieces: (p.network && p.network.features || []).length
      };
      relayout();
    }).catch(function (err) {
      if (my !== seq) return;
      box.remove();
      U.showError(err);
    });
  }

  LC.onFacilityClick = function (a) {
    show('api/facilities/' + encodeURIComponent(a.id) + '/catchment', a.content, false);
  };

  LC.onSiteClick = function (a) {
    var q = a.types && a.types.length > 1 ? '?type=' + encodeURIComponent(a.types[0]) : '';
    show('api/proposals/' + encodeURIComponent(a.id) + '/catchment' + q, a.content, true);
  };

  // The drawing stays; the figures are in the popup, which the language
  // switch closes.
  LC.onLangChange = function () {};

  // After a what-if edit the facility on the map may have moved or gone:
  // redraw its catchment, or clear it.
  LC.onScenarioChange = function (res) {
    if (!drawn) return;
    var e = (res && res.edit) || {};
    if (LC.catchment && e.id === LC.catchment.id && e.active === false) { clear(); return; }
    var path = drawn, my = ++seq;
    ui().api('GET', path).then(function (fc) {
      if (my !== seq) return;
      draw(fc);
      var p = fc.properties || {};
      if (LC.catchment) {
        LC.catchment.residents = p.residents;
        LC.catchment.residents_nearest = p.residents_nearest;
        LC.catchment.pieces = (p.network && p.network.features || []).length;
      }
    }).catch(function (err) {
      if (my !== seq) return;
      if (err.status === 404) clear(); else ui().showError(err);
    });
  };
  LC.clearCatchment = clear;
})();
