package planner

// Sane ranges of numbers a user gives; beyond them the number is a
// mistake (a wrong column, a missing decimal point) and is refused with a
// message, rather than overflowing to +Inf later (issue 16, messages).
const (
	// MaxFeaturePopulation is the most residents one feature of a
	// population layer may hold.
	MaxFeaturePopulation = 1e8
	// MaxTotalPopulation is the largest census total to rescale to.
	MaxTotalPopulation = 1e9
	// MaxTypeWeight is the largest weight of an amenity type in the
	// completeness index.
	MaxTypeWeight = 1e6
)
