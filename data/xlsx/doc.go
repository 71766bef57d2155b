// Package xlsx reads point layers from Excel .xlsx sheets and writes
// workbooks of plain tables (an audit's summary.xlsx).
//
// It owns the mapping between sheets and features: which header names
// are coordinates (the same names as the CSV reader in data/csv.go, whose
// list is copied here), how text and numbers in cells become coordinates
// and properties, and how values become safe cells (numbers as numbers,
// text never a formula, header bold and frozen, columns sized for CJK
// text). It does not convert coordinate systems: x/y come back as
// stored, for the caller to convert.
//
// Library: github.com/xuri/excelize/v2 parses the workbook files and
// writes their frame (styles, widths, header rows); nothing is parsed by
// hand, but bad files (a CSV renamed .xlsx, an empty workbook) are tested
// to give messages, never panics. Data rows are encoded here, as
// excelize's StreamWriter encodes them, straight into the compressed
// worksheet (rows.go): FuzzRowsMatchExcelize and TestWorkbookMatchesExcelize
// check the bytes against excelize's own.
//
// It may import the standard library, github.com/paulmach/orb and
// excelize — nothing of lifecircle's, so any reader or writer of ours can
// use it.
package xlsx
