package data

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"

	"github.com/lifecircle/lifecircle/planner"
)

// phaseJSON is one phase in before_after.json.
type phaseJSON struct {
	Phase      int                `json:"phase"`
	Label      string             `json:"label"`
	Year       int                `json:"year"`
	K          int                `json:"k"`
	Sites      int                `json:"sites"`
	Opened     int                `json:"opened_facilities"`
	OpenedGain Num                `json:"opened_gain"`
	Gain       Num                `json:"gain"`
	UpperBound Num                `json:"upper_bound"`
	Gap        Num                `json:"gap"`
	Optimal    bool               `json:"optimal"`
	Stopped    bool               `json:"stopped_early"`
	Coverage   map[string]float64 `json:"coverage_after"`
}

// phasesJSON returns the phases of res for before_after.json.
func phasesJSON(in planner.ProposeInput, res *planner.ProposeResult) []phaseJSON {
	out := make([]phaseJSON, len(res.Phases))
	for i, p := range res.Phases {
		cov := map[string]float64{}
		for ti, t := range in.Types {
			cov[t.ID] = float64(Round(p.CoverageAfter[ti], 4))
		}
		out[i] = phaseJSON{Phase: i + 1, Label: p.Label, Year: p.Year, K: p.K, Sites: p.Sites, Opened: p.Opened,
			OpenedGain: Round(p.OpenedGain, 3), Gain: Round(p.Gain, 3), UpperBound: Round(p.UpperBound, 3), Gap: Round(p.Gap, 6),
			Optimal: p.Optimal, Stopped: p.StoppedEarly, Coverage: cov}
	}
	return out
}

// WritePhaseTable writes the phase table of a phased proposal for the
// terminal: per phase its new sites, the planned facilities it opens and
// their gain, the sites' gain with the bound on any choice of as many
// sites given the earlier phases, and each type's coverage after it.
func WritePhaseTable(w io.Writer, in planner.ProposeInput, res *planner.ProposeResult) {
	if len(res.Phases) == 0 {
		return
	}
	fmt.Fprintf(w, "\n分期建设 / Build phases\n")
	fmt.Fprintf(w, "%5s  %-8s %5s %6s %12s %12s %12s %7s  %s\n", "phase", "year", "sites", "opened", "opened gain", "gain", "bound", "gap", "coverage after")
	for i, p := range res.Phases {
		var cov []string
		for ti, t := range in.Types {
			cov = append(cov, fmt.Sprintf("%s %.1f%%", t.ID, 100*p.CoverageAfter[ti]))
		}
		fmt.Fprintf(w, "%5d  %-8s %5d %6d %12.0f %12.0f %12.0f %6.2f%%  %s\n", i+1, p.Label, p.Sites, p.Opened, p.OpenedGain,
			math.Floor(p.Gain+1e-9), math.Ceil(p.UpperBound-1e-9), 100*p.Gap, strings.Join(cov, ", "))
	}
	fmt.Fprintf(w, "每期在前期选址和当年已开放的规划设施基础上选址；上界：该期任意同样数量的选址均不会覆盖更多\n"+
		"each phase's sites are chosen given the earlier phases' sites and the planned facilities open by its year; bound: no choice of as many sites in that phase covers more\n")
}

//go:embed report/proposal.html.tmpl
var proposalReportText string

var proposalReport = template.Must(template.New("proposal").Funcs(template.FuncMap{
	"bi":  bi,
	"pct": func(x float64) string { return pctText(x) },
	"int": func(x float64) string { return groupThousands(math.Floor(x + 1e-9)) },
	"up":  func(x float64) string { return groupThousands(math.Ceil(x - 1e-9)) },
	"gap": func(x float64) string { return fmt.Sprintf("%.2f%%", 100*x) },
	"sub": func(a, b float64) float64 { return a - b },
	"lonlat": func(x float64) string {
		return fmt.Sprintf("%.6f", x)
	},
}).Parse(proposalReportText))

// proposalReportData is what report.html of a proposal shows.
type proposalReportData struct {
	Version, Mode, ModeZh, Types, Attribution string
	CSS                                       template.CSS
	JS                                        template.JS
	TypeNames                                 []planner.Names
	Coverage                                  []planner.TypeCoverage
	Res                                       *planner.ProposeResult
	Phases                                    []proposalPhaseRow
}

type proposalPhaseRow struct {
	planner.PhaseResult
	N        int
	Coverage []string
}

// writeProposalReport writes report.html of a proposal: the coverage
// before and after, the phase table of a phased proposal, and the sites.
func writeProposalReport(w io.Writer, in planner.ProposeInput, res *planner.ProposeResult, meta ProposeMeta) error {
	zh := map[string]string{"maximal covering": "最大覆盖", "set covering": "集合覆盖", "phased maximal covering": "分期最大覆盖"}[meta.Mode]
	d := proposalReportData{Version: meta.Version, Mode: meta.Mode, ModeZh: zh, Types: typeList(in), Attribution: Attribution,
		CSS: template.CSS(reportCSS), JS: template.JS(reportJS), Coverage: res.Coverage, Res: res}
	for _, t := range in.Types {
		d.TypeNames = append(d.TypeNames, t.Names)
	}
	for i, p := range res.Phases {
		row := proposalPhaseRow{PhaseResult: p, N: i + 1}
		for ti, t := range in.Types {
			row.Coverage = append(row.Coverage, t.ID+" "+pctText(p.CoverageAfter[ti]))
		}
		d.Phases = append(d.Phases, row)
	}
	var b bytes.Buffer
	if err := proposalReport.Execute(&b, d); err != nil {
		return fmt.Errorf("proposal report: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}
