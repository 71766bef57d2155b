package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/paulmach/orb"
)

// Limits of POST /api/propose.
const (
	maxProposeK         = 200
	defaultProposeLimit = 5 * time.Second
	maxProposeLimit     = 30 * time.Second
	maxProposeRadius    = 10000.0 // metres
	// maxProposeWeight bounds a type's weight: weights are relative, and a
	// huge one times a population overflows the objective.
	maxProposeWeight = 1000.0
)

type proposeTypeRequest struct {
	ID     string   `json:"id"`
	Weight *float64 `json:"weight,omitempty"`
}

// proposeRequest is the body of POST /api/propose: one type or several
// (a site hosting all of them), and k sites or a target share.
type proposeRequest struct {
	Type       string               `json:"type,omitempty"`
	Types      []proposeTypeRequest `json:"types,omitempty"`
	K          *int                 `json:"k,omitempty"`
	Target     *float64             `json:"target,omitempty"`
	Radius     *float64             `json:"radius,omitempty"`       // metres, for every type
	TimeLimitS *float64             `json:"time_limit_s,omitempty"` // seconds
}

type siteJSON struct {
	Rank                int            `json:"rank"`
	ID                  string         `json:"id"`
	Name                string         `json:"name,omitempty"`
	Lon                 any            `json:"lon"`
	Lat                 any            `json:"lat"`
	Gain                any            `json:"gain"`
	CumulativeCovered   any            `json:"cumulative_covered"`
	CoverageAfter       any            `json:"coverage_after"`
	CoverageAfterByType map[string]any `json:"coverage_after_by_type"`
	GainByType          map[string]any `json:"gain_by_type"`
	Units               []string       `json:"units"`
}

type coverageJSON struct {
	Type           string `json:"type"`
	Radius         any    `json:"radius_m"`
	Population     any    `json:"population"`
	CoveredBefore  any    `json:"covered_before"`
	CoveredAfter   any    `json:"covered_after"`
	CoverageBefore any    `json:"coverage_before"`
	CoverageAfter  any    `json:"coverage_after"`
}

type proposeResponse struct {
	Mode         string         `json:"mode"` // "maximal covering" or "set covering"
	Types        []string       `json:"types"`
	K            int            `json:"k,omitempty"`
	Target       any            `json:"target,omitempty"`
	Sites        []siteJSON     `json:"sites"`
	Objective    any            `json:"objective"`
	UpperBound   any            `json:"upper_bound"`
	Gap          any            `json:"gap"`
	LowerBound   any            `json:"lower_bound"`
	Coverable    any            `json:"coverable"`
	Candidates   int            `json:"candidates"`
	StoppedEarly bool           `json:"stopped_early"`
	Coverage     []coverageJSON `json:"coverage"`
	ElapsedMS    float64        `json:"elapsed_ms"`
}

// A proposal is the latest proposal's sites, served as the proposals
// collection.
type proposal struct {
	types []string
	sites []planner.Site
	geoms []orb.Geometry
}

func (s *Server) proposalView() *itemView {
	s.propMu.RLock()
	p := s.proposal
	s.propMu.RUnlock()
	if p == nil {
		p = &proposal{}
	}
	types := strings.Join(p.types, ",")
	return &itemView{
		n:     len(p.sites),
		geom:  func(i int) orb.Geometry { return p.geoms[i] },
		id:    func(i int) any { return p.sites[i].ID },
		props: func(i int, buf data.Props) data.Props { return siteProps(buf, p, types, i) },
		find: func(fid string) int {
			for i, st := range p.sites {
				if st.ID == fid {
					return i
				}
			}
			return -1
		},
	}
}

// siteProps are a proposed site's properties, as proposals.geojson of
// `lifecircle propose` carries them.
func siteProps(props data.Props, p *proposal, types string, i int) data.Props {
	st := p.sites[i]
	units := make([]string, len(st.Units))
	for k, u := range st.Units {
		units[k] = u.Unit
	}
	props = append(props,
		data.Prop{Key: "rank", Value: st.Rank}, data.Prop{Key: "site_id", Value: st.ID}, data.Prop{Key: "types", Value: types},
		data.Prop{Key: "lon", Value: data.Round(st.Point[0], 6)}, data.Prop{Key: "lat", Value: data.Round(st.Point[1], 6)},
		data.Prop{Key: "gain", Value: data.Round(st.Gain, 1)}, data.Prop{Key: "cumulative_covered", Value: data.Round(st.Cumulative, 1)})
	if st.Name != "" {
		props = append(props, data.Prop{Key: "name", Value: st.Name})
	}
	if len(p.types) == 1 {
		props = append(props, data.Prop{Key: "coverage_after", Value: data.Round(st.CoverageAfter[0], 4)})
	} else {
		for ti, t := range p.types {
			props = append(props, data.Prop{Key: "gain_" + t, Value: data.Round(st.GainByType[ti], 1)},
				data.Prop{Key: "coverage_after_" + t, Value: data.Round(st.CoverageAfter[ti], 4)})
		}
	}
	return append(props, data.Prop{Key: "units", Value: strings.Join(units, ",")})
}

// proposeInput checks a request and builds the proposal problem from the
// scenario's current facilities: existing active facilities of each type
// stay fixed.
func (s *Server) proposeInput(req proposeRequest) (planner.ProposeInput, error) {
	var pin planner.ProposeInput
	type want struct {
		id     string
		weight float64
	}
	var wants []want
	switch {
	case req.Type != "" && len(req.Types) > 0:
		return pin, badRequest("give \"type\" or \"types\", not both")
	case req.Type != "":
		wants = []want{{req.Type, 1}}
	case len(req.Types) > 0:
		for _, t := range req.Types {
			w := 1.0
			if t.Weight != nil {
				w = *t.Weight
			}
			if !(w > 0 && w <= maxProposeWeight) {
				return pin, badRequest("type %q: weight %v is out of range: give a number > 0 and ≤ %.0f (weights are relative)", shorten(t.ID, 40), w, maxProposeWeight)
			}
			for _, o := range wants {
				if o.id == t.ID {
					return pin, badRequest("type %q is listed twice", shorten(t.ID, 40))
				}
			}
			wants = append(wants, want{t.ID, w})
		}
	default:
		return pin, badRequest("give the amenity \"type\" to site (or \"types\" with weights); the profile has: %s", strings.Join(s.profile.TypeIDs(), ", "))
	}
	switch {
	case req.K != nil && req.Target != nil:
		return pin, badRequest("give \"k\" (number of sites) or \"target\" (coverage share), not both")
	case req.K != nil:
		if *req.K < 1 || *req.K > maxProposeK {
			return pin, badRequest("k %d is out of range: give 1..%d sites", *req.K, maxProposeK)
		}
		pin.K = *req.K
	case req.Target != nil:
		if !(*req.Target > 0 && *req.Target <= 1) {
			return pin, badRequest("target %v must be a share in (0, 1], e.g. 0.9", *req.Target)
		}
		pin.Target = *req.Target
	default:
		return pin, badRequest("give \"k\" (number of sites, 1..%d) or \"target\" (coverage share in (0, 1])", maxProposeK)
	}
	radius := 0.0
	if req.Radius != nil {
		radius = *req.Radius
		if !(radius > 0 && radius <= maxProposeRadius) {
			return pin, badRequest("radius %v m is out of range: give 0 < radius ≤ %.0f metres", radius, maxProposeRadius)
		}
	}
	pin.TimeLimit = defaultProposeLimit
	pin.Spacing = planner.DefaultSpacing
	if req.TimeLimitS != nil {
		tl := *req.TimeLimitS
		if !(tl > 0 && tl <= maxProposeLimit.Seconds()) {
			return pin, badRequest("time_limit_s %v is out of range: give 0 < time_limit_s ≤ %.0f", tl, maxProposeLimit.Seconds())
		}
		pin.TimeLimit = time.Duration(tl * float64(time.Second))
	}
	var err error
	s.sc.View(func(in planner.AuditInput, _ *planner.AuditResult, active []bool) {
		pin.Net, pin.Demand, pin.MaxSnap = in.Net, in.Demand, in.MaxSnap
		pin.Units, pin.Assign = in.Units, in.Assign
		for _, wt := range wants {
			t, ok := in.Profile.Type(wt.id)
			if !ok {
				err = badRequest("unknown amenity type %q: the profile has %s", shorten(wt.id, 40), strings.Join(in.Profile.TypeIDs(), ", "))
				return
			}
			pt := planner.ProposeType{ID: t.ID, Names: t.Names, Radius: t.Threshold, Weight: wt.weight}
			if radius > 0 {
				pt.Radius = radius
			}
			for i, f := range in.Facilities {
				if active[i] && f.Type == t.ID {
					pt.Existing = append(pt.Existing, f.Geometry)
				}
			}
			pin.Types = append(pin.Types, pt)
		}
	})
	return pin, err
}

func (s *Server) handlePropose(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var req proposeRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	pin, err := s.proposeInput(req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	select {
	case s.proposeSem <- struct{}{}:
	case <-ctx.Done():
		s.fail(w, r, ctx.Err())
		return
	}
	res, err := planner.Propose(ctx, pin)
	<-s.proposeSem
	if err != nil {
		s.fail(w, r, err)
		return
	}

	p := &proposal{sites: res.Sites, geoms: make([]orb.Geometry, len(res.Sites))}
	for _, t := range pin.Types {
		p.types = append(p.types, t.ID)
	}
	out := proposeResponse{Mode: "maximal covering", Types: p.types, K: pin.K, Sites: make([]siteJSON, len(res.Sites)),
		Objective: data.Round(res.Objective, 1), Coverable: data.Round(res.Coverable, 1), Candidates: len(res.Candidates)}
	if pin.K > 0 {
		out.UpperBound, out.Gap = data.Round(res.UpperBound, 1), data.Round(res.Gap, 6)
		out.StoppedEarly = res.Max != nil && res.Max.StoppedEarly
	} else {
		out.Mode, out.Target, out.LowerBound = "set covering", pin.Target, res.LowerBound
	}
	for i, st := range res.Sites {
		p.geoms[i] = res.Candidates[st.Candidate].Geometry
		sj := siteJSON{Rank: st.Rank, ID: st.ID, Name: st.Name, Lon: data.Round(st.Point[0], 6), Lat: data.Round(st.Point[1], 6),
			Gain: data.Round(st.Gain, 1), CumulativeCovered: data.Round(st.Cumulative, 1),
			CoverageAfterByType: map[string]any{}, GainByType: map[string]any{}, Units: make([]string, len(st.Units))}
		for ti, t := range p.types {
			sj.CoverageAfterByType[t] = data.Round(st.CoverageAfter[ti], 4)
			sj.GainByType[t] = data.Round(st.GainByType[ti], 1)
		}
		if len(st.CoverageAfter) > 0 {
			sj.CoverageAfter = data.Round(st.CoverageAfter[0], 4)
		}
		for k, u := range st.Units {
			sj.Units[k] = u.Unit
		}
		out.Sites[i] = sj
	}
	for _, c := range res.Coverage {
		out.Coverage = append(out.Coverage, coverageJSON{Type: c.ID, Radius: data.Round(c.Radius, 1), Population: data.Round(c.Population, 1),
			CoveredBefore: data.Round(c.CoveredBefore, 1), CoveredAfter: data.Round(c.CoveredAfter, 1),
			CoverageBefore: data.Round(c.Before, 4), CoverageAfter: data.Round(c.After, 4)})
	}
	s.propMu.Lock()
	s.proposal = p
	s.propMu.Unlock()
	out.ElapsedMS = ms(time.Since(start))
	s.log.Info("proposal", "types", strings.Join(p.types, ","), "mode", out.Mode, "sites", len(res.Sites), "elapsed", time.Since(start).Round(time.Millisecond))
	writeJSON(w, http.StatusOK, mimeJSON, out)
}
