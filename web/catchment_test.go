package web

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/lifecircle/lifecircle/planner"
)

// apiCatchment is a decoded catchment Feature.
type apiCatchment struct {
	Type       string          `json:"type"`
	ID         any             `json:"id"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties struct {
		FacilityID       string            `json:"facility_id"`
		SiteID           string            `json:"site_id"`
		Type             string            `json:"type"`
		Threshold        float64           `json:"threshold_m"`
		Snapped          bool              `json:"snapped"`
		Residents        float64           `json:"residents"`
		Points           int               `json:"points"`
		ResidentsNearest float64           `json:"residents_nearest"`
		PointsNearest    int               `json:"points_nearest"`
		NetworkM         float64           `json:"network_m"`
		HullArea         float64           `json:"hull_area_m2"`
		HullMethod       string            `json:"hull_method"`
		Network          featureCollection `json:"network"`
	} `json:"properties"`
}

// checkCatchment checks a catchment's shape: a polygon hull, pieces
// within the threshold that run away from the facility and add up to
// network_m.
func checkCatchment(t *testing.T, c apiCatchment) {
	t.Helper()
	p := c.Properties
	if c.Type != "Feature" || !p.Snapped || p.HullMethod == "" {
		t.Fatalf("catchment %v: type %q snapped %v method %q", c.ID, c.Type, p.Snapped, p.HullMethod)
	}
	var g struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(c.Geometry, &g); err != nil || (g.Type != "Polygon" && g.Type != "MultiPolygon") {
		t.Errorf("catchment %v: hull geometry %s, want a Polygon or MultiPolygon", c.ID, c.Geometry)
	}
	if len(p.Network.Features) == 0 || !(p.NetworkM > 0) || !(p.HullArea > 0) {
		t.Fatalf("catchment %v: %d pieces, %v m, hull %v m²", c.ID, len(p.Network.Features), p.NetworkM, p.HullArea)
	}
	total := 0.0
	for _, f := range p.Network.Features {
		from, to := jsonNum(t, f.Properties["dist_from_m"]), jsonNum(t, f.Properties["dist_to_m"])
		if !(from >= 0 && from <= to && to <= p.Threshold) {
			t.Fatalf("catchment %v: piece from %v m to %v m, threshold %v m", c.ID, from, to, p.Threshold)
		}
		total += to - from
	}
	// Each piece's distances are rounded to 0.1 m.
	if !near(total, p.NetworkM, 0.1*float64(len(p.Network.Features))+0.1) {
		t.Errorf("catchment %v: pieces add to %.1f m, network_m %.1f", c.ID, total, p.NetworkM)
	}
	if p.ResidentsNearest > p.Residents+1e-6 || p.PointsNearest > p.Points {
		t.Errorf("catchment %v: nearest %v (%d points) > within %v (%d)", c.ID, p.ResidentsNearest, p.PointsNearest, p.Residents, p.Points)
	}
}

// TestAPICatchment: a facility's catchment by the API equals its feature
// in catchments_<type>; over a type's catchments residents_nearest adds
// up to the type's covered residents; what-if additions and moves and
// proposed sites get catchments too.
func TestAPICatchment(t *testing.T) {
	ts := newTestServer(t, sampleInput(t), Config{})
	s0 := decode[apiSummary](t, ts.get("/api/summary"), 200)
	for _, ty := range s0.Types {
		fc := decode[featureCollection](t, ts.get("/ogc/collections/catchments_"+ty.ID+"/items?limit=10000"), 200)
		if fc.NumberMatched == nil || *fc.NumberMatched != s0.facilities(t, ty.ID) {
			t.Fatalf("catchments_%s: %v features, %d facilities", ty.ID, fc.NumberMatched, s0.facilities(t, ty.ID))
		}
		sum := 0.0
		for _, f := range fc.Features {
			sum += jsonNum(t, f.Properties["residents_nearest"])
		}
		if !near(sum, float64(ty.Covered), 0.05*float64(len(fc.Features))+0.1) {
			t.Errorf("%s: residents_nearest add up to %.1f, covered %.1f", ty.ID, sum, float64(ty.Covered))
		}
	}

	clinics := decode[featureCollection](t, ts.get("/ogc/collections/catchments_clinic/items?limit=10000"), 200)
	if len(clinics.Features) < 3 {
		t.Fatalf("sample has %d clinics", len(clinics.Features))
	}
	// Paging as in every collection.
	page := decode[featureCollection](t, ts.get("/ogc/collections/catchments_clinic/items?limit=2&offset=1"), 200)
	if len(page.Features) != 2 || page.Features[0].ID != clinics.Features[1].ID || page.Features[1].ID != clinics.Features[2].ID {
		t.Errorf("page limit=2 offset=1: %v", page.Features)
	}
	if _, ok := linkOf(page.Links, "prev"); !ok {
		t.Error("page at offset 1 has no prev link")
	}
	for _, f := range clinics.Features {
		id := f.ID.(string)
		c := decode[apiCatchment](t, ts.get("/api/facilities/"+url.PathEscape(id)+"/catchment"), 200)
		checkCatchment(t, c)
		if c.Properties.FacilityID != id || c.Properties.Type != "clinic" || c.Properties.Threshold != 1000 {
			t.Errorf("catchment of %s: %+v", id, c.Properties)
		}
		if c.Properties.Residents != jsonNum(t, f.Properties["residents"]) || c.Properties.ResidentsNearest != jsonNum(t, f.Properties["residents_nearest"]) {
			t.Errorf("%s: API residents %v / %v, collection %v / %v", id, c.Properties.Residents, c.Properties.ResidentsNearest,
				f.Properties["residents"], f.Properties["residents_nearest"])
		}
		item := decode[apiCatchment](t, ts.get("/ogc/collections/catchments_clinic/items/"+url.PathEscape(id)), 200)
		if item.Properties.Residents != c.Properties.Residents || string(item.Geometry) != string(c.Geometry) {
			t.Errorf("%s: collection item differs from the API's catchment", id)
		}
		net := decode[featureCollection](t, ts.get("/api/facilities/"+url.PathEscape(id)+"/catchment?view=network"), 200)
		if len(net.Features) != len(c.Properties.Network.Features) {
			t.Errorf("%s: view=network has %d pieces, the feature %d", id, len(net.Features), len(c.Properties.Network.Features))
		}
	}

	// A what-if market where residents are uncovered: its catchment holds
	// them and it is their nearest market; the collection follows.
	markets := decode[featureCollection](t, ts.get("/ogc/collections/catchments_market/items?limit=10000"), 200)
	pt, pop, _ := uncoveredPoint(t, ts, "market")
	add := decode[apiScenario](t, ts.post("/api/scenario", map[string]any{"op": "add", "type": "market", "lon": pt[0], "lat": pt[1]}), 200)
	c := decode[apiCatchment](t, ts.get("/api/facilities/"+url.PathEscape(add.Edit.ID)+"/catchment"), 200)
	checkCatchment(t, c)
	if c.Properties.Residents < pop-0.1 || c.Properties.ResidentsNearest < pop-0.1 {
		t.Errorf("added market: residents %v, nearest %v; the uncovered resident alone is %v", c.Properties.Residents, c.Properties.ResidentsNearest, pop)
	}
	after := decode[featureCollection](t, ts.get("/ogc/collections/catchments_market/items?limit=10000"), 200)
	if len(after.Features) != len(markets.Features)+1 {
		t.Errorf("catchments_market: %d features after an add, %d before", len(after.Features), len(markets.Features))
	}
	sum := 0.0
	for _, f := range after.Features {
		sum += jsonNum(t, f.Properties["residents_nearest"])
	}
	if got := add.Summary.covered(t, "market"); !near(sum, got, 0.05*float64(len(after.Features))+0.1) {
		t.Errorf("after the add residents_nearest add up to %.1f, covered %.1f", sum, got)
	}
	// Moved far away: another catchment.
	decode[apiScenario](t, ts.post("/api/scenario", map[string]any{"op": "move", "id": add.Edit.ID, "lon": clinicsLon(t, clinics), "lat": clinicsLat(t, clinics)}), 200)
	moved := decode[apiCatchment](t, ts.get("/api/facilities/"+url.PathEscape(add.Edit.ID)+"/catchment"), 200)
	if string(moved.Geometry) == string(c.Geometry) {
		t.Error("the catchment did not follow the moved facility")
	}

	// A proposed site: the residents it would newly cover are among those
	// it would be nearest for.
	p := decode[apiPropose](t, ts.post("/api/propose", `{"type":"playground","k":2,"time_limit_s":2}`), 200)
	if len(p.Sites) == 0 {
		t.Fatal("no proposed playground")
	}
	sc := decode[apiCatchment](t, ts.get("/api/proposals/"+url.PathEscape(p.Sites[0].ID)+"/catchment"), 200)
	checkCatchment(t, sc)
	if sc.Properties.SiteID != p.Sites[0].ID || sc.Properties.Type != "playground" || sc.Properties.ResidentsNearest < p.Sites[0].Gain-0.1 {
		t.Errorf("site %s: %+v; its gain %v", p.Sites[0].ID, sc.Properties, p.Sites[0].Gain)
	}
}

func clinicsLon(t *testing.T, fc featureCollection) float64 {
	var g struct{ Coordinates [][][]float64 }
	if err := json.Unmarshal(fc.Features[0].Geometry, &g); err != nil || len(g.Coordinates) == 0 {
		t.Fatalf("clinic hull: %v", err)
	}
	return g.Coordinates[0][0][0]
}

func clinicsLat(t *testing.T, fc featureCollection) float64 {
	var g struct{ Coordinates [][][]float64 }
	if err := json.Unmarshal(fc.Features[0].Geometry, &g); err != nil || len(g.Coordinates) == 0 {
		t.Fatalf("clinic hull: %v", err)
	}
	return g.Coordinates[0][0][1]
}

// TestAPICatchmentBadInput: unknown ids are 404, malformed ones and
// unknown parameters 400, in the one JSON error shape.
func TestAPICatchmentBadInput(t *testing.T) {
	ts := newTestServer(t, sampleInput(t), Config{})
	var id string
	ts.sc.View(func(in planner.AuditInput, _ *planner.AuditResult, _ []bool) { id = in.Facilities[0].ID })
	for _, c := range []struct {
		target string
		status int
		code   string
		want   string
	}{
		{"/api/facilities/no-such-facility/catchment", 404, "not_found", "no facility"},
		{"/api/facilities/%00x/catchment", 400, "bad_request", "control character"},
		{"/api/facilities/" + strings.Repeat("x", 300) + "/catchment", 400, "bad_request", "at most 200"},
		{"/api/facilities/%20/catchment", 400, "bad_request", "give the facility id"},
		{"/api/facilities/" + id + "/catchment?view=hull", 400, "bad_request", "view"},
		{"/api/facilities/" + id + "/catchment?type=clinic", 400, "bad_request", "unknown parameter"},
		{"/api/facilities/" + id + "/catchment?f=xml", 400, "bad_request", "format"},
		{"/api/facilities/" + id + "/catchment?view=network&view=network", 400, "bad_request", "once"},
		{"/api/proposals/site-1/catchment", 404, "not_found", "no site"},
		{"/ogc/collections/catchments_nothing/items", 404, "not_found", "no collection"},
		{"/ogc/collections/catchments_clinic/items?limit=0", 400, "bad_request", "limit"},
		{"/ogc/collections/catchments_clinic/items/no-such-facility", 404, "not_found", "no feature"},
	} {
		msg := checkError(t, ts.get(c.target), c.status, c.code)
		if !strings.Contains(msg, c.want) {
			t.Errorf("%s: message %q does not say %q", c.target, msg, c.want)
		}
	}
	checkError(t, ts.post("/api/facilities/"+id+"/catchment", "{}"), 405, "method_not_allowed")
	// A proposal of two types needs the type of the catchment.
	p := decode[apiPropose](t, ts.post("/api/propose", `{"types":[{"id":"market"},{"id":"playground"}],"k":1,"time_limit_s":2}`), 200)
	if len(p.Sites) == 0 {
		t.Fatal("no proposed site")
	}
	site := "/api/proposals/" + url.PathEscape(p.Sites[0].ID) + "/catchment"
	msg := checkError(t, ts.get(site), 400, "bad_request")
	if !strings.Contains(msg, "market, playground") {
		t.Errorf("multi-type site without type: %q", msg)
	}
	checkError(t, ts.get(site+"?type=clinic"), 400, "bad_request")
	c := decode[apiCatchment](t, ts.get(site+"?type=playground"), 200)
	if c.Properties.Type != "playground" || c.Properties.Threshold != 300 {
		t.Errorf("site catchment for playground: %+v", c.Properties)
	}
	if !strings.Contains(fmt.Sprint(c.ID), p.Sites[0].ID) {
		t.Errorf("site catchment id %v, want %s", c.ID, p.Sites[0].ID)
	}
}

// TestAPICatchmentErrorZh: a Chinese client reads the catchment's errors
// in Chinese.
func TestAPICatchmentErrorZh(t *testing.T) {
	ts := newTestServer(t, sampleInput(t), Config{})
	r := request("GET", "/api/facilities/nope/catchment", nil)
	r.Header.Set("X-Lang", "zh")
	msg := checkError(t, ts.serve(r), 404, "not_found")
	if !strings.Contains(msg, "没有设施") {
		t.Errorf("zh message %q", msg)
	}
}
