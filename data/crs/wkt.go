package crs

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// FromWKT recognises the coordinate system in well-known text: a Shapefile
// .prj (ESRI WKT1), GDAL's WKT1, or WKT2 as a GeoPackage stores it. It goes by
// the EPSG authority code when the text carries a supported one
// (AUTHORITY["EPSG","4547"] or ID["EPSG",4547]); otherwise by the datum
// (WGS 84 or China 2000), the projection (Transverse Mercator / Gauss–Krüger
// or web mercator) and its parameters, which must be those of a supported
// zone. Errors say what was not understood or not supported and how to fix
// the file; they do not name it — the caller does.
func FromWKT(wkt string) (CRS, error) {
	wkt = strings.TrimPrefix(strings.TrimSpace(wkt), "\ufeff")
	if wkt == "" {
		return CRS{}, errors.New("crs: the coordinate system text is empty — delete the .prj and give the coordinate system by its EPSG code, or write the .prj again with ogr2ogr")
	}
	if !utf8.ValidString(wkt) {
		return CRS{}, errors.New("crs: the coordinate system text is not UTF-8 text — is the .prj a copy of another file?")
	}
	root, err := parseWKT(wkt)
	if err != nil {
		return CRS{}, fmt.Errorf("crs: the coordinate system text is not valid WKT: %v — write the .prj again (e.g. ogr2ogr -a_srs EPSG:nnnn) or give the EPSG code instead", err)
	}
	return recognise(root)
}

// A wktNode is KEYWORD[arg, …]; each argument is a node, a quoted string, a
// number or a bare word (such as north or Cartesian).
type wktNode struct {
	key  string
	args []wktArg
}

type wktArg struct {
	node  *wktNode
	text  string
	num   float64
	isNum bool
}

const (
	maxWKTLen   = 1 << 16
	maxWKTDepth = 32
)

type wktParser struct {
	s   string
	pos int
}

func parseWKT(s string) (*wktNode, error) {
	if len(s) > maxWKTLen {
		return nil, fmt.Errorf("%d bytes is longer than any coordinate system (at most %d)", len(s), maxWKTLen)
	}
	p := &wktParser{s: s}
	p.space()
	key := p.word()
	if key == "" {
		return nil, fmt.Errorf("expected a keyword such as PROJCS or GEOGCS at byte %d", p.pos)
	}
	n, err := p.node(key, 0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos != len(p.s) {
		return nil, fmt.Errorf("unexpected text after the end at byte %d", p.pos)
	}
	return n, nil
}

func (p *wktParser) space() {
	for p.pos < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.pos]) >= 0 {
		p.pos++
	}
}

func (p *wktParser) word() string {
	start := p.pos
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || p.pos > start && c >= '0' && c <= '9' {
			p.pos++
			continue
		}
		break
	}
	return p.s[start:p.pos]
}

// node parses the bracketed argument list after key.
func (p *wktParser) node(key string, depth int) (*wktNode, error) {
	if depth > maxWKTDepth {
		return nil, fmt.Errorf("nested more than %d deep at byte %d", maxWKTDepth, p.pos)
	}
	p.space()
	if p.pos >= len(p.s) || (p.s[p.pos] != '[' && p.s[p.pos] != '(') {
		return nil, fmt.Errorf("expected [ after %s at byte %d", key, p.pos)
	}
	closer := byte(']')
	if p.s[p.pos] == '(' {
		closer = ')'
	}
	p.pos++
	n := &wktNode{key: strings.ToUpper(key)}
	for {
		p.space()
		if p.pos >= len(p.s) {
			return nil, fmt.Errorf("%s[ is not closed (missing %c at the end)", key, closer)
		}
		c := p.s[p.pos]
		switch {
		case c == closer && len(n.args) == 0:
			p.pos++
			return n, nil
		case c == '"':
			str, err := p.quoted()
			if err != nil {
				return nil, err
			}
			n.args = append(n.args, wktArg{text: str})
		case c == '-' || c == '+' || c == '.' || c >= '0' && c <= '9':
			start := p.pos
			for p.pos < len(p.s) && strings.IndexByte("+-.0123456789eE", p.s[p.pos]) >= 0 {
				p.pos++
			}
			v, err := strconv.ParseFloat(p.s[start:p.pos], 64)
			if err != nil || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%q is not a number at byte %d", p.s[start:p.pos], start)
			}
			n.args = append(n.args, wktArg{num: v, isNum: true, text: p.s[start:p.pos]})
		default:
			w := p.word()
			if w == "" {
				return nil, fmt.Errorf("unexpected %q at byte %d", c, p.pos)
			}
			p.space()
			if p.pos < len(p.s) && (p.s[p.pos] == '[' || p.s[p.pos] == '(') {
				child, err := p.node(w, depth+1)
				if err != nil {
					return nil, err
				}
				n.args = append(n.args, wktArg{node: child})
			} else {
				n.args = append(n.args, wktArg{text: w})
			}
		}
		p.space()
		if p.pos >= len(p.s) {
			return nil, fmt.Errorf("%s[ is not closed (missing %c at the end)", key, closer)
		}
		switch p.s[p.pos] {
		case ',':
			p.pos++
		case closer:
			p.pos++
			return n, nil
		default:
			return nil, fmt.Errorf("expected , or %c in %s at byte %d", closer, key, p.pos)
		}
	}
}

// quoted reads a "string" with "" as an escaped quote.
func (p *wktParser) quoted() (string, error) {
	start := p.pos
	p.pos++
	var b strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		p.pos++
		if c != '"' {
			b.WriteByte(c)
			continue
		}
		if p.pos < len(p.s) && p.s[p.pos] == '"' {
			b.WriteByte('"')
			p.pos++
			continue
		}
		return b.String(), nil
	}
	return "", fmt.Errorf("the quote at byte %d is not closed", start)
}

// child returns the first direct child node with one of the keys.
func (n *wktNode) child(keys ...string) *wktNode {
	for _, a := range n.args {
		if a.node == nil {
			continue
		}
		for _, k := range keys {
			if a.node.key == k {
				return a.node
			}
		}
	}
	return nil
}

// name is the node's first argument if it is a string.
func (n *wktNode) name() string {
	if n == nil || len(n.args) == 0 || n.args[0].node != nil || n.args[0].isNum {
		return ""
	}
	return n.args[0].text
}

// number returns the i-th argument as a number.
func (n *wktNode) number(i int) (float64, bool) {
	if n == nil || i >= len(n.args) || !n.args[i].isNum {
		return 0, false
	}
	return n.args[i].num, true
}

// epsg returns the EPSG code of the node's AUTHORITY or ID, or 0.
func (n *wktNode) epsg() int {
	a := n.child("AUTHORITY", "ID")
	if a == nil || len(a.args) < 2 || !strings.EqualFold(a.name(), "EPSG") {
		return 0
	}
	code, err := strconv.Atoi(strings.TrimSpace(a.args[1].text))
	if err != nil {
		return 0
	}
	return code
}

// norm lower-cases s and keeps letters and digits: "False_Easting" and
// "False easting" both become "falseeasting".
func norm(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func recognise(root *wktNode) (CRS, error) {
	switch root.key {
	case "BOUNDCRS":
		if src := root.child("SOURCECRS"); src != nil && len(src.args) > 0 && src.args[0].node != nil {
			return recognise(src.args[0].node)
		}
		return CRS{}, errors.New("crs: BOUNDCRS without SOURCECRS")
	case "COMPD_CS", "COMPOUNDCRS":
		for _, a := range root.args {
			if a.node != nil && a.node.key != "VERT_CS" && a.node.key != "VERTCRS" && a.node.key != "AUTHORITY" && a.node.key != "ID" {
				return recognise(a.node)
			}
		}
		return CRS{}, errors.New("crs: compound coordinate system without a horizontal part")
	}
	projected := false
	switch root.key {
	case "PROJCS", "PROJCRS", "PROJECTEDCRS":
		projected = true
	case "GEOGCS", "GEOGCRS", "GEODCRS", "GEOGRAPHICCRS", "GEODETICCRS":
	default:
		return CRS{}, fmt.Errorf("crs: %s is not a coordinate system the layer readers understand (expected PROJCS or GEOGCS) — %s", root.key, reprojectFix)
	}
	code := root.epsg()
	if code != 0 {
		if c, err := FromEPSG(code); err == nil && c.IsProjected() == projected {
			return c, nil
		}
	}
	c, err := recogniseParams(root, projected)
	if err != nil && code != 0 {
		return CRS{}, fmt.Errorf("crs: EPSG:%d (%q): %w", code, root.name(), err)
	}
	if err != nil {
		return CRS{}, fmt.Errorf("crs: %q: %w", root.name(), err)
	}
	return c, nil
}

// datum says which datum a geographic node (GEOGCS, BASEGEOGCRS, …) is on:
// 4326 for WGS 84, 4490 for CGCS2000.
func datum(g *wktNode) (int, error) {
	if g == nil {
		return 0, errors.New("no geographic coordinate system (GEOGCS) in the text")
	}
	if c := g.epsg(); c == 4326 || c == 4490 {
		return c, nil
	}
	d := g.child("DATUM", "GEODETICDATUM", "TRF", "ENSEMBLE")
	dn := norm(d.name())
	gn := norm(g.name())
	var ell *wktNode
	if d != nil {
		ell = d.child("SPHEROID", "ELLIPSOID")
	}
	a, aok := ell.number(1)
	invF, fok := ell.number(2)
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(dn, s) || strings.Contains(gn, s) {
				return true
			}
		}
		return false
	}
	switch {
	case has("beijing1954", "beijing54", "xian1980", "xian80", "newbeijing"):
		return 0, fmt.Errorf("the datum %q (Beijing 1954 / Xi'an 1980) differs from WGS84 by tens of metres and needs a local transformation — reproject the layer to CGCS2000 with your office's parameters, e.g. ogr2ogr -t_srs EPSG:4490", d.name())
	case has("wgs1984", "wgs84", "worldgeodeticsystem1984"):
		if aok && fok && (a != 6378137 || math.Abs(invF-298.257223563) > 1e-6) {
			return 0, fmt.Errorf("the datum %q has the ellipsoid a=%v 1/f=%v, not WGS 84's", d.name(), a, invF)
		}
		return 4326, nil
	case has("china2000", "cgcs2000", "chinageodeticcoordinatesystem2000"):
		if aok && fok && (a != 6378137 || math.Abs(invF-298.257222101) > 1e-6) {
			return 0, fmt.Errorf("the datum %q has the ellipsoid a=%v 1/f=%v, not CGCS2000's", d.name(), a, invF)
		}
		return 4490, nil
	}
	return 0, fmt.Errorf("the datum %q is not supported (only WGS 84 and CGCS2000 are)", d.name())
}

// checkAngleUnit fails unless the node's angular unit, if given, is degrees.
func checkAngleUnit(g *wktNode) error {
	u := g.child("UNIT", "ANGLEUNIT")
	if v, ok := u.number(1); ok && math.Abs(v-math.Pi/180) > 1e-12 {
		return fmt.Errorf("the angular unit %q is not degrees", u.name())
	}
	if pm := g.child("PRIMEM", "PRIMEMERIDIAN"); pm != nil {
		if v, ok := pm.number(1); ok && v != 0 {
			return fmt.Errorf("the prime meridian %q is not Greenwich", pm.name())
		}
	}
	return nil
}

func recogniseParams(root *wktNode, projected bool) (CRS, error) {
	if !projected {
		if err := checkAngleUnit(root); err != nil {
			return CRS{}, fmt.Errorf("%w — %s", err, reprojectFix)
		}
		d, err := datum(root)
		if err != nil {
			return CRS{}, fmt.Errorf("%w — %s", err, reprojectFix)
		}
		return FromEPSG(d)
	}
	g := root.child("GEOGCS", "BASEGEOGCRS", "BASEGEODCRS", "GEOGCRS")
	d, err := datum(g)
	if err != nil {
		return CRS{}, fmt.Errorf("%w — %s", err, reprojectFix)
	}
	if g != nil {
		if err := checkAngleUnit(g); err != nil {
			return CRS{}, fmt.Errorf("%w — %s", err, reprojectFix)
		}
	}
	if err := checkLinearUnit(root); err != nil {
		return CRS{}, fmt.Errorf("%w — %s", err, reprojectFix)
	}
	method := root.child("PROJECTION")
	paramsOf := root
	if method == nil {
		if conv := root.child("CONVERSION"); conv != nil {
			method = conv.child("METHOD", "PROJECTION")
			paramsOf = conv
		}
	}
	if method == nil {
		return CRS{}, errors.New("no PROJECTION or METHOD in the text — write the .prj again with ogr2ogr, or give the EPSG code")
	}
	m := norm(method.name())
	pn := norm(root.name())
	switch {
	case strings.Contains(m, "pseudomercator") || strings.Contains(m, "auxiliarysphere") ||
		(strings.HasPrefix(m, "mercator") && (strings.Contains(pn, "pseudomercator") || strings.Contains(pn, "webmercator"))):
		return FromEPSG(3857)
	case m == "transversemercator" || m == "gausskruger" || m == "gausskrueger" || m == "tmerc":
	default:
		return CRS{}, fmt.Errorf("the projection %q is not supported (Transverse Mercator / Gauss–Krüger and web mercator are) — %s", method.name(), reprojectFix)
	}
	p := tmParams{k: 1}
	for _, a := range paramsOf.args {
		if a.node == nil || a.node.key != "PARAMETER" {
			continue
		}
		v, ok := a.node.number(1)
		if !ok {
			return CRS{}, fmt.Errorf("the parameter %q has no number", a.node.name())
		}
		if u := a.node.child("ANGLEUNIT"); u != nil {
			if f, ok := u.number(1); ok {
				v = v * f * deg
			}
		}
		switch norm(a.node.name()) {
		case "centralmeridian", "longitudeofnaturalorigin", "longitudeoforigin", "longitudeofcenter":
			p.lon0 = v
		case "latitudeoforigin", "latitudeofnaturalorigin", "latitudeofcenter":
			p.lat0 = v
		case "scalefactor", "scalefactoratnaturalorigin":
			p.k = v
		case "falseeasting":
			p.x0 = v
		case "falsenorthing":
			p.y0 = v
		}
	}
	if c, ok := matchTM(d, p, pn); ok {
		return c, nil
	}
	return CRS{}, fmt.Errorf("Transverse Mercator with central meridian %g°, latitude of origin %g°, scale %g, false easting %g m, false northing %g m on %s is not a supported zone (%s) — %s",
		p.lon0, p.lat0, p.k, p.x0, p.y0, map[int]string{4326: "WGS 84", 4490: "CGCS2000"}[d], Supported, reprojectFix)
}

// checkLinearUnit fails unless the projected coordinates are in metres.
func checkLinearUnit(root *wktNode) error {
	units := []*wktNode{root.child("UNIT", "LENGTHUNIT")}
	if cs := root.child("CS"); cs != nil || root.child("AXIS") != nil {
		for _, a := range root.args {
			if a.node != nil && a.node.key == "AXIS" {
				units = append(units, a.node.child("LENGTHUNIT", "UNIT"))
			}
		}
	}
	for _, u := range units {
		if v, ok := u.number(1); ok && v != 1 {
			return fmt.Errorf("the linear unit %q is not metres", u.name())
		}
	}
	return nil
}

type tmParams struct{ lon0, lat0, k, x0, y0 float64 }

// matchTM finds the supported zone with these parameters on datum d (4326
// or 4490). The 6° zones without prefix have the same definitions as the 3°
// zones of the same central meridian; the name decides which code is
// reported, as the conversion is the same.
func matchTM(d int, p tmParams, name string) (CRS, bool) {
	if p.lat0 != 0 {
		return CRS{}, false
	}
	var ranges [][2]int
	if d == 4490 {
		ranges = [][2]int{{4513, 4554}, {4491, 4512}}
		if !strings.Contains(name, "3degree") && (strings.Contains(name, "gk") || strings.Contains(name, "gausskruger")) {
			ranges = [][2]int{{4491, 4512}, {4513, 4554}}
		}
	} else {
		ranges = [][2]int{{32601, 32660}, {32701, 32760}}
	}
	for _, r := range ranges {
		for code := r[0]; code <= r[1]; code++ {
			c, err := FromEPSG(code)
			if err != nil {
				continue
			}
			if math.Abs(c.lon0-p.lon0) < 1e-9 && math.Abs(c.k0-p.k) < 1e-12 &&
				math.Abs(c.x0-p.x0) < 1e-6 && math.Abs(c.y0-p.y0) < 1e-6 {
				return c, true
			}
		}
	}
	return CRS{}, false
}
