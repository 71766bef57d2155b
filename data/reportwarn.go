package data

import (
	"slices"

	"github.com/lifecircle/lifecircle/planner"
)

// reportWarnNext bounds the warnings shown next to one figure; the rest
// are in the method page's list and in summary.json.
const reportWarnNext = 3

// A reportWarning is a typed warning shown next to the figure it affects.
type reportWarning struct {
	Zh, En string
}

// figureWarnings splits the typed warnings of meta by the figures they
// affect (the residents' total, the coverage per type), each shortened
// for the page, and returns the English texts they cover so that the
// general list does not repeat them.
func figureWarnings(meta AuditMeta) (population, coverage []reportWarning, shown []string) {
	for _, w := range meta.WarningDetails {
		rw := reportWarning{Zh: truncateText(w.Zh, 200), En: truncateText(w.En, 240)}
		switch {
		case w.Affects == planner.AffectsCoverage && len(coverage) < reportWarnNext:
			coverage = append(coverage, rw)
		case w.Affects != planner.AffectsCoverage && len(population) < reportWarnNext:
			population = append(population, rw)
		default:
			continue
		}
		shown = append(shown, w.En)
	}
	return population, coverage, shown
}

// withoutShown returns the warnings not in shown.
func withoutShown(warns, shown []string) []string {
	if len(shown) == 0 {
		return warns
	}
	out := warns[:0:0]
	for _, w := range warns {
		if !slices.Contains(shown, w) {
			out = append(out, w)
		}
	}
	return out
}
