// lifecircle map page: vector tiles (Mapbox Vector Tile 2.1) served by
// lifecircle itself at tiles/{layer}/{z}/{x}/{y}.mvt, decoded here and
// drawn on canvas tiles of a Leaflet GridLayer: the offline background
// (buildings, water, green, railways, boundaries, the study's extent), the
// walkable streets, and the units of large studies. No dependency but
// Leaflet; nothing is requested from another host. app.js calls
// window.lifecircleTiles (see the bottom of this file).
(function () {
  'use strict';

  // ------------------------------------------------------------ MVT decoding
  // A minimal protobuf reader for the vector tile schema
  // (https://github.com/mapbox/vector-tile-spec, 2.1).
  function Reader(buf) { this.buf = buf; this.pos = 0; this.end = buf.length; }
  // varint reads an unsigned varint exactly up to 2^53 (feature ids).
  Reader.prototype.varint = function () {
    var b = this.buf;
    if (this.pos >= this.end) throw new Error('mvt: truncated varint');
    var byte = b[this.pos++];
    if (byte < 0x80) return byte;
    var v = byte & 0x7f, mul = 128;
    do {
      if (this.pos >= this.end) throw new Error('mvt: truncated varint');
      byte = b[this.pos++];
      v += (byte & 0x7f) * mul;
      mul *= 128;
    } while (byte >= 0x80);
    return v;
  };
  Reader.prototype.skip = function (wire) {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) { var n = this.varint(); this.pos += n; }
    else if (wire === 5) this.pos += 4;
    else throw new Error('mvt: unknown wire type ' + wire);
  };
  var utf8 = new TextDecoder('utf-8');
  Reader.prototype.string = function () {
    var n = this.varint(), s = utf8.decode(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  };
  function zz(n) { return (n >>> 1) ^ -(n & 1); }

  function readValue(r, end) {
    var v = null;
    var dv = r.dv || (r.dv = new DataView(r.buf.buffer, r.buf.byteOffset, r.buf.byteLength));
    while (r.pos < end) {
      var tag = r.varint(), f = tag >> 3, w = tag & 7;
      if (f === 1 && w === 2) v = r.string();
      else if (f === 2 && w === 5) { v = dv.getFloat32(r.pos, true); r.pos += 4; }
      else if (f === 3 && w === 1) { v = dv.getFloat64(r.pos, true); r.pos += 8; }
      else if ((f === 4 || f === 5) && w === 0) v = r.varint();
      else if (f === 6 && w === 0) { var u = r.varint(); v = (u % 2 === 1) ? -(u + 1) / 2 : u / 2; }
      else if (f === 7 && w === 0) v = r.varint() !== 0;
      else r.skip(w);
    }
    return v;
  }

  // readGeometry turns the MVT commands up to end into rings or lines,
  // each a flat array [x0, y0, x1, y1, ...] in tile units (rings closed);
  // points become one-point parts. It reads the buffer directly: no
  // intermediate arrays, little garbage.
  function readGeometry(r, end) {
    var parts = [], cur = null, x = 0, y = 0;
    while (r.pos < end) {
      var c = r.varint(), id = c & 7, n = c >> 3;
      if (id === 1 || id === 2) {
        for (var k = 0; k < n && r.pos < end; k++) {
          x += zz(r.varint()); y += zz(r.varint());
          if (id === 1) { cur = [x, y]; parts.push(cur); } else if (cur) cur.push(x, y);
        }
      } else if (id === 7) {
        if (cur && cur.length >= 2) cur.push(cur[0], cur[1]);
      } else {
        break;
      }
    }
    return parts;
  }

  function readFeature(r, end, keys, values) {
    var f = { id: null, type: 0, props: {}, parts: null };
    while (r.pos < end) {
      var tag = r.varint(), fn = tag >> 3, w = tag & 7, e;
      if (fn === 1 && w === 0) f.id = r.varint();
      else if (fn === 2 && w === 2) {
        e = r.varint() + r.pos;
        while (r.pos < e) { var k = r.varint(), v = r.varint(); f.props[keys[k]] = values[v]; }
      } else if (fn === 3 && w === 0) f.type = r.varint();
      else if (fn === 4 && w === 2) {
        e = r.varint() + r.pos;
        f.parts = readGeometry(r, e);
        r.pos = e;
      } else r.skip(w);
    }
    if (!f.parts) f.parts = [];
    return f;
  }

  function readLayer(r, end) {
    var name = '', extent = 4096, keys = [], values = [], feats = [];
    while (r.pos < end) {
      var tag = r.varint(), f = tag >> 3, w = tag & 7;
      if (f === 1 && w === 2) name = r.string();
      else if (f === 2 && w === 2) { var n = r.varint(); feats.push([r.pos, r.pos + n]); r.pos += n; }
      else if (f === 3 && w === 2) keys.push(r.string());
      else if (f === 4 && w === 2) { var m = r.varint(), e = r.pos + m; values.push(readValue(r, e)); r.pos = e; }
      else if (f === 5 && w === 0) extent = r.varint();
      else r.skip(w);
    }
    // Features may come before keys and values: decode them last.
    var out = new Array(feats.length), save = r.pos;
    for (var i = 0; i < feats.length; i++) { r.pos = feats[i][0]; out[i] = readFeature(r, feats[i][1], keys, values); }
    r.pos = save;
    return { name: name, extent: extent, features: out };
  }

  // decode returns {layerName: {extent, features}} of an MVT buffer.
  function decode(buf) {
    var r = new Reader(new Uint8Array(buf)), layers = {};
    while (r.pos < r.end) {
      var tag = r.varint(), f = tag >> 3, w = tag & 7;
      if (f === 3 && w === 2) {
        var n = r.varint(), end = r.pos + n;
        var l = readLayer(r, end);
        layers[l.name] = l;
        r.pos = end;
      } else r.skip(w);
    }
    return layers;
  }

  // ------------------------------------------------------------ compact units
  // decodeCompact reads an LCU1 tile (web/tiles_compact.go): the units of
  // an overview zoom as typed arrays. It returns the layer under the
  // units' MVT layer name, in the shape draw and the helpers below read:
  // {compact: true, extent, n, index, box, partStart, ringStart, pts,
  // cols: {name: typed array}, q4: {name: true}, strings(), features}.
  // features (objects as decode makes them) are built only when asked
  // for (a click, the count); unit ids and names are parsed only then too.
  function decodeCompact(buf, name) {
    var dv = new DataView(buf);
    if (buf.byteLength < 8 || dv.getUint32(0, true) !== 0x3155434c) throw new Error('lcu: not an LCU1 tile');
    var hl = dv.getUint32(4, true);
    var h = JSON.parse(utf8.decode(new Uint8Array(buf, 8, hl)));
    var off = (8 + hl + 3) & ~3, n = h.n;
    function take(Type, count) {
      var a = new Type(buf, off, count);
      off = (off + count * Type.BYTES_PER_ELEMENT + 3) & ~3;
      return a;
    }
    var l = { compact: true, extent: h.extent, n: n };
    l.index = take(Uint32Array, n);
    l.box = take(Int16Array, 4 * n);
    l.partStart = take(Uint32Array, n + 1);
    l.ringStart = take(Uint32Array, h.parts + 1);
    l.pts = take(Int16Array, 2 * h.points);
    l.cols = {}; l.q4 = {};
    h.props.forEach(function (p) {
      if (p.kind === 'f32') l.cols[p.name] = take(Float32Array, n);
      else { l.cols[p.name] = take(Uint16Array, n); l.q4[p.name] = true; }
    });
    var strOff = off, strLen = h.strings, strs = null;
    l.strings = function () {
      if (!strs) {
        strs = strLen ? JSON.parse(utf8.decode(new Uint8Array(buf, strOff, strLen))) : {};
        var pre = strs.ids_prefix;
        if (pre && strs.ids) strs.ids = strs.ids.map(function (x) { return pre + x; });
      }
      return strs;
    };
    l.names = Object.keys(l.cols);
    var feats = null;
    Object.defineProperty(l, 'features', {
      get: function () {
        if (!feats) { feats = new Array(n); for (var i = 0; i < n; i++) feats[i] = compactFeature(l, i); }
        return feats;
      }
    });
    var out = {};
    out[name] = l;
    return out;
  }

  // compactValue is property c of unit i (q4 columns back to their
  // 4-decimal figure; NaN where there is none).
  function compactValue(l, c, i) {
    var v = l.cols[c][i];
    if (l.q4[c]) return v === 65535 ? NaN : v / 10000;
    return v;
  }

  // propsFor returns the properties object draw fills for each unit
  // in turn: a plain object of one shape, with unit_id and name when
  // withStrings (parsing them costs, and the usual styles never read them).
  function propsFor(l, withStrings) {
    var p = {};
    for (var k = 0; k < l.names.length; k++) p[l.names[k]] = 0;
    p.unit_id = undefined;
    p.name = undefined;
    if (withStrings) { var s = l.strings(); p._ids = s.ids || []; p._names = s.names || null; }
    return p;
  }
  function fillProps(l, i, p, withStrings) {
    for (var k = 0; k < l.names.length; k++) {
      var c = l.names[k], v = l.cols[c][i];
      p[c] = l.q4[c] ? (v === 65535 ? NaN : v / 10000) : v;
    }
    if (withStrings) { p.unit_id = p._ids[i]; p.name = p._names ? p._names[i] : undefined; }
  }

  // readsStrings reports whether style reads a unit's id or name (rules
  // do, the coverage classes do not), by asking it about one unit.
  function readsStrings(l, style) {
    var read = false, p = propsFor(l, false);
    fillProps(l, 0, p, false);
    ['unit_id', 'name'].forEach(function (k) {
      Object.defineProperty(p, k, { get: function () { read = true; return undefined; } });
    });
    style({ properties: p, id: l.index[0] }, p);
    return read;
  }

  // compactParts is unit i's rings as flat closed arrays (its box when
  // it is drawn as one).
  function compactParts(l, i) {
    var out = [], a = l.partStart[i], b = l.partStart[i + 1];
    if (a === b) {
      var x0 = l.box[4 * i], y0 = l.box[4 * i + 1], x1 = l.box[4 * i + 2], y1 = l.box[4 * i + 3];
      return [[x0, y0, x1, y0, x1, y1, x0, y1, x0, y0]];
    }
    for (var j = a; j < b; j++) {
      var r = [];
      for (var q = l.ringStart[j]; q < l.ringStart[j + 1]; q++) r.push(l.pts[2 * q], l.pts[2 * q + 1]);
      r.push(r[0], r[1]);
      out.push(r);
    }
    return out;
  }

  function compactFeature(l, i) {
    var props = {};
    l.names.forEach(function (c) { props[c] = compactValue(l, c, i); });
    var s = l.strings();
    if (s.ids) props.unit_id = s.ids[i];
    if (s.names && s.names[i]) props.name = s.names[i];
    return { id: l.index[i], type: 3, props: props, parts: compactParts(l, i) };
  }

  // rgbaOf parses a CSS colour to [r, g, b] (0..255), through a canvas
  // for the forms other than #rgb and #rrggbb; cached.
  var rgbCache = new Map(), rgbCtx = null;
  function rgbOf(c) {
    var v = rgbCache.get(c);
    if (v) return v;
    var s = c;
    if (!/^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(s)) {
      rgbCtx = rgbCtx || document.createElement('canvas').getContext('2d');
      rgbCtx.fillStyle = '#000000';
      rgbCtx.fillStyle = c;
      s = rgbCtx.fillStyle;
    }
    if (s.length === 4) s = '#' + s[1] + s[1] + s[2] + s[2] + s[3] + s[3];
    if (/^#[0-9a-f]{6}$/i.test(s)) v = [parseInt(s.slice(1, 3), 16), parseInt(s.slice(3, 5), 16), parseInt(s.slice(5, 7), 16)];
    else {
      var m = /rgba?\(([^)]*)\)/.exec(s), p = m ? m[1].split(',').map(Number) : [0, 0, 0];
      v = [p[0], p[1], p[2]];
    }
    rgbCache.set(c, v);
    return v;
  }

  // The page's canvases are little-endian RGBA: a pixel as a uint32 is
  // A<<24 | B<<16 | G<<8 | R.
  function pixelOf(rgb, alpha) {
    return ((Math.round(alpha * 255) << 24) | (rgb[2] << 16) | (rgb[1] << 8) | rgb[0]) >>> 0;
  }

  // pixelsOf is a style's fill pixel and the pixel of its outline (white
  // at 0.7 opacity, 0.4 px wide, blended into a wide unit's first row and
  // column), with the list of its units drawn as paths.
  function pixelsOf(st) {
    var rgb = rgbOf(st.fillColor), a = st.fillOpacity, ea = 0.28 + a * 0.72;
    var edge = [0, 1, 2].map(function (c) { return Math.round((0.28 * 255 + rgb[c] * a * 0.72) / ea); });
    return { st: st, fill: pixelOf(rgb, a), edge: pixelOf(edge, ea), fs: [] };
  }

  // pixelsFor is pixelsOf(st), one per fill colour and opacity.
  function pixelsFor(byColour, st) {
    var byOpacity = byColour.get(st.fillColor);
    if (!byOpacity) { byOpacity = new Map(); byColour.set(st.fillColor, byOpacity); }
    var v = byOpacity.get(st.fillOpacity);
    if (!v) { v = pixelsOf(st); byOpacity.set(st.fillOpacity, v); }
    return v;
  }

  // drawCompact paints a compact units layer: the units drawn as boxes
  // straight into the canvas's pixels (each pixel takes the unit over its
  // centre; a unit gets at least one pixel), the others as paths on top.
  // style(props) is app.js's cellStyle through the units' overrides.
  //
  // fast, when given, is {column, styleOf(value, populated)}: the style
  // depends on that one figure and on whether the unit has residents
  // (app.js's coverage classes), so each distinct figure is styled once.
  function drawCompact(ctx, l, s, style, fast) {
    var W = ctx.canvas.width, H = ctx.canvas.height, k = s / l.extent;
    var img = ctx.createImageData(W, H), px = new Uint32Array(img.data.buffer);
    if (fast && !l.cols[fast.column]) fast = null;
    var withStrings = !fast && l.n > 0 && readsStrings(l, style);
    var props = propsFor(l, withStrings), wrap = { properties: props, id: 0 };
    var byColour = new Map(), others = [];
    var box = l.box, partStart = l.partStart;
    var col = fast && l.cols[fast.column], q4 = fast && l.q4[fast.column], pop = l.cols.population;
    var memo = fast ? new Map() : null;
    for (var i = 0; i < l.n; i++) {
      var v;
      if (fast) {
        var raw = pop && pop[i] > 0 ? col[i] : -1;
        v = memo.get(raw);
        if (!v) {
          v = pixelsFor(byColour, fast.styleOf(raw < 0 ? NaN : q4 ? (raw === 65535 ? NaN : raw / 10000) : raw, raw >= 0));
          memo.set(raw, v);
        }
      } else {
        fillProps(l, i, props, withStrings);
        wrap.id = l.index[i];
        v = pixelsFor(byColour, style(wrap, props));
      }
      if (partStart[i] !== partStart[i + 1]) {
        v.fs.push({ type: 3, parts: compactParts(l, i) });
        if (v.fs.length === 1) others.push(v);
        continue;
      }
      var x0 = Math.round(box[4 * i] * k), y0 = Math.round(box[4 * i + 1] * k);
      var x1 = Math.round(box[4 * i + 2] * k), y1 = Math.round(box[4 * i + 3] * k);
      if (x1 <= x0) x1 = x0 + 1;
      if (y1 <= y0) y1 = y0 + 1;
      var wide = (x1 - x0) + (y1 - y0) > 6, left = wide && x0 >= 0, top = wide && y0 >= 0;
      if (x0 < 0) x0 = 0;
      if (y0 < 0) y0 = 0;
      if (x1 > W) x1 = W;
      if (y1 > H) y1 = H;
      if (x1 <= x0) continue;
      var fillPx = v.fill, edgePx = v.edge;
      for (var y = y0; y < y1; y++) {
        var row = y * W, c = top && y === y0 ? edgePx : fillPx;
        for (var x = row + x0, e = row + x1; x < e; x++) px[x] = c;
        if (left) px[row + x0] = edgePx;
      }
    }
    ctx.putImageData(img, 0, 0);
    others.forEach(function (g) {
      ctx.globalAlpha = g.st.fillOpacity;
      ctx.fillStyle = g.st.fillColor;
      fillFeatures(ctx, g.fs, k);
      ctx.globalAlpha = 1;
      ctx.lineWidth = 0.4;
      ctx.strokeStyle = 'rgba(255,255,255,0.7)';
      strokeFeatures(ctx, g.fs, k);
    });
  }

  // ------------------------------------------------------------ tile cache
  // Decoded tiles by URL, least recently used dropped first.
  var CACHE_MAX = 600;
  var cache = new Map();
  function cacheGet(url) {
    var v = cache.get(url);
    if (v !== undefined) { cache.delete(url); cache.set(url, v); }
    return v;
  }
  function cachePut(url, v) {
    cache.set(url, v);
    while (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value);
  }
  // stats add up the time spent decoding and drawing tiles (ms), for
  // the benchmarks.
  var stats = { tiles: 0, bytes: 0, decodeMs: 0, drawMs: 0, draws: 0 };
  var inflight = new Map();
  var pendingTiles = 0;
  var idleWaiters = [];
  // waitingCompose: composed layers whose tiles are all in, waiting for
  // the other layers' so that all are composed in one frame.
  var waitingCompose = new Set();
  function tileDone() {
    pendingTiles--;
    if (pendingTiles === 0) {
      waitingCompose.forEach(function (l) { if (l._map) scheduleCompose(l); });
      waitingCompose.clear();
      warmSpares();
      var w = idleWaiters; idleWaiters = [];
      w.forEach(function (f) { whenComposed(f); });
    }
  }
  // fetchTile returns the decoded layers of url (decode: decode, or a
  // decoder of another format), from the cache when it has them. The
  // tiles asked for in one task (each of Leaflet's layers places its
  // tiles when the map moves) are fetched together: a place's tiles of
  // several layers in one /tiles/stack request.
  var TILE_URL = /^tiles\/([^\/?]+)\/(\d+)\/(\d+)\/(\d+)(\.mvt|\.lcu)\?v=([^&]*)$/;
  var batch = null;
  function fetchTile(url, decoder) {
    var hit = cacheGet(url);
    if (hit) return Promise.resolve(hit);
    if (inflight.has(url)) return inflight.get(url);
    var m = TILE_URL.exec(url), p;
    if (!m) p = fetchOne(url, decoder);
    else {
      if (!batch) { batch = new Map(); queueMicrotask(flushBatch); }
      var pos = m[2] + '/' + m[3] + '/' + m[4], g = batch.get(pos);
      if (!g) { g = []; batch.set(pos, g); }
      p = new Promise(function (resolve, reject) {
        g.push({ url: url, decoder: decoder, layer: m[1] + (m[5] === '.lcu' ? '.lcu' : ''), v: m[6], resolve: resolve, reject: reject });
      });
    }
    p = p.then(function (layers) {
      inflight.delete(url);
      cachePut(url, layers);
      return layers;
    }, function (err) {
      inflight.delete(url);
      throw err;
    });
    inflight.set(url, p);
    return p;
  }
  function decoded(buf, decoder) {
    var t0 = performance.now();
    var layers = (decoder || decode)(buf);
    stats.decodeMs += performance.now() - t0;
    stats.bytes += buf.byteLength;
    stats.tiles++;
    return layers;
  }
  function fetchOne(url, decoder) {
    return fetch(url, { credentials: 'same-origin' }).then(function (resp) {
      if (resp.status === 204) return {};
      if (!resp.ok) throw new Error(url + ': ' + resp.status);
      return resp.arrayBuffer().then(function (buf) { return decoded(buf, decoder); });
    });
  }
  // flushBatch fetches the tiles asked for since the last flush: alone
  // when a place has one, else as a stack (per layer: a 4-byte length,
  // then the tile).
  function flushBatch() {
    var b = batch;
    batch = null;
    b.forEach(function (g, pos) {
      if (g.length === 1) {
        fetchOne(g[0].url, g[0].decoder).then(g[0].resolve, g[0].reject);
        return;
      }
      var u = 'tiles/stack/' + pos + '?layers=' + g.map(function (e) { return e.layer; }).join(',') +
        '&v=' + g.map(function (e) { return e.v; }).join(',');
      fetch(u, { credentials: 'same-origin' }).then(function (resp) {
        if (!resp.ok) throw new Error(u + ': ' + resp.status);
        return resp.arrayBuffer();
      }).then(function (buf) {
        var dv = new DataView(buf), off = 0;
        g.forEach(function (e) {
          if (off + 4 > buf.byteLength) { e.reject(new Error(u + ': cut short')); return; }
          var n = dv.getUint32(off);
          off += 4;
          if (off + n > buf.byteLength) { e.reject(new Error(u + ': cut short')); return; }
          var part = buf.slice(off, off + n);
          off += n;
          if (!n) { e.resolve({}); return; }
          try { e.resolve(decoded(part, e.decoder)); } catch (err) { e.reject(err); }
        });
      }).catch(function (err) { g.forEach(function (e) { e.reject(err); }); });
    });
  }

  // ------------------------------------------------------------ painted tiles
  // Canvases painted before, by tile URL and style, least recently used
  // dropped first: a view seen before is shown again without painting.
  // A canvas is reused only while off the map. They keep at most
  // PAINTED_PIXELS pixels (160 MB): 150 tiles of 512 px, 38 on a
  // high-density screen.
  var PAINTED_PIXELS = 40e6;
  var painted = new Map(), paintedPixels = 0;

  // Spare canvases: tile canvases that left the map and the painted
  // caches, kept (up to SPARE_MAX) for the next tiles. A new canvas's
  // first drawing allocates and clears its pixels (about 1 ms for 512 px
  // in headless Chromium), a spare one's does not.
  var SPARE_MAX = 48, spares = [];
  function takeCanvas(w, h) {
    for (var i = spares.length - 1; i >= 0; i--) {
      var c = spares[i];
      if (c.width !== w || c.height !== h) continue;
      spares.splice(i, 1);
      c._lcDrawn = false;
      c._lcKey = c._lcLayers = c._lcUrl = c._lcCoords = undefined;
      return c;
    }
    c = document.createElement('canvas');
    c.width = w;
    c.height = h;
    return c;
  }
  // spare keeps canvas c for takeCanvas when it has pixels and no one
  // holds it (on the map or in a painted cache).
  function spare(c) {
    if (!c._lcDrawn || c._lcInUse || spares.length >= SPARE_MAX || spares.indexOf(c) >= 0) return;
    spares.push(c);
  }
  // warmSpares tops the spares up to SPARE_WARM tile canvases of TILE px
  // with their pixels allocated, a few per idle moment, so that the tiles
  // of the next moves find canvases ready: a move's tiles stay in Leaflet's
  // hands, and the painted caches keep theirs, until its new tiles are in.
  var SPARE_WARM = 24, warming = false;
  function warmSpares() {
    if (warming) return;
    warming = true;
    var idle = window.requestIdleCallback || function (f) { return setTimeout(function () { f({ timeRemaining: function () { return 8; } }); }, 50); };
    var ratio = Math.min(2, window.devicePixelRatio || 1), side = TILE * ratio;
    var want = Math.max(1, Math.round(SPARE_WARM / (ratio * ratio)));
    (function step(deadline) {
      var have = spares.filter(function (c) { return c.width === side; }).length;
      while (have < want && deadline.timeRemaining() > 2) {
        var c = document.createElement('canvas');
        c.width = c.height = side;
        var x = c.getContext('2d');
        x.setTransform(1, 0, 0, 1, 0, 0); // the pixels are allocated at the first drawing call
        x.clearRect(0, 0, 1, 1);
        c._lcDrawn = true;
        spares.push(c);
        have++;
      }
      if (have < want) idle(step); else warming = false;
    })({ timeRemaining: function () { return 0; } });
  }
  function paintedGet(key) {
    var c = painted.get(key);
    if (!c) return null;
    painted.delete(key);
    painted.set(key, c);
    return c._lcInUse || c._lcKey !== key ? null : c;
  }
  function paintedPut(c, key) {
    if (c._lcKey && painted.get(c._lcKey) === c) { painted.delete(c._lcKey); paintedPixels -= c.width * c.height; }
    c._lcKey = key;
    var old = painted.get(key);
    if (old) paintedPixels -= old.width * old.height;
    painted.set(key, c);
    paintedPixels += c.width * c.height;
    while (paintedPixels > PAINTED_PIXELS && painted.size > 1) {
      var k = painted.keys().next().value, x = painted.get(k);
      painted.delete(k);
      paintedPixels -= x.width * x.height;
      spare(x);
    }
  }

  // Tiles are drawn 512 px wide: one canvas at map zoom z shows the
  // 256-px-scheme tile z-1, x, y, a quarter of the requests.
  var TILE = 512;
  function fill(tmpl, c) {
    return tmpl.replace('{z}', Math.max(0, c.z - 1)).replace('{x}', c.x).replace('{y}', c.y);
  }
  // source is where tile c of a layer comes from: the compact template
  // (options.compactUrl, decoded by options.compactDecode) up to
  // options.compactMaxZoom, else the MVT template.
  function source(o, c) {
    if (o.compactUrl && c.z - 1 <= o.compactMaxZoom) return { url: fill(o.compactUrl, c), decode: o.compactDecode };
    return { url: fill(o.url, c), decode: decode };
  }

  // ------------------------------------------------------------ composed view
  // Composite turns a GridLayer into one whose tiles are canvases kept off
  // the page and composed into a single canvas the size of the map. The
  // browser hands every canvas on the page to its compositor each time
  // one appears or changes, at about 1–4 ms per megapixel (headless
  // Chromium on this project's test machine): a 1440 × 1000 view takes a
  // dozen 512-px tiles, 3 Mpx per layer and move, but only 1.4 Mpx as one
  // canvas (1.7 Mpx with the 10 % margin a drag shows), and tiles shown
  // again cost nothing more. Leaflet still decides which tiles a view
  // needs and when old ones go; the view is redrawn (once per frame at
  // most) when the last tile any layer waits for arrives (every 150 ms
  // while they come), when tiles go and when the map stops moving, and is
  // scaled in between as Leaflet's own vector renderer is.
  var VIEW_PAD = 0.1, COMPOSE_EVERY = 150;
  var composeQueue = new Set(), composeFrame = 0, afterCompose = [];
  function scheduleCompose(layer) {
    composeQueue.add(layer);
    if (composeFrame) return;
    composeFrame = L.Util.requestAnimFrame(function () {
      composeFrame = 0;
      var ls = Array.from(composeQueue);
      composeQueue.clear();
      ls.forEach(function (l) { if (l._map) l._compose(); });
      var fs = afterCompose;
      afterCompose = [];
      fs.forEach(function (f) { f(); });
    });
  }
  // whenComposed calls f once the views waiting to be composed are.
  function whenComposed(f) {
    if (composeFrame) afterCompose.push(f); else setTimeout(f, 0);
  }

  var Composite = {
    // _keepsCanvas reports whether the layer keeps a tile's canvas after
    // the tile leaves the map (its painted cache); otherwise it is spared.
    _keepsCanvas: function () { return false; },
    _initContainer: function () {
      var had = !!this._container;
      L.GridLayer.prototype._initContainer.call(this);
      if (had || !this._container) return;
      var v = document.createElement('canvas');
      v.className = 'lc-view' + (this._map && this._map._zoomAnimated ? ' leaflet-zoom-animated' : '');
      v.style.position = 'absolute';
      v.style.left = '0';
      v.style.top = '0';
      v.style.transformOrigin = '0 0';
      v.style.pointerEvents = 'none';
      v.width = 0;
      v.height = 0;
      this._view = v;
      this._vZoom = undefined;
      this._container.appendChild(v);
    },
    // A tile's canvas leaves the page as soon as Leaflet puts it there.
    _addTile: function (coords, container) {
      L.GridLayer.prototype._addTile.call(this, coords, container);
      var t = this._tiles[this._tileCoordsToKey(coords)];
      if (!t) return;
      if (t.el.parentNode) t.el.parentNode.removeChild(t.el);
      t.el._lcInUse = true;
    },
    _removeTile: function (key) {
      var t = this._tiles[key];
      if (t) {
        t.el._lcInUse = false;
        if (!this._keepsCanvas(t.el)) spare(t.el);
      }
      L.GridLayer.prototype._removeTile.call(this, key);
      this._composeSoon();
    },
    // While tiles are still coming the view is composed at most every
    // COMPOSE_EVERY ms (each composition is handed to the compositor
    // whole); the last tile's arrival composes it at once.
    _tileReady: function (coords, err, tile) {
      L.GridLayer.prototype._tileReady.call(this, coords, err, tile);
      this._composeSoon();
    },
    _composeSoon: function () {
      if (!this._map) return;
      if (!this._loading && pendingTiles === 0) { scheduleCompose(this); return; }
      if (!this._loading) waitingCompose.add(this);
      var self = this;
      if (!this._vLater) this._vLater = setTimeout(function () { self._vLater = 0; if (self._map) scheduleCompose(self); }, COMPOSE_EVERY);
    },
    // After a move the view waits for the tiles it asked for (the old
    // view stays in place, moved or scaled) unless it has them all.
    _onMoveEnd: function () {
      L.GridLayer.prototype._onMoveEnd.call(this);
      this._composeSoon();
    },
    _resetView: function (e) {
      L.GridLayer.prototype._resetView.call(this, e);
      if (!this._map) return;
      this._viewTransform(this._map.getCenter(), this._map.getZoom());
      this._composeSoon();
    },
    _animateZoom: function (e) {
      L.GridLayer.prototype._animateZoom.call(this, e);
      this._viewTransform(e.center, e.zoom);
    },
    getEvents: function () {
      var ev = L.GridLayer.prototype.getEvents.call(this);
      var onMove = ev.move;
      // While the map is dragged: composed again once the view no longer
      // covers the map.
      ev.move = function (e) {
        if (onMove) onMove.call(this, e);
        var p = this._vPane, d = this._vPad;
        if (!p || !this._map) return;
        var now = this._map._getMapPanePos();
        if (Math.abs(now.x - p.x) > d.x || Math.abs(now.y - p.y) > d.y) scheduleCompose(this);
      };
      ev.resize = function () { scheduleCompose(this); };
      ev.zoomend = function () { this._composeSoon(); };
      return ev;
    },
    // _viewTransform keeps the view canvas where its content belongs at
    // zoom about center until it is composed again.
    _viewTransform: function (center, zoom) {
      var v = this._view, map = this._map;
      if (!v || !map || this._vZoom === undefined) return;
      var scale = map.getZoomScale(zoom, this._vZoom);
      var offset = map.project(this._vNW, zoom).subtract(map._getNewPixelOrigin(center, zoom));
      L.DomUtil.setTransform(v, offset, scale);
    },
    // _compose draws the tiles Leaflet holds (other zooms' first, the
    // current zoom's on top, as Leaflet stacks its levels) into the view.
    _compose: function () {
      var map = this._map, v = this._view;
      // Not while a zoom animates the view (zoomend composes it).
      if (!map || !v || map._animatingZoom) return;
      if (this._vLater) { clearTimeout(this._vLater); this._vLater = 0; }
      // The view reaches VIEW_PAD of the map's size beyond each side, so a
      // drag shows the tiles already there until it moves that far.
      var pad = map.getSize().multiplyBy(VIEW_PAD).round(), size = map.getSize().add(pad.multiplyBy(2));
      var g = {
        zoom: map.getZoom(), ratio: Math.min(2, window.devicePixelRatio || 1), origin: map.getPixelOrigin(),
        nw: map.containerPointToLayerPoint(pad.multiplyBy(-1)), size: size
      };
      g.w = Math.round(size.x * g.ratio);
      g.h = Math.round(size.y * g.ratio);
      this._vPane = map._getMapPanePos();
      this._vPad = pad;
      this._vNW = map.layerPointToLatLng(g.nw);
      this._vZoom = g.zoom;
      L.DomUtil.setPosition(v, g.nw);
      var draw = this._composeDraw(g);
      if (!draw && !v._lcDrawn) return;
      if (v.width !== g.w || v.height !== g.h) {
        v.width = g.w;
        v.height = g.h;
        v.style.width = size.x + 'px';
        v.style.height = size.y + 'px';
      }
      v._lcDrawn = true;
      var ctx = v.getContext('2d');
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, g.w, g.h);
      if (draw) draw(ctx);
    },
    // _composeDraw returns what draws the view g (zoom, ratio, pixel
    // origin, top-left layer point nw, w × h pixels) on its cleared
    // canvas, or null when there is nothing to draw: by default the
    // painted tiles Leaflet holds, other zooms' first and the current
    // zoom's on top, as Leaflet stacks its levels.
    _composeDraw: function (g) {
      var list = [];
      for (var k in this._tiles) {
        var t = this._tiles[k];
        if (t.el._lcDrawn) list.push(t);
      }
      if (!list.length) return null;
      list.sort(function (a, b) { return Math.abs(b.coords.z - g.zoom) - Math.abs(a.coords.z - g.zoom); });
      var map = this._map, ts = this.options.tileSize, o = g.origin, nw = g.nw, r = g.ratio;
      return function (ctx) {
        for (var i = 0; i < list.length; i++) {
          var c = list[i].coords, s = map.getZoomScale(g.zoom, c.z) * ts;
          var x0 = Math.round((c.x * s - o.x - nw.x) * r), y0 = Math.round((c.y * s - o.y - nw.y) * r);
          var x1 = Math.round(((c.x + 1) * s - o.x - nw.x) * r), y1 = Math.round(((c.y + 1) * s - o.y - nw.y) * r);
          if (x1 <= 0 || y1 <= 0 || x0 >= g.w || y0 >= g.h) continue;
          ctx.drawImage(list[i].el, x0, y0, x1 - x0, y1 - y0);
        }
      };
    }
  };

  // ------------------------------------------------------------ the layer
  // VectorGrid draws one tile layer: options.url (template), minDataZoom
  // (no request below it), draw(ctx, layers, scale, tile) and the
  // GridLayer options (pane, maxNativeZoom, zIndex).
  var VectorGrid = L.GridLayer.extend(Composite).extend({
    options: { tileSize: TILE, updateWhenZooming: false, keepBuffer: 1, minDataZoom: 0 },

    createTile: function (coords, done) {
      var ratio = Math.min(2, window.devicePixelRatio || 1);
      var hit = coords.z - 1 >= this.options.minDataZoom && coords.z >= 1 && paintedGet(this._paintKey(source(this.options, coords).url));
      if (hit && hit._lcRatio === ratio) {
        setTimeout(function () { done(null, hit); }, 0);
        return hit;
      }
      var size = this.getTileSize();
      var canvas = takeCanvas(size.x * ratio, size.y * ratio);
      canvas._lcRatio = ratio;
      canvas._lcCoords = coords;
      if (coords.z - 1 < this.options.minDataZoom || coords.z < 1) {
        canvas._lcLayers = {};
        setTimeout(function () { done(null, canvas); }, 0);
        return canvas;
      }
      var self = this, src = source(this.options, coords);
      pendingTiles++;
      fetchTile(src.url, src.decode).then(function (layers) {
        canvas._lcLayers = layers;
        canvas._lcUrl = src.url;
        self._drawTile(canvas);
        done(null, canvas);
      }, function (err) {
        done(err, canvas);
      }).finally(tileDone);
      return canvas;
    },

    _drawTile: function (canvas) {
      // A canvas never painted and with nothing to paint gets no pixels
      // at all (a canvas's first use costs a megabyte of memory).
      if (!canvas._lcDrawn && !hasFeatures(canvas._lcLayers)) return;
      canvas._lcDrawn = true;
      var ctx = canvas.getContext('2d');
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      if (!canvas._lcLayers) return;
      var size = this.getTileSize();
      var t0 = performance.now();
      this.options.draw(ctx, canvas._lcLayers, size.x * canvas._lcRatio, canvas._lcCoords, this);
      stats.drawMs += performance.now() - t0;
      stats.draws++;
      if (canvas._lcUrl) paintedPut(canvas, this._paintKey(canvas._lcUrl));
      if (this._map) scheduleCompose(this);
    },

    // _keepsCanvas reports whether the painted cache holds canvas c.
    _keepsCanvas: function (c) { return !!c._lcKey && painted.get(c._lcKey) === c; },

    // _paintKey names a tile's painting: its URL and the layer's style.
    _paintKey: function (url) {
      return L.stamp(this) + '|' + (this._lcStyle || 0) + '|' + url;
    },

    // redraw paints every tile again from its data (a new style).
    redrawTiles: function () {
      this._lcStyle = (this._lcStyle || 0) + 1;
      for (var k in this._tiles) {
        var t = this._tiles[k];
        if (t.el && t.el._lcLayers) this._drawTile(t.el);
      }
    },

    // setTemplate switches to a new URL (a new version of the data; and
    // of the compact tiles): the tiles on screen are fetched again and
    // repainted in place.
    setTemplate: function (url, compactUrl) {
      if (url === this.options.url && compactUrl === this.options.compactUrl) return Promise.resolve();
      this.options.url = url;
      this.options.compactUrl = compactUrl;
      var self = this, jobs = [];
      for (var k in this._tiles) {
        (function (t) {
          var c = t.el && t.el._lcCoords;
          if (!c || c.z - 1 < self.options.minDataZoom || c.z < 1) return;
          pendingTiles++;
          var src = source(self.options, c);
          jobs.push(fetchTile(src.url, src.decode).then(function (layers) {
            t.el._lcLayers = layers;
            t.el._lcUrl = src.url;
            self._drawTile(t.el);
          }).finally(tileDone));
        })(this._tiles[k]);
      }
      return Promise.all(jobs);
    },

    // loaded resolves once the tiles of the current view have arrived.
    loaded: function () {
      var self = this;
      return new Promise(function (resolve) {
        if (!self._loading) { resolve(); return; }
        self.once('load', function () { resolve(); });
      });
    },

    // featureAt returns the feature of MVT layer `name` under latlng in
    // the tiles on screen (areas only), with the tile it came from.
    featureAt: function (latlng, name) {
      var map = this._map;
      if (!map) return null;
      var z = this._tileZoom;
      if (z === undefined) return null;
      var size = this.getTileSize();
      var p = map.project(latlng, z);
      var c = { x: Math.floor(p.x / size.x), y: Math.floor(p.y / size.y), z: z };
      var t = this._tiles[this._tileCoordsToKey(c)];
      var layer = t && t.el && t.el._lcLayers && t.el._lcLayers[name];
      if (!layer) return null;
      var ext = layer.extent;
      var x = (p.x / size.x - c.x) * ext, y = (p.y / size.y - c.y) * ext;
      for (var i = layer.features.length - 1; i >= 0; i--) {
        var f = layer.features[i];
        if (f.type === 3 && inside(f.parts, x, y)) return { feature: f, coords: c, extent: ext };
      }
      return null;
    },

    // latLngsOf returns a feature's rings as lat/lng arrays.
    latLngsOf: function (hit) {
      var map = this._map, size = this.getTileSize(), c = hit.coords, ext = hit.extent;
      return hit.feature.parts.map(function (ring) {
        var out = [];
        for (var i = 0; i + 1 < ring.length; i += 2) {
          out.push(map.unproject([(c.x + ring[i] / ext) * size.x, (c.y + ring[i + 1] / ext) * size.y], c.z));
        }
        return out;
      });
    },

    // features calls fn(feature) for each feature of MVT layer `name` in
    // the tiles on screen.
    eachFeature: function (name, fn) {
      for (var k in this._tiles) {
        var t = this._tiles[k], l = t.el && t.el._lcLayers && t.el._lcLayers[name];
        if (l) l.features.forEach(fn);
      }
    }
  });

  // hasFeatures reports whether decoded tile layers hold any feature.
  function hasFeatures(layers) {
    for (var k in layers) {
      var l = layers[k];
      if (l && (l.compact ? l.n > 0 : l.features && l.features.length > 0)) return true;
    }
    return false;
  }

  // inside is the even-odd test of a point against rings (flat arrays).
  function inside(parts, x, y) {
    var c = false;
    for (var p = 0; p < parts.length; p++) {
      var r = parts[p];
      for (var i = 0, j = r.length - 2; i < r.length; j = i, i += 2) {
        var yi = r[i + 1], yj = r[j + 1];
        if ((yi > y) !== (yj > y) && x < (r[j] - r[i]) * (y - yi) / (yj - yi) + r[i]) c = !c;
      }
    }
    return c;
  }

  // containsLonLat is the even-odd test of a lon/lat against a GeoJSON
  // Polygon or MultiPolygon.
  function containsLonLat(g, x, y) {
    if (!g) return false;
    var polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
    var c = false;
    polys.forEach(function (p) {
      p.forEach(function (r) {
        for (var i = 0, j = r.length - 1; i < r.length; j = i++) {
          if ((r[i][1] > y) !== (r[j][1] > y) && x < (r[j][0] - r[i][0]) * (y - r[i][1]) / (r[j][1] - r[i][1]) + r[i][0]) c = !c;
        }
      });
    });
    return c;
  }

  // path adds a feature's parts to the current path; areas are closed.
  function path(ctx, f, s) {
    for (var p = 0; p < f.parts.length; p++) {
      var r = f.parts[p];
      ctx.moveTo(r[0] * s, r[1] * s);
      for (var i = 2; i < r.length; i += 2) ctx.lineTo(r[i] * s, r[i + 1] * s);
      if (f.type === 3) ctx.closePath();
    }
  }

  // Chromium fills and strokes one path in time that grows faster than
  // its number of subpaths (50,000 squares in one path: 23 s; in paths of
  // a few hundred: a fraction of a second), so features go in chunks;
  // axis-aligned rectangles (grid cells) are filled with fillRect.
  var CHUNK = 200;

  // rectOf returns [x0, y0, x1, y1] when ring r (closed, flat) is an
  // axis-aligned rectangle within a tile unit or two, else null.
  function rectOf(r) {
    if (r.length !== 10) return null;
    var x0 = Math.min(r[0], r[2], r[4], r[6]), x1 = Math.max(r[0], r[2], r[4], r[6]);
    var y0 = Math.min(r[1], r[3], r[5], r[7]), y1 = Math.max(r[1], r[3], r[5], r[7]);
    for (var i = 0; i < 8; i += 2) {
      var dx = Math.min(Math.abs(r[i] - x0), Math.abs(r[i] - x1)), dy = Math.min(Math.abs(r[i + 1] - y0), Math.abs(r[i + 1] - y1));
      if (dx > 2 || dy > 2) return null;
    }
    return [x0, y0, x1, y1];
  }

  // fillFeatures fills the areas of feats (scale k: tile units to canvas
  // pixels) with the current fill style; keep filters them.
  function fillFeatures(ctx, feats, k, keep) {
    var n = 0;
    ctx.beginPath();
    for (var i = 0; i < feats.length; i++) {
      var f = feats[i];
      if (keep && !keep(f)) continue;
      var q = f.parts.length === 1 && f.type === 3 ? rectOf(f.parts[0]) : null;
      if (q) { ctx.fillRect(q[0] * k, q[1] * k, (q[2] - q[0]) * k, (q[3] - q[1]) * k); continue; }
      path(ctx, f, k);
      if (++n === CHUNK) { ctx.fill('evenodd'); ctx.beginPath(); n = 0; }
    }
    if (n) ctx.fill('evenodd');
  }

  // strokeFeatures strokes feats with the current stroke style.
  function strokeFeatures(ctx, feats, k, keep) {
    var n = 0;
    ctx.beginPath();
    for (var i = 0; i < feats.length; i++) {
      var f = feats[i];
      if (keep && !keep(f)) continue;
      path(ctx, f, k);
      if (++n === CHUNK) { ctx.stroke(); ctx.beginPath(); n = 0; }
    }
    if (n) ctx.stroke();
  }

  function strokeLayer(ctx, layer, s, style) {
    if (!layer || !layer.features.length) return;
    ctx.lineWidth = style.width;
    ctx.strokeStyle = style.color;
    ctx.globalAlpha = style.opacity === undefined ? 1 : style.opacity;
    ctx.setLineDash(style.dash || []);
    strokeFeatures(ctx, layer.features, s / layer.extent, style.keep);
    ctx.setLineDash([]);
    ctx.globalAlpha = 1;
  }

  function fillLayer(ctx, layer, s, fillColour, lineColour, onlyType) {
    if (!layer || !layer.features.length) return;
    var k = s / layer.extent;
    var keep = onlyType ? function (f) { return f.type === onlyType; } : null;
    ctx.fillStyle = fillColour;
    fillFeatures(ctx, layer.features, k, keep);
    if (lineColour) {
      ctx.lineWidth = 0.6;
      ctx.strokeStyle = lineColour;
      strokeFeatures(ctx, layer.features, k, keep);
    }
  }

  // Background colours: quiet, so that the coverage classes stay legible.
  var BG = {
    green: '#d8ecd0', greenLine: '#b9d9ad',
    water: '#b5d6e8', waterLine: '#8dbbd6',
    building: '#e3ddd6', buildingLine: '#cbbfb4',
    rail: '#8a8a8a', boundary: '#9c6fb0', extent: '#3d4a57'
  };

  function drawBackground(ctx, layers, s, coords) {
    fillLayer(ctx, layers.green, s, BG.green, BG.greenLine);
    fillLayer(ctx, layers.water, s, BG.water, null, 3);
    strokeLayer(ctx, layers.water, s, { color: BG.waterLine, width: coords.z >= 15 ? 2.5 : 1.5, keep: function (f) { return f.type === 2; } });
    if (coords.z >= 13) fillLayer(ctx, layers.building, s, BG.building, coords.z >= 15 ? BG.buildingLine : null);
    strokeLayer(ctx, layers.rail, s, { color: BG.rail, width: 1.2, dash: [5, 3] });
    strokeLayer(ctx, layers.boundary, s, { color: BG.boundary, width: 1.6, opacity: 0.8, dash: [8, 4, 2, 4] });
    strokeLayer(ctx, layers.extent, s, { color: BG.extent, width: 1.5, opacity: 0.7, dash: [6, 4] });
  }

  function drawStreets(ctx, layers, s, coords) {
    strokeLayer(ctx, layers.streets, s, { color: '#7b8189', width: coords.z >= 16 ? 1.2 : 0.8, opacity: 0.85 });
  }

  function ensurePane(map, name, z) {
    if (!map.getPane(name)) {
      map.createPane(name).style.zIndex = z;
      map.getPane(name).style.pointerEvents = 'none';
    }
    return name;
  }

  function perfMark(name) {
    try { performance.mark('lifecircle-' + name); } catch (e) { /* old browsers */ }
  }

  // ------------------------------------------------------------ entry points
  var api = {
    decode: decode,
    decodeCompact: decodeCompact,

    // background adds the offline background under everything (below the
    // streets), with a toggle in the layers card; without one, a note
    // says why. It resolves when the first view's tiles are drawn.
    background: function (map, summary, t) {
      var vt = summary.vector_tiles || {};
      var card = document.getElementById('view-card');
      var row = document.createElement('label');
      row.className = 'row check';
      row.id = 'background-row';
      var cb = document.createElement('input');
      cb.type = 'checkbox';
      cb.id = 'toggle-background';
      var span = document.createElement('span');
      span.setAttribute('data-i18n', 'backgroundLayer');
      span.textContent = t('backgroundLayer');
      row.appendChild(cb);
      row.appendChild(document.createTextNode(' '));
      row.appendChild(span);
      var note = document.createElement('div');
      note.className = 'hint';
      note.id = 'background-note';
      if (card) { card.appendChild(row); card.appendChild(note); }
      if (!vt.background) {
        row.hidden = true;
        note.setAttribute('data-i18n', 'noBackground');
        note.textContent = t('noBackground');
        perfMark('background');
        return Promise.resolve(null);
      }
      note.hidden = true;
      var bg = vt.background;
      var layer = new VectorGrid({
        url: bg.url, minDataZoom: bg.minzoom, maxNativeZoom: bg.maxzoom + 1, maxZoom: 22,
        pane: ensurePane(map, 'lcBackground', 220), draw: drawBackground
      });
      // With an online basemap the background stays off unless asked for.
      cb.checked = !summary.tiles;
      cb.addEventListener('change', function () { if (cb.checked) layer.addTo(map); else map.removeLayer(layer); });
      api.backgroundLayer = layer;
      if (!cb.checked) return Promise.resolve(layer);
      layer.addTo(map);
      return layer.loaded().then(function () { perfMark('background'); return layer; });
    },

    // streets returns the streets' tile layer (already on the map); below
    // its start zoom a hint asks to zoom in.
    streets: function (map, summary, t) {
      var st = summary.vector_tiles.streets;
      var layer = new VectorGrid({
        url: st.url, minDataZoom: st.minzoom, maxNativeZoom: st.maxzoom + 1, maxZoom: 22,
        pane: ensurePane(map, 'streets', 250), draw: drawStreets
      });
      var hint = document.createElement('div');
      hint.className = 'hint';
      hint.id = 'streets-hint';
      hint.setAttribute('data-i18n', 'streetsZoomIn');
      hint.textContent = t('streetsZoomIn');
      var row = document.getElementById('toggle-streets');
      if (row && row.parentNode && row.parentNode.parentNode) row.parentNode.parentNode.insertBefore(hint, row.parentNode.nextSibling);
      function update() { hint.hidden = map.getZoom() - 1 >= st.minzoom; }
      map.on('zoomend', update);
      update();
      layer.addTo(map);
      return layer;
    },

    // unitsTiled reports whether the units come as tiles: a large study,
    // or ?cells=tiles on the page's URL (?cells=geojson forces the other).
    unitsTiled: function (summary) {
      var q = new URLSearchParams(location.search).get('cells');
      if (q === 'tiles') return !!summary.vector_tiles;
      if (q === 'geojson') return false;
      return !!(summary.vector_tiles && summary.vector_tiles.units_tiled);
    },

    // units draws the units from tiles, coloured by opts.style(feature)
    // (app.js's cellStyle), with opts.onClick(unitId, latlng) on a click
    // of the map outside facilities when opts.clickable() allows. update
    // recolours changed units at once and switches to the summary's new
    // version; reload fetches every tile again.
    units: function (map, summary, opts) {
      var name = summary.units_kind === 'units' ? 'units' : 'cells';
      var overrides = new Map(); // unit_id → figures changed by edits since the tiles were fetched
      var vt = summary.vector_tiles;
      // The style of a unit of a compact tile, with the edits' figures.
      var ownWrap = { properties: null, id: 0 };
      function compactStyle(wrap, props) {
        if (!overrides.size) return opts.style(wrap);
        var o = overrides.get(String(props.unit_id));
        if (!o) return opts.style(wrap);
        ownWrap.properties = o;
        ownWrap.id = wrap.id;
        return opts.style(ownWrap);
      }
      var layer = new VectorGrid({
        url: vt.units.url, maxNativeZoom: vt.units.maxzoom + 1, maxZoom: 22,
        compactUrl: vt.units_compact, compactMaxZoom: vt.compact_maxzoom,
        compactDecode: function (buf) { return decodeCompact(buf, name); },
        pane: ensurePane(map, 'lcUnits', 390),
        draw: function (ctx, layers, s, coords) {
          var l = layers[name];
          if (!l) return;
          if (l.compact) { drawCompact(ctx, l, s, compactStyle, !overrides.size && opts.fast ? opts.fast() : null); return; }
          var k = s / l.extent;
          // Features grouped by fill colour and opacity, each group filled
          // in chunks; then the outlines.
          var groups = new Map(), wrap = { properties: null }, feats = l.features;
          for (var i = 0; i < feats.length; i++) {
            var f = feats[i], p = f.props;
            if (overrides.size && p.unit_id !== undefined) p = overrides.get(String(p.unit_id)) || p;
            wrap.properties = p;
            var st = opts.style(wrap);
            var byOpacity = groups.get(st.fillColor);
            if (!byOpacity) { byOpacity = new Map(); groups.set(st.fillColor, byOpacity); }
            var g = byOpacity.get(st.fillOpacity);
            if (!g) { g = { st: st, fs: [] }; byOpacity.set(st.fillOpacity, g); }
            g.fs.push(f);
          }
          groups.forEach(function (byOpacity) {
            byOpacity.forEach(function (g) {
              ctx.globalAlpha = g.st.fillOpacity;
              ctx.fillStyle = g.st.fillColor;
              fillFeatures(ctx, g.fs, k);
            });
          });
          ctx.globalAlpha = 1;
          // Outlines only where a unit is several pixels wide.
          var first = l.features[0];
          var wide = first && first.parts[0] && Math.abs(first.parts[0][2] - first.parts[0][0]) * k + Math.abs(first.parts[0][3] - first.parts[0][1]) * k > 6;
          if (wide) {
            ctx.lineWidth = 0.4;
            ctx.strokeStyle = 'rgba(255,255,255,0.7)';
            strokeFeatures(ctx, l.features, k);
          }
        }
      });
      layer.on('add', function () { map.on('click', onClick); });
      layer.on('remove', function () { map.off('click', onClick); });
      function onClick(e) {
        if (opts.clickable && !opts.clickable(e)) return;
        var hit = layer.featureAt(e.latlng, name);
        if (!hit) return;
        if (hit.feature.props.unit_id !== undefined) {
          opts.onClick(String(hit.feature.props.unit_id), e.latlng);
          return;
        }
        // Whole-city tiles carry no ids: ask the collection what is here.
        var ll = e.latlng, d = 1e-7;
        fetch('ogc/collections/' + name + '/items?limit=20&bbox=' + [ll.lng - d, ll.lat - d, ll.lng + d, ll.lat + d].join(','), { credentials: 'same-origin' })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (fc) {
            var f = fc && (fc.features || []).filter(function (x) { return containsLonLat(x.geometry, ll.lng, ll.lat); })[0];
            if (f) opts.onClick(String(f.properties && f.properties.unit_id !== undefined ? f.properties.unit_id : f.id), ll);
          }).catch(function () { /* a click on nothing */ });
      }
      layer.addTo(map);
      return {
        layer: layer,
        loaded: function () { return layer.loaded(); },
        redraw: function () { layer.redrawTiles(); },
        update: function (changed, sum) {
          (changed || []).forEach(function (p) {
            var id = String(p.unit_id);
            var prev = overrides.get(id) || {};
            overrides.set(id, Object.assign({}, prev, p));
          });
          layer.redrawTiles();
          if (sum && sum.vector_tiles) layer.setTemplate(sum.vector_tiles.units.url, sum.vector_tiles.units_compact);
        },
        reload: function (sum) {
          overrides.clear();
          return layer.setTemplate(sum.vector_tiles.units.url, sum.vector_tiles.units_compact);
        },
        // polygon returns an L.Polygon of unit id from the tiles on screen
        // (for the highlight), or null.
        polygon: function (id, style) {
          var found = null;
          for (var k in layer._tiles) {
            var t = layer._tiles[k], l = t.el && t.el._lcLayers && t.el._lcLayers[name];
            if (!l) continue;
            if (l.compact) {
              var at = (l.strings().ids || []).indexOf(id);
              if (at >= 0) { found = { feature: compactFeature(l, at), coords: t.el._lcCoords, extent: l.extent }; break; }
              continue;
            }
            for (var i = 0; i < l.features.length && !found; i++) {
              if (String(l.features[i].props.unit_id) === id) found = { feature: l.features[i], coords: t.el._lcCoords, extent: l.extent };
            }
            if (found) break;
          }
          return found ? L.polygon(layer.latLngsOf(found), style || {}) : null;
        },
        // named returns the units with a name in the tiles on screen, one
        // entry per unit: {id, name, bounds (L.LatLngBounds of its pieces
        // in these tiles), center (of the bounds)}, for the labels.
        named: function () {
          var byId = new Map(), size = layer.getTileSize();
          function add(id, nm, box, c, ext) {
            var sw = map.unproject([(c.x + box[0] / ext) * size.x, (c.y + box[3] / ext) * size.y], c.z);
            var ne = map.unproject([(c.x + box[2] / ext) * size.x, (c.y + box[1] / ext) * size.y], c.z);
            var e = byId.get(id);
            if (e) e.bounds.extend(sw).extend(ne);
            else byId.set(id, { id: id, name: nm, bounds: L.latLngBounds(sw, ne) });
          }
          for (var k in layer._tiles) {
            var t = layer._tiles[k], l = t.el && t.el._lcLayers && t.el._lcLayers[name], c = t.el && t.el._lcCoords;
            if (!l || !c) continue;
            if (l.compact) {
              var s = l.strings();
              if (!s.names) continue;
              for (var i = 0; i < l.n; i++) {
                if (s.names[i]) add(s.ids[i], s.names[i], [l.box[4 * i], l.box[4 * i + 1], l.box[4 * i + 2], l.box[4 * i + 3]], c, l.extent);
              }
              continue;
            }
            l.features.forEach(function (f) {
              if (!f.props.name || f.props.unit_id === undefined) return;
              var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
              f.parts.forEach(function (r) {
                for (var j = 0; j + 1 < r.length; j += 2) {
                  x0 = Math.min(x0, r[j]); x1 = Math.max(x1, r[j]); y0 = Math.min(y0, r[j + 1]); y1 = Math.max(y1, r[j + 1]);
                }
              });
              if (x0 <= x1) add(String(f.props.unit_id), String(f.props.name), [x0, y0, x1, y1], c, l.extent);
            });
          }
          var out = [];
          byId.forEach(function (e) { e.center = e.bounds.getCenter(); out.push(e); });
          return out;
        },
        // count is the number of distinct units in the tiles on screen.
        count: function () {
          var ids = new Set();
          for (var k in layer._tiles) {
            var t = layer._tiles[k], l = t.el && t.el._lcLayers && t.el._lcLayers[name];
            if (l && l.compact) l.index.forEach(function (i) { ids.add(i); });
            else if (l) l.features.forEach(function (f) { ids.add(f.id); });
          }
          return ids.size;
        }
      };
    },

    stats: stats,

    // composite extends a GridLayer class as Composite does (facgrid.js);
    // recompose redraws a composed layer's view after its tiles changed.
    composite: function (Base) { return Base.extend(Composite); },
    recompose: function (layer) { if (layer._map) scheduleCompose(layer); },

    // pending is the number of tiles being fetched.
    pending: function () { return pendingTiles; },

    // idle resolves when no tile of any layer is being fetched.
    idle: function () {
      return new Promise(function (resolve) {
        if (pendingTiles === 0) whenComposed(resolve); else idleWaiters.push(resolve);
      });
    }
  };
  window.lifecircleTiles = api;
})();
