package web

import (
	"encoding/json"
	"errors"
	"fmt"
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
// that its labels take the glossary's terms from the first paint. It
// also defines lifecircleLevelName(name, lang), glossary.Level in the page.
var glossaryScript = func() []byte {
	terms, err1 := json.Marshal(glossary.Map())
	levels, err2 := json.Marshal(glossary.LevelKeys)
	aliases, err3 := json.Marshal(glossary.LevelAliases())
	if err := errors.Join(err1, err2, err3); err != nil {
		panic(err) // strings only: cannot fail
	}
	return fmt.Appendf(nil, `// The glossary (planner/glossary/glossary.tsv): one term per concept.
window.lifecircleGlossary = %s;
// lifecircleLevelName names a unit level in lang ("zh" or "en") as the report does.
window.lifecircleLevelName = (function (levels, aliases) {
  return function (name, lang) {
    var g = window.lifecircleGlossary, k = String(name || '').trim().toLowerCase();
    k = aliases[k] || k;
    if (levels.indexOf(k) >= 0 && g[k]) return g[k][lang === 'en' ? 'en' : 'zh'];
    var m = /^admin_?(?:level_?)?(\d{1,2})$/.exec(k);
    if (m) return g.admin_level[lang === 'en' ? 'en' : 'zh'] + ' ' + m[1];
    return String(name);
  };
})(%s, %s);
`, terms, levels, aliases)
}()

func (s *Server) handleGlossaryScript(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(glossaryScript)
}
