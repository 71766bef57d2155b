package data

import (
	"bytes"
	"cmp"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lifecircle/lifecircle/planner"
	"github.com/lifecircle/lifecircle/planner/glossary"
	"github.com/paulmach/orb"
)

// The report is one self-contained HTML file: CSS, JS and the maps (SVG
// drawn here) are inline, nothing is loaded from anywhere, so it opens
// offline from disk and prints to PDF with one section per A4 page.

//go:embed report/report.html.tmpl
var reportTemplateText string

//go:embed report/report.css
var reportCSS string

//go:embed report/report.js
var reportJS string

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"bi":  bi,
	"pct": func(x float64) string { return pctText(x) },
	"int": func(x float64) string { return groupThousands(x) },
	"add": func(a, b int) int { return a + b },
	// term is a glossary term in both languages.
	"term": func(k string) template.HTML { return bi(glossary.Zh(k), glossary.En(k)) },
}).Parse(reportTemplateText))

// Report layout limits: each section fits one printed page.
const (
	reportLevelRows = 26 // units per level table
	reportRuleRows  = 12 // rules in the rules table
	reportBreachRow = 20 // broken units listed
	reportWorstRows = 5  // worst units on the first page
	reportWarnings  = 6
	reportMapWidth  = 1000.0
	// reportStreetsMax bounds the street edges drawn under the maps.
	reportStreetsMax = 40000
	// reportMapMaxUnits is the most units of one level the maps draw
	// legibly: about 20 × 20 px each on the 1000 × 700 px map, 3–4 mm on
	// the printed page. The maps show the finest level with at most this
	// many units (overviewLevel).
	reportMapMaxUnits = 2000
)

// overviewLevel returns the level of h the report's maps show: the finest
// level with at most reportMapMaxUnits units, else the coarsest (a grid of
// many cells, the only level, is drawn whatever its size: as an image
// beyond reportVectorUnitsMax units, reportraster.go).
func overviewLevel(h *planner.Hierarchy) int {
	for k := len(h.Levels) - 1; k >= 0; k-- {
		if len(h.Levels[k].Units) <= reportMapMaxUnits {
			return k
		}
	}
	return 0
}

// ReportPages returns the number of printed A4 pages of the report of an
// audit with the given number of unit levels: overview, type maps, one
// page per level, walking distances, the timeline (with --timeline),
// rules, method.
func ReportPages(levels int, timeline bool) int {
	if timeline {
		return 6 + max(levels, 1)
	}
	return 5 + max(levels, 1)
}

// bi renders a bilingual text: the page shows one language or both.
func bi(zh, en string) template.HTML {
	if zh == "" {
		zh = en
	}
	if en == "" {
		en = zh
	}
	return template.HTML(`<span class="zh" lang="zh-CN">` + template.HTMLEscapeString(zh) +
		`</span><span class="en" lang="en">` + template.HTMLEscapeString(en) + `</span>`)
}

func pctText(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	v := 100 * x
	if v > 99.95 && v < 100 {
		return "99.9 %"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " %"
}

// groupThousands formats x rounded, with thin spaces between thousands.
func groupThousands(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	s := Thousands(x, "\u202f")
	if rest, neg := strings.CutPrefix(s, "-"); neg {
		return "−" + rest
	}
	return s
}

// Thousands formats x rounded to a whole number, with sep between groups
// of three digits: Thousands(12430, ",") is "12,430".
func Thousands(x float64, sep string) string {
	s := strconv.FormatFloat(math.Round(x), 'f', 0, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Colour classes of shares (ColorBrewer RdYlBu, colour-blind safe).
var shareClasses = []struct {
	lo    float64
	color string
	label string
}{
	{0, "#d7191c", "0–20 %"},
	{0.2, "#fdae61", "20–40 %"},
	{0.4, "#ffffbf", "40–60 %"},
	{0.6, "#abd9e9", "60–80 %"},
	{0.8, "#2c7bb6", "80–100 %"},
}

const noResidentsColor = "#e9e9e9"

func shareColor(x float64, pop float64) string {
	if !(pop > 0) || math.IsNaN(x) {
		return noResidentsColor
	}
	c := shareClasses[0].color
	for _, k := range shareClasses {
		if x >= k.lo-1e-12 {
			c = k.color
		}
	}
	return c
}

type legendItem struct {
	Color, Label string
}

type reportKPI struct {
	Zh, En, Value, Note string
	Bad                 bool
}

type reportBar struct {
	ID, Zh, En    string
	Threshold     float64
	Tier          int
	Share         float64
	Width         string // CSS percentage
	Color         string
	Gap           float64
	Facilities    int
	Overrides     string  // a facility overrides file's changes to the count, "" = none
	Target        float64 // rule target share, 0 = none
	TargetLeft    string
	TargetMissing bool
	Group         string // resident group the type is judged by, "" = all
	// Capacity are the type's capacity figures (district bars only; nil
	// without them).
	Capacity *reportCapacity
}

// reportCapacity is one type's capacity figures on the overview page.
type reportCapacity struct {
	Places, Ratio, Served, Over float64
	Known, Full                 int
}

type reportTypeMap struct {
	ID, Zh, En string
	Threshold  float64
	Coverage   float64
	Facilities int
	SVG        template.HTML
}

type reportCell struct {
	Text  string
	Color string
	Ink   string // text colour readable on Color
	Count string
}

type reportUnitRow struct {
	ID, Name, Parent string
	Population       float64
	Completeness     float64
	BarWidth         string
	BarColor         string
	Cells            []reportCell
	// MissingZh and MissingEn name the types not fully covered: short
	// Chinese names, English type ids (short enough for one line).
	MissingZh, MissingEn string
}

type reportLevel struct {
	Index       int
	Name        string
	NameBi      template.HTML // the glossary's name of the level
	Units       int
	Population  float64
	Outside     float64
	Completion  float64
	FullyServed float64
	Bars        []reportBar
	Rows        []reportUnitRow
	More        int
	File        string
}

type reportRule struct {
	Index         int
	Zh, En        string
	Level, Origin string
	LevelBi       template.HTML
	Note          string
	Checked       int
	Broken        int
	OK            bool
}

type reportBreach struct {
	Rule             int
	Unit, Name       string
	UnitBi           template.HTML // the district as a whole, by its glossary name
	Population       float64
	Required, Actual string
	Shortfall        template.HTML
}

type reportTypeRow struct {
	ID, Zh, En string
	Tier       int
	Threshold  float64
	Weight     float64
	Facilities int
	Source     string
	SourceZh   string // sourceZh(Source)
}

type reportKV struct {
	Key, Value string
	Zh         string // the key's glossary term, else the key
}

// kvZh fills the Chinese names of keys from the glossary (prefix + key).
func kvZh(kvs []reportKV, prefix string) []reportKV {
	for i, kv := range kvs {
		kvs[i].Zh = kv.Key
		if t, ok := glossary.Lookup(prefix + kv.Key); ok {
			kvs[i].Zh = t.Zh
		}
	}
	return kvs
}

type reportData struct {
	Title       string
	Created     string
	Version     string
	ProfileID   string
	ProfileZh   string
	ProfileEn   string
	DemandZh    string
	DemandEn    string
	UnitsZh     string
	UnitsEn     string
	KPIs        []reportKPI
	MainMap     template.HTML
	MainLevel   template.HTML // the level the maps show, in both languages
	Legend      []legendItem
	NoResColor  string
	Bars        []reportBar
	Capacity    bool // some type has capacity figures
	Worst       []reportUnitRow
	TypeMaps    []reportTypeMap
	MapColumns  int
	TypeHeaders []reportTypeRow
	Levels      []reportLevel
	Rules       []reportRule
	RulesMore   int
	Breaches    []reportBreach
	BreachMore  int
	BrokenRules int
	Types       []reportTypeRow
	Inputs      []reportKV
	Network     []reportKV
	Timings     []reportKV
	Warnings    []reportWarning
	WarnMore    int
	// Charts are the walking-distance histograms per type.
	Charts []reportChart
	// PopWarnings and CoverageWarnings are typed warnings shown next to
	// the residents' total and the coverage per type.
	PopWarnings, CoverageWarnings []reportWarning
	Attribution                   string
	Pages                         int
	// AsOfZh and AsOfEn say when the facilities were counted ("" for
	// outputs without facility status).
	AsOfZh, AsOfEn string
	// Timeline is the page of --timeline (nil without); TimelinePage and
	// RulesPage are the printed page numbers.
	Timeline                *reportTimeline
	TimelinePage, RulesPage int
	CSS                     template.CSS
	JS                      template.JS
}

// WriteReport writes report.html: the audit on A4 pages for the annual
// review — overview with the completeness map and coverage per type, one
// coverage map per type, each level's units worst first, the provision
// rules and the units that break them, and the method (demand source,
// thresholds with their sources, inputs, timings). Bilingual (中文 /
// English switch), self-contained, no external requests.
func WriteReport(w io.Writer, in planner.AuditInput, res *planner.AuditResult, meta AuditMeta) error {
	d := buildReport(in, res, meta)
	var b bytes.Buffer
	if err := reportTemplate.Execute(&b, d); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func buildReport(in planner.AuditInput, res *planner.AuditResult, meta AuditMeta) *reportData {
	types := in.Profile.Types
	d := &reportData{
		Title:       meta.Title,
		Created:     time.Now().Format("2006-01-02 15:04"),
		Version:     meta.Version,
		ProfileID:   in.Profile.ID,
		ProfileZh:   in.Profile.Names.Zh,
		ProfileEn:   in.Profile.Names.En,
		Legend:      make([]legendItem, len(shareClasses)),
		NoResColor:  noResidentsColor,
		Attribution: Attribution,
		CSS:         template.CSS(reportCSS),
		JS:          template.JS(reportJS),
	}
	for i, c := range shareClasses {
		d.Legend[i] = legendItem{c.color, c.label}
	}
	if d.Title == "" {
		d.Title = reportTitleFromInputs(meta)
	}
	d.DemandZh, d.DemandEn = demandNames(in.Demand.Source)
	if meta.UnitsFile != "" {
		d.UnitsZh, d.UnitsEn = "导入单元："+meta.UnitsFile, "imported units: "+meta.UnitsFile
	} else {
		d.UnitsZh = fmt.Sprintf("%.0f 米网格（%s）", meta.CellSize, meta.GridID)
		d.UnitsEn = fmt.Sprintf("%.0f m grid cells (%s)", meta.CellSize, meta.GridID)
	}

	// Rule targets per type (district-wide coverage rules) for the bars.
	target := map[string]float64{}
	for _, c := range res.Rules {
		if c.Kind == planner.RuleCoverage && (c.Rule.Level == "" || c.Rule.Level == planner.DistrictLevel) {
			target[c.Rule.Type] = math.Max(target[c.Rule.Type], c.Rule.MinCoverage)
		}
	}
	nFac := 0
	for _, t := range res.Types {
		nFac += t.Facilities
	}
	d.BrokenRules = planner.BrokenRules(res.Rules)
	d.KPIs = []reportKPI{
		{Zh: glossary.Zh("residents"), En: glossary.En("residents"), Value: groupThousands(res.Population), Note: fmt.Sprintf("%d", len(in.Demand.Points))},
		{Zh: glossary.Zh("completeness"), En: glossary.En("completeness"), Value: pctText(res.Completeness)},
		{Zh: glossary.Zh("fully_served"), En: glossary.En("fully_served"), Value: pctText(res.FullyServed)},
		facilitiesKPI(nFac, meta.FacilityOverrides),
		{Zh: "未达标规则", En: "Rules broken", Value: fmt.Sprintf("%d / %d", d.BrokenRules, len(res.Rules)), Bad: d.BrokenRules > 0},
	}
	for ti, t := range res.Types {
		b := reportBar{ID: t.ID, Zh: t.Names.Zh, En: t.Names.En, Threshold: t.Threshold, Tier: t.Tier,
			Share: t.Coverage, Width: cssPct(t.Coverage), Color: shareColor(t.Coverage, 1), Gap: t.Gap, Facilities: t.Facilities, Group: t.Demand}
		if o := meta.FacilityOverrides.Type(t.ID); o != nil {
			b.Overrides = o.Text()
		}
		if x, ok := target[t.ID]; ok {
			b.Target, b.TargetLeft, b.TargetMissing = x, cssPct(x), t.Coverage < x-1e-9
		}
		if res.Capacity != nil && res.Capacity[ti] != nil {
			c := res.Capacity[ti]
			b.Capacity = &reportCapacity{Places: c.Places, Ratio: c.Ratio, Served: c.Served, Over: c.OverCapacity, Known: c.Facilities, Full: c.Full}
			d.Capacity = true
		}
		d.Bars = append(d.Bars, b)
	}

	// Maps: the finest legible level (overviewLevel) drawn over the
	// coarser ones, each unit filled by its own figure, so areas without
	// finer units (a commune without quarters) still show; coarser
	// levels' outlines on top.
	type layer struct {
		units []planner.Unit
		res   []planner.UnitResult
	}
	var layers []layer
	var outlines [][]orb.Polygon
	mainLevel := ""
	if in.Hierarchy != nil && len(in.Hierarchy.Levels) > 1 && len(res.Levels) == len(in.Hierarchy.Levels) {
		top := overviewLevel(in.Hierarchy)
		mainLevel = in.Hierarchy.Levels[top].Name
		for k, l := range in.Hierarchy.Levels[:top+1] {
			layers = append(layers, layer{l.Units, res.Levels[k].Units})
			if k < top {
				var ps []orb.Polygon
				for _, u := range l.Units {
					ps = append(ps, polygonsOf(u.Geometry)...)
				}
				outlines = append(outlines, ps)
			}
		}
	} else {
		layers = []layer{{in.Units, res.Units}}
	}
	var allUnits []planner.Unit
	for _, l := range layers {
		allUnits = append(allUnits, l.units...)
	}
	proj := newMapProjection(allUnits, in.Demand.Points)
	streets := proj.streets(in, reportStreetsMax)
	draw := func(value func(r planner.UnitResult) float64, pts []orb.Point, streets, class string) template.HTML {
		var units []planner.Unit
		var fill []string
		var order []int
		for k, l := range layers {
			for u := range l.units {
				r := l.res[u]
				units = append(units, l.units[u])
				fill = append(fill, shareColor(value(r), r.Population))
				order = append(order, k)
			}
		}
		return proj.svg(units, fill, order, outlines, streets, pts, class)
	}
	d.MainMap = draw(func(r planner.UnitResult) float64 { return r.Completeness }, nil, streets, "map-main")
	if mainLevel == "" {
		mainLevel = planner.DefaultLevelName
		if in.Hierarchy != nil && len(in.Hierarchy.Levels) > 0 {
			mainLevel = in.Hierarchy.Levels[len(in.Hierarchy.Levels)-1].Name
		}
	}
	d.MainLevel = levelBi(mainLevel)
	d.Charts = reportCharts(in, res)
	facPts := planner.FacilityPoints(in.Facilities)
	smallStreets := streets
	if len(allUnits) > 4000 {
		smallStreets = ""
	}
	for ti, t := range types {
		var pts []orb.Point
		for fi, f := range in.Facilities {
			if f.Type == t.ID {
				pts = append(pts, facPts[fi])
			}
		}
		cov := func(r planner.UnitResult) float64 {
			if r.Population > 0 {
				return r.Covered[ti] / r.Population
			}
			return math.NaN()
		}
		d.TypeMaps = append(d.TypeMaps, reportTypeMap{ID: t.ID, Zh: t.Names.Zh, En: t.Names.En, Threshold: t.Threshold,
			Coverage: res.Types[ti].Coverage, Facilities: res.Types[ti].Facilities,
			SVG: draw(cov, pts, smallStreets, "map-small")})
	}
	d.MapColumns = 2
	if len(types) > 6 {
		d.MapColumns = 3
	}

	// Worst units of the finest level on the first page.
	for _, u := range planner.WorstUnits(res.Units, reportWorstRows) {
		d.Worst = append(d.Worst, unitRow(in, in.Units[u], res.Units[u], nil, ""))
	}

	// Levels.
	if in.Hierarchy != nil && len(res.Levels) == len(in.Hierarchy.Levels) {
		for k, l := range res.Levels {
			lv := &in.Hierarchy.Levels[k]
			rl := reportLevel{Index: k + 1, Name: l.Name, NameBi: levelBi(l.Name), Units: len(l.Units), Population: l.Population, Outside: l.Outside,
				Completion: l.Completeness, FullyServed: l.FullyServed}
			if len(res.Levels) > 1 {
				rl.File = LevelFileName(l.Name)
			} else {
				rl.File = UnitsFileName(meta)
			}
			for ti, t := range types {
				share := 0.0
				if l.Population > 0 {
					share = l.Types[ti].Covered / l.Population
				}
				rl.Bars = append(rl.Bars, reportBar{ID: t.ID, Zh: t.Names.Zh, En: t.Names.En, Threshold: t.Threshold,
					Share: share, Width: cssPct(share), Color: shareColor(share, l.Population), Gap: l.Population - l.Types[ti].Covered,
					Facilities: l.Types[ti].GapUnits})
			}
			order := planner.WorstUnits(l.Units, len(l.Units))
			// Units without residents after the others.
			inOrder := map[int]bool{}
			for _, u := range order {
				inOrder[u] = true
			}
			for u := range l.Units {
				if !inOrder[u] {
					order = append(order, u)
				}
			}
			if len(order) > reportLevelRows {
				rl.More = len(order) - reportLevelRows
				order = order[:reportLevelRows]
			}
			for _, u := range order {
				parent := ""
				if k > 0 && lv.Parent[u] >= 0 {
					pu := in.Hierarchy.Levels[k-1].Units[lv.Parent[u]]
					parent = pu.Name
					if parent == "" {
						parent = pu.ID
					}
				}
				rl.Rows = append(rl.Rows, unitRow(in, lv.Units[u], l.Units[u], l.Facilities[u], parent))
			}
			d.Levels = append(d.Levels, rl)
		}
	} else {
		// No hierarchy (an AuditInput built in code): the units as one level.
		rl := reportLevel{Index: 1, Name: planner.DefaultLevelName, NameBi: levelBi(planner.DefaultLevelName), Units: len(in.Units), File: UnitsFileName(meta)}
		for _, u := range planner.WorstUnits(res.Units, reportLevelRows) {
			rl.Rows = append(rl.Rows, unitRow(in, in.Units[u], res.Units[u], nil, ""))
		}
		d.Levels = append(d.Levels, rl)
	}
	for _, t := range types {
		d.TypeHeaders = append(d.TypeHeaders, reportTypeRow{ID: t.ID, Zh: t.Names.Zh, En: t.Names.En})
	}

	// Rules.
	for i, c := range res.Rules {
		if i == reportRuleRows {
			d.RulesMore = len(res.Rules) - reportRuleRows
			break
		}
		level := c.Rule.Level
		if level == "" {
			level = planner.DistrictLevel
		}
		d.Rules = append(d.Rules, reportRule{Index: c.Index + 1, Zh: c.Text.Zh, En: c.Text.En, Level: level, LevelBi: levelBi(level),
			Origin: c.Rule.Origin, Note: c.Rule.Note, Checked: c.Checked, Broken: len(c.Breaches), OK: !c.Broken()})
	}
	total := 0
	for _, c := range res.Rules {
		for _, b := range c.Breaches {
			total++
			if len(d.Breaches) >= reportBreachRow {
				continue
			}
			rb := reportBreach{Rule: c.Index + 1, Unit: b.UnitID, Name: b.UnitName, Population: b.Population}
			if b.UnitID == planner.DistrictLevel && b.UnitName == "" {
				rb.UnitBi = levelBi(b.UnitID)
			}
			if c.Kind == planner.RuleCoverage {
				rb.Required, rb.Actual = pctText(b.Required), pctText(b.Actual)
				rb.Shortfall = template.HTML(template.HTMLEscapeString(groupThousands(b.Residents))+" ") + bi("人", "residents")
			} else {
				rb.Required, rb.Actual = fmtCount(b.Required), fmtCount(b.Actual)
				rb.Shortfall = template.HTML(fmtCount(b.Shortfall)+" ") + bi("处", "site(s)")
			}
			d.Breaches = append(d.Breaches, rb)
		}
	}
	d.BreachMore = total - len(d.Breaches)

	// Method.
	for ti, t := range types {
		d.Types = append(d.Types, reportTypeRow{ID: t.ID, Zh: t.Names.Zh, En: t.Names.En, Tier: t.Tier,
			Threshold: t.Threshold, Weight: t.Weight, Facilities: res.Types[ti].Facilities, Source: t.Source, SourceZh: sourceZh(t.Source)})
	}
	keys := make([]string, 0, len(meta.Inputs))
	for k := range meta.Inputs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := fmt.Sprint(meta.Inputs[k])
		if s, ok := meta.Inputs[k].([]string); ok {
			v = strings.Join(s, ", ")
		}
		d.Inputs = append(d.Inputs, reportKV{Key: k, Value: v})
	}
	n := meta.Network
	d.Network = kvZh([]reportKV{
		{Key: "nodes", Value: strconv.Itoa(n.Nodes)}, {Key: "edges", Value: strconv.Itoa(n.Edges)},
		{Key: "length_km", Value: strconv.FormatFloat(n.LengthKm, 'f', 1, 64)}, {Key: "components", Value: strconv.Itoa(n.Components)},
	}, "net_")
	d.Inputs = kvZh(d.Inputs, "input_")
	timings := map[string]time.Duration{}
	for k, v := range meta.Timings {
		timings[k] = v
	}
	for k, v := range res.Timings {
		timings[k] = v
	}
	tk := make([]string, 0, len(timings))
	for k := range timings {
		tk = append(tk, k)
	}
	sort.Strings(tk)
	for _, k := range tk {
		v := timings[k]
		text := strconv.FormatFloat(v.Seconds(), 'f', 2, 64) + " s"
		if v < time.Second {
			text = strconv.FormatFloat(float64(v.Microseconds())/1000, 'f', 1, 64) + " ms"
		}
		d.Timings = append(d.Timings, reportKV{Key: k, Value: text})
	}
	d.Timings = kvZh(d.Timings, "step_")
	var shown []string
	d.PopWarnings, d.CoverageWarnings, shown = figureWarnings(meta)
	warns := withoutShown(append(append([]string(nil), meta.Warnings...), res.Warnings...), shown)
	if len(warns) > reportWarnings {
		d.WarnMore = len(warns) - reportWarnings
		warns = warns[:reportWarnings]
	}
	for _, w := range warns {
		en := truncateText(w, 240)
		d.Warnings = append(d.Warnings, reportWarning{Zh: warningZh(w, types), En: en})
	}
	d.Timeline = buildTimeline(in.Profile, meta.Timeline)
	d.AsOfZh, d.AsOfEn = meta.AsOf.Label()
	d.Pages = ReportPages(len(d.Levels), d.Timeline != nil)
	d.RulesPage = max(len(d.Levels), 1) + 4
	if d.Timeline != nil {
		d.TimelinePage = d.RulesPage
		d.RulesPage++
	}
	return d
}

func truncateText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func fmtCount(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

func cssPct(x float64) string {
	if math.IsNaN(x) {
		x = 0
	}
	return strconv.FormatFloat(100*math.Max(0, math.Min(1, x)), 'f', 1, 64) + "%"
}

// unitRow is a table row of a unit; fac (facility counts per type) may be nil.
func unitRow(in planner.AuditInput, u planner.Unit, r planner.UnitResult, fac []int, parent string) reportUnitRow {
	row := reportUnitRow{ID: u.ID, Name: u.Name, Parent: parent, Population: r.Population, Completeness: r.Completeness,
		BarWidth: cssPct(r.Completeness), BarColor: shareColor(r.Completeness, r.Population)}
	if !(r.Population > 0) {
		row.Completeness = math.NaN() // no residents: "–", not "0.0 %"
	}
	var missZh, missEn []string
	for ti, t := range in.Profile.Types {
		cell := reportCell{Text: "–", Color: noResidentsColor, Ink: "#1d2733"}
		if r.Population > 0 {
			cov := r.Covered[ti] / r.Population
			cell.Text = strconv.FormatFloat(100*cov, 'f', 0, 64)
			cell.Color = shareColor(cov, r.Population)
			cell.Ink = inkOn(cell.Color)
			if cov < 1-1e-9 {
				missZh, missEn = append(missZh, shortName(cmp.Or(t.Names.Zh, t.ID))), append(missEn, t.ID)
			}
		}
		if fac != nil {
			cell.Count = strconv.Itoa(fac[ti])
		}
		row.Cells = append(row.Cells, cell)
	}
	row.MissingZh, row.MissingEn = strings.Join(missZh, "、"), strings.Join(missEn, ", ")
	return row
}

// inkOn returns a text colour readable on the fill colour c.
func inkOn(c string) string {
	if c == shareClasses[0].color || c == shareClasses[len(shareClasses)-1].color {
		return "#ffffff"
	}
	return "#1d2733"
}

func demandNames(src string) (zh, en string) {
	switch src {
	case planner.DemandPopulationLayer:
		return "人口图层", "population layer"
	case planner.DemandBuildings:
		return "住宅建筑估算（占地面积 × 层数 ÷ 人均建筑面积）", "residential buildings (footprint × levels ÷ floor area per person)"
	case planner.DemandUnitCounts:
		return "官方单元人口（按住宅建筑面积或街道采样分配）", "official counts per unit (spread over residential floor area, else streets)"
	case planner.DemandNetworkSample:
		return "沿街道每 50 米取样（每点权重 1，非真实人口）", "network sample every 50 m along the streets (weight 1 each, not real residents)"
	}
	return src, src
}

func reportTitleFromInputs(meta AuditMeta) string {
	for _, k := range []string{"osm", "network"} {
		if v, ok := meta.Inputs[k].(string); ok && v != "" {
			if strings.Contains(v, "bundled sample") {
				return "Helsinki sample"
			}
			return strings.TrimSuffix(strings.TrimSuffix(filepath.Base(v), ".pbf"), ".osm")
		}
	}
	return "lifecircle audit"
}
