// lifecircle map page: the provision rules panel (/api/rules: each rule
// with the units that meet and break it) and the map style "broken
// rules" (units coloured by how many rules they break, or by one rule
// chosen in the panel). Refreshed after every what-if edit. Uses the hooks
// of app.js (window.lifecircle.ext, "lifecircle:*" events).
(function () {
  'use strict';
  var ext = window.lifecircle && window.lifecircle.ext;
  if (!ext) return;

  var STYLE = 'rules';
  // 0, 1, 2, 3+ rules broken: blue to red (ColorBrewer RdYlBu ends).
  var COLOURS = ['#4575b4', '#fee090', '#fc8d59', '#d73027'];
  var NONE = '#c8ccd0';
  var doc = null;
  var chosen = 0; // a rule number shown alone on the map, 0 for all

  function brokenAt(collection) {
    return doc && doc.units ? doc.units[collection] : undefined;
  }

  // style colours a unit by the rules it breaks at the level shown.
  ext.style = function (feature) {
    if (ext.state.colourBy !== STYLE) return null;
    var units = brokenAt(ext.state.unitsCollection);
    var p = feature.properties || {};
    var id = String(p.unit_id !== undefined ? p.unit_id : feature.id);
    if (!units) return { fillColor: NONE, fillOpacity: 0.3 };
    var broken = units[id] || [];
    if (chosen) {
      var rule = ruleOf(chosen);
      if (!rule || rule.collection !== canonical(ext.state.unitsCollection)) return { fillColor: NONE, fillOpacity: 0.3 };
      return { fillColor: broken.indexOf(chosen) >= 0 ? COLOURS[3] : COLOURS[0], fillOpacity: 0.62 };
    }
    if (!rulesAt(ext.state.unitsCollection)) return { fillColor: NONE, fillOpacity: 0.3 };
    return { fillColor: COLOURS[Math.min(broken.length, 3)], fillOpacity: 0.62 };
  };

  // canonical is the level collection a collection id names (units is
  // the finest level's alias).
  function canonical(c) {
    return (doc && doc.aliases && doc.aliases[c]) || c;
  }

  function ruleOf(n) {
    return (doc && doc.rules || []).filter(function (r) { return r.rule === n; })[0];
  }

  function rulesAt(collection) {
    return (doc && doc.rules || []).some(function (r) { return r.collection && r.collection === canonical(collection); });
  }

  ext.legend = function (d) {
    if (ext.state.colourBy !== STYLE) return false;
    var t = ext.t, el = ext.el;
    if (chosen) {
      var r = ruleOf(chosen);
      d.appendChild(el('h3', { text: t('ruleLegend', { n: chosen }) }));
      if (r) d.appendChild(el('div', { class: 'rule-legend-text', text: ext.state.lang === 'zh' ? r.text_zh : r.text_en }));
      d.appendChild(el('div', { class: 'item' }, [el('span', { class: 'box', style: 'background:' + COLOURS[3] }), t('ruleBrokenItem')]));
      d.appendChild(el('div', { class: 'item' }, [el('span', { class: 'box', style: 'background:' + COLOURS[0] }), t('ruleMetItem')]));
    } else {
      d.appendChild(el('h3', { text: t('brokenLegend') }));
      for (var i = COLOURS.length - 1; i >= 0; i--) {
        d.appendChild(el('div', { class: 'item' }, [el('span', { class: 'box', style: 'background:' + COLOURS[i] }), i === 3 ? '≥ 3' : String(i)]));
      }
    }
    d.appendChild(el('div', { class: 'item' }, [el('span', { class: 'box', style: 'background:' + NONE + ';opacity:.5' }), t('noRulesAtLevel')]));
    return true;
  };

  ext.colourOptions = function (select) {
    if (!doc || !doc.rules || !doc.rules.length) return;
    select.appendChild(ext.el('option', { value: STYLE, text: ext.t('brokenRulesStyle') }));
  };

  function card() {
    var c = document.getElementById('rules-card');
    if (c) return c;
    c = ext.el('section', { class: 'card', id: 'rules-card' }, [
      ext.el('h2', { 'data-i18n': 'rulesTitle', text: ext.t('rulesTitle') }),
      ext.el('div', { id: 'rules-summary', class: 'hint' }),
      ext.el('ul', { id: 'rules-list', class: 'rules-list' })
    ]);
    var after = document.getElementById('coverage-card');
    after.parentNode.insertBefore(c, after.nextSibling);
    return c;
  }

  function render() {
    if (!doc) return;
    card();
    var t = ext.t, el = ext.el, zh = ext.state.lang === 'zh';
    var rules = doc.rules || [];
    var sum = document.getElementById('rules-summary');
    sum.textContent = '';
    if (rules.length) {
      sum.appendChild(el('div', { class: 'rules-count', text: t('rulesSummary', { b: doc.broken_rules, n: rules.length }) }));
      sum.appendChild(el('div', { text: t('ruleShowHint') }));
    } else sum.textContent = t('rulesNone');
    sum.dataset.broken = String(doc.broken_rules);
    var ul = document.getElementById('rules-list');
    ul.textContent = '';
    rules.forEach(function (r) {
      var where = zh ? r.level_zh : r.level_en;
      var li = el('li', {
        id: 'rule-' + r.rule, class: 'rule' + (r.broken > 0 ? ' broken' : ' met') + (chosen === r.rule ? ' selected' : ''),
        'data-broken': String(r.broken), 'data-passed': String(r.passed), title: r.note || ''
      }, [
        el('div', { class: 'rule-text' }, [el('span', { class: 'rule-no', text: r.rule + '. ' }), zh ? r.text_zh : r.text_en]),
        el('div', { class: 'rule-figs' }, [
          el('span', { class: 'rule-where', text: where }),
          el('span', { class: 'rule-pass', text: '✓ ' + t('rulePassed', { n: ext.fmtInt(r.passed) }) }),
          el('span', { class: 'rule-fail', text: '✗ ' + t('ruleBroken', { n: ext.fmtInt(r.broken) }) })
        ])
      ]);
      if (r.collection && r.breaches && r.breaches.length) {
        var names = r.breaches.slice(0, 5).map(function (b) { return b.name || b.unit_id; });
        if (r.breaches.length > 5) names.push('… +' + ext.fmtInt(r.breaches.length - 5));
        li.appendChild(el('div', { class: 'rule-units', text: names.join(zh ? '、' : ', ') }));
      }
      li.addEventListener('click', function () { choose(r); });
      ul.appendChild(li);
    });
  }

  // choose shows rule r on the map (its level, broken units red), or every
  // rule again when r is shown already.
  function choose(r) {
    chosen = chosen === r.rule ? 0 : r.rule;
    var go = Promise.resolve();
    if (chosen && r.collection && window.lifecircle.setLevel && r.collection !== canonical(ext.state.unitsCollection)) {
      var target = r.collection;
      Object.keys(doc.aliases || {}).forEach(function (a) { if (doc.aliases[a] === target) target = a; });
      go = window.lifecircle.setLevel(target);
    }
    go.then(function () {
      ext.setColourBy(STYLE);
      render();
    });
  }

  function refresh() {
    return ext.api('GET', 'api/rules').then(function (d) {
      doc = d;
      render();
      var had = Array.prototype.some.call(document.querySelectorAll('#colour-by option'), function (o) { return o.value === STYLE; });
      if (!had && d.rules && d.rules.length) ext.renderSelects();
      if (ext.state.colourBy === STYLE) ext.recolourAll();
    }).catch(ext.showError);
  }

  document.addEventListener('lifecircle:start', function () { window.lifecircle.afterFirstRender(refresh); });
  document.addEventListener('lifecircle:change', function () {
    // Without rules there is nothing to follow: no recomputation per edit.
    if (doc && !(doc.rules || []).length) return;
    refresh();
  });
  document.addEventListener('lifecircle:lang', render);
  document.addEventListener('lifecircle:cells', function () { if (ext.state.colourBy === STYLE) ext.renderLegend(); });
  window.lifecircle.rules = function () { return doc; };
})();
