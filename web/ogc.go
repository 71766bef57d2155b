package web

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// OGC API – Features Part 1 conformance classes this server implements.
var conformance = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
}

const (
	crs84       = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	mimeJSON    = "application/json"
	mimeGeoJSON = "application/geo+json"

	defaultLimit = 10
	maxLimit     = 10000
)

// A collKind is what a collection's items are.
type collKind int

const (
	kindUnits collKind = iota
	kindFacilities
	kindDemand
	kindProposals
	kindStreets
	kindLevel // one level of units (levels.go)
	kindCatchments
)

// A collection is one feature collection of the OGC API and of
// /api/export.
type collection struct {
	id, title, description string
	kind                   collKind
	typ                    int // kindFacilities: index of the amenity type
	level                  int // kindLevel: index in Server.levels
}

func bilingual(zh, en, fallback string) string {
	switch {
	case zh != "" && en != "":
		return zh + " / " + en
	case zh != "":
		return zh
	case en != "":
		return en
	}
	return fallback
}

// collections lists the collections in a stable order: units, one per
// amenity type, demand, proposals, streets.
func (s *Server) collections() []collection {
	var cs []collection
	if s.cfg.UnitsKind == "units" {
		cs = append(cs, collection{id: "units", title: "分析单元覆盖 / Analysis units with coverage",
			description: "Imported analysis units with their residents and walkable coverage per amenity type (covered_T, coverage_T, gap_T, dist_T_mean, dist_T_p90 in metres), completeness and fully_served.", kind: kindUnits})
	} else {
		cs = append(cs, collection{id: "cells", title: "网格覆盖 / Grid cells with coverage",
			description: "Grid cells holding residents, with walkable coverage per amenity type (covered_T, coverage_T, gap_T, dist_T_mean, dist_T_p90 in metres), completeness and fully_served.", kind: kindUnits})
	}
	if s.cfg.UnitsKind == "units" {
		for i, l := range s.levels {
			n := planner.LevelLabel(l.name)
			title := "分析单元：" + n.Zh + " / Analysis units: " + n.En
			desc := fmt.Sprintf("Units of level %q with their residents, walkable coverage per amenity type and the facilities inside each (facilities_T), after the what-if edits; as units_<level>.geojson of an audit.", l.name)
			if l.grid {
				title = "网格单元覆盖 / Grid cells with coverage"
				desc = "A grid over the residents beside the imported units, with the same figures per cell."
			}
			cs = append(cs, collection{id: l.id, title: title, description: desc, kind: kindLevel, level: i})
		}
	}
	for ti, t := range s.profile.Types {
		cs = append(cs, collection{id: t.ID, title: bilingual(t.Names.Zh, t.Names.En, t.ID),
			description: fmt.Sprintf("Facilities of type %s, including what-if edits; walking threshold %.0f m (%d-minute tier).", t.ID, t.Threshold, t.Tier),
			kind:        kindFacilities, typ: ti})
	}
	cs = append(cs,
		collection{id: "demand", title: "居民点 / Residents (demand points)",
			description: "Demand points with their population and walking distance dist_T in metres to the nearest facility of each type (null: unreachable).", kind: kindDemand},
		collection{id: "proposals", title: "选址建议 / Proposed sites (latest proposal)",
			description: "Sites of the latest proposal run through /api/propose, in rank order; empty until one is run.", kind: kindProposals},
		collection{id: "streets", title: "步行街道 / Walkable streets",
			description: "The walk network's edges as lines, with their length_m in metres.", kind: kindStreets},
	)
	cs = append(cs, s.catchmentCollections()...)
	return cs
}

func (s *Server) collection(id string) (collection, bool) {
	for _, c := range s.collections() {
		if c.id == id {
			return c, true
		}
	}
	return collection{}, false
}

// An itemView reads one collection's features under the scenario's lock:
// indices 0..n-1, of which keep selects the members (nil: all).
type itemView struct {
	n     int
	keep  func(i int) bool
	geom  func(i int) orb.Geometry
	id    func(i int) any
	props func(i int, buf data.Props) data.Props
	find  func(fid string) int // index, or -1
}

// withItems calls fn with a view of collection c that is valid during fn.
func (s *Server) withItems(c collection, fn func(v *itemView)) {
	switch c.kind {
	case kindProposals:
		fn(s.proposalView())
		return
	case kindStreets:
		fn(s.streetView()) // the network never changes
		return
	case kindLevel:
		fn(s.levelView(&s.levels[c.level], s.figures())) // figures are immutable once made
		return
	case kindCatchments:
		// Computed once per facility (prepare, under the request's
		// context), outside the scenario's lock.
		fn(s.catchmentView(context.Background(), s.profile.Types[c.typ].ID))
		return
	}
	s.sc.View(func(in planner.AuditInput, res *planner.AuditResult, active []bool) {
		fn(s.viewOf(c, in, res, active))
	})
}

// viewOf is the view of collection c (units, facilities or demand) over
// the given state; it is valid while that state does not change.
func (s *Server) viewOf(c collection, in planner.AuditInput, res *planner.AuditResult, active []bool) *itemView {
	var v *itemView
	{
		fn := func(iv *itemView) { v = iv }
		switch c.kind {
		case kindUnits:
			fn(&itemView{
				n:     len(in.Units),
				geom:  func(i int) orb.Geometry { return in.Units[i].Geometry },
				id:    func(i int) any { return in.Units[i].ID },
				props: func(i int, _ data.Props) data.Props { return data.UnitProps(in, res, i) },
				find: func(fid string) int {
					if u, ok := s.unitIndex[fid]; ok {
						return u
					}
					return -1
				},
			})
		case kindFacilities:
			typ := in.Profile.Types[c.typ].ID
			keep := func(i int) bool { return active[i] && in.Facilities[i].Type == typ }
			fn(&itemView{
				n:     len(in.Facilities),
				keep:  keep,
				geom:  func(i int) orb.Geometry { return in.Facilities[i].Geometry },
				id:    func(i int) any { return in.Facilities[i].ID },
				props: func(i int, _ data.Props) data.Props { return data.FacilityProps(in.Profile, in.Facilities[i]) },
				find: func(fid string) int {
					for i := range in.Facilities {
						if keep(i) && in.Facilities[i].ID == fid {
							return i
						}
					}
					return -1
				},
			})
		case kindDemand:
			d := in.Demand
			fn(&itemView{
				n:     len(d.Points),
				geom:  func(i int) orb.Geometry { return d.Points[i] },
				id:    func(i int) any { return d.IDs[i] },
				props: func(i int, buf data.Props) data.Props { return data.DemandProps(buf, in, res, i) },
				find: func(fid string) int {
					if i, ok := s.demandIdx()[fid]; ok {
						return i
					}
					return -1
				},
			})
		}
	}
	return v
}

func (s *Server) streetView() *itemView {
	n := s.net
	return &itemView{
		n:    n.NumEdges(),
		geom: func(i int) orb.Geometry { return n.EdgeGeometry(int32(i)) },
		id:   func(i int) any { return i },
		props: func(i int, buf data.Props) data.Props {
			_, _, l := n.Edge(int32(i))
			return append(buf, data.Prop{Key: "id", Value: i}, data.Prop{Key: "length_m", Value: data.Round(l, 1)})
		},
		find: func(fid string) int {
			i, err := strconv.Atoi(fid)
			if err != nil || i < 0 || i >= n.NumEdges() || strconv.Itoa(i) != fid {
				return -1
			}
			return i
		},
	}
}

// ----- items -----

type itemsQuery struct {
	bbox   bboxFilter
	limit  int
	offset int
	// props are the properties to send (OGC API – Features Part 6,
	// "properties"); nil: all of them. The map asks a large study's
	// facilities for id, name and source only, and one facility's others
	// when it is clicked.
	props map[string]bool
}

// parseItemsQuery validates the query of an items request: bbox, limit
// (1.., clamped to 10000), offset (≥ 0), f=json; anything else is an error,
// as OGC API – Features asks of unknown parameters.
func parseItemsQuery(q url.Values) (itemsQuery, error) {
	out := itemsQuery{limit: defaultLimit}
	for k, v := range q {
		if len(v) > 1 {
			return out, badRequest("parameter %s is given %d times; give it once", k, len(v))
		}
		switch k {
		case "bbox":
			b, err := parseBBox(v[0])
			if err != nil {
				return out, err
			}
			out.bbox = b
		case "limit":
			n, err := strconv.Atoi(strings.TrimSpace(v[0]))
			if err != nil {
				if isBigInt(v[0]) {
					n = maxLimit
				} else {
					return out, badRequest("limit %q is not a whole number (1..%d)", shorten(v[0], 30), maxLimit)
				}
			}
			if n < 1 {
				return out, badRequest("limit %d is out of range: give 1..%d", n, maxLimit)
			}
			out.limit = min(n, maxLimit)
		case "offset":
			n, err := strconv.Atoi(strings.TrimSpace(v[0]))
			if err != nil || n < 0 {
				return out, badRequest("offset %q must be a whole number ≥ 0", shorten(v[0], 30))
			}
			out.offset = n
		case "f":
			if err := checkFormat(v[0]); err != nil {
				return out, err
			}
		case "properties":
			out.props = map[string]bool{}
			for _, name := range strings.Split(v[0], ",") {
				name = strings.TrimSpace(name)
				if name == "" {
					return out, badRequest("properties %q: give property names separated by commas, as in properties=id,name", shorten(v[0], 80))
				}
				out.props[name] = true
			}
		case "bbox-crs", "crs":
			if v[0] != crs84 {
				return out, badRequest("%s %q: only %s (WGS84 lon/lat) is supported", k, shorten(v[0], 80), crs84)
			}
		default:
			return out, badRequest("unknown parameter %q: items take bbox, limit, offset, properties and f", shorten(k, 40))
		}
	}
	return out, nil
}

// isBigInt reports a whole number too large for int: a limit that is
// simply clamped.
func isBigInt(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func checkFormat(f string) error {
	switch strings.ToLower(f) {
	case "json", "geojson", "application/json", "application/geo+json":
		return nil
	}
	return badRequest("format f=%q is not offered: this server answers JSON (f=json)", shorten(f, 30))
}

// checkOnlyF accepts an optional f=json and nothing else on metadata
// resources.
func checkOnlyF(q url.Values) error {
	for k, v := range q {
		if k != "f" {
			return badRequest("unknown parameter %q", shorten(k, 40))
		}
		if err := checkFormat(v[0]); err != nil {
			return err
		}
	}
	return nil
}

// A page is one items response: encoded features and counts.
type page struct {
	features []byte // comma-separated Feature objects
	matched  int
	returned int
}

// items encodes the features of c that match q. A bbox query on a
// collection with a spatial index tests only the index's candidates.
func (s *Server) items(c collection, q itemsQuery) page {
	var idx *bboxIndex
	if q.bbox != nil {
		// Wait for an index still being built before taking the
		// scenario's lock, so that edits are not held up meanwhile.
		idx = s.indexOf(c)
	}
	return s.itemsWith(c, q, idx)
}

// itemsWith is items with the spatial index idx, or a full scan when idx
// is nil; both give the same page. The scenario's read lock is held only
// to read the picked features' properties (and, for facilities, to pick
// them): units and demand points never change, so they are picked before
// it, and every feature is encoded after it, so that an edit waiting for
// the lock waits for little (an edit replaces a facility's geometry, it
// never changes one in place).
func (s *Server) itemsWith(c collection, q itemsQuery, idx *bboxIndex) page {
	var (
		p       page
		sel     []pickedItem
		props   data.Props
		scratch data.Props
	)
	readProps := func(v *itemView) {
		for k := range sel {
			scratch = v.props(sel[k].i, scratch[:0])
			sel[k].lo = len(props)
			for _, p := range scratch {
				if q.props == nil || q.props[p.Key] {
					props = append(props, p)
				}
			}
			sel[k].hi = len(props)
		}
	}
	if c.kind == kindUnits || c.kind == kindDemand {
		sel = pickItems(s.viewOf(c, s.baseIn, nil, nil), q, idx, &p)
		s.sc.View(func(in planner.AuditInput, res *planner.AuditResult, active []bool) {
			readProps(s.viewOf(c, in, res, active))
		})
	} else {
		s.withItems(c, func(v *itemView) {
			sel = pickItems(v, q, idx, &p)
			readProps(v)
		})
	}
	p.features = make([]byte, 0, 64<<10)
	for _, f := range sel {
		mark := len(p.features)
		if p.returned > 0 {
			p.features = append(p.features, ',', '\n')
		}
		out, err := data.AppendFeature(p.features, f.id, f.geom, props[f.lo:f.hi])
		if err != nil {
			s.log.Warn("feature not encoded", "collection", c.id, "index", f.i, "err", err)
			p.features = p.features[:mark]
			continue
		}
		p.features = out
		p.returned++
	}
	return p
}

// A pickedItem is a feature of an items page: its index, id and geometry,
// and its properties once read (props[lo:hi] in itemsWith).
type pickedItem struct {
	i      int
	id     any
	geom   orb.Geometry
	lo, hi int
}

// pickItems returns the features of v that q asks for and sets p.matched;
// it reads no properties.
func pickItems(v *itemView, q itemsQuery, idx *bboxIndex, p *page) []pickedItem {
	var sel []pickedItem
	add := func(i int) { sel = append(sel, pickedItem{i: i, id: v.id(i), geom: v.geom(i)}) }
	if q.bbox == nil && v.keep == nil {
		p.matched = v.n
		for i := q.offset; i < v.n && i-q.offset < q.limit; i++ {
			add(i)
		}
		return sel
	}
	test := func(i int) {
		if v.keep != nil && !v.keep(i) {
			return
		}
		if q.bbox != nil {
			g := v.geom(i)
			if g == nil || !q.bbox.match(g, g.Bound()) {
				return
			}
		}
		if p.matched >= q.offset && p.matched-q.offset < q.limit {
			add(i)
		}
		p.matched++
	}
	if idx != nil && q.bbox != nil && idx.n == v.n {
		for _, i := range idx.candidates(nil, q.bbox) {
			test(int(i))
		}
		return sel
	}
	for i := 0; i < v.n; i++ {
		test(i)
	}
	return sel
}

func (s *Server) handleItems(w http.ResponseWriter, r *http.Request) {
	c, ok := s.collection(chi.URLParam(r, "id"))
	if !ok {
		s.fail(w, r, notFound("no collection %q: see /ogc/collections", chi.URLParam(r, "id")))
		return
	}
	q, err := parseItemsQuery(r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.prepare(r.Context(), c); err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.items(c, q)

	base := baseURL(r) + "/ogc/collections/" + url.PathEscape(c.id)
	pageLink := func(rel string, offset int) link {
		v := url.Values{}
		for k, vs := range r.URL.Query() {
			v[k] = vs
		}
		v.Set("limit", strconv.Itoa(q.limit))
		v.Set("offset", strconv.Itoa(offset))
		return link{Href: base + "/items?" + v.Encode(), Rel: rel, Type: mimeGeoJSON}
	}
	self := base + "/items"
	if r.URL.RawQuery != "" {
		self += "?" + r.URL.RawQuery
	}
	links := []link{
		{Href: self, Rel: "self", Type: mimeGeoJSON, Title: "this page"},
		{Href: base, Rel: "collection", Type: mimeJSON, Title: "the collection"},
	}
	if q.offset+p.returned < p.matched && q.offset+q.limit < p.matched {
		links = append(links, pageLink("next", q.offset+q.limit))
	}
	if q.offset > 0 {
		links = append(links, pageLink("prev", max(0, q.offset-q.limit)))
	}
	lj, err := marshalJSON(links)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b := make([]byte, 0, len(p.features)+len(lj)+256)
	b = append(b, `{"type":"FeatureCollection","features":[`...)
	if p.returned > 0 {
		b = append(b, '\n')
		b = append(b, p.features...)
		b = append(b, '\n')
	}
	b = append(b, `],"numberMatched":`...)
	b = strconv.AppendInt(b, int64(p.matched), 10)
	b = append(b, `,"numberReturned":`...)
	b = strconv.AppendInt(b, int64(p.returned), 10)
	b = append(b, `,"timeStamp":"`...)
	b = time.Now().UTC().AppendFormat(b, time.RFC3339)
	b = append(b, `","links":`...)
	b = append(b, strings.TrimSpace(string(lj))...)
	b = append(b, "}\n"...)
	w.Header().Set("Content-Type", mimeGeoJSON)
	_, _ = w.Write(b)
}

func (s *Server) handleItem(w http.ResponseWriter, r *http.Request) {
	c, ok := s.collection(chi.URLParam(r, "id"))
	if !ok {
		s.fail(w, r, notFound("no collection %q: see /ogc/collections", chi.URLParam(r, "id")))
		return
	}
	if err := checkOnlyF(r.URL.Query()); err != nil {
		s.fail(w, r, err)
		return
	}
	fid := chi.URLParam(r, "fid")
	if u, err := url.PathUnescape(fid); err == nil {
		fid = u
	}
	if err := s.prepare(r.Context(), c); err != nil {
		s.fail(w, r, err)
		return
	}
	var feat []byte
	var encErr error
	found := false
	s.withItems(c, func(v *itemView) {
		i := v.find(fid)
		if i < 0 {
			return
		}
		found = true
		feat, encErr = data.AppendFeature(nil, v.id(i), v.geom(i), v.props(i, nil))
	})
	if !found {
		s.fail(w, r, notFound("collection %q has no feature %q", c.id, shorten(fid, 80)))
		return
	}
	if encErr != nil {
		s.fail(w, r, encErr)
		return
	}
	base := baseURL(r) + "/ogc/collections/" + url.PathEscape(c.id)
	lj, err := marshalJSON([]link{
		{Href: base + "/items/" + url.PathEscape(fid), Rel: "self", Type: mimeGeoJSON, Title: "this feature"},
		{Href: base, Rel: "collection", Type: mimeJSON, Title: "the collection"},
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	feat = append(feat[:len(feat)-1], `,"links":`...)
	feat = append(feat, strings.TrimSpace(string(lj))...)
	feat = append(feat, "}\n"...)
	w.Header().Set("Content-Type", mimeGeoJSON)
	_, _ = w.Write(feat)
}

// writeCollection streams every feature of c as a GeoJSON
// FeatureCollection. It reads the scenario in chunks, so that a slow
// download never holds up edits; an edit made meanwhile may show in the
// later chunks only.
func (s *Server) writeCollection(w io.Writer, c collection) error {
	const chunk = 4096
	// One consistent view for the whole file: the scenario's state is
	// copied under one read lock (planner.Scenario.Snapshot), and encoded
	// without holding it, so that edits neither wait for a long export nor
	// tear it.
	var v *itemView
	switch c.kind {
	case kindProposals, kindStreets, kindLevel, kindCatchments:
		s.withItems(c, func(iv *itemView) { v = iv }) // immutable once made
	default:
		in, res, active := s.sc.Snapshot()
		v = s.viewOf(c, in, res, active)
	}
	if _, err := io.WriteString(w, `{"type":"FeatureCollection","features":[`); err != nil {
		return err
	}
	first := true
	var props data.Props
	buf := make([]byte, 0, 256<<10)
	for start := 0; start < v.n; start += chunk {
		buf = buf[:0]
		for i := start; i < v.n && i < start+chunk; i++ {
			if v.keep != nil && !v.keep(i) {
				continue
			}
			mark := len(buf)
			if first {
				buf = append(buf, '\n')
			} else {
				buf = append(buf, ',', '\n')
			}
			out, err := data.AppendFeature(buf, v.id(i), v.geom(i), v.props(i, props[:0]))
			if err != nil {
				s.log.Warn("feature not encoded", "collection", c.id, "index", i, "err", err)
				buf = buf[:mark]
				continue
			}
			buf = out
			first = false
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "\n]}\n")
	return err
}

// ----- metadata -----

// A link is an OGC API link object.
type link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

type extentJSON struct {
	Spatial spatialExtent `json:"spatial"`
}

type spatialExtent struct {
	BBox [][4]float64 `json:"bbox"`
	CRS  string       `json:"crs"`
}

type collectionJSON struct {
	ID          string      `json:"id"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Links       []link      `json:"links"`
	Extent      *extentJSON `json:"extent,omitempty"`
	ItemType    string      `json:"itemType"`
}

func (s *Server) handleLanding(w http.ResponseWriter, r *http.Request) {
	if err := checkOnlyF(r.URL.Query()); err != nil {
		s.fail(w, r, err)
		return
	}
	base := baseURL(r) + "/ogc"
	writeJSON(w, http.StatusOK, mimeJSON, map[string]any{
		"title": "lifecircle — " + bilingual(s.profile.Names.Zh, s.profile.Names.En, s.profile.ID),
		"description": "Walkable access to everyday amenities: facilities per amenity type, " + s.cfg.UnitsKind +
			" with coverage, residents, proposed sites and the walk network, as OGC API – Features (GeoJSON, WGS84 lon/lat). " +
			"Map data © OpenStreetMap contributors.",
		"links": []link{
			{Href: base, Rel: "self", Type: mimeJSON, Title: "this document"},
			{Href: base + "/conformance", Rel: "conformance", Type: mimeJSON, Title: "conformance classes implemented by this server"},
			{Href: base + "/collections", Rel: "data", Type: mimeJSON, Title: "feature collections"},
		},
	})
}

func (s *Server) handleConformance(w http.ResponseWriter, r *http.Request) {
	if err := checkOnlyF(r.URL.Query()); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, mimeJSON, map[string]any{"conformsTo": conformance})
}

func (s *Server) handleCollections(w http.ResponseWriter, r *http.Request) {
	if err := checkOnlyF(r.URL.Query()); err != nil {
		s.fail(w, r, err)
		return
	}
	base := baseURL(r) + "/ogc"
	var cs []collectionJSON
	for _, c := range s.collections() {
		cs = append(cs, s.collectionJSON(base, c))
	}
	writeJSON(w, http.StatusOK, mimeJSON, map[string]any{
		"links": []link{
			{Href: base + "/collections", Rel: "self", Type: mimeJSON, Title: "this document"},
		},
		"collections": cs,
	})
}

func (s *Server) handleCollection(w http.ResponseWriter, r *http.Request) {
	c, ok := s.collection(chi.URLParam(r, "id"))
	if !ok {
		s.fail(w, r, notFound("no collection %q: see /ogc/collections", chi.URLParam(r, "id")))
		return
	}
	if err := checkOnlyF(r.URL.Query()); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, mimeJSON, s.collectionJSON(baseURL(r)+"/ogc", c))
}

func (s *Server) collectionJSON(base string, c collection) collectionJSON {
	href := base + "/collections/" + url.PathEscape(c.id)
	cj := collectionJSON{
		ID: c.id, Title: c.title, Description: c.description, ItemType: "feature",
		Links: []link{
			{Href: href, Rel: "self", Type: mimeJSON, Title: "this collection"},
			{Href: href + "/items", Rel: "items", Type: mimeGeoJSON, Title: "the features"},
		},
	}
	if b, ok := s.extent(c); ok {
		cj.Extent = &extentJSON{Spatial: spatialExtent{BBox: [][4]float64{{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}}, CRS: crs84}}
	}
	return cj
}

// extent is the lon/lat bound of a collection's features; false when the
// collection is empty.
func (s *Server) extent(c collection) (orb.Bound, bool) {
	switch c.kind {
	case kindUnits:
		return s.unitsExtent, len(s.unitIndex) > 0
	case kindDemand:
		return s.demandExt, !s.demandExt.IsZero()
	case kindStreets:
		return s.net.Bound(), s.net.NumEdges() > 0
	case kindLevel:
		l := &s.levels[c.level]
		return l.bound, len(l.index) > 0
	case kindCatchments:
		// Hulls stay within 3 hull cells of the streets; computing them
		// all for the extent would make listing collections slow.
		b := s.net.Bound()
		lat := math.Max(math.Abs(b.Min[1]), math.Abs(b.Max[1]))
		pad := 3 * planner.HullCell / 111000 / math.Max(math.Cos(lat*math.Pi/180), 0.01)
		return b.Pad(pad), s.net.NumEdges() > 0
	}
	var b orb.Bound
	found := false
	s.withItems(c, func(v *itemView) {
		for i := 0; i < v.n; i++ {
			if v.keep != nil && !v.keep(i) {
				continue
			}
			g := v.geom(i)
			if g == nil {
				continue
			}
			if !found {
				b, found = g.Bound(), true
			} else {
				b = b.Union(g.Bound())
			}
		}
	})
	return b, found
}
