package geo

import "strings"

// excludedHighway lists the highway values (matched as substrings, like
// OSMnx's Overpass regex) that a pedestrian network leaves out.
var excludedHighway = []string{"abandoned", "bus_guideway", "construction", "cycleway",
	"motor", "planned", "platform", "proposed", "raceway"}

// Walkable reports whether an OSM way with the given tags belongs to the
// walk network. It is the OSMnx "walk" filter (DESIGN §2): the way has a
// highway tag, is not an area, is not private, is not one of the excluded
// highway kinds, does not forbid feet and is not a private service road.
// Values are matched as substrings, as OSMnx's regular expressions do, so
// results can be checked against it. get returns "" for absent keys.
func Walkable(get func(key string) string) bool {
	hw := get("highway")
	if hw == "" {
		return false
	}
	if strings.Contains(get("area"), "yes") ||
		strings.Contains(get("access"), "private") ||
		strings.Contains(get("foot"), "no") ||
		strings.Contains(get("service"), "private") {
		return false
	}
	for _, x := range excludedHighway {
		if strings.Contains(hw, x) {
			return false
		}
	}
	return true
}
