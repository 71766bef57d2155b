// lifecircle map page: coverage audit, proposals and what-if editing.
// Plain JavaScript, no build step. Every request goes to the server that
// served this page (relative URLs); nothing is loaded from another host.
// Coordinates from the API are lon/lat (GeoJSON); Leaflet wants lat/lon.
(function () {
  'use strict';

  // ---------------------------------------------------------------- i18n
  var DICT = {
    zh: {
      title: '生活圈设施覆盖',
      busy: '正在加载…',
      export: '导出',
      switchLanguage: '切换语言',
      summary: '概况',
      population: '居民',
      completeness: '完整度',
      fullyServed: '全部可达',
      demandSource: '居民数据来源',
      coverageByType: '各类设施覆盖（步行）',
      mapLayers: '地图图层',
      colourBy: '着色依据',
      cellsLayer: '网格 / 单元',
      streetsLayer: '道路',
      backgroundLayer: '离线底图（OSM）',
      noBackground: '无离线底图：研究未使用 OSM 数据（--osm），无法绘制建筑、水系和绿地。',
      streetsZoomIn: '放大地图以显示道路。',
      proposeTitle: '新设施选址',
      type: '类型',
      sites: '站点数',
      propose: '选址',
      clear: '清除',
      whatIf: '情景模拟',
      editMode: '编辑模式：拖动设施以移动',
      addFacility: '添加设施',
      addingFacility: '点击地图放置…',
      undo: '撤销',
      saveScenario: '保存情景',
      redo: '重做',
      reset: '重置为基线',
      newScenario: '命名情景',
      savedScenarios: '已存情景',
      compare: '对比',
      compareA: '方案 A',
      compareB: '方案 B',
      baseline: '基线（现状）',
      currentScenario: '当前情景',
      scenarioBadge: '情景：{name}',
      unnamedScenario: '未命名情景',
      editCount: '{n} 处修改 · 未保存',
      editCountSaved: '{n} 处修改 · 已保存',
      noEdits: '无修改，与基线相同',
      open: '打开',
      deleteScenario: '删除',
      noSaved: '尚无已存情景。',
      opened: '已打开情景“{name}”（{n} 处修改）',
      deleted: '已删除情景“{name}”',
      resetDone: '已重置为基线（撤回 {n} 处修改）',
      confirmReset: '撤回所有修改（包括其他规划师的修改），回到基线？',
      confirmDelete: '删除已保存的情景“{name}”？',
      named: '当前情景已命名为“{name}”',
      redone: '已重做：覆盖人口 {delta}（{ms} 毫秒）',
      covA: 'A 覆盖人口',
      covB: 'B 覆盖人口',
      change: '变化',
      changePts: '覆盖率变化',
      unitsChanged: '{n} 个单元的覆盖人口有变化，变化最大的：',
      noChange: '两者覆盖人口相同。',
      editHint: '点击“添加设施”后在地图上点击放置；开启编辑模式后可拖动设施，或在弹窗中删除。',
      addHint: '在地图上点击以添加“{type}”。按 Esc 退出。',
      scenarioName: '情景名称',
      save: '保存',
      cancel: '取消',
      worstUnits: '最需改善的单元',
      // levels.js, table.js, rules.js
      level: '层级',
      tableButton: '表格',
      tableUnits: '单元',
      tableFacilities: '设施',
      tableSearch: '按名称搜索…',
      tableFilter: '筛选，如 coverage_clinic<0.5',
      tableBroken: '仅未达标单元',
      tableAllTypes: '全部类型',
      tableRows: '第 {a}–{b} 行，共 {n} 行（全部 {total} 行）',
      tableEmpty: '没有符合条件的行。',
      tablePrev: '上一页',
      tableNext: '下一页',
      exportCsv: '导出 CSV',
      exportXlsx: '导出 Excel',
      tableClose: '关闭表格',
      tableNotFound: '“{id}”不在当前筛选结果中',
      rulesTitle: '配建规则',
      rulesNone: '本项目没有配建规则（在项目文件的 rules: 中设定）。',
      rulesSummary: '{b} / {n} 条规则未达标',
      rulePassed: '达标 {n}',
      ruleBroken: '未达标 {n}',
      ruleShowHint: '点击规则，在地图上显示未达标的单元。',
      brokenRulesStyle: '未达标规则数',
      brokenLegend: '单元未达标的规则数',
      noRulesAtLevel: '此层级没有规则',
      ruleLegend: '规则 {n}',
      ruleBrokenItem: '未达标',
      ruleMetItem: '达标',
      dropHint: '将 GeoJSON 或 CSV 设施文件拖到地图上即可添加图层。',
      dropHere: '松开以添加设施图层',
      completenessLegend: '完整度',
      fullyServedLegend: '全部可达的居民比例',
      coverageLegend: '{type}覆盖率（{d} 米内）',
      noResidents: '无居民',
      facilities: '设施',
      facility: '设施',
      covered: '覆盖',
      of: '/',
      gap: '缺口',
      meanDist: '平均距离',
      p90: 'P90',
      unreachable: '不可达',
      unreachableCol: '不可达人口',
      residents: '人',
      unit: '单元',
      cell: '方格',
      proposedSite: '建议站点',
      rank: '序号',
      gain: '新增覆盖',
      cumulative: '累计',
      coverageAfter: '选址后覆盖率',
      proposalClaim: '新增覆盖 {n} 人；任意 {k} 个站点最多覆盖 {u} 人（差距 ≤ {g}%）。',
      proposalSetClaim: '{k} 个站点达到目标覆盖，新增覆盖 {n} 人；至少需要 {l} 个站点。',
      coverageChange: '{type}覆盖率 {a} → {b}',
      noSites: '没有可增加覆盖的候选站点。',
      stoppedEarly: '只有 {n} 个站点能增加覆盖：此后候选点可达的居民都已覆盖（要求 {k} 个）。',
      name: '名称',
      source: '来源',
      rule: '计入依据',
      ovExcluded: '已排除',
      ovIncluded: '已加入',
      ovRetypedIn: '改入',
      ovRetypedOut: '改出',
      tags: 'OSM 标签',
      id: '编号',
      delete: '删除设施',
      added: '已添加 {type}：覆盖人口 {delta}（{ms} 毫秒）',
      moved: '已移动设施：覆盖人口 {delta}（{ms} 毫秒）',
      removed: '已删除设施：覆盖人口 {delta}（{ms} 毫秒）',
      undone: '已撤销：覆盖人口 {delta}（{ms} 毫秒）',
      saved: '情景已保存：{files}',
      layerAdded: '已从 {file} 添加 {n} 个设施。',
      needName: '请输入情景名称。',
      badFile: '只支持 GeoJSON（.geojson/.json）或 CSV（.csv）文件。',
      loadFailed: '加载失败：{msg}',
      networkError: '无法连接服务器。',
      typeCol: '类型',
      coverageCol: '覆盖率',
      distance: '步行距离（平均 / P90）',
      adopt: '提示：在“添加设施”模式下点击建议站点即可采纳。',
      cellsCollection: '方格覆盖',
      unitsCollection: '单元覆盖',
      col_demand: '需求点',
      col_proposals: '建议站点',
      col_streets: '道路',
      catchment: '步行服务范围',
      catchmentWithin: '{d} 米步行范围内',
      catchmentResidents: '范围内居民',
      catchmentNearest: '以其为最近设施的居民',
      catchmentNearestSite: '建成后以其为最近设施的居民',
      catchmentStreets: '可达道路',
      catchmentPoints: '{n} 个居民点',
      catchmentUnsnapped: '距步行道路超过最大接入距离，步行无法到达。',
      catchmentHide: '隐藏服务范围',
      catchmentLegend: '步行距离',
      catchmentLoading: '正在计算服务范围…',
      catchmentGroup: '（按 {g} 计）',
      catchmentKm: '{n} 公里',
      none: '–'
    },
    en: {
      title: '15-minute life circle coverage',
      busy: 'Loading…',
      export: 'Export',
      switchLanguage: 'Switch language',
      summary: 'Summary',
      population: 'Population',
      completeness: 'Completeness',
      fullyServed: 'Fully served',
      demandSource: 'Demand source',
      coverageByType: 'Walking coverage by type',
      mapLayers: 'Map layers',
      colourBy: 'Colour by',
      cellsLayer: 'Cells / units',
      streetsLayer: 'Streets',
      backgroundLayer: 'Background map (OSM)',
      noBackground: 'No offline background: the study has no OpenStreetMap extract (--osm) to draw buildings, water and parks from.',
      streetsZoomIn: 'Zoom in to see the streets.',
      proposeTitle: 'Propose new sites',
      type: 'Type',
      sites: 'Sites',
      propose: 'Propose',
      clear: 'Clear',
      whatIf: 'What-if',
      editMode: 'Edit mode: drag facilities to move',
      addFacility: 'Add facility',
      addingFacility: 'Click the map…',
      undo: 'Undo',
      saveScenario: 'Save scenario',
      redo: 'Redo',
      reset: 'Reset to baseline',
      newScenario: 'Name scenario',
      savedScenarios: 'Saved scenarios',
      compare: 'Compare',
      compareA: 'Scenario A',
      compareB: 'Scenario B',
      baseline: 'Baseline (as is)',
      currentScenario: 'Current scenario',
      scenarioBadge: 'Scenario: {name}',
      unnamedScenario: 'Unnamed scenario',
      editCount: '{n} edits · not saved',
      editCountSaved: '{n} edits · saved',
      noEdits: 'no edits: same as the baseline',
      open: 'Open',
      deleteScenario: 'Delete',
      noSaved: 'No saved scenarios yet.',
      opened: 'Opened scenario “{name}” ({n} edits)',
      deleted: 'Deleted scenario “{name}”',
      resetDone: 'Back to the baseline ({n} edits reverted)',
      confirmReset: 'Revert every edit (other planners’ too) and go back to the baseline?',
      confirmDelete: 'Delete the saved scenario “{name}”?',
      named: 'The current scenario is now named “{name}”',
      redone: 'Redone: covered {delta} ({ms} ms)',
      covA: 'A covered',
      covB: 'B covered',
      change: 'Change',
      changePts: 'Coverage change',
      unitsChanged: '{n} units changed; the largest changes:',
      noChange: 'The two cover the same residents.',
      editHint: 'Press “Add facility”, then click the map. In edit mode drag a facility to move it, or delete it from its popup.',
      addHint: 'Click the map to add a “{type}”. Esc to stop.',
      scenarioName: 'Scenario name',
      save: 'Save',
      cancel: 'Cancel',
      worstUnits: 'Units most in need',
      // levels.js, table.js, rules.js
      level: 'Level',
      tableButton: 'Table',
      tableUnits: 'Units',
      tableFacilities: 'Facilities',
      tableSearch: 'Search by name…',
      tableFilter: 'Filter, e.g. coverage_clinic<0.5',
      tableBroken: 'Only units breaking rules',
      tableAllTypes: 'All types',
      tableRows: 'Rows {a}–{b} of {n} ({total} in all)',
      tableEmpty: 'No rows match.',
      tablePrev: 'Previous',
      tableNext: 'Next',
      exportCsv: 'Export CSV',
      exportXlsx: 'Export Excel',
      tableClose: 'Close the table',
      tableNotFound: '“{id}” is not in the filtered table',
      rulesTitle: 'Provision rules',
      rulesNone: 'No provision rules in this project (set them under rules: in the project file).',
      rulesSummary: '{b} of {n} rules broken',
      rulePassed: 'met {n}',
      ruleBroken: 'broken {n}',
      ruleShowHint: 'Click a rule to show the units that break it on the map.',
      brokenRulesStyle: 'Broken rules',
      brokenLegend: 'Rules broken per unit',
      noRulesAtLevel: 'no rules at this level',
      ruleLegend: 'Rule {n}',
      ruleBrokenItem: 'broken',
      ruleMetItem: 'met',
      dropHint: 'Drop a GeoJSON or CSV file of facilities onto the map to add a layer.',
      dropHere: 'Drop to add a facility layer',
      completenessLegend: 'Completeness',
      fullyServedLegend: 'Share of residents fully served',
      coverageLegend: '{type} coverage (within {d} m)',
      noResidents: 'no residents',
      facilities: 'facilities',
      facility: 'facility',
      covered: 'covered',
      of: 'of',
      gap: 'gap',
      meanDist: 'mean',
      p90: 'p90',
      unreachable: 'unreachable',
      unreachableCol: 'Unreachable',
      residents: 'residents',
      unit: 'Unit',
      cell: 'Cell',
      proposedSite: 'Proposed site',
      rank: '#',
      gain: 'Gain',
      cumulative: 'Cumulative',
      coverageAfter: 'Coverage after',
      proposalClaim: 'Covers {n} more residents; no choice of {k} sites covers more than {u} (gap ≤ {g} %).',
      proposalSetClaim: '{k} sites reach the target and cover {n} more residents; no fewer than {l} sites can.',
      coverageChange: '{type} coverage {a} → {b}',
      noSites: 'No candidate site adds coverage.',
      stoppedEarly: 'Only {n} sites add any gain: every resident a candidate can reach is covered after them ({k} asked).',
      name: 'Name',
      source: 'Source',
      rule: 'Counted by',
      ovExcluded: 'excluded',
      ovIncluded: 'included',
      ovRetypedIn: 'retyped in',
      ovRetypedOut: 'retyped out',
      tags: 'OSM tags',
      id: 'Id',
      delete: 'Delete facility',
      added: 'Added {type}: covered {delta} ({ms} ms)',
      moved: 'Moved facility: covered {delta} ({ms} ms)',
      removed: 'Removed facility: covered {delta} ({ms} ms)',
      undone: 'Undone: covered {delta} ({ms} ms)',
      saved: 'Scenario saved: {files}',
      layerAdded: 'Added {n} facilities from {file}.',
      needName: 'Please give the scenario a name.',
      badFile: 'Only GeoJSON (.geojson/.json) or CSV (.csv) files can be added.',
      loadFailed: 'Loading failed: {msg}',
      networkError: 'Cannot reach the server.',
      typeCol: 'Type',
      coverageCol: 'Coverage',
      distance: 'Walk (mean / p90)',
      adopt: 'Tip: in “Add facility” mode, click a proposed site to adopt it.',
      cellsCollection: 'cell coverage',
      unitsCollection: 'unit coverage',
      col_demand: 'demand points',
      col_proposals: 'proposed sites',
      col_streets: 'streets',
      catchment: 'Walking catchment',
      catchmentWithin: 'within {d} m on foot',
      catchmentResidents: 'Residents within reach',
      catchmentNearest: 'Residents for whom it is the nearest',
      catchmentNearestSite: 'Residents for whom it would be the nearest',
      catchmentStreets: 'Streets reached',
      catchmentPoints: '{n} residents\' points',
      catchmentUnsnapped: 'Farther than the largest access leg from any walkable street: no one reaches it on foot.',
      catchmentHide: 'Hide catchment',
      catchmentLegend: 'Walking distance',
      catchmentLoading: 'Computing the catchment…',
      catchmentGroup: ' (counting {g})',
      catchmentKm: '{n} km',
      none: '–'
    }
  };

  // TERMS names the glossary term (planner/glossary/glossary.tsv, served as
  // glossary.js) behind a label: the glossary's term wins, so a concept is
  // named as in the report and the terminal.
  var TERMS = {
    population: 'residents', completeness: 'completeness', completenessLegend: 'completeness',
    fullyServed: 'fully_served', demandSource: 'demand_source', streetsLayer: 'streets', col_streets: 'streets',
    unit: 'unit', cell: 'cell', gap: 'gap', unreachableCol: 'unreachable', coverageCol: 'coverage',
    type: 'amenity_type', typeCol: 'amenity_type', proposedSite: 'proposed_site', baseline: 'baseline', noResidents: 'no_residents'
  };

  // Five classes of a share (0..1), worst first; colour-blind safe (ColorBrewer RdYlBu).
  var BREAKS = [0.2, 0.4, 0.6, 0.8];
  var CLASS_COLOURS = ['#d73027', '#fc8d59', '#fee090', '#91bfdb', '#4575b4'];
  var EMPTY_COLOUR = '#c8ccd0';
  var TYPE_COLOURS = ['#c2185b', '#6a3d9a', '#e65100', '#1b7837', '#00838f', '#5d4037', '#37474f', '#ad1457', '#827717'];
  var OSM_ATTRIBUTION = '© OpenStreetMap contributors';
  var PAGE = 10000;

  var params = new URLSearchParams(location.search);
  var state = {
    lang: initialLang(),
    token: params.get('token') || '',
    summary: null,
    types: [],
    typeIndex: {},
    colourBy: 'completeness',
    unitsCollection: 'cells',
    unitLayers: new Map(),
    facLayers: {},
    facVisible: {},
    facCounts: {},
    proposal: null,
    proposalK: 0,
    addMode: false,
    editMode: false,
    editEnabled: false,
    popupUnit: null,
    popupLatLng: null,
    lastMessage: null,
    addCount: 0
  };
  var pending = 0;
  var cellTiles = null; // the units drawn from vector tiles (tiles.js), large studies
  var map, mainRenderer, streetsRenderer, highlightRenderer, cellsLayer, streetsLayer, tileLayer, proposalLayer, highlightLayer, legend;

  window.lifecircle = { ready: false };
  // ext is what the page's other scripts (levels.js, table.js, rules.js)
  // use of this one; they listen to the "lifecircle:*" events emit sends
  // (start, cells, change, select, lang). style, legend and colourOptions
  // are theirs to set: a map style of their own (colour-by value).
  var ext = window.lifecircle.ext = { state: state, style: null, legend: null, colourOptions: null };

  // afterFirstRender runs fn once the first render (map, units,
  // facilities) has finished or failed, at once after that: the other
  // scripts' requests (rules, charts) wait, so that a large study's map
  // has the server to itself first.
  var settled = false, afterFirst = [];
  window.lifecircle.afterFirstRender = function (fn) {
    if (settled) fn(); else afterFirst.push(fn);
  };
  function emit(name, detail) {
    document.dispatchEvent(new CustomEvent('lifecircle:' + name, { detail: detail }));
  }

  function initialLang() {
    var q = new URLSearchParams(location.search).get('lang');
    if (q === 'zh' || q === 'en') return q;
    try {
      var s = window.localStorage.getItem('lifecircle.lang');
      if (s === 'zh' || s === 'en') return s;
    } catch (e) { /* storage may be disabled */ }
    return (navigator.language || '').toLowerCase().indexOf('zh') === 0 ? 'zh' : 'en';
  }

  function t(key, vars) {
    var s = DICT[state.lang][key];
    if (s === undefined) s = DICT.en[key] || key;
    var g = TERMS[key] && window.lifecircleGlossary && window.lifecircleGlossary[TERMS[key]];
    if (g) s = g[state.lang] || s;
    if (vars) {
      s = s.replace(/\{(\w+)\}/g, function (m, k) { return vars[k] === undefined ? m : vars[k]; });
    }
    return s;
  }

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === undefined || v === null) return;
        if (k === 'text') e.textContent = v;
        else if (k === 'class') e.className = v;
        else if (k === 'style') e.style.cssText = v; // CSSOM, allowed under a strict CSP
        else if (k.indexOf('on') === 0) e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, v);
      });
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return e;
  }

  // ---------------------------------------------------------------- formatting
  function nf(digits) {
    return new Intl.NumberFormat(state.lang === 'zh' ? 'zh-CN' : 'en-US',
      { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  }
  function fmtInt(x) { return isNum(x) ? nf(0).format(Math.round(x)) : t('none'); }
  // zeroSafe rounds to the shown decimals and turns −0 into 0: no "-0 %".
  function zeroSafe(x, decimals) {
    var p = Math.pow(10, decimals);
    var r = Math.round(x * p) / p;
    return r === 0 ? 0 : r;
  }
  function fmtPct(x) { return isNum(x) ? nf(1).format(zeroSafe(x * 100, 1)) + ' %' : t('none'); }
  function fmtSignedPts(x) {
    if (!isNum(x)) return t('none');
    var r = zeroSafe(x, 1);
    return (r > 0 ? '+' : r < 0 ? '−' : '±') + nf(1).format(Math.abs(r)) + ' %';
  }
  function fmtM(x) { return isNum(x) ? nf(0).format(x) + ' m' : t('none'); }
  function fmtSigned(x) {
    if (!isNum(x)) return t('none');
    var r = Math.round(x);
    return (r > 0 ? '+' : r < 0 ? '−' : '±') + nf(0).format(Math.abs(r));
  }
  function fmtGap(g) {
    if (!isNum(g)) return t('none');
    var p = g * 100;
    return p === 0 ? '0' : String(Number(p.toPrecision(2)));
  }
  function isNum(x) { return typeof x === 'number' && isFinite(x); }

  function typeName(ty, lang) {
    if (!ty) return '';
    lang = lang || state.lang;
    var names = ty.names || {};
    if (lang === 'zh') return ty.name_zh || names.zh || ty.name_en || names.en || ty.id;
    return ty.name_en || names.en || ty.name_zh || names.zh || ty.id;
  }
  function bothNames(ty) {
    var zh = typeName(ty, 'zh'), en = typeName(ty, 'en');
    return zh === en ? zh : zh + ' / ' + en;
  }
  function typeColour(id) {
    var i = state.typeIndex[id];
    return TYPE_COLOURS[(i === undefined ? 0 : i) % TYPE_COLOURS.length];
  }

  // ---------------------------------------------------------------- requests
  function setBusy(delta) {
    pending += delta;
    document.body.dataset.busy = pending > 0 ? '1' : '0';
  }

  // sameOrigin keeps a server-given link (e.g. rel=next) on this page's host.
  function sameOrigin(href) {
    var u = new URL(href, location.href);
    return u.pathname + u.search;
  }

  // clientId names this tab to the server: its undo and redo are its own.
  function clientId() {
    if (state.clientId) return state.clientId;
    var id = '';
    try { id = window.sessionStorage.getItem('lifecircle.client') || ''; } catch (e) { /* ignore */ }
    if (!/^[A-Za-z0-9_-]{8,64}$/.test(id)) {
      var b = new Uint8Array(12);
      window.crypto.getRandomValues(b);
      id = 'c' + Array.prototype.map.call(b, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
      try { window.sessionStorage.setItem('lifecircle.client', id); } catch (e) { /* ignore */ }
    }
    state.clientId = id;
    return id;
  }

  function api(method, path, body, contentType) {
    var headers = { 'Accept': 'application/json, application/geo+json' };
    var opts = { method: method, headers: headers, credentials: 'same-origin' };
    if (body !== undefined) {
      if (contentType) {
        headers['Content-Type'] = contentType;
        opts.body = body;
      } else {
        headers['Content-Type'] = 'application/json';
        opts.body = JSON.stringify(body);
      }
    }
    if (state.token && method !== 'GET') headers['X-Edit-Token'] = state.token;
    headers['X-Client-Id'] = clientId();
    headers['X-Lang'] = state.lang;
    setBusy(1);
    return fetch(path, opts).then(function (resp) {
      return resp.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!resp.ok) {
          var msg = data && data.error && data.error.message ? data.error.message : resp.status + ' ' + resp.statusText;
          var err = new Error(msg);
          err.status = resp.status;
          err.code = data && data.error && data.error.code;
          throw err;
        }
        if (data === null) throw new Error(path + ': the server sent no JSON');
        return data;
      });
    }, function () {
      throw new Error(t('networkError'));
    }).finally(function () { setBusy(-1); });
  }

  // fetchAll pages through an OGC API Features collection, handing each
  // page's features to onPage as it arrives. After the first page it knows
  // numberMatched and asks for the remaining pages a few at a time (by
  // offset, on the first page's rel=next link); a server that gives no
  // count is followed link by link.
  // fetchAll reads every page of a collection (within bbox, when given;
  // extra is more of the query, e.g. '&properties=id,name').
  function fetchAll(collection, onPage, bbox, extra) {
    var url = 'ogc/collections/' + encodeURIComponent(collection) + '/items?limit=' + PAGE +
      (bbox ? '&bbox=' + bbox.join(',') : '') + (extra || '');
    var guard = 0;
    function nextLink(fc) {
      var next = (fc.links || []).filter(function (l) { return l.rel === 'next'; })[0];
      return next ? sameOrigin(next.href) : null;
    }
    function follow(u) {
      return api('GET', u).then(function (fc) {
        var feats = fc.features || [];
        onPage(feats);
        var next = nextLink(fc);
        if (next && feats.length > 0 && ++guard < 1000) return follow(next);
        return null;
      });
    }
    return api('GET', url).then(function (fc) {
      var feats = fc.features || [];
      onPage(feats);
      var next = nextLink(fc);
      if (!next || !feats.length) return null;
      var total = fc.numberMatched, got = feats.length;
      if (!isNum(total) || total <= got || total / got > 1000) return follow(next);
      var base = new URL(next, location.href);
      var urls = [];
      for (var off = got; off < total; off += got) {
        base.searchParams.set('offset', String(off));
        base.searchParams.set('limit', String(got));
        urls.push(base.pathname + base.search);
      }
      var i = 0;
      function worker() {
        if (i >= urls.length) return Promise.resolve();
        var u = urls[i++];
        return api('GET', u).then(function (page) {
          onPage(page.features || []);
          return worker();
        });
      }
      return Promise.all([worker(), worker(), worker()]);
    });
  }

  // ---------------------------------------------------------------- messages
  function showMessage(text, ok) {
    var box = $('message');
    $('message-text').textContent = text;
    box.classList.toggle('ok', !!ok);
    box.hidden = false;
    clearTimeout(showMessage.timer);
    if (ok) showMessage.timer = setTimeout(function () { box.hidden = true; }, 6000);
  }
  function showError(err) {
    showMessage(err && err.message ? err.message : String(err), false);
  }

  // ---------------------------------------------------------------- map
  function initMap() {
    map = L.map('map', { preferCanvas: true, fadeAnimation: false, zoomControl: true, attributionControl: true, minZoom: 3, maxZoom: 19, zoomSnap: 0.25, zoomDelta: 0.5, wheelPxPerZoomLevel: 90 });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com" title="A JavaScript library for interactive maps">Leaflet</a>');
    map.createPane('streets').style.zIndex = 250;
    map.getPane('streets').style.pointerEvents = 'none';
    map.createPane('highlight').style.zIndex = 450;
    map.getPane('highlight').style.pointerEvents = 'none';
    // One canvas for cells and facilities: stacked canvases would hide the
    // lower one's clicks.
    mainRenderer = L.canvas({ padding: 0.3, tolerance: 3 });
    streetsRenderer = L.canvas({ pane: 'streets', padding: 0.3 });
    highlightRenderer = L.svg({ pane: 'highlight' });
    L.control.scale({ imperial: false, maxWidth: 140 }).addTo(map);
    legend = L.control({ position: 'bottomleft' });
    legend.onAdd = function () {
      var d = L.DomUtil.create('div', 'legend');
      L.DomEvent.disableClickPropagation(d);
      return d;
    };
    legend.addTo(map);
    proposalLayer = L.layerGroup().addTo(map);
    highlightLayer = L.layerGroup().addTo(map);
    map.on('click', onMapClick);
    map.on('zoomend', resizeFacilities);
  }

  function classOf(v) {
    if (!isNum(v)) return -1;
    for (var i = 0; i < BREAKS.length; i++) if (v < BREAKS[i] - 1e-9) return i;
    return BREAKS.length;
  }

  function cellValue(p) {
    if (!p || !(p.population > 0)) return NaN;
    if (state.colourBy === 'completeness') return p.completeness;
    if (state.colourBy === 'fully_served') return p.fully_served;
    return p['coverage_' + state.colourBy];
  }

  function cellStyle(feature) {
    var own = ext.style && ext.style(feature);
    if (own) return Object.assign({ renderer: mainRenderer, stroke: true, color: '#ffffff', weight: 0.4, opacity: 0.7 }, own);
    var c = classOf(cellValue(feature.properties));
    return {
      renderer: mainRenderer,
      stroke: true,
      color: '#ffffff',
      weight: 0.4,
      opacity: 0.7,
      fillColor: c < 0 ? EMPTY_COLOUR : CLASS_COLOURS[c],
      fillOpacity: c < 0 ? 0.25 : 0.62
    };
  }

  // fastCellStyle tells tiles.js that a unit's style follows from one
  // figure and whether it has residents (the coverage classes), so that it
  // styles each distinct figure once; null when another script's style
  // (ext.style, e.g. broken rules) is on.
  function fastCellStyle() {
    if (ext.style && ext.style({ properties: { population: 1 } })) return null;
    var c = state.colourBy;
    var column = c === 'completeness' || c === 'fully_served' ? c : 'coverage_' + c;
    return {
      column: column,
      styleOf: function (v, populated) {
        var p = { population: populated ? 1 : 0 };
        p[column] = v;
        return cellStyle({ properties: p });
      }
    };
  }

  function unitId(f) {
    var p = f.properties || {};
    return String(p.unit_id !== undefined ? p.unit_id : f.id);
  }

  function recolourAll() {
    if (cellTiles && cellsLayer === cellTiles.layer) { cellTiles.redraw(); renderLegend(); return; }
    if (!cellsLayer) return;
    cellsLayer.eachLayer(function (l) { l.setStyle(cellStyle(l.feature)); });
    renderLegend();
  }

  function renderLegend() {
    var d = legend.getContainer();
    if (!d) return;
    d.textContent = '';
    // A style of another script (ext.style) draws its own legend.
    if (!(ext.legend && ext.legend(d))) shareLegend(d);
    var vis = state.types.filter(function (ty) { return state.facVisible[ty.id]; });
    if (vis.length || proposalLayer.getLayers().length) d.appendChild(el('div', { class: 'sep' }));
    vis.forEach(function (ty) {
      d.appendChild(el('div', { class: 'item' }, [
        el('span', { class: 'swatch', style: 'background:' + typeColour(ty.id) }), typeName(ty)
      ]));
    });
    if (proposalLayer.getLayers().length) {
      d.appendChild(el('div', { class: 'item' }, [
        el('span', { class: 'swatch', style: 'background:#1b1b1b;border-color:#f2c94c' }), t('proposedSite')
      ]));
    }
  }

  function shareLegend(d) {
    var title;
    if (state.colourBy === 'completeness') title = t('completenessLegend');
    else if (state.colourBy === 'fully_served') title = t('fullyServedLegend');
    else {
      var ty = state.types[state.typeIndex[state.colourBy]];
      title = t('coverageLegend', { type: typeName(ty), d: ty ? nf(0).format(ty.threshold_m) : '?' });
    }
    d.appendChild(el('h3', { text: title }));
    for (var i = CLASS_COLOURS.length - 1; i >= 0; i--) {
      var lo = i === 0 ? 0 : BREAKS[i - 1] * 100, hi = i === BREAKS.length ? 100 : BREAKS[i] * 100;
      d.appendChild(el('div', { class: 'item' }, [
        el('span', { class: 'box', style: 'background:' + CLASS_COLOURS[i] + ';opacity:.85' }),
        lo + '–' + hi + ' %'
      ]));
    }
    d.appendChild(el('div', { class: 'item' }, [
      el('span', { class: 'box', style: 'background:' + EMPTY_COLOUR + ';opacity:.5' }), t('noResidents')
    ]));
  }

  // ---------------------------------------------------------------- layers
  function loadStreets() {
    if (state.summary.tiles) {
      tileLayer = L.tileLayer(state.summary.tiles, { maxZoom: 19, subdomains: state.summary.tiles_subdomains || 'abc', attribution: attributionText() }).addTo(map);
      $('toggle-streets').parentNode.hidden = true;
      return Promise.resolve();
    }
    if (window.lifecircleTiles && state.summary.vector_tiles) {
      streetsLayer = window.lifecircleTiles.streets(map, state.summary, t);
      return streetsLayer.loaded();
    }
    streetsLayer = L.layerGroup().addTo(map);
    // One multi-polyline per page: the basemap needs no per-street object.
    var style = { renderer: streetsRenderer, color: '#7b8189', weight: 0.8, opacity: 0.85, interactive: false, smoothFactor: 1.5 };
    return fetchAll('streets', function (feats) {
      var lines = [];
      feats.forEach(function (f) {
        var g = f.geometry;
        if (!g) return;
        if (g.type === 'LineString') lines.push(toLatLngs(g.coordinates));
        else if (g.type === 'MultiLineString') g.coordinates.forEach(function (c) { lines.push(toLatLngs(c)); });
      });
      if (lines.length) L.polyline(lines, style).addTo(streetsLayer);
    });
  }

  function toLatLngs(coords) {
    var out = new Array(coords.length);
    for (var i = 0; i < coords.length; i++) out[i] = [coords[i][1], coords[i][0]];
    return out;
  }

  function loadCells() {
    // The finest level of a large study comes as vector tiles (tiles.js).
    if (window.lifecircleTiles && state.unitsCollection === state.summary.collections.units && window.lifecircleTiles.unitsTiled(state.summary)) {
      if (cellsLayer && (!cellTiles || cellsLayer !== cellTiles.layer)) map.removeLayer(cellsLayer);
      state.unitLayers = new Map();
      if (cellTiles) {
        cellsLayer = cellTiles.layer;
        if ($('toggle-cells').checked) cellsLayer.addTo(map);
        return cellTiles.reload(state.summary);
      }
      cellTiles = window.lifecircleTiles.units(map, state.summary, {
        style: cellStyle,
        fast: fastCellStyle,
        clickable: function (e) { return !state.addMode && !facilityHit(e.latlng); },
        onClick: function (id, latlng) { selectUnit(id, latlng); }
      });
      cellsLayer = cellTiles.layer;
      if (!$('toggle-cells').checked) map.removeLayer(cellsLayer);
      return cellTiles.loaded().then(function () {
        mark('cells_drawn');
        emit('cells', { collection: state.unitsCollection });
      });
    }
    if (cellTiles && cellsLayer === cellTiles.layer) { map.removeLayer(cellsLayer); cellsLayer = null; }
    var fresh = L.geoJSON(null, { renderer: mainRenderer, style: cellStyle });
    // One listener on the group, not one per cell.
    fresh.on('click', function (e) {
      var l = e.propagatedFrom || e.layer;
      if (state.addMode || !l || !l.feature || facilityHit(e.latlng)) return; // the map's click handler adds the facility
      selectUnit(unitId(l.feature), e.latlng);
    });
    var index = new Map();
    return fetchAll(state.unitsCollection, function (feats) {
      fresh.addData({ type: 'FeatureCollection', features: feats });
    }).then(function () {
      mark('cells_fetched');
      fresh.eachLayer(function (l) { index.set(unitId(l.feature), l); });
      if (cellsLayer) map.removeLayer(cellsLayer);
      cellsLayer = fresh;
      state.unitLayers = index;
      if ($('toggle-cells').checked) cellsLayer.addTo(map);
      bringFacilitiesToFront();
      mark('cells_drawn');
      emit('cells', { collection: state.unitsCollection });
    });
  }

  function selectUnit(id, latlng) {
    var layer = state.unitLayers.get(id) || (cellTiles && cellsLayer === cellTiles.layer && cellTiles.polygon(id));
    highlightLayer.clearLayers();
    if (layer) {
      L.polygon(layer.getLatLngs(), { pane: 'highlight', renderer: highlightRenderer, color: '#111', weight: 2.5, fill: false, interactive: false }).addTo(highlightLayer);
      if (!latlng) latlng = layer.getBounds().getCenter();
    }
    state.popupUnit = id;
    state.popupLatLng = latlng;
    emit('select', { kind: 'unit', id: id });
    var level = state.unitsCollection !== state.summary.collections.units ? '?level=' + encodeURIComponent(state.unitsCollection) : '';
    return api('GET', 'api/units/' + encodeURIComponent(id) + level).then(function (u) {
      if (state.popupUnit !== id || !latlng) return;
      L.popup({ maxWidth: 420, autoPan: true }).setLatLng(latlng).setContent(unitPopup(u)).openOn(map);
    }).catch(showError);
  }

  function unitPopup(u) {
    var kind = state.summary.units_kind === 'units' ? t('unit') : t('cell');
    var rows = (u.types || []).map(function (x) {
      var ty = state.types[state.typeIndex[x.id]];
      return el('tr', null, [
        el('td', null, [el('span', { class: 'swatch', style: 'display:inline-block;width:8px;height:8px;border-radius:50%;margin-right:4px;background:' + typeColour(x.id) }), typeName(ty) || x.id]),
        el('td', { text: fmtPct(x.coverage) }),
        el('td', { text: fmtM(x.dist_mean_m) + ' / ' + fmtM(x.dist_p90_m) }),
        el('td', { text: x.unreachable > 0 ? fmtInt(x.unreachable) : '' })
      ]);
    });
    return el('div', null, [
      el('div', { class: 'popup-title', text: kind + ' ' + (u.name ? u.name + ' (' + u.unit_id + ')' : u.unit_id) }),
      el('div', { class: 'popup-sub', text: t('population') + ' ' + fmtInt(u.population) + ' · ' + t('completeness') + ' ' + fmtPct(u.completeness) + ' · ' + t('fullyServed') + ' ' + fmtPct(u.fully_served) }),
      el('table', null, [
        el('thead', null, [el('tr', null, [
          el('th', { text: t('typeCol') }), el('th', { text: t('coverageCol') }), el('th', { text: t('distance') }), el('th', { text: t('unreachableCol') })
        ])]),
        el('tbody', null, rows)
      ])
    ]);
  }

  // LITE_FACILITIES is the number of facilities above which the map asks
  // for their id, name and source only (a city's 10,000 facilities: 2
  // instead of 3.6 MB), and for one facility's other properties when it is
  // clicked; ?facilities=lite or ?facilities=full forces either.
  var LITE_FACILITIES = 3000;
  var LITE_PROPS = ['id', 'name', 'source'];

  // liteFacilities says whether the facilities come lite; with byCount,
  // whether there are more than LITE_FACILITIES (then they are drawn as
  // tiles, facgrid.js, whatever the query says).
  function liteFacilities(byCount) {
    var q = new URLSearchParams(location.search).get('facilities');
    if (!byCount && (q === 'lite' || q === 'full')) return q === 'lite';
    var n = 0;
    (state.summary.types || []).forEach(function (ty) { n += ty.facilities || 0; });
    return n > LITE_FACILITIES;
  }

  function loadFacilities(only) {
    var ids = only ? [only] : (state.summary.collections && state.summary.collections.facilities) || state.types.map(function (x) { return x.id; });
    var lite = liteFacilities();
    return Promise.all(ids.map(function (id) {
      var feats = [];
      return fetchAll(id, function (f) {
        if (lite) f.forEach(function (x) { x.lite = true; });
        feats = feats.concat(f);
      }, null, lite ? '&properties=' + LITE_PROPS.join(',') : '').then(function () {
        var t0 = performance.now();
        drawFacilities(id, feats);
        var tm = window.lifecircle.timings = window.lifecircle.timings || {};
        tm.facilities_draw_ms = Math.round((tm.facilities_draw_ms || 0) + performance.now() - t0);
      });
    })).then(function () { renderToggles(); renderLegend(); });
  }

  // pointsLayer is the circle markers of point facilities feats, made
  // directly (a city has thousands), with one shared click handler.
  function pointsLayer(id, feats, colour) {
    var opts = { renderer: mainRenderer, radius: facilityRadius(), color: '#ffffff', weight: 1.5, opacity: 1, fillColor: colour, fillOpacity: 1 };
    var group = L.featureGroup();
    feats.forEach(function (f) {
      var c = f.geometry.coordinates, m = L.circleMarker([c[1], c[0]], opts);
      m.feature = f;
      m._lcType = id;
      m.on('click', onPointClick, m);
      group.addLayer(m);
    });
    return group;
  }
  function onPointClick(e) { openFacility(this._lcType, this.feature, this, e); }

  // facilityGrid returns the tile layer that draws a large study's point
  // facilities (facgrid.js), made on first use; null for a small study,
  // whose facilities stay circle markers.
  var facGrid = null;
  function facilityGrid() {
    if (facGrid) return facGrid;
    if (!window.lifecircleFacGrid || !liteFacilities(true)) return null;
    var pane = map.getPane('lcFacilities') || map.createPane('lcFacilities');
    pane.style.zIndex = 420;
    facGrid = window.lifecircleFacGrid(map, {
      radius: facilityRadiusAt, colour: typeColour, pane: 'lcFacilities', tolerance: mainRenderer.options.tolerance,
      stats: window.lifecircleTiles && window.lifecircleTiles.stats,
      onClick: function (typeId, f, e) { openFacility(typeId, f, null, e); }
    });
    map.on('click', function (e) {
      var hit = facGrid.hit(e.latlng);
      if (hit) openFacility(hit.type, hit.feature, null, e);
    });
    return facGrid;
  }

  // facilityHit is the facility drawn on the tiles at latlng, if any: a
  // click there is the facility's, not the unit's under it.
  function facilityHit(latlng) {
    return facGrid ? facGrid.hit(latlng) : null;
  }

  function drawFacilities(id, feats) {
    if (state.facLayers[id]) map.removeLayer(state.facLayers[id]);
    var colour = typeColour(id);
    var draggable = state.editEnabled && state.editMode;
    var points = !draggable && feats.every(function (f) { return f.geometry && f.geometry.type === 'Point'; });
    var grid = points ? facilityGrid() : null;
    if (!grid && facGrid) facGrid.drop(id);
    var layer = grid ? grid.typeLayer(id, feats) : points ? pointsLayer(id, feats, colour) : L.geoJSON({ type: 'FeatureCollection', features: feats }, {
      renderer: mainRenderer,
      // GeoJSON applies style to every layer, circle markers included.
      style: function (f) {
        var g = f && f.geometry && f.geometry.type;
        if (g === 'Point' || g === 'MultiPoint') return { color: '#ffffff', weight: 1.5, opacity: 1, fillColor: colour, fillOpacity: 1 };
        return { color: colour, weight: 3, opacity: 0.9, fillColor: colour, fillOpacity: 0.35 };
      },
      pointToLayer: function (f, ll) {
        if (draggable) {
          return L.marker(ll, {
            draggable: true, autoPan: true, keyboard: false,
            icon: L.divIcon({ className: 'fac-icon fac-' + id, html: '', iconSize: [14, 14], iconAnchor: [7, 7] })
          });
        }
        return L.circleMarker(ll, { renderer: mainRenderer, radius: facilityRadius(), color: '#ffffff', weight: 1.5, fillColor: colour, fillOpacity: 1 });
      },
      onEachFeature: function (f, l) { bindFacility(id, f, l, colour); }
    });
    state.facLayers[id] = layer;
    state.facCounts[id] = feats.length;
    if (state.facVisible[id] === undefined) state.facVisible[id] = true;
    if (state.facVisible[id]) layer.addTo(map);
  }

  function bindFacility(typeId, f, layer, colour) {
    if (layer instanceof L.Marker) {
      var icon = layer.getElement && layer.getElement();
      layer.on('add', function () { var e = layer.getElement(); if (e) e.style.background = colour; });
      if (icon) icon.style.background = colour;
      layer.on('dragend', function () {
        var ll = layer.getLatLng();
        scenario({ op: 'move', id: facilityId(f), lon: round6(ll.lng), lat: round6(ll.lat) }).catch(function (err) {
          showError(err);
          loadFacilities(typeId);
        });
      });
    }
    layer.on('click', function (e) { openFacility(typeId, f, layer, e); });
  }

  // openFacility opens the popup of facility f (drawn as layer) for a
  // click e on it.
  function openFacility(typeId, f, layer, e) {
    if (state.addMode) return;
    L.DomEvent.stopPropagation(e);
    emit('select', { kind: 'facility', id: facilityId(f), type: typeId });
    var info = facilityPopup(typeId, f), content = el('div', null, [info]);
    var popup = L.popup({ maxWidth: 320 }).setLatLng(e.latlng || (layer && layer.getLatLng())).setContent(content).openOn(map);
    hook('onFacilityClick', { type: typeId, id: facilityId(f), content: content }); // catchment.js
    // A large study's facilities came with a few properties: the others now.
    if (f.lite) {
      api('GET', 'ogc/collections/' + encodeURIComponent(typeId) + '/items/' + encodeURIComponent(facilityId(f))).then(function (full) {
        f.properties = full.properties || f.properties;
        delete f.lite;
        var more = facilityPopup(typeId, f);
        content.replaceChild(more, info);
        info = more;
        if (popup.isOpen()) popup.update();
      }).catch(showError);
    }
  }

  // facilityRadius shrinks the markers when the whole city is in view.
  function facilityRadius() { return facilityRadiusAt(map.getZoom()); }
  function facilityRadiusAt(z) { return z >= 15 ? 6 : z >= 13 ? 4.5 : 3.5; }

  function resizeFacilities() {
    var r = facilityRadius();
    Object.keys(state.facLayers).forEach(function (id) {
      if (state.facLayers[id]._lcGrid) return; // the tiles size their own
      state.facLayers[id].eachLayer(function (l) {
        if (l instanceof L.CircleMarker && l.getRadius() !== r) l.setRadius(r);
      });
    });
  }

  function facilityId(f) {
    var p = f.properties || {};
    return String(p.id !== undefined ? p.id : f.id);
  }

  // overridesText says how a facility overrides file changed a type's
  // facility count, e.g. " (−1 excluded, +1 included)"; "" when it did not.
  function overridesText(o) {
    if (!o) return '';
    var parts = [];
    if (o.excluded) parts.push('−' + o.excluded + ' ' + t('ovExcluded'));
    if (o.included) parts.push('+' + o.included + ' ' + t('ovIncluded'));
    if (o.retyped_in) parts.push('+' + o.retyped_in + ' ' + t('ovRetypedIn'));
    if (o.retyped_out) parts.push('−' + o.retyped_out + ' ' + t('ovRetypedOut'));
    return parts.length ? ' (' + parts.join(', ') + ')' : '';
  }

  function facilityPopup(typeId, f) {
    var p = f.properties || {};
    var ty = state.types[state.typeIndex[typeId]];
    var zh = p.type_zh || typeName(ty, 'zh'), en = p.type_en || typeName(ty, 'en');
    var kids = [
      el('div', { class: 'popup-title', text: p.name || (state.lang === 'zh' ? zh : en) }),
      el('div', { class: 'popup-sub', text: state.lang === 'zh' ? zh : en }),
      el('table', null, [
        el('tr', null, [el('td', { text: t('id') }), el('td', { text: facilityId(f) })]),
        p.source ? el('tr', null, [el('td', { text: t('source') }), el('td', { text: p.source })]) : null,
        p.rule ? el('tr', null, [el('td', { text: t('rule') }), el('td', { class: 'popup-rule', text: p.rule })]) : null
      ])
    ];
    // The OSM tags say why the rule matched; folded, since there may be many.
    var tags = p.tags && typeof p.tags === 'object' ? Object.keys(p.tags).sort() : [];
    if (tags.length) {
      kids.push(el('details', { class: 'popup-tags' }, [
        el('summary', { text: t('tags') + ' (' + tags.length + ')' }),
        el('div', null, tags.map(function (k) { return el('div', { text: k + '=' + p.tags[k] }); }))
      ]));
    }
    if (state.editEnabled) {
      kids.push(el('div', { class: 'popup-actions' }, [
        el('button', {
          type: 'button', class: 'delete-facility', text: t('delete'),
          onclick: function () {
            map.closePopup();
            scenario({ op: 'remove', id: facilityId(f) }).catch(showError);
          }
        })
      ]));
    }
    return el('div', null, kids);
  }

  function bringFacilitiesToFront() {
    Object.keys(state.facLayers).forEach(function (id) {
      var l = state.facLayers[id];
      if (map.hasLayer(l) && l.bringToFront) l.bringToFront();
    });
  }

  function round6(x) { return Math.round(x * 1e6) / 1e6; }

  // hook calls an optional handler another script (catchment.js) set on
  // window.lifecircle; its errors are shown, never break the page.
  function hook(name, arg) {
    var fn = window.lifecircle[name];
    if (typeof fn !== 'function') return;
    try { fn(arg); } catch (err) { showError(err); }
  }

  // ---------------------------------------------------------------- panel
  function renderSummary(prev) {
    var s = state.summary;
    $('profile-name').textContent = s.profile ? (state.lang === 'zh' ? (s.profile.name_zh || s.profile.name_en) : (s.profile.name_en || s.profile.name_zh)) || s.profile.id || '' : '';
    $('summary-population').textContent = fmtInt(s.population);
    $('summary-completeness').textContent = fmtPct(s.completeness);
    $('summary-fully-served').textContent = isNum(s.fully_served) && s.fully_served > 1 ? fmtInt(s.fully_served) : fmtPct(s.fully_served);
    $('summary-demand').textContent = demandLabel(s.demand_source);
    $('summary-demand').title = s.demand_source || '';
    renderWarnings($('population-warnings'), s.warnings, 'population');
    renderWarnings($('coverage-warnings'), s.warnings, 'coverage');

    var list = $('coverage-list');
    list.textContent = '';
    (s.types || []).forEach(function (ty) {
      var before = prev && prev[ty.id];
      var row = el('div', {
        class: 'cov' + (state.colourBy === ty.id ? ' selected' : ''),
        id: 'coverage-' + ty.id,
        'data-covered': String(ty.population_covered),
        'data-coverage': String(ty.coverage),
        title: t('colourBy') + ': ' + typeName(ty)
      }, [
        el('div', { class: 'cov-head' }, [
          el('span', { class: 'cov-name' }, [
            el('span', { class: 'swatch', style: 'display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:5px;background:' + typeColour(ty.id) }),
            typeName(ty) + ' ',
            el('small', { text: nf(0).format(ty.threshold_m) + ' m', title: bothNames(ty) })
          ]),
          el('span', { class: 'cov-share', text: fmtPct(ty.coverage) })
        ]),
        el('div', { class: 'bar' }, [el('span', { style: 'width:' + Math.max(0, Math.min(100, (ty.coverage || 0) * 100)).toFixed(1) + '%;background:' + typeColour(ty.id) })]),
        el('div', { class: 'cov-figs' }, [
          el('span', { class: 'cov-covered', text: fmtInt(ty.population_covered) + ' ' + t('of') + ' ' + fmtInt(isNum(ty.population) ? ty.population : s.population) + ' ' + t('covered') + (ty.demand ? ' (' + ty.demand + ')' : '') }),
          el('span', { text: fmtInt(ty.facilities) + ' ' + t(ty.facilities === 1 ? 'facility' : 'facilities') + overridesText(ty.facility_overrides) + ' · ' + t('meanDist') + ' ' + fmtM(ty.dist_mean_m) })
        ])
      ]);
      row.addEventListener('click', function () { setColourBy(ty.id); });
      if (before !== undefined && before !== ty.population_covered) row.classList.add('changed');
      list.appendChild(row);
    });

    document.dispatchEvent(new CustomEvent('lifecircle:render'));
    var worst = $('worst-list');
    worst.textContent = '';
    (s.worst_units || []).forEach(function (u) {
      var li = el('li', { title: String(u.unit_id) }, [el('div', { class: 'w-row' }, [
        el('span', { class: 'w-name', text: u.name ? u.name + ' (' + u.unit_id + ')' : String(u.unit_id) }),
        el('span', { class: 'w-figs', text: fmtPct(u.completeness) + ' · ' + fmtInt(u.population) + ' ' + t('residents') })
      ])]);
      li.addEventListener('click', function () { zoomToUnit(String(u.unit_id)); });
      worst.appendChild(li);
    });
  }

  // renderWarnings lists in ul the typed warnings (summary "warnings")
  // that affect the given figures, in the page's language.
  function renderWarnings(ul, warnings, affects) {
    ul.textContent = '';
    (warnings || []).forEach(function (w) {
      if (w.affects !== affects) return;
      var text = state.lang === 'zh' ? (w.text_zh || w.text_en) : (w.text_en || w.text_zh);
      ul.appendChild(el('li', { class: 'warn-' + w.code, title: text, text: '⚠ ' + text }));
    });
    ul.hidden = !ul.firstChild;
  }

  function demandLabel(src) {
    var zh = { population: '人口图层', buildings: '住宅建筑估算', network: '路网采样', 'network sample': '路网采样', sample: '路网采样', official: '官方单元人口' };
    if (!src) return t('none');
    if (state.lang === 'zh') {
      var k = String(src).toLowerCase();
      for (var key in zh) if (k.indexOf(key) >= 0) return zh[key];
    }
    return String(src);
  }

  function zoomToUnit(id) {
    var layer = state.unitLayers.get(id) || (cellTiles && cellsLayer === cellTiles.layer && cellTiles.polygon(id));
    if (layer) map.fitBounds(layer.getBounds(), { maxZoom: 16, padding: [40, 40] });
    selectUnit(id, layer ? layer.getBounds().getCenter() : null);
  }

  function renderSelects() {
    var cb = $('colour-by');
    cb.textContent = '';
    cb.appendChild(el('option', { value: 'completeness', text: t('completeness') }));
    cb.appendChild(el('option', { value: 'fully_served', text: t('fullyServed') }));
    state.types.forEach(function (ty) {
      cb.appendChild(el('option', { value: ty.id, text: t('coverageCol') + ': ' + typeName(ty) }));
    });
    if (ext.colourOptions) ext.colourOptions(cb);
    cb.value = state.colourBy;
    ['propose-type', 'edit-type'].forEach(function (sid) {
      var s = $(sid), v = s.value;
      s.textContent = '';
      state.types.forEach(function (ty) { s.appendChild(el('option', { value: ty.id, text: typeName(ty), title: bothNames(ty) })); });
      if (v) s.value = v;
    });
    var ex = $('export-collection'), ev = ex.value;
    ex.textContent = '';
    var cols = [state.unitsCollection].concat((state.summary.collections && state.summary.collections.facilities) || [], ['demand', 'proposals', 'streets']);
    cols.forEach(function (c) {
      var ty = state.types[state.typeIndex[c]];
      var label = ty ? typeName(ty) : t('col_' + c);
      if (c === state.unitsCollection) label = t(c.indexOf('units') === 0 ? 'unitsCollection' : 'cellsCollection');
      ex.appendChild(el('option', { value: c, text: state.lang === 'zh' ? label : label + ' (' + c + ')', title: c }));
    });
    if (ev) ex.value = ev;
    if (ex.selectedIndex < 0) ex.selectedIndex = 0;
  }

  function renderToggles() {
    var box = $('layer-toggles');
    box.textContent = '';
    state.types.forEach(function (ty) {
      if (!state.facLayers[ty.id]) return;
      var cb = el('input', { type: 'checkbox', id: 'layer-toggle-' + ty.id });
      cb.checked = !!state.facVisible[ty.id];
      cb.addEventListener('change', function () {
        state.facVisible[ty.id] = cb.checked;
        var l = state.facLayers[ty.id];
        if (cb.checked) { l.addTo(map); } else { map.removeLayer(l); }
        renderLegend();
      });
      box.appendChild(el('label', { for: 'layer-toggle-' + ty.id }, [
        cb,
        el('span', { class: 'swatch', style: 'background:' + typeColour(ty.id) }),
        el('span', { text: typeName(ty), title: bothNames(ty) }),
        el('span', { class: 'count', text: fmtInt(state.facCounts[ty.id]) })
      ]));
    });
  }

  function setColourBy(v) {
    state.colourBy = v;
    $('colour-by').value = v;
    Array.prototype.forEach.call(document.querySelectorAll('.coverage-list .cov'), function (r) {
      r.classList.toggle('selected', r.id === 'coverage-' + v);
    });
    recolourAll();
  }

  function attributionText() {
    var a = state.summary && state.summary.attribution ? String(state.summary.attribution) : '';
    if (/openstreetmap/i.test(a)) return a;
    return a ? OSM_ATTRIBUTION + ' · ' + a : OSM_ATTRIBUTION;
  }

  // ---------------------------------------------------------------- proposals
  function propose() {
    var type = $('propose-type').value;
    var k = parseInt($('propose-k').value, 10);
    if (!(k >= 1)) { showMessage(t('sites') + ' ≥ 1', false); return Promise.resolve(); }
    var btn = $('propose-button');
    btn.disabled = true;
    $('proposal-result').textContent = t('busy');
    return api('POST', 'api/propose', { type: type, k: k }).then(function (res) {
      state.proposal = res;
      state.proposalK = k;
      state.proposalType = type;
      drawProposal();
    }).catch(function (err) {
      $('proposal-result').textContent = '';
      showError(err);
    }).finally(function () { btn.disabled = false; });
  }

  function drawProposal() {
    var res = state.proposal;
    var out = $('proposal-result');
    out.textContent = '';
    proposalLayer.clearLayers();
    if (!res) { renderLegend(); return; }
    var sites = res.sites || [];
    var claim;
    if (!sites.length) claim = t('noSites');
    else if (/^set/.test(String(res.mode))) {
      claim = t('proposalSetClaim', { k: sites.length, n: fmtInt(res.objective), l: fmtInt(res.lower_bound) });
    } else {
      claim = t('proposalClaim', { n: fmtInt(res.objective), k: state.proposalK, u: fmtInt(res.upper_bound), g: fmtGap(res.gap) });
    }
    out.appendChild(el('div', { class: 'claim', text: claim }));
    if (res.stopped_early) out.appendChild(el('div', { class: 'hint', text: t('stoppedEarly', { n: sites.length, k: state.proposalK }) }));
    (res.coverage || []).forEach(function (c) {
      var ty = state.types[state.typeIndex[c.type]];
      out.appendChild(el('div', { class: 'hint', text: t('coverageChange', { type: typeName(ty) || c.type, a: fmtPct(c.coverage_before), b: fmtPct(c.coverage_after) }) }));
    });
    if (!sites.length) { renderLegend(); return; }
    var body = el('tbody');
    sites.forEach(function (s) {
      var ll = L.latLng(s.lat, s.lon);
      var m = L.marker(ll, {
        icon: L.divIcon({ className: '', html: '<div class="site-icon">' + Number(s.rank) + '</div>', iconSize: [24, 24], iconAnchor: [12, 12] }),
        title: t('proposedSite') + ' ' + s.rank,
        riseOnHover: true
      });
      m.on('click', function () {
        if (state.addMode) { addFacility(ll); return; }
        var content = sitePopup(s);
        L.popup().setLatLng(ll).setContent(content).openOn(map);
        hook('onSiteClick', { types: res.types || [state.proposalType], id: s.id, content: content }); // catchment.js
      });
      m.addTo(proposalLayer);
      var tr = el('tr', { class: 'site' }, [
        el('td', { text: String(s.rank) }),
        el('td', { text: fmtSigned(s.gain) }),
        el('td', { text: fmtInt(s.cumulative_covered) }),
        el('td', { text: fmtPct(s.coverage_after) })
      ]);
      tr.addEventListener('click', function () { map.setView(ll, Math.max(map.getZoom(), 15)); m.fire('click'); });
      body.appendChild(tr);
    });
    out.appendChild(el('table', null, [
      el('thead', null, [el('tr', null, [
        el('th', { text: t('rank') }), el('th', { text: t('gain') }), el('th', { text: t('cumulative') }), el('th', { text: t('coverageAfter') })
      ])]),
      body
    ]));
    if (state.editEnabled) out.appendChild(el('div', { class: 'hint', text: t('adopt') }));
    renderLegend();
  }

  function sitePopup(s) {
    var units = (s.units || []).slice(0, 5).map(function (u) {
      return typeof u === 'object' ? (u.unit || u.unit_id || u.id) + ' ' + fmtSigned(u.gain) : String(u);
    });
    return el('div', null, [
      el('div', { class: 'popup-title', text: t('proposedSite') + ' ' + s.rank }),
      el('table', null, [
        el('tr', null, [el('td', { text: t('gain') }), el('td', { text: fmtSigned(s.gain) + ' ' + t('residents') })]),
        el('tr', null, [el('td', { text: t('cumulative') }), el('td', { text: fmtInt(s.cumulative_covered) })]),
        el('tr', null, [el('td', { text: t('coverageAfter') }), el('td', { text: fmtPct(s.coverage_after) })]),
        units.length ? el('tr', null, [el('td', { text: t('unit') }), el('td', { text: units.join(', ') })]) : null
      ]),
      el('div', { class: 'popup-sub', text: Number(s.lon).toFixed(6) + ', ' + Number(s.lat).toFixed(6) })
    ]);
  }

  // ---------------------------------------------------------------- what-if
  function coveredByType() {
    var m = {};
    ((state.summary && state.summary.types) || []).forEach(function (ty) { m[ty.id] = ty.population_covered; });
    return m;
  }

  function scenario(body) {
    var before = coveredByType();
    return api('POST', 'api/scenario', body).then(function (res) {
      applyScenario(res, before, body);
      return res;
    });
  }

  function applyScenario(res, before, body) {
    if (res.summary) {
      state.summary = res.summary;
      renderSummary(before);
    }
    recolourUnits(res.changed_units);
    var edit = res.edit || {};
    var type = edit.type || body.type;
    var delta = 0;
    var after = coveredByType();
    Object.keys(after).forEach(function (k) { if (isNum(before[k]) && isNum(after[k])) delta += after[k] - before[k]; });
    if (res.scenario) renderScenarioState(res.scenario);
    hook('onScenarioChange', res); // catchment.js
    var key = { add: 'added', move: 'moved', remove: 'removed', undo: 'undone', redo: 'redone' }[body.op] || 'added';
    showMessage(t(key, { type: typeName(state.types[state.typeIndex[type]]) || type || '', delta: fmtSigned(delta), ms: isNum(res.elapsed_ms) ? nf(1).format(res.elapsed_ms) : '?' }), true);
    if (state.popupUnit && (res.changed_units || []).some(function (p) { return String(p.unit_id) === state.popupUnit; }) && map._popup && map._popup.isOpen()) {
      selectUnit(state.popupUnit, state.popupLatLng);
    }
    emit('change', { op: body.op });
    return loadFacilities(type && state.facLayers[type] !== undefined ? type : undefined);
  }

  // recolourUnits updates the cells whose figures changed, in place.
  function recolourUnits(units) {
    // changed_units are of the first level; another level reloads (levels.js).
    if (state.unitsCollection !== state.summary.collections.units) return;
    if (cellTiles) { cellTiles.update(units, state.summary); return; }
    (units || []).forEach(function (p) {
      var l = state.unitLayers.get(String(p.unit_id));
      if (!l) return;
      l.feature.properties = Object.assign({}, l.feature.properties, p);
      l.setStyle(cellStyle(l.feature));
    });
  }

  function addFacility(latlng) {
    var type = $('edit-type').value;
    state.addCount++;
    var ty = state.types[state.typeIndex[type]];
    return scenario({
      op: 'add', type: type, lon: round6(latlng.lng), lat: round6(latlng.lat),
      name: typeName(ty) + (state.lang === 'zh' ? '（情景 ' + state.addCount + '）' : ' (what-if ' + state.addCount + ')')
    }).catch(showError);
  }

  function setAddMode(on) {
    state.addMode = on;
    $('map').classList.toggle('adding', on);
    var b = $('edit-add-button');
    b.classList.toggle('active', on);
    b.textContent = on ? t('addingFacility') : t('addFacility');
    var ty = state.types[state.typeIndex[$('edit-type').value]];
    $('edit-status').textContent = on ? t('addHint', { type: typeName(ty) }) : t('editHint');
    if (on) map.closePopup();
  }

  function onMapClick(e) {
    if (state.addMode) addFacility(e.latlng);
  }

  function setEditMode(on) {
    state.editMode = on;
    $('edit-mode').checked = on;
    Object.keys(state.facLayers).forEach(function (id) {
      var feats = [];
      state.facLayers[id].eachLayer(function (l) { feats.push(l.feature); });
      drawFacilities(id, feats);
    });
  }

  function saveScenario() {
    var name = $('save-name').value.trim();
    if (!name) { showMessage(t('needName'), false); return Promise.resolve(); }
    return api('POST', 'api/scenario/save', { name: name }).then(function (res) {
      $('save-dialog').hidden = true;
      var files = (res.saved || []).map(function (x) { return typeof x === 'string' ? x : x.path || x.name || JSON.stringify(x); });
      showMessage(t('saved', { files: files.join(', ') || name }), true);
      return refreshScenarioState().then(function () { if (!$('scenario-list').hidden) return listScenarios(); });
    }).catch(showError);
  }

  // ---------------------------------------------------------------- scenarios
  // renderScenarioState shows whether the map is the baseline or a
  // scenario, its name and its edits, and enables undo and redo.
  function renderScenarioState(st) {
    state.scenario = st;
    var badge = $('scenario-badge');
    var isBase = st.baseline && !st.name;
    badge.className = 'badge ' + (isBase ? 'baseline' : 'scenario') + (!st.baseline && !st.saved ? ' unsaved' : '');
    badge.textContent = isBase ? t('baseline') : t('scenarioBadge', { name: st.name || t('unnamedScenario') });
    $('scenario-edits').textContent = st.edits === 0 ? t('noEdits') : t(st.saved ? 'editCountSaved' : 'editCount', { n: nf(0).format(st.edits) });
    $('undo-button').disabled = !(st.undo > 0);
    $('redo-button').disabled = !(st.redo > 0);
    $('reset-button').disabled = st.edits === 0;
    if (st.name && !$('save-name').value) $('save-name').value = st.name;
  }

  function refreshScenarioState() {
    return api('GET', 'api/scenario').then(renderScenarioState);
  }

  // afterReplace redraws everything after the edits were replaced (reset,
  // open): the summary, every cell and the facilities.
  function afterReplace(res) {
    if (res.summary) { state.summary = res.summary; renderSummary(); }
    if (res.scenario) renderScenarioState(res.scenario);
    emit('change', { op: 'replace' });
    return Promise.all([loadCells(), loadFacilities()]);
  }

  function resetScenario() {
    if (!window.confirm(t('confirmReset'))) return Promise.resolve();
    return api('POST', 'api/scenario/reset', {}).then(function (res) {
      showMessage(t('resetDone', { n: res.reverted }), true);
      return afterReplace(res);
    }).catch(showError);
  }

  function nameScenario() {
    var name = $('save-name').value.trim();
    if (!name) { showMessage(t('needName'), false); return Promise.resolve(); }
    return api('POST', 'api/scenario/name', { name: name }).then(function (st) {
      $('save-dialog').hidden = true;
      renderScenarioState(st);
      showMessage(t('named', { name: name }), true);
    }).catch(showError);
  }

  function listScenarios() {
    return api('GET', 'api/scenarios').then(function (res) {
      var ul = $('scenario-items');
      ul.textContent = '';
      state.saved = res.scenarios || [];
      if (!state.saved.length) ul.appendChild(el('li', { class: 'hint', text: t('noSaved') }));
      state.saved.forEach(function (sc) {
        var open = el('button', { type: 'button', text: t('open') });
        open.addEventListener('click', function () { openScenario(sc.name); });
        var del = el('button', { type: 'button', text: t('deleteScenario') });
        del.addEventListener('click', function () { deleteScenario(sc.name); });
        var li = el('li', { 'data-name': sc.name }, [
          el('span', { class: 'sc-name', text: sc.name, title: sc.where || '' }),
          el('small', { text: t('editCountSaved', { n: nf(0).format(sc.edits) }).split(' · ')[0] }),
          open, del
        ]);
        ul.appendChild(li);
      });
      renderCompareSelects();
    });
  }

  function openScenario(name) {
    return api('POST', 'api/scenarios/open', { name: name }).then(function (res) {
      showMessage(t('opened', { name: name, n: res.scenario ? res.scenario.edits : '?' }), true);
      $('save-name').value = name;
      return afterReplace(res);
    }).catch(showError);
  }

  function deleteScenario(name) {
    if (!window.confirm(t('confirmDelete', { name: name }))) return Promise.resolve();
    return api('POST', 'api/scenarios/delete', { name: name }).then(function () {
      showMessage(t('deleted', { name: name }), true);
      return Promise.all([listScenarios(), refreshScenarioState()]);
    }).catch(showError);
  }

  function renderCompareSelects() {
    [['compare-a', 'baseline'], ['compare-b', 'current']].forEach(function (p) {
      var sel = $(p[0]);
      var keep = sel.value || p[1];
      sel.textContent = '';
      sel.appendChild(el('option', { value: 'baseline', text: t('baseline') }));
      sel.appendChild(el('option', { value: 'current', text: t('currentScenario') }));
      (state.saved || []).forEach(function (sc) { sel.appendChild(el('option', { value: sc.name, text: sc.name })); });
      sel.value = keep;
      if (sel.value !== keep) sel.value = p[1];
    });
  }

  function runCompare() {
    var a = $('compare-a').value || 'baseline', b = $('compare-b').value || 'current';
    return api('GET', 'api/scenarios/compare?a=' + encodeURIComponent(a) + '&b=' + encodeURIComponent(b)).then(function (res) {
      var out = $('compare-result');
      out.textContent = '';
      var label = function (x) { return x === 'baseline' ? t('baseline') : x === 'current' ? t('currentScenario') : x; };
      out.appendChild(el('div', { class: 'hint', text: 'A = ' + label(res.a) + ' · B = ' + label(res.b) }));
      var rows = (res.types || []).map(function (ty) {
        var c = zeroSafe(ty.change, 0);
        return el('tr', { 'data-type': ty.id }, [
          el('td', { text: state.lang === 'zh' ? (ty.name_zh || ty.name_en || ty.id) : (ty.name_en || ty.name_zh || ty.id) }),
          el('td', { text: fmtInt(ty.a_covered) }),
          el('td', { text: fmtInt(ty.b_covered) }),
          el('td', { class: c > 0 ? 'up' : c < 0 ? 'down' : '', text: fmtSigned(ty.change) }),
          el('td', { class: c > 0 ? 'up' : c < 0 ? 'down' : '', text: fmtSignedPts(ty.change_pts) })
        ]);
      });
      out.appendChild(el('table', { class: 'compare-table', id: 'compare-table' }, [
        el('thead', {}, [el('tr', {}, [el('th', { text: t('type') }), el('th', { text: t('covA') }), el('th', { text: t('covB') }),
          el('th', { text: t('change') }), el('th', { text: t('changePts') })])]),
        el('tbody', {}, rows)
      ]));
      if (!res.units_changed) {
        out.appendChild(el('div', { class: 'hint', text: t('noChange') }));
        return;
      }
      out.appendChild(el('div', { class: 'hint', text: t('unitsChanged', { n: nf(0).format(res.units_changed) }) }));
      var ul = el('ul', { class: 'scenario-items', id: 'compare-units' });
      (res.units || []).slice(0, 8).forEach(function (u) {
        var parts = Object.keys(u.changes).map(function (k) {
          return typeName(state.types[state.typeIndex[k]]) + ' ' + fmtSigned(u.changes[k]);
        });
        var li = el('li', {}, [el('span', { class: 'sc-name', text: (u.name || u.id) + ': ' + parts.join(', ') })]);
        ul.appendChild(li);
      });
      out.appendChild(ul);
    }).catch(showError);
  }

  // ---------------------------------------------------------------- file drop
  function initDrop() {
    var overlay = $('drop-overlay');
    var depth = 0;
    function hasFiles(e) {
      var types = e.dataTransfer && e.dataTransfer.types;
      return types && Array.prototype.indexOf.call(types, 'Files') >= 0;
    }
    // Never let the browser navigate to a dropped file.
    window.addEventListener('dragover', function (e) { e.preventDefault(); });
    window.addEventListener('drop', function (e) { e.preventDefault(); });
    var target = $('map');
    target.addEventListener('dragenter', function (e) {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth++;
      overlay.hidden = false;
    });
    target.addEventListener('dragleave', function () {
      depth = Math.max(0, depth - 1);
      if (depth === 0) overlay.hidden = true;
    });
    target.addEventListener('dragover', function (e) {
      if (!hasFiles(e)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    });
    target.addEventListener('drop', function (e) {
      e.preventDefault();
      depth = 0;
      overlay.hidden = true;
      var files = e.dataTransfer && e.dataTransfer.files;
      if (!files || !files.length) return;
      Array.prototype.reduce.call(files, function (p, f) {
        return p.then(function () { return uploadLayer(f); });
      }, Promise.resolve());
    });
  }

  function uploadLayer(file) {
    var name = file.name || 'layer';
    var ext = name.toLowerCase().split('.').pop();
    var ct = { geojson: 'application/geo+json', json: 'application/geo+json', csv: 'text/csv' }[ext];
    if (!ct) { showMessage(name + ': ' + t('badFile'), false); return Promise.resolve(); }
    var before = coveredByType();
    return api('POST', 'api/layer?name=' + encodeURIComponent(name), file, ct).then(function (res) {
      if (res.summary) {
        state.summary = res.summary;
        renderSummary(before);
      }
      recolourUnits(res.changed_units);
      if (res.scenario) renderScenarioState(res.scenario);
      showMessage(t('layerAdded', { n: fmtInt(res.added), file: name }), true);
      emit('change', { op: 'layer' });
      // A server that does not list the changed units: reload them all.
      return Promise.all([loadFacilities(), res.changed_units ? null : loadCells()]);
    }).then(function () {
      renderLegend();
    }).catch(function (err) {
      showMessage(err.message.indexOf(name) >= 0 ? err.message : name + ': ' + err.message, false);
    });
  }

  // ---------------------------------------------------------------- language
  function applyLang() {
    document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
    Array.prototype.forEach.call(document.querySelectorAll('[data-i18n]'), function (e) {
      e.textContent = t(e.getAttribute('data-i18n'));
    });
    Array.prototype.forEach.call(document.querySelectorAll('[data-i18n-title]'), function (e) {
      e.title = t(e.getAttribute('data-i18n-title'));
    });
    $('lang-switch').textContent = state.lang === 'zh' ? 'English' : '中文';
    document.title = 'lifecircle · ' + t('title');
    if (!state.summary) return;
    renderSummary();
    renderSelects();
    renderToggles();
    renderLegend();
    drawProposal();
    setAddMode(state.addMode);
    if (map) map.closePopup();
    emit('lang', { lang: state.lang });
  }

  function switchLang() {
    state.lang = state.lang === 'zh' ? 'en' : 'zh';
    try { window.localStorage.setItem('lifecircle.lang', state.lang); } catch (e) { /* ignore */ }
    applyLang();
    hook('onLangChange', state.lang);
    if (state.scenario) renderScenarioState(state.scenario);
    if (!$('compare-panel').hidden) runCompare();
  }

  // ---------------------------------------------------------------- wiring
  function wire() {
    $('lang-switch').addEventListener('click', switchLang);
    $('message-close').addEventListener('click', function () { $('message').hidden = true; });
    $('colour-by').addEventListener('change', function (e) { setColourBy(e.target.value); });
    $('toggle-cells').addEventListener('change', function (e) {
      if (!cellsLayer) return;
      if (e.target.checked) { cellsLayer.addTo(map); bringFacilitiesToFront(); } else map.removeLayer(cellsLayer);
    });
    $('toggle-streets').addEventListener('change', function (e) {
      if (!streetsLayer) return;
      if (e.target.checked) streetsLayer.addTo(map); else map.removeLayer(streetsLayer);
    });
    $('propose-button').addEventListener('click', propose);
    $('proposal-clear').addEventListener('click', function () {
      state.proposal = null;
      drawProposal();
    });
    $('edit-add-button').addEventListener('click', function () { setAddMode(!state.addMode); });
    $('edit-type').addEventListener('change', function () { setAddMode(state.addMode); });
    $('edit-mode').addEventListener('change', function (e) { setEditMode(e.target.checked); });
    $('undo-button').addEventListener('click', function () { scenario({ op: 'undo' }).catch(showError); });
    $('redo-button').addEventListener('click', function () { scenario({ op: 'redo' }).catch(showError); });
    $('reset-button').addEventListener('click', resetScenario);
    var openDialog = function (mode) {
      var d = $('save-dialog');
      var again = !d.hidden && state.dialogMode === mode;
      state.dialogMode = mode;
      d.hidden = again;
      $('save-confirm').textContent = mode === 'name' ? t('newScenario') : t('save');
      if (!d.hidden) {
        $('save-name').value = $('save-name').value || (state.scenario && state.scenario.name) || 'scenario-' + new Date().toISOString().slice(0, 10);
        $('save-name').focus();
      }
    };
    $('save-button').addEventListener('click', function () { openDialog('save'); });
    $('new-button').addEventListener('click', function () { openDialog('name'); });
    var confirmDialog = function () { return state.dialogMode === 'name' ? nameScenario() : saveScenario(); };
    $('save-confirm').addEventListener('click', confirmDialog);
    $('save-cancel').addEventListener('click', function () { $('save-dialog').hidden = true; });
    $('save-name').addEventListener('keydown', function (e) { if (e.key === 'Enter') confirmDialog(); });
    $('list-button').addEventListener('click', function () {
      var d = $('scenario-list');
      d.hidden = !d.hidden;
      if (!d.hidden) listScenarios().catch(showError);
    });
    $('compare-button').addEventListener('click', function () {
      var d = $('compare-panel');
      d.hidden = !d.hidden;
      if (!d.hidden) listScenarios().then(runCompare).catch(showError);
    });
    $('compare-run').addEventListener('click', runCompare);
    $('export-button').addEventListener('click', function () {
      var c = $('export-collection').value || state.unitsCollection;
      var a = el('a', { href: 'api/export/' + encodeURIComponent(c), download: c + '.geojson' });
      document.body.appendChild(a);
      a.click();
      a.remove();
    });
    document.addEventListener('keydown', function (e) {
      if (e.key === 'Escape' && state.addMode) setAddMode(false);
    });
  }

  // mark records when a step of the first render finished, in ms since
  // navigation started (window.lifecircle.timings).
  function mark(name) {
    window.lifecircle.timings = window.lifecircle.timings || {};
    window.lifecircle.timings[name] = Math.round(performance.now());
  }

  function nextFrame() {
    return new Promise(function (resolve) {
      requestAnimationFrame(function () { setTimeout(resolve, 0); });
    });
  }

  function start() {
    applyLang();
    wire();
    initMap();
    initDrop();
    setBusy(1);
    api('GET', 'api/summary').then(function (s) {
      mark('summary');
      state.summary = s;
      state.types = s.types || [];
      state.types.forEach(function (ty, i) { state.typeIndex[ty.id] = i; });
      state.unitsCollection = (s.collections && s.collections.units) || (s.units_kind === 'units' ? 'units' : 'cells');
      state.editEnabled = !!s.edit_enabled || !!state.token;
      $('edit-card').hidden = !state.editEnabled;
      map.attributionControl.addAttribution(attributionText());
      var b = s.bounds;
      if (b && b.length === 4 && b.every(isNum)) map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { padding: [10, 10] });
      else map.setView([0, 0], 3);
      // The background's tiles are asked for first: it is the context
      // everything else is drawn on.
      var background = window.lifecircleTiles ? window.lifecircleTiles.background(map, s, t).then(function () { mark('background'); }) : null;
      Object.assign(ext, {
        map: map, api: api, t: t, el: el, fmtInt: fmtInt, fmtPct: fmtPct, fmtM: fmtM, isNum: isNum, typeName: typeName,
        showError: showError, showMessage: showMessage, loadCells: loadCells, recolourAll: recolourAll,
        renderLegend: renderLegend, renderSelects: renderSelects, setColourBy: setColourBy, zoomToUnit: zoomToUnit,
        highlightLayer: highlightLayer, highlightRenderer: highlightRenderer, unitLayers: function () { return state.unitLayers; },
        // The units' tile layer (tiles.js) when the map draws them from tiles.
        tiledUnits: function () { return cellTiles && cellsLayer === cellTiles.layer ? cellTiles : null; }
      });
      // The heaviest layers next, before the other scripts' requests: the
      // units, then the facilities and the streets.
      var cells = loadCells();
      var facilities = loadFacilities().then(function () { mark('facilities'); });
      var streets = loadStreets().then(function () { mark('streets'); });
      emit('start', { summary: s });
      renderSummary();
      renderSelects();
      renderLegend();
      return Promise.all([background, streets, cells, facilities, state.editEnabled ? refreshScenarioState() : null]);
    }).then(function () {
      bringFacilitiesToFront();
      renderLegend();
      return nextFrame();
    }).then(function () {
      mark('ready');
      window.lifecircle.ready = true;
    }).catch(function (err) {
      showMessage(t('loadFailed', { msg: err.message }), false);
      window.lifecircle.error = err.message;
    }).finally(function () {
      setBusy(-1);
      settled = true;
      afterFirst.splice(0).forEach(function (fn) {
        try { fn(); } catch (e) { showError(e); }
      });
    });
    // Hooks for the browser test, the console and catchment.js.
    window.lifecircle.map = map;
    window.lifecircle.ui = {
      t: t, el: el, api: api, fmtInt: fmtInt, fmtM: fmtM, showError: showError, typeName: typeName,
      lang: function () { return state.lang; },
      type: function (id) { return state.types[state.typeIndex[id]]; }
    };
    window.lifecircle.facilityLayer = function (id) { return state.facLayers[id]; };
    window.lifecircle.cellCount = function () { return cellTiles && cellsLayer === cellTiles.layer ? cellTiles.count() : state.unitLayers.size; };
    window.lifecircle.tilesIdle = function () { return window.lifecircleTiles ? window.lifecircleTiles.idle() : Promise.resolve(); };
    window.lifecircle.unitStyle = function (id) {
      var l = state.unitLayers.get(String(id));
      return l ? { fillColor: l.options.fillColor, fillOpacity: l.options.fillOpacity } : null;
    };
    // For print.js and charts.js: the page's words, language and figures.
    window.lifecircle.t = t;
    window.lifecircle.lang = function () { return state.lang; };
    window.lifecircle.summary = function () { return state.summary; };
    window.lifecircle.typeColour = typeColour;
    window.lifecircle.attribution = attributionText;
    window.lifecircle.api = api;
    window.lifecircle.bounds = function () {
      var b = state.summary && state.summary.bounds;
      return b ? [[b[1], b[0]], [b[3], b[2]]] : null;
    };
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
