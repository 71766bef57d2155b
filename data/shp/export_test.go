package shp

// Exported for the benchmark, which is in package shp_test because it
// compares with data.ReadLayer and data imports shp.
const TypePoint = typePoint

var (
	DBFBytes  = dbfBytes
	WriteFile = writeFile
)
