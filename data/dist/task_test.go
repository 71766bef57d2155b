package dist

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lifecircle/lifecircle/data/study"
	"github.com/nats-io/nats.go/jetstream"
)

// TestGetChecked: an input read through getChecked comes back whole when
// the store's digest is its name, and is refused, naming the object, when
// another content was stored under that name (a worker never decodes a
// part that is not the coordinator's).
func TestGetChecked(t *testing.T) {
	ctx := context.Background()
	e := testEngine(t)
	good := strings.Repeat("a part's bytes ", 20000) // several chunks
	f, err := putHashed(ctx, e.Inputs, strings.NewReader(good), file(good))
	if err != nil {
		t.Fatal(err)
	}
	r, err := getChecked(ctx, e.Inputs, f.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	r.Close()
	if err != nil || string(b) != good {
		t.Fatalf("read %d bytes (%v), want the %d stored", len(b), err, len(good))
	}
	// Another content under the name of the first.
	bad := file("another content")
	if _, err := e.Inputs.PutString(ctx, bad.SHA256, "not the content its name hashes"); err != nil {
		t.Fatal(err)
	}
	if _, err := getChecked(ctx, e.Inputs, bad.SHA256); err == nil || !strings.Contains(err.Error(), "not its name") {
		t.Errorf("a foreign object: err %v, want one naming the digest that is not its name", err)
	}
	if _, err := getChecked(ctx, e.Inputs, "abc"); err == nil {
		t.Error("a name that is no SHA-256 was read")
	}
	if _, err := getChecked(ctx, e.Inputs, f.SHA256[:60]+"0000"); !errors.Is(err, jetstream.ErrObjectNotFound) {
		t.Errorf("a missing object: err %v, want ErrObjectNotFound", err)
	}
}

// file is the File of content s.
func file(s string) File {
	h := sha256.Sum256([]byte(s))
	return File{Name: "part.bin", SHA256: hex.EncodeToString(h[:]), Size: int64(len(s))}
}

// TestWorkerEnv: each of n local workers gets this process's cores ÷ n
// (at least one), unless GOMAXPROCS is set already.
func TestWorkerEnv(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	for _, n := range []int{1, 2, procs + 1} {
		env := workerEnv([]string{"HOME=/x"}, n)
		want := fmt.Sprintf("GOMAXPROCS=%d", max(1, procs/n))
		if len(env) != 2 || env[0] != "HOME=/x" || env[1] != want {
			t.Errorf("%d workers: env %q, want HOME=/x and %s", n, env, want)
		}
	}
	if env := workerEnv([]string{"GOMAXPROCS=3"}, 2); len(env) != 1 || env[0] != "GOMAXPROCS=3" {
		t.Errorf("GOMAXPROCS set: env %q, want it kept alone", env)
	}
}

// TestFetchTimeout: a part's whole read may take 30 s and 1 s per MB.
func TestFetchTimeout(t *testing.T) {
	for _, c := range []struct {
		size int64
		want time.Duration
	}{{0, 30 * time.Second}, {160e6, 190 * time.Second}, {2e9, 2030 * time.Second}} {
		if got := fetchTimeout(c.size); got != c.want {
			t.Errorf("fetchTimeout(%d) = %v, want %v", c.size, got, c.want)
		}
	}
}

// TestLargestFirst: shards are published largest first, ties in plan order.
func TestLargestFirst(t *testing.T) {
	got := largestFirst([]study.Shard{{Nodes: 5}, {Nodes: 9}, {Nodes: 5}, {Nodes: 1}, {Nodes: 9}})
	if want := []int{1, 4, 0, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}
