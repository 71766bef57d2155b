package data

import "bytes"

// crLines turns the line ends of a CSV file saved with carriage returns
// only (old Mac Excel's "CSV (Macintosh)") into newlines; encoding/csv
// would read such a file as one line and find no lon/lat columns. A file
// with any newline is left as it is.
func crLines(data []byte) []byte {
	if bytes.IndexByte(data, '\n') >= 0 || bytes.IndexByte(data, '\r') < 0 {
		return data
	}
	return bytes.ReplaceAll(data, []byte{'\r'}, []byte{'\n'})
}
