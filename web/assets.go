package web

import "embed"

// staticFiles is the map page: index.html, its script and style, and the
// vendored map library (web/static, built by the page's own files).
//
//go:embed static
var staticFiles embed.FS
