package planner

// LevelLabel names a unit level in Chinese and English for labels (the
// map's level switch, table headings): the common level names in Chinese
// (community 社区, subdistrict 街道, grid 网格, …), else the name itself
// in both languages.
func LevelLabel(level string) Names {
	if zh, ok := levelNamesZh[level]; ok {
		return Names{Zh: zh, En: level}
	}
	return Names{Zh: level, En: level}
}
