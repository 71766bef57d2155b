// Package browsertest starts headless Chromium (Debian's chromium) for the
// tests that drive a real browser — the map page in web, report.html in
// cmd/lifecircle — and records what a page does that those tests forbid.
// It is used by tests only.
//
// browsertest imports chromedp, cdproto, data/shareddata (standard library
// only) and the standard library.
package browsertest
