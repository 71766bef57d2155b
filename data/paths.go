package data

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Paths is a list of input layers that YAML may give as one entry or a
// list of entries; each entry is a path or a mapping (see Path).
type Paths []string

// A Path is an input layer that YAML gives as a plain path, which may end
// in @CRS (see SplitInput), or as a mapping:
//
//	{path: communities.shp, coords: EPSG:4547, level: 社区}
//
// coords is the layer's coordinate system (wgs84, cgcs2000, gcj02, bd09,
// EPSG:nnnn); level, for unit layers only, names the level of its units.
// A mapping is stored as the equivalent plain spec "LEVEL=FILE@CRS".
type Path string

// UnmarshalYAML accepts a scalar or a sequence of scalars and mappings.
func (p *Paths) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" || n.Value == "" {
			*p = nil
			return nil
		}
		*p = Paths{n.Value}
		return nil
	case yaml.MappingNode:
		s, err := pathEntry(n)
		if err != nil {
			return err
		}
		*p = Paths{s}
		return nil
	case yaml.SequenceNode:
		out := make(Paths, 0, len(n.Content))
		for _, c := range n.Content {
			var s string
			switch c.Kind {
			case yaml.ScalarNode:
				s = c.Value
			case yaml.MappingNode:
				var err error
				if s, err = pathEntry(c); err != nil {
					return err
				}
			default:
				return fmt.Errorf("line %d: expected a path or {path: …, coords: …}", c.Line)
			}
			out = append(out, s)
		}
		*p = out
		return nil
	}
	return fmt.Errorf("line %d: expected a path or a list of paths", n.Line)
}

// UnmarshalYAML accepts a path or a mapping {path, coords}.
func (p *Path) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			*p = ""
			return nil
		}
		*p = Path(n.Value)
		return nil
	case yaml.MappingNode:
		s, err := pathEntry(n)
		if err != nil {
			return err
		}
		*p = Path(s)
		return nil
	}
	return fmt.Errorf("line %d: expected a path or {path: …, coords: …}", n.Line)
}

// pathEntry reads {path, coords, level} into "LEVEL=FILE@CRS".
func pathEntry(n *yaml.Node) (string, error) {
	var e struct {
		Path   string `yaml:"path"`
		Coords string `yaml:"coords"`
		Level  string `yaml:"level"`
	}
	if err := n.Decode(&e); err != nil {
		return "", fmt.Errorf("line %d: %v", n.Line, err)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch k := n.Content[i].Value; k {
		case "path", "coords", "level":
		default:
			return "", fmt.Errorf("line %d: unknown key %q in a layer entry — use path, coords (and level for units)", n.Content[i].Line, k)
		}
	}
	if strings.TrimSpace(e.Path) == "" {
		return "", fmt.Errorf("line %d: a layer entry needs path: (e.g. {path: stations.csv, coords: gcj02})", n.Line)
	}
	s, err := WithCRS(e.Path, e.Coords)
	if err != nil {
		return "", fmt.Errorf("line %d: %v", n.Line, err)
	}
	if e.Level != "" {
		s = strings.TrimSpace(e.Level) + "=" + s
	}
	return s, nil
}
