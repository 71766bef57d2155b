package planner

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
)

// TestCheckRulesHandChecked uses the hierarchy case of hierarchy_test.go:
// C1 (30 residents, 1 clinic), C2 (30, 1 market), C3 (40, 1 market);
// S1 (60: clinic 1, market 1), S2 (90: market 1); 155 residents in all,
// 90 within reach of a market, 30 of a clinic.
func TestCheckRulesHandChecked(t *testing.T) {
	type breach struct {
		unit                       string
		required, actual, residual float64
	}
	for _, tc := range []struct {
		name string
		rule Rule
		want []breach // nil: the rule holds
		kind string
	}{
		{"count breaks in C2 and C3", Rule{Level: "community", Type: "clinic", Min: 1}, []breach{{"C2", 1, 0, 0}, {"C3", 1, 0, 0}}, RuleCount},
		{"one per 100 residents breaks in C1", Rule{Level: "community", Type: "market", PerPopulation: 100}, []breach{{"C1", 1, 0, 0}}, RulePerPopulation},
		{"count holds everywhere", Rule{Level: "subdistrict", Type: "market", Min: 1}, nil, RuleCount},
		{"per population breaks", Rule{Level: "subdistrict", Type: "market", PerPopulation: 40}, []breach{{"S1", 2, 1, 0}, {"S2", 3, 1, 0}}, RulePerPopulation},
		{"per population holds", Rule{Level: "subdistrict", Type: "market", PerPopulation: 100}, nil, RulePerPopulation},
		{"per population with a floor", Rule{Level: "subdistrict", Type: "clinic", Min: 1, PerPopulation: 1000}, []breach{{"S2", 1, 0, 0}}, RulePerPopulation},
		{"district count breaks", Rule{Type: "clinic", Min: 2}, []breach{{DistrictLevel, 2, 1, 0}}, RuleCount},
		{"district count holds", Rule{Level: DistrictLevel, Type: "market", Min: 2}, nil, RuleCount},
		{"district coverage holds", Rule{Type: "market", MinCoverage: 0.5}, nil, RuleCoverage},
		{"district coverage breaks", Rule{Type: "market", MinCoverage: 0.6}, []breach{{DistrictLevel, 0.6, 90.0 / 155, 0.6*155 - 90}}, RuleCoverage},
		{"unit coverage breaks in C1", Rule{Level: "community", Type: "market", MinCoverage: 0.9}, []breach{{"C1", 0.9, 20.0 / 30, 0.9*30 - 20}}, RuleCoverage},
		{"unit coverage holds", Rule{Level: "community", Type: "market", MinCoverage: 0.6}, nil, RuleCoverage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := hierInput(t)
			in.Rules = []Rule{tc.rule}
			res, err := Audit(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Rules) != 1 {
				t.Fatalf("%d rule checks, want 1", len(res.Rules))
			}
			c := res.Rules[0]
			if c.Kind != tc.kind {
				t.Errorf("kind %s, want %s", c.Kind, tc.kind)
			}
			if c.Broken() != (tc.want != nil) || len(c.Breaches) != len(tc.want) {
				t.Fatalf("breaches %+v, want %+v", c.Breaches, tc.want)
			}
			for i, w := range tc.want {
				b := c.Breaches[i]
				if b.UnitID != w.unit || math.Abs(b.Required-w.required) > 1e-9 || math.Abs(b.Actual-w.actual) > 1e-9 ||
					math.Abs(b.Shortfall-(w.required-w.actual)) > 1e-9 || math.Abs(b.Residents-w.residual) > 1e-6 {
					t.Errorf("breach %d: %+v, want %+v", i, b, w)
				}
			}
			if BrokenRules(res.Rules) != map[bool]int{true: 1, false: 0}[tc.want != nil] {
				t.Errorf("BrokenRules = %d", BrokenRules(res.Rules))
			}
			if c.Text.En == "" || c.Text.Zh == "" {
				t.Errorf("rule text %+v", c.Text)
			}
		})
	}
}

func TestValidateRules(t *testing.T) {
	in := hierInput(t)
	for _, tc := range []struct {
		name string
		rule Rule
		want string
	}{
		{"unknown type", Rule{Type: "school", Min: 1}, `type "school" is not in profile`},
		{"unknown level", Rule{Level: "grid", Type: "clinic", Min: 1}, `level "grid" is not a level`},
		{"no requirement", Rule{Type: "clinic"}, "give min"},
		{"count and coverage", Rule{Type: "clinic", Min: 1, MinCoverage: 0.5}, "split it in two"},
		{"coverage above 1", Rule{Type: "clinic", MinCoverage: 90}, "share in (0, 1]"},
		{"negative min", Rule{Type: "clinic", Min: -1}, "min must be"},
		{"per population below 1", Rule{Type: "clinic", PerPopulation: 0.5}, "per_population must be"},
		{"no type", Rule{Min: 1}, "type is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in.Rules = []Rule{tc.rule}
			_, err := Audit(context.Background(), in)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v, want ErrInvalid containing %q", err, tc.want)
			}
		})
	}
	// No hierarchy: only district-wide rules.
	if err := ValidateRules([]Rule{{Level: "community", Type: "clinic", Min: 1}}, hierProfile(), nil); err == nil {
		t.Error("a level rule without units passed")
	}
	if err := ValidateRules([]Rule{{Type: "clinic", Min: 1}}, hierProfile(), nil); err != nil {
		t.Errorf("district rule without units: %v", err)
	}
}

func TestProfileRules(t *testing.T) {
	base := `id: p
names: {en: P}
types:
  - id: clinic
    names: {en: Clinic}
    tier: 15
    threshold: 1000
`
	for _, tc := range []struct {
		name, rules string
		want        string // "" = parses
		n           int
	}{
		{"three kinds", "rules:\n  - {level: community, type: clinic, min: 1}\n  - {level: subdistrict, type: clinic, per_population: 30000, note: plan}\n  - {type: clinic, min_coverage: 0.9}\n", "", 3},
		{"unknown key", "rules:\n  - {level: community, type: clinic, mni: 1}\n", `:9: rule 1: unknown field "mni" (did you mean "min"?`, 0},
		{"fractional min", "rules:\n  - {type: clinic, min: 1.5}\n", ":9: rule 1: min must be a whole number", 0},
		{"unknown type", "rules:\n  - {type: school, min: 1}\n", `rule 1: type "school" is not one of this profile's types`, 0},
		{"not a list", "rules: {type: clinic}\n", ":8: rules must be a list", 0},
		{"coverage as percent", "rules:\n  - {type: clinic, min_coverage: 90}\n", ":9: rule 1: min_coverage must be a share", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseProfile("p.yaml", []byte(base+tc.rules))
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v, want one containing %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Rules) != tc.n {
				t.Fatalf("%d rules, want %d", len(p.Rules), tc.n)
			}
			// The printed profile reads back to the same rules.
			q, err := ParseProfile("again.yaml", p.YAML())
			if err != nil {
				t.Fatalf("printed profile does not parse: %v\n%s", err, p.YAML())
			}
			if len(q.Rules) != len(p.Rules) {
				t.Fatalf("round trip: %d rules, want %d", len(q.Rules), len(p.Rules))
			}
			for i := range p.Rules {
				if p.Rules[i] != q.Rules[i] {
					t.Errorf("rule %d: %+v after a round trip, was %+v", i, q.Rules[i], p.Rules[i])
				}
			}
		})
	}
}
