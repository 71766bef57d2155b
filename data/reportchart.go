package data

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/lifecircle/lifecircle/planner"
	"github.com/lifecircle/lifecircle/planner/glossary"
)

// A reportChart is one type's walking-distance histogram in the report.
type reportChart struct {
	ID, Zh, En  string
	Threshold   float64
	Within      float64
	Beyond      float64
	Unreachable float64
	Residents   float64
	SVG         template.HTML
}

// reportCharts returns the histogram of every type (planner.Histogram).
func reportCharts(in planner.AuditInput, res *planner.AuditResult) []reportChart {
	var out []reportChart
	if len(res.Dist) != len(in.Profile.Types) || in.Demand == nil {
		return nil
	}
	for ti, t := range in.Profile.Types {
		h := planner.Histogram(in, res, ti)
		out = append(out, reportChart{ID: t.ID, Zh: t.Names.Zh, En: t.Names.En, Threshold: t.Threshold,
			Within: h.Within, Beyond: h.Beyond, Unreachable: h.Unreachable, Residents: h.Residents, SVG: histogramSVG(h)})
	}
	return out
}

// histogramSVG draws a histogram as the map page does (charts.js): bands
// within the threshold blue, beyond it orange, the farther and
// unreachable residents grey, a dashed line at the threshold. Texts are
// bilingual spans (the page's language switch shows one).
func histogramSVG(h planner.DistanceHistogram) template.HTML {
	const W, H, L, R, T, B = 460.0, 190.0, 46.0, 8.0, 18.0, 40.0
	type bar struct {
		v      float64
		class  string
		label  string
		zh, en string
	}
	var bars []bar
	for k, b := range h.Bins {
		c := "over"
		if k < h.ThresholdBins {
			c = "within"
		}
		bars = append(bars, bar{v: b.Residents, class: c, label: strconv.FormatFloat(b.To, 'f', 0, 64)})
	}
	bars = append(bars, bar{v: h.Beyond, class: "extra", label: ">", zh: glossary.Zh("beyond"), en: glossary.En("beyond")},
		bar{v: h.Unreachable, class: "extra", label: "×", zh: glossary.Zh("unreachable"), en: glossary.En("unreachable")})
	vmax := 1.0
	for _, b := range bars {
		vmax = math.Max(vmax, b.v)
	}
	const gap = 10.0
	plotH := H - T - B
	bw := (W - L - R - gap) / float64(len(bars))
	var s bytes.Buffer
	fmt.Fprintf(&s, `<svg class="hist" viewBox="0 0 %.0f %.0f" xmlns="http://www.w3.org/2000/svg" role="img">`, W, H)
	fmt.Fprintf(&s, `<line class="axis" x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f"/>`, L, T+plotH, W-R, T+plotH)
	fmt.Fprintf(&s, `<text class="tick" x="%.0f" y="%.1f" text-anchor="end">0</text>`, L-4, T+plotH)
	fmt.Fprintf(&s, `<text class="tick" x="%.0f" y="%.1f" text-anchor="end">%s</text>`, L-4, T+8, groupThousands(vmax))
	for k, b := range bars {
		x := L + float64(k)*bw
		if b.class == "extra" {
			x += gap
		}
		hgt := plotH * b.v / vmax
		fmt.Fprintf(&s, `<rect class="hbar %s" x="%.1f" y="%.1f" width="%.1f" height="%.1f" data-residents="%s"/>`,
			b.class, x+1, T+plotH-hgt, math.Max(1, bw-2), hgt, strconv.FormatFloat(b.v, 'f', 1, 64))
		if b.class == "extra" || len(bars) <= 14 || k%2 == 1 {
			anchor, tx := "end", x+bw-1
			if b.class == "extra" {
				anchor, tx = "middle", x+bw/2
			}
			fmt.Fprintf(&s, `<text class="tick" x="%.1f" y="%.1f" text-anchor="%s">%s</text>`, tx, T+plotH+12, anchor, b.label)
		}
	}
	tx := L + float64(h.ThresholdBins)*bw
	fmt.Fprintf(&s, `<line class="threshold" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, tx, T-8, tx, T+plotH)
	fmt.Fprintf(&s, `<text class="tick threshold-label" x="%.1f" y="%.1f">%s</text>`, tx+3, T-4,
		svgBi(glossary.Zh("threshold")+" "+strconv.FormatFloat(h.Threshold, 'f', 0, 64)+" 米", "threshold "+strconv.FormatFloat(h.Threshold, 'f', 0, 64)+" m"))
	fmt.Fprintf(&s, `<text class="tick" x="%.0f" y="%.0f">%s</text>`, L, H-6,
		svgBi(glossary.Zh("walking_distance")+"（米）· 纵轴："+glossary.Zh("residents"), "walking distance (m) · up: residents"))
	fmt.Fprintf(&s, `<text class="tick" x="%.0f" y="%.0f" text-anchor="end">%s</text>`, W-R, H-6,
		svgBi("> "+glossary.Zh("beyond")+" · × "+glossary.Zh("unreachable"), "> beyond · × unreachable"))
	s.WriteString(`</svg>`)
	return template.HTML(s.String())
}

// svgBi is bi for SVG text: two tspans, one per language.
func svgBi(zh, en string) string {
	return `<tspan class="t-zh">` + template.HTMLEscapeString(zh) + `</tspan><tspan class="t-en">` + template.HTMLEscapeString(en) + `</tspan>`
}

// levelBi names a unit level in both languages (the glossary's term).
func levelBi(name string) template.HTML {
	zh, en := glossary.Level(name)
	return bi(zh, en)
}

var sourceParen = regexp.MustCompile(`\s*\([^()]*\)`)

// sourceZh is the Chinese reading of a built-in type's source note
// ("GB 50180-2018 《…》: explanation. OSM wiki: Tag:…"): the standard's
// name and the OSM wiki pages, without the English explanation. A note
// of another form is kept as written.
func sourceZh(src string) string {
	std, rest, ok := strings.Cut(src, ": ")
	_, wiki, ok2 := strings.Cut(rest, "OSM wiki: ")
	if !ok || !ok2 || !strings.ContainsAny(std, "《》") {
		return src
	}
	wiki = strings.TrimSuffix(strings.TrimSpace(sourceParen.ReplaceAllString(wiki, "")), ".")
	return std + "；OSM 维基：" + wiki
}

// warningZh is the Chinese text of an audit warning known by its form,
// else "" (the English text is shown).
func warningZh(w string, types []planner.AmenityType) string {
	for _, t := range types {
		if w == fmt.Sprintf("no %s (%s) facilities found: coverage is 0 %%", t.ID, t.Names.En) {
			return "未找到“" + t.Names.Zh + "”设施：覆盖率为 0 %"
		}
	}
	return ""
}

// shortName is a type's name up to its first slash: 老年人日间照料中心/托老站
// lists as 老年人日间照料中心, so that a row of them fits a table cell.
func shortName(name string) string {
	if i := strings.IndexAny(name, "/／"); i > 0 {
		return strings.TrimSpace(name[:i])
	}
	return name
}
