// Package loadtest drives a running `lifecircle serve` over HTTP with
// concurrent readers of the OGC API (pages and bbox queries of the units,
// facility collections, streets, the summary) and what-if writers (add and
// undo pairs, each writer its own client by X-Client-Id, whose undo must
// take away its own add: a failure otherwise), and reports throughput and latency percentiles per endpoint
// class. web's load test (go test ./web -run TestLoad) runs it against a
// server on loopback; it needs nothing but the server's URL, so it can
// drive any serve process the same way.
//
// It imports only the standard library.
package loadtest
