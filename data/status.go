package data

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lifecircle/lifecircle/planner"
)

// Columns (or properties) of an amenity layer that give a facility's
// status and dates, in order of preference, compared as written. The
// date column names are also in data/xlsx (dateColumns), which turns
// Excel date cells into ISO dates; keep the two lists the same.
var (
	statusColumns = []string{"status", "Status", "STATUS", "状态", "运营状态"}
	opensColumns  = []string{"opens", "Opens", "OPENS", "opening_date", "open_date", "开放日期", "启用日期", "开业日期"}
	closesColumns = []string{"closes", "Closes", "CLOSES", "closing_date", "close_date", "关闭日期", "停用日期", "停业日期"}
)

// layerStatus reads the status, opens and closes of feature f of the
// amenity layer path (README "Facility status"): a missing status is open;
// an unknown status, a date that is not YYYY-MM-DD or dates that
// contradict each other are errors naming the file, the feature and the
// fix.
func layerStatus(path string, f Feature, fac *planner.Facility) error {
	col, raw := propStringKey(f.Properties, statusColumns...)
	st, err := planner.ParseStatus(raw)
	if err != nil {
		return fmt.Errorf("%s: %s: column %s: %v — fix the value or leave it empty for open", path, featureLabel(f), col, unwrapInvalid(err))
	}
	if raw == "" {
		st = "" // no status column: open, as layers always were
	}
	fac.Status = st
	for _, d := range []struct {
		cols []string
		dst  *time.Time
	}{{opensColumns, &fac.Opens}, {closesColumns, &fac.Closes}} {
		col, raw := propDateKey(f.Properties, d.cols...)
		if *d.dst, err = planner.ParseDate(raw); err != nil {
			return fmt.Errorf("%s: %s: column %s: %v — write the date as YYYY-MM-DD or leave it empty", path, featureLabel(f), col, unwrapInvalid(err))
		}
	}
	if err := fac.CheckDates(); err != nil {
		return fmt.Errorf("%s: %s: %v", path, featureLabel(f), unwrapInvalid(err))
	}
	return nil
}

// propDateKey is propStringKey for dates: a number (a Shapefile or
// GeoPackage numeric column such as 20270630) is written without a
// fraction so that the error names it as given.
func propDateKey(props map[string]any, keys ...string) (key, value string) {
	for _, k := range keys {
		switch v := props[k].(type) {
		case string:
			if strings.TrimSpace(v) != "" {
				return k, v
			}
		case float64:
			return k, strconv.FormatFloat(v, 'f', -1, 64)
		case int64:
			return k, strconv.FormatInt(v, 10)
		case time.Time:
			return k, v.Format(planner.DateLayout)
		}
	}
	return "", ""
}

// unwrapInvalid drops the ": invalid input" that planner's ErrInvalid
// wrapping puts in front of a message, for messages read by people.
func unwrapInvalid(err error) string {
	return strings.TrimPrefix(err.Error(), planner.ErrInvalid.Error()+": ")
}
