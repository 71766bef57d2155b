package planner

import "github.com/lifecircle/lifecircle/planner/glossary"

// LevelLabel names a unit level in Chinese and English for labels (the
// map's level switch, table headings, the report): the glossary's terms
// for the level names it knows (community 社区, subdistrict 街道, grid
// 网格, cells 方格, adminN 行政级别 N, …), else the name itself in both
// languages.
func LevelLabel(level string) Names {
	zh, en := glossary.Level(level)
	return Names{Zh: zh, En: en}
}
