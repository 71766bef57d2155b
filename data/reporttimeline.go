package data

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/lifecircle/lifecircle/planner"
)

// timelineColors tell the types apart in the timeline chart (colour-blind
// safe, Okabe–Ito).
var timelineColors = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000"}

// reportTimeline is the report's timeline page: the chart and its table.
type reportTimeline struct {
	Chart  template.HTML
	Years  []int
	Series []reportSeries
}

// reportSeries is one type's coverage per year of the timeline.
type reportSeries struct {
	ID, Zh, En, Color string
	Coverage          []float64 // per year, 0..1
	Cells             []reportTimelineCell
}

// reportTimelineCell is one year of a type in the timeline's table.
type reportTimelineCell struct {
	Coverage   float64
	Facilities int
}

// buildTimeline returns the timeline page of rows (nil without rows).
func buildTimeline(prof *planner.Profile, rows []TimelineRow) *reportTimeline {
	if len(rows) == 0 {
		return nil
	}
	tl := &reportTimeline{}
	idx := map[string]int{}
	yearIdx := map[int]int{}
	for _, r := range rows {
		if _, ok := yearIdx[r.Year]; !ok {
			yearIdx[r.Year] = len(tl.Years)
			tl.Years = append(tl.Years, r.Year)
		}
	}
	for _, r := range rows {
		i, ok := idx[r.Type]
		if !ok {
			i = len(tl.Series)
			idx[r.Type] = i
			s := reportSeries{ID: r.Type, Color: timelineColors[i%len(timelineColors)],
				Coverage: make([]float64, len(tl.Years)), Cells: make([]reportTimelineCell, len(tl.Years))}
			s.Zh, s.En = r.Type, r.Type
			if t, ok := prof.Type(r.Type); ok {
				s.Zh, s.En = t.Names.Zh, t.Names.En
			}
			tl.Series = append(tl.Series, s)
		}
		y := yearIdx[r.Year]
		tl.Series[i].Coverage[y] = float64(r.Coverage)
		tl.Series[i].Cells[y] = reportTimelineCell{float64(r.Coverage), r.Facilities}
	}
	tl.Chart = timelineSVG(tl)
	return tl
}

// timelineSVG draws coverage (0–100 %) against the years, one line per
// type, with the years on the x axis.
func timelineSVG(tl *reportTimeline) template.HTML {
	const w, h, left, right, top, bottom = 640.0, 300.0, 44.0, 20.0, 12.0, 28.0
	pw, ph := w-left-right, h-top-bottom
	x := func(i int) float64 {
		if len(tl.Years) == 1 {
			return left + pw/2
		}
		return left + pw*float64(i)/float64(len(tl.Years)-1)
	}
	y := func(c float64) float64 { return top + ph*(1-c) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="timeline-chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="coverage per year">`, w, h)
	for _, g := range []float64{0, 0.25, 0.5, 0.75, 1} {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.1f" y="%.1f" font-size="10" text-anchor="end" fill="#555">%.0f%%</text>`,
			left, w-right, y(g), y(g), left-4, y(g)+3, 100*g)
	}
	for i, yr := range tl.Years {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="middle" fill="#555">%d</text>`, x(i), h-bottom+16, yr)
	}
	for _, s := range tl.Series {
		var pts []string
		for i, c := range s.Coverage {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(c)))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"><title>%s</title></polyline>`,
			s.Color, strings.Join(pts, " "), template.HTMLEscapeString(s.ID))
		for i, c := range s.Coverage {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"/>`, x(i), y(c), s.Color)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
