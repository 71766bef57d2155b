package web

import (
	"encoding/json"
	"net/http"

	"github.com/lifecircle/lifecircle/data"
	"github.com/lifecircle/lifecircle/planner"
	"github.com/lifecircle/lifecircle/planner/glossary"
)

// typeHistogram is one type's walking-distance histogram with its names.
type typeHistogram struct {
	ID     string `json:"id"`
	NameZh string `json:"name_zh"`
	NameEn string `json:"name_en"`
	planner.DistanceHistogram
}

// handleDistances answers GET /api/charts/distances: per type, the
// residents by walking distance to the nearest facility (bands up to
// 1.5 × the threshold, farther, unreachable), of the live scenario.
func (s *Server) handleDistances(w http.ResponseWriter, r *http.Request) {
	var out struct {
		Types []typeHistogram `json:"types"`
	}
	s.sc.View(func(in planner.AuditInput, res *planner.AuditResult, _ []bool) {
		for ti, t := range in.Profile.Types {
			h := planner.Histogram(in, res, ti)
			for k := range h.Bins {
				h.Bins[k].Residents = float64(data.Round(h.Bins[k].Residents, 1))
			}
			h.Within, h.Beyond = float64(data.Round(h.Within, 1)), float64(data.Round(h.Beyond, 1))
			h.Unreachable, h.Residents = float64(data.Round(h.Unreachable, 1)), float64(data.Round(h.Residents, 1))
			out.Types = append(out.Types, typeHistogram{ID: t.ID, NameZh: t.Names.Zh, NameEn: t.Names.En, DistanceHistogram: h})
		}
	})
	writeJSON(w, http.StatusOK, mimeJSON, out)
}

// handleGlossary answers GET /api/glossary: every term (key, zh, en).
func (s *Server) handleGlossary(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, mimeJSON, map[string]any{"terms": glossary.All()})
}

// glossaryScript is glossary.js, which the page loads before app.js so
// that its labels take the glossary's terms from the first paint.
var glossaryScript = func() []byte {
	b, err := json.Marshal(glossary.Map())
	if err != nil {
		panic(err) // strings only: cannot fail
	}
	return append(append([]byte("// The glossary (planner/glossary/glossary.tsv): one term per concept.\nwindow.lifecircleGlossary = "), b...), ";\n"...)
}()

func (s *Server) handleGlossaryScript(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(glossaryScript)
}
