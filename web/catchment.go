package web

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// hullMethod says how a catchment's hull is drawn, in every catchment.
var hullMethod = fmt.Sprintf("grid buffer: the %.0f m squares the reached streets pass through and their 8 neighbours, holes filled (contains the streets buffered by %.0f m)", planner.HullCell, planner.HullCell)

// catchmentPrefix names the collection of a type's catchments.
const catchmentPrefix = "catchments_"

// catchmentProps are the properties of a catchment Feature: who it is
// for, the figures, and how the hull is drawn.
func catchmentProps(buf data.Props, who data.Props, c *planner.Catchment) data.Props {
	props := append(buf, who...)
	props = append(props,
		data.Prop{Key: "type", Value: c.Type},
		data.Prop{Key: "threshold_m", Value: real1(c.Threshold)})
	if c.Demand != "" {
		props = append(props, data.Prop{Key: "demand", Value: c.Demand})
	}
	return append(props,
		data.Prop{Key: "snapped", Value: c.Snapped},
		data.Prop{Key: "residents", Value: real1(c.Residents)},
		data.Prop{Key: "points", Value: c.Points},
		data.Prop{Key: "residents_nearest", Value: real1(c.ResidentsNearest)},
		data.Prop{Key: "points_nearest", Value: c.PointsNearest},
		data.Prop{Key: "network_m", Value: real1(c.NetworkLength)},
		data.Prop{Key: "hull_area_m2", Value: data.Round(c.HullArea, 0)},
		data.Prop{Key: "hull_method", Value: hullMethod})
}

// real1 is x to 0.1, always written with a decimal point, so that GIS
// tools that type a field by its first values make it Real.
func real1(x float64) data.Real { return data.Real(math.Round(x*10) / 10) }

// hullGeometry is the hull as one geometry: a Polygon when it has one
// part, nil (null) when the facility reaches nothing.
func hullGeometry(c *planner.Catchment) orb.Geometry {
	switch len(c.Hull) {
	case 0:
		return nil
	case 1:
		return c.Hull[0]
	}
	return c.Hull
}

// appendPieces appends the reached network as a GeoJSON FeatureCollection:
// one LineString per piece, running away from the facility, with the
// walking distance at its start and end.
func appendPieces(b []byte, c *planner.Catchment) ([]byte, error) {
	b = append(b, `{"type":"FeatureCollection","features":[`...)
	var props data.Props
	for k, p := range c.Pieces {
		if k > 0 {
			b = append(b, ',')
		}
		props = append(props[:0],
			data.Prop{Key: "dist_from_m", Value: real1(p.Near)},
			data.Prop{Key: "dist_to_m", Value: real1(p.Far)},
			data.Prop{Key: "band", Value: int(p.Near / planner.CatchmentBand)})
		var err error
		if b, err = data.AppendFeature(b, nil, p.Line, props); err != nil {
			return b, err
		}
	}
	return append(b, "]}"...), nil
}

// writeCatchment answers a catchment: the Feature (hull as geometry, the
// network under properties.network) or, with network only, the network's
// FeatureCollection.
func (s *Server) writeCatchment(w http.ResponseWriter, r *http.Request, id string, who data.Props, c *planner.Catchment, networkOnly bool) {
	net, err := appendPieces(make([]byte, 0, 256*len(c.Pieces)+64), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if networkOnly {
		w.Header().Set("Content-Type", mimeGeoJSON)
		_, _ = w.Write(append(net, '\n'))
		return
	}
	props := catchmentProps(nil, who, c)
	props = append(props, data.Prop{Key: "network", Value: json.RawMessage(net)})
	b, err := data.AppendFeature(make([]byte, 0, len(net)+4096), id, hullGeometry(c), props)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", mimeGeoJSON)
	_, _ = w.Write(append(b, '\n'))
}

// pathID is a path parameter unescaped and checked as text.
func pathID(r *http.Request, param, what string) (string, error) {
	raw := chi.URLParam(r, param)
	id, err := url.PathUnescape(raw)
	if err != nil {
		return "", badRequestL(fmt.Sprintf("%s %q is not a valid URL path segment: escape it with %%XX", what, shorten(raw, 40)),
			fmt.Sprintf("%s %q 不是有效的 URL 路径段：请用 %%XX 转义", what, shorten(raw, 40)))
	}
	if strings.TrimSpace(id) == "" {
		return "", badRequestL(fmt.Sprintf("give the %s", what), fmt.Sprintf("请给出%s", what))
	}
	if err := checkText(what, id, maxTextLen); err != nil {
		return "", err
	}
	return id, nil
}

// catchmentQuery accepts view=network (only the network) and f=json; type
// only where allowType.
func catchmentQuery(q url.Values, allowType bool) (networkOnly bool, typ string, err error) {
	for k, v := range q {
		if len(v) > 1 {
			return false, "", badRequest("parameter %s is given %d times; give it once", k, len(v))
		}
		switch {
		case k == "view":
			switch v[0] {
			case "network":
				networkOnly = true
			case "feature", "":
			default:
				return false, "", badRequest("view %q: give view=feature (the default: hull and figures, network under properties) or view=network (the reached streets only)", shorten(v[0], 30))
			}
		case k == "f":
			if err := checkFormat(v[0]); err != nil {
				return false, "", err
			}
		case k == "type" && allowType:
			typ = v[0]
		default:
			allowed := "view and f"
			if allowType {
				allowed = "type, view and f"
			}
			return false, "", badRequest("unknown parameter %q: a catchment takes %s", shorten(k, 40), allowed)
		}
	}
	return networkOnly, typ, nil
}

// handleFacilityCatchment answers GET /api/facilities/{id}/catchment for
// a facility of the live scenario (what-if additions included).
func (s *Server) handleFacilityCatchment(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "facility id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	networkOnly, _, err := catchmentQuery(r.URL.Query(), false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	fc, err := s.catch.Facility(r.Context(), id, true)
	if err != nil {
		if isNotFound(err) {
			err = notFoundL(fmt.Sprintf("no facility %q: see the amenity collections under /ogc/collections", shorten(id, 80)),
				fmt.Sprintf("没有设施 %q：请在 /ogc/collections 的设施图层中查找", shorten(id, 80)))
		}
		s.fail(w, r, err)
		return
	}
	who := data.Props{{Key: "facility_id", Value: fc.ID}, {Key: "name", Value: fc.Name}}
	s.writeCatchment(w, r, fc.ID, who, &fc.Catchment, networkOnly)
}

// handleSiteCatchment answers GET /api/proposals/{site_id}/catchment for
// a site of the latest proposal; a proposal of several types needs
// ?type=.
func (s *Server) handleSiteCatchment(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "site_id", "site id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	networkOnly, typ, err := catchmentQuery(r.URL.Query(), true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.propMu.RLock()
	p := s.proposal
	s.propMu.RUnlock()
	k := -1
	if p != nil {
		for i, st := range p.sites {
			if st.ID == id {
				k = i
				break
			}
		}
	}
	if k < 0 {
		s.fail(w, r, notFoundL(fmt.Sprintf("the latest proposal has no site %q: run a proposal (POST /api/propose) and use the ids of its sites", shorten(id, 80)),
			fmt.Sprintf("最近一次选址没有站点 %q：请先运行选址（POST /api/propose），再用其站点编号", shorten(id, 80))))
		return
	}
	switch {
	case typ == "" && len(p.types) == 1:
		typ = p.types[0]
	case typ == "":
		s.fail(w, r, badRequestL(fmt.Sprintf("site %s hosts several types: give one with ?type= (%s)", shorten(id, 40), strings.Join(p.types, ", ")),
			fmt.Sprintf("站点 %s 承载多类设施：请用 ?type= 指定一类（%s）", shorten(id, 40), strings.Join(p.types, ", "))))
		return
	default:
		found := false
		for _, t := range p.types {
			found = found || t == typ
		}
		if !found {
			s.fail(w, r, badRequest("site %s does not host type %q: it hosts %s", shorten(id, 40), shorten(typ, 40), strings.Join(p.types, ", ")))
			return
		}
	}
	c, err := s.catch.Site(r.Context(), p.geoms[k], typ, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	st := p.sites[k]
	who := data.Props{{Key: "site_id", Value: st.ID}, {Key: "rank", Value: st.Rank}, {Key: "name", Value: st.Name}}
	s.writeCatchment(w, r, st.ID, who, c, networkOnly)
}

// prepare computes what collection c needs before it is read, under the
// request's context: a type's catchments (kept for the view that
// follows).
func (s *Server) prepare(ctx context.Context, c collection) error {
	if c.kind != kindCatchments {
		return nil
	}
	_, err := s.catch.OfType(ctx, s.profile.Types[c.typ].ID)
	return err
}

// catchmentView is the view of a type's catchments collection: the hull
// of every active facility of the type with its figures (no network).
func (s *Server) catchmentView(ctx context.Context, typ string) *itemView {
	list, err := s.catch.OfType(ctx, typ)
	if err != nil {
		s.log.Warn("catchments not computed", "type", typ, "err", err)
		list = nil
	}
	return &itemView{
		n:    len(list),
		geom: func(i int) orb.Geometry { return hullGeometry(&list[i].Catchment) },
		id:   func(i int) any { return list[i].ID },
		props: func(i int, buf data.Props) data.Props {
			who := data.Props{{Key: "facility_id", Value: list[i].ID}, {Key: "name", Value: list[i].Name}}
			return catchmentProps(buf, who, &list[i].Catchment)
		},
		find: func(fid string) int {
			for i := range list {
				if list[i].ID == fid {
					return i
				}
			}
			return -1
		},
	}
}

// catchmentCollections are the catchments_<type> collections.
func (s *Server) catchmentCollections() []collection {
	var cs []collection
	for ti, t := range s.profile.Types {
		zh, en := t.Names.Zh, t.Names.En
		if zh != "" {
			zh += "步行服务范围"
		}
		if en != "" {
			en += " walking catchments"
		}
		cs = append(cs, collection{id: catchmentPrefix + t.ID,
			title: bilingual(zh, en, catchmentPrefix+t.ID),
			description: fmt.Sprintf("The walking catchment of every %s facility (what-if edits included): the hull of the streets it reaches within %.0f m (%s), "+
				"residents within %.0f m (residents, points) and those for whom it is the nearest %s (residents_nearest, points_nearest), network_m. "+
				"The reached streets themselves, with their walking distances: /api/facilities/{id}/catchment.", t.ID, t.Threshold, hullMethod, t.Threshold, t.ID),
			kind: kindCatchments, typ: ti})
	}
	return cs
}

// notFoundL is notFound with the message in English and Chinese.
func notFoundL(en, zh string) error {
	return &apiError{kind: planner.ErrNotFound, msg: en, zh: zh}
}

func isNotFound(err error) bool { return is(planner.ErrNotFound)(err) }
