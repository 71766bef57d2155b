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
	// MaxCapacityRatio is the largest capacity_ratio of a type: places
	// per 1,000 residents, so 1,000 is a place for every resident.
	MaxCapacityRatio = 1000.0
	// MaxCapacity is the largest capacity of one facility (places).
	MaxCapacity = 1e7
)
