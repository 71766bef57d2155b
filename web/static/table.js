// lifecircle map page: the table view. A drawer under the map lists the
// units of the level the map shows (every figure, and the rules each unit
// breaks) or the facilities counted (type, name, the rule that counted
// each, source), from /api/table/{units|facilities}: sorted by a click on
// a column head, filtered (search by name, COLUMN OP VALUE filters, units
// breaking rules), paged, linked to the map both ways, and exported as CSV
// or Excel by the same query, so the file is the table shown.
(function () {
  'use strict';
  var ext = window.lifecircle && window.lifecircle.ext;
  if (!ext) return;

  var PAGE = 200;
  var st = {
    open: false, table: 'units', q: '', filter: '', broken: false, type: '',
    sort: '', desc: false, offset: 0, doc: null, selected: null, seq: 0
  };

  function $(id) { return document.getElementById(id); }

  // params is the query of the table shown (no paging).
  function params() {
    var p = new URLSearchParams();
    if (st.table === 'units') p.set('level', ext.state.unitsCollection);
    if (st.table === 'facilities' && st.type) p.set('type', st.type);
    if (st.q) p.set('q', st.q);
    st.filter.split(/[;\n]/).forEach(function (f) { if (f.trim()) p.append('filter', f.trim()); });
    if (st.broken && st.table === 'units') p.append('filter', 'rules_broken>=1');
    if (st.sort) p.set('sort', (st.desc ? '-' : '') + st.sort);
    return p;
  }

  function build() {
    var t = ext.t, el = ext.el;
    var btn = el('button', { type: 'button', id: 'table-button', 'data-i18n': 'tableButton', text: t('tableButton') });
    btn.addEventListener('click', function () { toggle(!st.open); });
    var tools = document.querySelector('#topbar .tools');
    tools.insertBefore(btn, $('lang-switch'));

    var typeSel = el('select', { id: 'table-type', 'aria-label': 'type' });
    typeSel.addEventListener('change', function () { st.type = typeSel.value; st.offset = 0; load(); });
    var search = el('input', { id: 'table-search', type: 'search', 'data-i18n-placeholder': 'tableSearch', placeholder: t('tableSearch') });
    var filter = el('input', { id: 'table-filter', type: 'text', placeholder: t('tableFilter') });
    var timer = null;
    function later() {
      clearTimeout(timer);
      timer = setTimeout(function () { st.q = search.value.trim(); st.filter = filter.value; st.offset = 0; load(); }, 250);
    }
    search.addEventListener('input', later);
    filter.addEventListener('change', later);
    filter.addEventListener('keydown', function (e) { if (e.key === 'Enter') later(); });
    var broken = el('input', { type: 'checkbox', id: 'table-broken' });
    broken.addEventListener('change', function () { st.broken = broken.checked; st.offset = 0; load(); });
    var tabs = el('div', { class: 'table-tabs' }, ['units', 'facilities'].map(function (k) {
      var b = el('button', { type: 'button', id: 'table-tab-' + k, class: 'tab' + (st.table === k ? ' active' : '') });
      b.addEventListener('click', function () { setTable(k); });
      return b;
    }));
    var csv = el('button', { type: 'button', id: 'table-csv' });
    csv.addEventListener('click', function () { download('csv'); });
    var xlsx = el('button', { type: 'button', id: 'table-xlsx' });
    xlsx.addEventListener('click', function () { download('xlsx'); });
    var prev = el('button', { type: 'button', id: 'table-prev' });
    prev.addEventListener('click', function () { st.offset = Math.max(0, st.offset - PAGE); load(); });
    var next = el('button', { type: 'button', id: 'table-next' });
    next.addEventListener('click', function () { st.offset += PAGE; load(); });
    var close = el('button', { type: 'button', id: 'table-close', class: 'close', text: '×' });
    close.addEventListener('click', function () { toggle(false); });
    var drawer = el('section', { id: 'table-drawer', hidden: 'hidden' }, [
      el('div', { class: 'table-bar' }, [
        tabs, el('span', { id: 'table-level', class: 'table-level' }), typeSel, search, filter,
        el('label', { class: 'check', for: 'table-broken' }, [broken, el('span', { id: 'table-broken-label' })]),
        el('span', { class: 'spacer' }), el('span', { id: 'table-count', class: 'table-count' }), prev, next, csv, xlsx, close
      ]),
      el('div', { class: 'table-scroll', id: 'table-scroll' }, [el('table', { id: 'data-table' }, [el('thead'), el('tbody')])])
    ]);
    $('layout').appendChild(drawer);
    labels();
  }

  function labels() {
    var t = ext.t;
    if (!$('table-drawer')) return;
    $('table-button').textContent = t('tableButton');
    $('table-tab-units').textContent = t('tableUnits');
    $('table-tab-facilities').textContent = t('tableFacilities');
    $('table-search').placeholder = t('tableSearch');
    $('table-filter').placeholder = t('tableFilter');
    $('table-broken-label').textContent = t('tableBroken');
    $('table-csv').textContent = t('exportCsv');
    $('table-xlsx').textContent = t('exportXlsx');
    $('table-prev').textContent = '‹ ' + t('tablePrev');
    $('table-next').textContent = t('tableNext') + ' ›';
    $('table-close').title = t('tableClose');
    var sel = $('table-type'), v = sel.value;
    sel.textContent = '';
    sel.appendChild(ext.el('option', { value: '', text: t('tableAllTypes') }));
    ext.state.types.forEach(function (ty) { sel.appendChild(ext.el('option', { value: ty.id, text: ext.typeName(ty) })); });
    sel.value = v;
    if (st.doc) render();
  }

  function toggle(on) {
    st.open = on;
    $('table-drawer').hidden = !on;
    document.body.classList.toggle('table-open', on);
    $('table-button').classList.toggle('active', on);
    ext.map.invalidateSize();
    if (on) load();
  }

  // setTable switches between the units and the facilities, each with its
  // own search, filter and sort.
  function setTable(k) {
    if (k === st.table) return;
    var keep = st.saved || (st.saved = {});
    keep[st.table] = { q: st.q, filter: st.filter, sort: st.sort, desc: st.desc };
    var back = keep[k] || { q: '', filter: '', sort: '', desc: false };
    st.table = k;
    st.q = back.q;
    st.filter = back.filter;
    st.sort = back.sort;
    st.desc = back.desc;
    $('table-search').value = st.q;
    $('table-filter').value = st.filter;
    st.offset = 0;
    st.selected = null;
    load();
  }

  // load asks for the page shown (or the page holding row at) and draws it.
  function load(at) {
    if (!st.open) return Promise.resolve();
    var p = params();
    p.set('limit', String(PAGE));
    if (at) p.set('at', at);
    else p.set('offset', String(st.offset));
    var seq = ++st.seq;
    return ext.api('GET', 'api/table/' + st.table + '?' + p.toString()).then(function (doc) {
      if (seq !== st.seq) return; // a later request answers
      st.doc = doc;
      st.offset = doc.offset;
      render();
      if (at) {
        if (doc.at < 0) ext.showMessage(ext.t('tableNotFound', { id: at }), false);
        else scrollTo(at);
      }
    }).catch(ext.showError);
  }

  function isShare(key) {
    return /^coverage_/.test(key) || key === 'completeness' || key === 'fully_served';
  }

  var DATA_COLS = /^(id|unit_id|name|parent|rule|source|tags)$/;

  function cellText(c, v) {
    if (v === null || v === undefined) return '–';
    if (c.key === 'type') {
      // The type's name in the page's language; the id stays in the export.
      var ty = ext.state.types[ext.state.typeIndex[v]];
      return ty ? ext.typeName(ty) : String(v);
    }
    if (!c.numeric) return String(v);
    if (isShare(c.key)) return ext.fmtPct(v);
    if (c.key === 'lon' || c.key === 'lat') return Number(v).toFixed(6);
    if (/^dist_/.test(c.key)) return ext.fmtM(v);
    return ext.fmtInt(v);
  }

  function render() {
    var doc = st.doc, t = ext.t, el = ext.el, zh = ext.state.lang === 'zh';
    document.querySelectorAll('#table-drawer .tab').forEach(function (b) { b.classList.toggle('active', b.id === 'table-tab-' + st.table); });
    $('table-type').hidden = st.table !== 'facilities';
    $('table-broken').parentNode.hidden = st.table !== 'units';
    $('table-level').textContent = st.table === 'units' ? levelLabel() : '';
    var table = $('data-table');
    table.dataset.table = doc.table;
    table.dataset.level = doc.level || '';
    // The type column shows the type's name in the page's language; its
    // names in both (type_zh, type_en) are for the export only.
    var shown = function (c) { return !/^type_(zh|en)$/.test(c.key); };
    var head = el('tr', null, doc.columns.filter(shown).map(function (c) {
      var mark = st.sort === c.key ? (st.desc ? ' ▼' : ' ▲') : '';
      var th = el('th', { 'data-key': c.key, title: c.key, class: c.numeric ? 'num' : '' }, [(zh ? c.zh : c.en) + mark]);
      th.addEventListener('click', function () {
        if (st.sort === c.key) st.desc = !st.desc;
        else { st.sort = c.key; st.desc = c.numeric; }
        st.offset = 0;
        load();
      });
      return th;
    }));
    var ki = doc.columns.map(function (c) { return c.key; }).indexOf(doc.key);
    var body = el('tbody', null, doc.rows.map(function (row) {
      var id = String(row[ki]);
      var tr = el('tr', { 'data-id': id, class: st.selected === id ? 'selected' : '' }, row.map(function (v, j) {
        var c = doc.columns[j];
        // data-user: values from the data (names, ids, OSM tags), not the page's words.
        return shown(c) ? el('td', { class: c.numeric ? 'num' : '', text: cellText(c, v), 'data-user': DATA_COLS.test(c.key) ? 'data' : null }) : null;
      }));
      tr.addEventListener('click', function () { selectRow(id, row, doc); });
      return tr;
    }));
    table.replaceChild(el('thead', null, [head]), table.tHead);
    table.replaceChild(body, table.tBodies[0]);
    if (!doc.rows.length) body.appendChild(el('tr', null, [el('td', { colspan: String(doc.columns.length), class: 'empty', text: t('tableEmpty') })]));
    var a = doc.matched ? doc.offset + 1 : 0, b = doc.offset + doc.rows.length;
    $('table-count').textContent = t('tableRows', { a: ext.fmtInt(a), b: ext.fmtInt(b), n: ext.fmtInt(doc.matched), total: ext.fmtInt(doc.total) });
    $('table-prev').disabled = doc.offset <= 0;
    $('table-next').disabled = b >= doc.matched;
  }

  function levelLabel() {
    var sel = $('level-switch');
    if (sel && sel.selectedOptions.length) return sel.selectedOptions[0].textContent;
    return '';
  }

  function scrollTo(id) {
    st.selected = id;
    var tr = document.querySelector('#data-table tbody tr[data-id="' + CSS.escape(id) + '"]');
    document.querySelectorAll('#data-table tbody tr.selected').forEach(function (r) { r.classList.remove('selected'); });
    if (tr) {
      tr.classList.add('selected');
      tr.scrollIntoView({ block: 'nearest' });
    }
  }

  // selectRow shows a row's unit or facility on the map.
  function selectRow(id, row, doc) {
    scrollTo(id);
    if (doc.table === 'units') {
      ext.zoomToUnit(id);
      return;
    }
    var keys = doc.columns.map(function (c) { return c.key; });
    var lon = row[keys.indexOf('lon')], lat = row[keys.indexOf('lat')];
    if (!ext.isNum(lon) || !ext.isNum(lat)) return;
    var ll = L.latLng(lat, lon);
    ext.map.setView(ll, Math.max(ext.map.getZoom(), 16));
    ext.highlightLayer.clearLayers();
    L.circleMarker(ll, { pane: 'highlight', renderer: ext.highlightRenderer, radius: 12, color: '#111', weight: 3, fill: false, interactive: false })
      .addTo(ext.highlightLayer);
  }

  function download(format) {
    var href = 'api/table/' + st.table + '.' + format + '?' + params().toString();
    var a = ext.el('a', { href: href, download: '' });
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  document.addEventListener('lifecircle:start', build);
  document.addEventListener('lifecircle:lang', labels);
  document.addEventListener('lifecircle:change', function () { load(); });
  document.addEventListener('lifecircle:level', function () {
    if (st.table === 'units') { st.offset = 0; st.selected = null; load(); }
  });
  // A click on the map selects the row of what was clicked.
  document.addEventListener('lifecircle:select', function (e) {
    var d = e.detail || {};
    if (!st.open) return;
    if ((d.kind === 'unit' && st.table === 'units') || (d.kind === 'facility' && st.table === 'facilities')) load(String(d.id));
  });

  // Hooks for tests and the console.
  window.lifecircle.table = {
    open: function (on) { toggle(on !== false); },
    query: function () { return params().toString(); },
    doc: function () { return st.doc; }
  };
})();
