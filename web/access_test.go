package web

// Access (issue 8, point 6): editing needs the edit token when the server
// is not on loopback, CORS stays closed, no path reaches a file outside
// the embedded assets or the workspace, and every response carries the
// security headers.

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lifecircle/lifecircle/data"
)

func TestIsLoopbackAddr(t *testing.T) {
	cases := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:8080", true},
		{"127.0.0.1:0", true},
		{"127.8.9.10:80", true},
		{"[::1]:8080", true},
		{"localhost:8080", true},
		{"LocalHost:1", true},
		{"0.0.0.0:8080", false},
		{":8080", false},
		{"[::]:8080", false},
		{"192.0.2.7:8080", false},
		{"10.0.0.1:80", false},
		{"[fe80::1]:80", false},
		{"localhost.example.org:80", false},
		{"127.0.0.1.example.org:80", false},
		{"example.org:80", false},
		{"", false},
	}
	for _, tc := range cases {
		if got := isLoopbackAddr(tc.addr); got != tc.want {
			t.Errorf("isLoopbackAddr(%q) = %v, want %v", tc.addr, got, tc.want)
		}
	}
}

// editRequests are the editing endpoints with valid bodies; the layer's
// file name carries tag, since a file cannot be dropped twice.
func editRequests(t testing.TB, tag string) []struct{ target, body string } {
	p := sampleInput(t).Demand.Points[0]
	layer := fmt.Sprintf(`{"type":"FeatureCollection","features":[{"type":"Feature","id":"a1","geometry":{"type":"Point","coordinates":[%v,%v]},"properties":{"type":"market","name":"A"}}]}`, p[0], p[1])
	return []struct{ target, body string }{
		{"/api/scenario", fmt.Sprintf(`{"op":"add","type":"market","lon":%v,"lat":%v}`, p[0], p[1])},
		{"/api/scenario/save", `{"name":"access-test"}`},
		{"/api/layer?name=access-" + tag + ".geojson", layer},
	}
}

// TestEditTokenOffLoopback: on a non-loopback address every editing
// endpoint refuses requests without the right token (any address form,
// with or without a token configured) and accepts them with it; reads
// stay open.
func TestEditTokenOffLoopback(t *testing.T) {
	in := sampleInput(t)
	type auth struct {
		name   string
		header func(h http.Header)
	}
	auths := []auth{
		{"no token", func(http.Header) {}},
		{"wrong bearer", func(h http.Header) { h.Set("Authorization", "Bearer nope") }},
		{"token prefix", func(h http.Header) { h.Set("Authorization", "Bearer s3cre") }},
		{"token longer", func(h http.Header) { h.Set("Authorization", "Bearer s3cret!") }},
		{"basic scheme", func(h http.Header) { h.Set("Authorization", "Basic s3cret") }},
		{"empty bearer", func(h http.Header) { h.Set("Authorization", "Bearer ") }},
		{"token in cookie", func(h http.Header) { h.Set("Cookie", "token=s3cret; edit_token=s3cret") }},
		{"right bearer", func(h http.Header) { h.Set("Authorization", "Bearer s3cret") }},
		{"right bearer lower case", func(h http.Header) { h.Set("Authorization", "bearer s3cret") }},
		{"right X-Edit-Token", func(h http.Header) { h.Set("X-Edit-Token", "s3cret") }},
	}
	for _, addr := range []string{"0.0.0.0:8080", ":8080", "[::]:8080", "192.0.2.7:8080", "[2001:db8::1]:8080", "planning.example.org:80"} {
		for _, token := range []string{"", "s3cret"} {
			t.Run(fmt.Sprintf("%s token %q", addr, token), func(t *testing.T) {
				ts := newTestServer(t, in, Config{Addr: addr, EditToken: token})
				for i, a := range auths {
					for _, er := range editRequests(t, fmt.Sprint(i)) {
						r := request("POST", er.target, strings.NewReader(er.body))
						r.Host = "planning.example.org"
						a.header(r.Header)
						// The token also in the query: never accepted there
						// (it would end up in logs and browser history).
						if a.name == "no token" {
							r.URL.RawQuery += "&token=s3cret&edit_token=s3cret"
						}
						w := ts.serve(r)
						ok := token != "" && strings.HasPrefix(a.name, "right")
						if !ok {
							checkError(t, w, 403, "forbidden")
							continue
						}
						if w.Code != 200 {
							t.Errorf("%s %s: %d %s, want 200", a.name, er.target, w.Code, shorten(w.Body.String(), 300))
						}
					}
					if len(ts.sc.History()) > 0 && token == "" {
						t.Fatalf("%s: an edit went through on a non-loopback server without a token", a.name)
					}
				}
				for _, u := range []string{"/", "/api/summary", "/ogc/collections/cells/items", "/api/export/market"} {
					r := request("GET", u, nil)
					r.Host = "planning.example.org"
					if w := ts.serve(r); w.Code != 200 {
						t.Errorf("GET %s: %d, want 200 (reading needs no token)", u, w.Code)
					}
				}
			})
		}
	}
}

// nonLoopbackIP returns an address of this machine that is not loopback,
// or nil.
func nonLoopbackIP() net.IP {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil && !n.IP.IsLinkLocalUnicast() {
			return n.IP
		}
	}
	return nil
}

// TestEditTokenRealBind binds a real non-loopback address of this machine
// (when it has one) and talks to it from this machine only: edits need the
// token, reads do not.
func TestEditTokenRealBind(t *testing.T) {
	ip := nonLoopbackIP()
	if ip == nil {
		t.Skip("this machine has no non-loopback IPv4 address to bind; the configured-address test covers the rule")
	}
	for _, token := range []string{"", "s3cret"} {
		ls := startLive(t, sampleInput(t), Config{EditToken: token}, net.JoinHostPort(ip.String(), "0"), false)
		if ls.loopback {
			t.Fatalf("%s counted as loopback", ls.addr)
		}
		client := &http.Client{Timeout: 30 * time.Second}
		for _, er := range editRequests(t, token) {
			a := doJSON(client, "POST", ls.url+er.target, er.body)
			if a.status != 403 || !strings.Contains(a.body, `"code":"forbidden"`) {
				t.Errorf("token %q: POST %s without token: %d %s, want 403", token, er.target, a.status, shorten(a.body, 200))
			}
			req, _ := http.NewRequest("POST", ls.url+er.target, strings.NewReader(er.body))
			req.Header.Set("Authorization", "Bearer s3cret")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if want := map[bool]int{true: 200, false: 403}[token != ""]; resp.StatusCode != want {
				t.Errorf("token %q: POST %s with the token: %d %s, want %d", token, er.target, resp.StatusCode, shorten(string(b), 200), want)
			}
		}
		if a := doJSON(client, "GET", ls.url+"/api/summary", ""); a.status != 200 || !strings.Contains(a.body, `"edit_token_required":true`) {
			t.Errorf("summary on %s: %d %s", ls.addr, a.status, shorten(a.body, 200))
		}
		client.CloseIdleConnections()
	}
}

// TestCORSClosed: no response, preflight or not, from any route, allows
// another origin.
func TestCORSClosed(t *testing.T) {
	ts := newTestServer(t, sampleInput(t), Config{EditToken: "tok"})
	routes := []string{"/", "/app.js", "/static/index.html", "/healthz", "/ogc", "/ogc/conformance", "/ogc/collections",
		"/ogc/collections/cells", "/ogc/collections/cells/items", "/ogc/collections/market/items", "/api/summary",
		"/api/export/cells", "/api/propose", "/api/scenario", "/api/scenario/save", "/api/layer?name=x.csv", "/api/nope", "/nope"}
	for _, u := range routes {
		for _, origin := range []string{"http://evil.example", "null", "http://127.0.0.1:8080"} {
			// A preflight as a browser sends it before a cross-origin
			// JSON POST with the token.
			r := request("OPTIONS", u, nil)
			r.Header.Set("Origin", origin)
			r.Header.Set("Access-Control-Request-Method", "POST")
			r.Header.Set("Access-Control-Request-Headers", "content-type, authorization, x-edit-token")
			w := ts.serve(r)
			if w.Code < 400 {
				t.Errorf("OPTIONS %s from %s: %d, want a refusal", u, origin, w.Code)
			}
			checkNoCORS(t, "OPTIONS "+u, w.Header())
			// Simple requests too.
			for _, m := range []string{"GET", "POST"} {
				var body io.Reader
				if m == "POST" {
					body = strings.NewReader(`{}`)
				}
				r := request(m, u, body)
				r.Header.Set("Origin", origin)
				checkNoCORS(t, m+" "+u, ts.serve(r).Header())
			}
		}
	}
}

func checkNoCORS(t *testing.T, what string, h http.Header) {
	t.Helper()
	for k := range h {
		if strings.HasPrefix(strings.ToLower(k), "access-control-") {
			t.Errorf("%s: CORS header %s: %q", what, k, h.Get(k))
		}
	}
}

// rawGet sends one request line as given (no client-side cleaning or
// escaping) and returns the response.
func rawGet(t *testing.T, addr, method, target string) (int, http.Header, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", method, target)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%s %q: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// hostilePaths are path tails that try to leave a folder.
var hostilePaths = []string{
	"../go.mod",
	"../../go.mod",
	"../../../../../../etc/passwd",
	"..%2fgo.mod",
	"..%2F..%2Fgo.mod",
	"%2e%2e/go.mod",
	"%2e%2e%2f%2e%2e%2fgo.mod",
	"%252e%252e%252fgo.mod",
	"..%5cgo.mod",
	"..\\..\\go.mod",
	"%2fetc%2fpasswd",
	"/etc/passwd",
	"//etc/passwd",
	"./index.html/../../go.mod",
	"vendor/../../go.mod",
	"vendor/leaflet/../../../server.go",
	"%00",
	"index.html%00.js",
	"..%00/go.mod",
	"%c0%ae%c0%ae/go.mod",
	"..;/go.mod",
	strings.Repeat("a", 8000),
	strings.Repeat("../", 2000) + "etc/passwd",
}

// TestNoPathTraversal tries hostile paths on every file-serving and export
// path, scenario save names and dropped-layer names: each is refused (400
// or 404, or 403 where editing is checked first) and nothing outside the
// embedded assets and the workspace is read or written.
func TestNoPathTraversal(t *testing.T) {
	parent := t.TempDir()
	ws := filepath.Join(parent, "workspace")
	if err := os.Mkdir(ws, 0o755); err != nil {
		t.Fatal(err)
	}
	// A secret beside the workspace and in the temp folder the server
	// uses for uploads: no answer may contain it.
	secret := "lifecircle-secret-" + randomHex(8)
	for _, p := range []string{filepath.Join(parent, "secret.txt"), filepath.Join(parent, "secret.json"), filepath.Join(os.TempDir(), "lifecircle-secret.txt")} {
		if err := os.WriteFile(p, []byte(secret), 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(p)
	}
	ls := startLive(t, sampleInput(t), Config{Workspace: ws}, "", true)
	leaks := []string{secret, "module github.com/lifecircle", "package web", "root:x:0:0", "root:*:0:0"}
	embedded := map[string]bool{} // contents of the embedded assets
	fs.WalkDir(staticFiles, "static", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := staticFiles.ReadFile(p)
			embedded[string(b)] = true
		}
		return nil
	})

	t.Run("static and export", func(t *testing.T) {
		for _, tail := range append(slices.Clone(hostilePaths), "secret.txt", "../secret.txt", "..%2fsecret.txt", "..%2f..%2fworkspace%2f..%2fsecret.txt") {
			for _, prefix := range []string{"/static/", "/", "/api/export/", "/ogc/collections/", "/ogc/collections/cells/items/", "/api/units/"} {
				target := prefix + tail
				status, h, body := rawGet(t, ls.addr, "GET", target)
				for _, l := range leaks {
					if strings.Contains(body, l) {
						t.Errorf("GET %q leaks %q", shorten(target, 120), l)
					}
				}
				if status == 200 {
					// Only an embedded asset may come back, as a file.
					if (prefix != "/static/" && prefix != "/") || !embedded[body] {
						t.Errorf("GET %q: 200 (%s, %d bytes) is not an embedded asset", shorten(target, 120), h.Get("Content-Type"), len(body))
					}
					continue
				}
				if status != 400 && status != 404 {
					t.Errorf("GET %q: %d, want 400 or 404", shorten(target, 120), status)
				}
			}
		}
	})

	client := &http.Client{Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	before := listTree(t, parent)
	t.Run("scenario save names", func(t *testing.T) {
		names := []string{"", ".", "..", "../x", "../../x", "..\\x", "a/b", "/etc/lc-x", "%2e%2e%2fx", "x\x00y", "x\ny", "x.json",
			"x y", "ü", strings.Repeat("a", 65), strings.Repeat("a", 100000), "../secret", "-", "CON/x"}
		for _, name := range names {
			raw, _ := json.Marshal(map[string]string{"name": name})
			b := string(raw)
			a := doJSON(client, "POST", ls.url+"/api/scenario/save", b)
			want := 400
			if len(b) > maxJSONBody {
				want = 413
			}
			if data.ValidateScenarioName(name) == nil {
				// Any text without control characters is a name; its
				// folder is a safe slug (data.ScenarioFolder), checked
				// below.
				want = 200
			}
			if a.status != want {
				t.Errorf("save name %q: %d %s, want %d", shorten(name, 40), a.status, shorten(a.body, 200), want)
			}
		}
	})
	t.Run("dropped layer names", func(t *testing.T) {
		tag := randomHex(6)
		p := sampleInput(t).Demand.Points[0]
		body := fmt.Sprintf("id,type,name,lon,lat\nz1,market,Z,%v,%v\n", p[0], p[1])
		names := []string{"../lc-" + tag + ".csv", "../../lc-" + tag + ".csv", "..\\lc-" + tag + ".csv", "/tmp/lc-" + tag + ".csv",
			"a/b.csv", "C:lc.csv", ".lc.csv", "..csv", "lc.csv\x00.txt", "lc\x01.csv", strings.Repeat("a", 200) + ".csv", "lc.exe", "lc", "lc.csv/"}
		for _, name := range names {
			u := ls.url + "/api/layer?name=" + url.QueryEscape(name)
			a := doJSON(client, "POST", u, body)
			if a.status != 400 || !strings.Contains(a.body, `"code":"bad_request"`) {
				t.Errorf("layer name %q: %d %s, want 400", shorten(name, 40), a.status, shorten(a.body, 200))
			}
		}
		for _, dir := range []string{os.TempDir(), filepath.Dir(os.TempDir()), "/tmp", parent, ws} {
			if m, _ := filepath.Glob(filepath.Join(dir, "lc-"+tag+"*")); len(m) > 0 {
				t.Errorf("a hostile layer name wrote %v", m)
			}
		}
	})
	// The workspace holds the scenarios saved, each in a plain folder of
	// scenarios/, and nothing else changed beside it.
	after := listTree(t, parent)
	var added []string
	for p := range after {
		if !before[p] {
			added = append(added, p)
		}
	}
	slices.Sort(added)
	plain := regexp.MustCompile(`^workspace/scenarios(/[A-Za-z0-9_-]+(/(\.lifecircle-output|facilities\.geojson|scenario\.json))?)?$`)
	folders := 0
	for _, p := range added {
		if !plain.MatchString(p) {
			t.Errorf("file added under the workspace's parent: %s, want only scenarios/FOLDER/{scenario.json,facilities.geojson}", p)
		}
		if strings.Count(p, "/") == 2 {
			folders++
		}
	}
	if folders != 14 { // the 14 names without control characters, of at most 64 characters
		t.Errorf("%d scenario folders added, want 14: %v", folders, added)
	}
	if strings.Contains(ls.logs.String(), "level=ERROR") {
		t.Errorf("internal errors logged:\n%s", shorten(ls.logs.String(), 3000))
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// listTree returns the paths under root, relative, with / separators.
func listTree(t *testing.T, root string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if rel, err := filepath.Rel(root, p); err == nil && rel != "." {
			out[filepath.ToSlash(rel)] = true
		}
		return nil
	})
	return out
}

// TestSecurityHeaders: the page, its files, the APIs and every error
// carry the security headers and a declared content type.
func TestSecurityHeaders(t *testing.T) {
	ts := newTestServer(t, sampleInput(t), Config{})
	off := newTestServer(t, sampleInput(t), Config{Addr: "0.0.0.0:8080"})
	big := `{"name":"` + strings.Repeat("x", maxJSONBody) + `"}`
	cases := []struct {
		name   string
		ts     *testServer
		method string
		target string
		body   string
		status int
	}{
		{"page", ts, "GET", "/", "", 200},
		{"page file", ts, "GET", "/index.html", "", 200},
		{"script", ts, "GET", "/static/app.js", "", 200},
		{"style", ts, "GET", "/app.css", "", 200},
		{"vendor", ts, "GET", "/static/vendor/leaflet/leaflet.js", "", 200},
		{"healthz", ts, "GET", "/healthz", "", 200},
		{"landing", ts, "GET", "/ogc", "", 200},
		{"collections", ts, "GET", "/ogc/collections", "", 200},
		{"items", ts, "GET", "/ogc/collections/cells/items?limit=2", "", 200},
		{"item", ts, "GET", "/ogc/collections/streets/items/0", "", 200},
		{"summary", ts, "GET", "/api/summary", "", 200},
		{"export", ts, "GET", "/api/export/cells", "", 200},
		{"edit", ts, "POST", "/api/scenario", `{"op":"undo"}`, 400},
		{"not found", ts, "GET", "/nope", "", 404},
		{"bad query", ts, "GET", "/ogc/collections/cells/items?limit=x", "", 400},
		{"method", ts, "DELETE", "/api/summary", "", 405},
		{"preflight", ts, "OPTIONS", "/api/scenario", "", 405},
		{"too large", ts, "POST", "/api/scenario/save", big, 413},
		{"forbidden", off, "POST", "/api/scenario", `{"op":"undo"}`, 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			w := tc.ts.serve(request(tc.method, tc.target, body))
			if w.Code != tc.status {
				t.Fatalf("%s %s: %d, want %d", tc.method, tc.target, w.Code, tc.status)
			}
			h := w.Header()
			for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
				if h.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, h.Get(k), v)
				}
			}
			csp := h.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'self'", "script-src 'self'", "connect-src 'self'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %s", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-eval") || strings.Contains(csp, "script-src 'self' 'unsafe-inline'") || strings.Contains(csp, "*") {
				t.Errorf("CSP %q allows too much", csp)
			}
			if h.Get("Content-Type") == "" && tc.method != "HEAD" {
				t.Error("no Content-Type (nosniff needs one)")
			}
		})
	}
}

// TestProposeRefusesCrossSite: a proposal changes no facility and needs no
// token, but replaces the shared latest proposal and takes the solver's
// time, so a page on another site (or a rebound host name) cannot make a
// browser run one.
func TestProposeRefusesCrossSite(t *testing.T) {
	ts := newTestServer(t, sampleInput(t), Config{})
	body := `{"type":"clinic","k":1,"time_limit_s":1}`
	cases := []struct {
		name   string
		header map[string]string
		host   string
		want   int
	}{
		{"same origin", map[string]string{"Origin": "http://127.0.0.1:8080", "Sec-Fetch-Site": "same-origin"}, "", http.StatusOK},
		{"no browser headers (curl)", nil, "", http.StatusOK},
		{"cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site"}, "", http.StatusForbidden},
		{"foreign origin", map[string]string{"Origin": "http://evil.example"}, "", http.StatusForbidden},
		{"rebound host name", nil, "evil.example:8080", http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := request(http.MethodPost, "/api/propose", strings.NewReader(body))
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			if tc.host != "" {
				r.Host = tc.host
			}
			w := ts.serve(r)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.want, w.Body.String())
			}
			if tc.want == http.StatusForbidden && !strings.Contains(w.Body.String(), `"forbidden"`) {
				t.Fatalf("error shape: %s", w.Body.String())
			}
		})
	}
}
