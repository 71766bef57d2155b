// lifecircle map page: the point facilities of a large study stamped on
// one canvas the size of the map (a Leaflet GridLayer composed as
// tiles.js's layers are) instead of one circle marker each. The points
// are bucketed once into a grid over their extent, so a view stamps only
// its points and a click finds the nearest point through the same grid.
// Each type has a proxy layer (typeLayer) that app.js adds to and removes
// from the map like the markers' group: it shows and hides the type.
// app.js calls window.lifecircleFacGrid(map, opts); no dependency but
// Leaflet.
(function () {
  'use strict';

  var TILE = 512, WORLD = 256;

  // world returns the zoom-0 pixel position (Web Mercator, 256 px world)
  // of lon, lat, as Leaflet's EPSG:3857 projects it.
  var MAX_LAT = 85.0511287798;
  function worldX(lon) { return WORLD * (0.5 + lon / 360); }
  function worldY(lat) {
    var s = Math.sin(Math.max(-MAX_LAT, Math.min(MAX_LAT, lat)) * Math.PI / 180);
    return WORLD * (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI));
  }

  // Index holds the points of every type in one bucket grid (CSR):
  // the points of cell c are order[start[c]..start[c+1]).
  function Index(types) {
    var n = 0;
    types.forEach(function (t) { n += t.feats.length; });
    this.n = n;
    this.x = new Float64Array(n);
    this.y = new Float64Array(n);
    this.type = new Uint16Array(n);
    this.feat = new Array(n);
    var minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity, i = 0;
    var self = this;
    types.forEach(function (t, ti) {
      t.feats.forEach(function (f) {
        var c = f.geometry.coordinates, x = worldX(c[0]), y = worldY(c[1]);
        self.x[i] = x; self.y[i] = y; self.type[i] = ti; self.feat[i] = f;
        if (x < minX) minX = x;
        if (x > maxX) maxX = x;
        if (y < minY) minY = y;
        if (y > maxY) maxY = y;
        i++;
      });
    });
    // About four points a cell.
    var g = Math.max(1, Math.min(1024, Math.ceil(Math.sqrt(n / 4))));
    this.g = g;
    this.minX = n ? minX : 0;
    this.minY = n ? minY : 0;
    this.cw = n ? Math.max(maxX - minX, 1e-9) / g : 1;
    this.ch = n ? Math.max(maxY - minY, 1e-9) / g : 1;
    var cell = new Int32Array(n), start = new Int32Array(g * g + 1);
    for (i = 0; i < n; i++) {
      cell[i] = this.cellOf(this.x[i], this.y[i]);
      start[cell[i] + 1]++;
    }
    for (i = 0; i < g * g; i++) start[i + 1] += start[i];
    var next = start.slice(0, g * g), order = new Int32Array(n);
    for (i = 0; i < n; i++) order[next[cell[i]]++] = i;
    this.start = start;
    this.order = order;
  }
  Index.prototype.col = function (x) { return Math.max(0, Math.min(this.g - 1, Math.floor((x - this.minX) / this.cw))); };
  Index.prototype.row = function (y) { return Math.max(0, Math.min(this.g - 1, Math.floor((y - this.minY) / this.ch))); };
  Index.prototype.cellOf = function (x, y) { return this.row(y) * this.g + this.col(x); };
  // each calls fn(i) for every point in the zoom-0 box x0..x1, y0..y1.
  Index.prototype.each = function (x0, y0, x1, y1, fn) {
    if (!this.n || x1 < this.minX || y1 < this.minY || x0 > this.minX + this.cw * this.g || y0 > this.minY + this.ch * this.g) return;
    var c0 = this.col(x0), c1 = this.col(x1), r0 = this.row(y0), r1 = this.row(y1);
    for (var r = r0; r <= r1; r++) {
      for (var c = c0; c <= c1; c++) {
        var k = r * this.g + c;
        for (var j = this.start[k]; j < this.start[k + 1]; j++) {
          var i = this.order[j];
          var x = this.x[i], y = this.y[i];
          if (x >= x0 && x <= x1 && y >= y0 && y <= y1) fn(i);
        }
      }
    }
  };

  // lifecircleFacGrid returns the facilities' tile layer on map. opts:
  // radius(zoom) in px, colour(typeId), pane, tolerance (px added to the
  // radius for clicks, as the canvas renderer's), stats (an object whose
  // drawMs and draws it adds to).
  window.lifecircleFacGrid = function (map, opts) {
    var types = []; // {id, feats, visible}
    var byId = {};
    var index = new Index(types);

    // sprite returns a circle as the markers draw it (fill, white
    // outline of 1.5 px) of type ty at radius r and pixel ratio, on a
    // canvas of size × size CSS px with the centre in the middle:
    // stamping it is cheaper than filling and stroking an arc per point.
    var sprites = {};
    function sprite(ty, r, ratio) {
      var k = ty + '|' + r + '|' + ratio;
      if (sprites[k]) return sprites[k];
      // An OffscreenCanvas's ImageBitmap: stamping a canvas would take a
      // snapshot of it at every drawImage.
      var size = 2 * Math.ceil(r + 2), off = typeof OffscreenCanvas === 'function';
      var c = off ? new OffscreenCanvas(size * ratio, size * ratio) : document.createElement('canvas');
      c.width = c.height = size * ratio;
      var ctx = c.getContext('2d');
      ctx.scale(ratio, ratio);
      ctx.beginPath();
      ctx.arc(size / 2, size / 2, r, 0, Math.PI * 2);
      ctx.fillStyle = opts.colour(types[ty].id);
      ctx.fill();
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = '#ffffff';
      ctx.stroke();
      var img = off ? c.transferToImageBitmap() : c;
      img._lcSize = size;
      sprites[k] = img;
      return img;
    }

    // The points are stamped straight into the layer's composed view
    // (tiles.js), not on tile canvases: at an overview zoom 10,000 stamps
    // on one canvas cost less than a dozen tiles' pixels, and the view
    // draws only what it shows. Leaflet's tiles are kept for its
    // bookkeeping only (empty elements).
    var Grid = window.lifecircleTiles.composite(L.GridLayer).extend({
      options: { tileSize: TILE, updateWhenZooming: false, keepBuffer: 1 },
      createTile: function (c, done) {
        var el = document.createElement('div');
        setTimeout(function () { done(null, el); }, 0);
        return el;
      },
      _composeDraw: function (g) {
        var t0 = performance.now();
        var z2 = Math.pow(2, g.zoom), r = opts.radius(Math.round(g.zoom)), m = (r + 2) / z2;
        var x0 = g.origin.x + g.nw.x, y0 = g.origin.y + g.nw.y, sx = g.w / g.ratio, sy = g.h / g.ratio;
        var lists = types.map(function () { return []; });
        var count = 0;
        index.each(x0 / z2 - m, y0 / z2 - m, (x0 + sx) / z2 + m, (y0 + sy) / z2 + m, function (i) {
          var ty = index.type[i];
          if (!types[ty].visible) return;
          lists[ty].push(Math.round(index.x[i] * z2 - x0), Math.round(index.y[i] * z2 - y0));
          count++;
        });
        if (!count) return null;
        return function (ctx) {
          var ratio = g.ratio;
          ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
          lists.forEach(function (pts, ty) {
            if (!pts.length) return;
            var sp = sprite(ty, r, ratio), h = sp._lcSize / 2;
            for (var k = 0; k < pts.length; k += 2) ctx.drawImage(sp, pts[k] - h, pts[k + 1] - h, 2 * h, 2 * h);
          });
          if (opts.stats) { opts.stats.drawMs += performance.now() - t0; opts.stats.draws++; }
        };
      }
    });
    var layer = new Grid({ pane: opts.pane });

    // repaint draws the points on the map again (new points or visibility).
    function repaint() {
      window.lifecircleTiles.recompose(layer);
    }

    function rebuild() {
      index = new Index(types);
      repaint();
    }

    // A TypeLayer stands for one type's facilities on the map: adding or
    // removing it shows or hides them on the tiles. eachLayer and
    // getLayers give stand-ins of markers ({feature, getLatLng, fire}).
    var TypeLayer = L.Layer.extend({
      initialize: function (t) { this._lcType = t; this._lcGrid = true; },
      onAdd: function () {
        this._lcType.visible = true;
        if (!map.hasLayer(layer)) layer.addTo(map);
        repaint();
      },
      onRemove: function () {
        this._lcType.visible = false;
        repaint();
      },
      getLayers: function () {
        var id = this._lcType.id;
        return this._lcType.feats.map(function (f) { return standIn(id, f); });
      },
      eachLayer: function (fn, ctx) {
        this.getLayers().forEach(function (l) { fn.call(ctx, l); });
        return this;
      }
    });

    function standIn(id, f) {
      var c = f.geometry.coordinates, ll = L.latLng(c[1], c[0]);
      return {
        feature: f,
        getLatLng: function () { return ll; },
        fire: function (name, e) { if (name === 'click' && opts.onClick) opts.onClick(id, f, L.extend({ latlng: ll }, e)); }
      };
    }

    return {
      layer: layer,
      // typeLayer sets type id's point features and returns its layer.
      typeLayer: function (id, feats) {
        var t = byId[id];
        if (!t) { t = byId[id] = { id: id, feats: [], visible: false }; types.push(t); t.proxy = new TypeLayer(t); }
        t.feats = feats;
        rebuild();
        return t.proxy;
      },
      // drop removes type id's points (drawn another way now).
      drop: function (id) {
        var t = byId[id];
        if (!t || !t.feats.length) return;
        t.feats = [];
        rebuild();
      },
      // hit returns {type, feature} of the visible facility nearest to
      // latlng within its radius and the tolerance at the map's zoom, or
      // null.
      hit: function (latlng) {
        if (!map.hasLayer(layer) || !index.n) return null;
        var z = map.getZoom(), z2 = Math.pow(2, z);
        var r = (opts.radius(Math.round(z)) + 0.75 + (opts.tolerance || 0)) / z2;
        var x = worldX(latlng.lng), y = worldY(latlng.lat), best = -1, bestD = r * r;
        index.each(x - r, y - r, x + r, y + r, function (i) {
          if (!types[index.type[i]].visible) return;
          var dx = index.x[i] - x, dy = index.y[i] - y, d = dx * dx + dy * dy;
          if (d <= bestD) { bestD = d; best = i; }
        });
        return best < 0 ? null : { type: types[index.type[best]].id, feature: index.feat[best] };
      }
    };
  };
})();
