// Package natstest gives tests a real NATS server with JetStream: the
// one named by $LIFECIRCLE_TEST_NATS_URL, else the machine's own on
// 127.0.0.1:4222 when one answers there, else Debian's nats-server
// (scripts/test installs it) started in a temporary folder on a free
// port for the test binary's lifetime. Tests keep apart by a prefix of
// their own (Prefix).
package natstest

import (
	"context"

	"crypto/rand"
	"encoding/hex"
	"fmt"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	once   sync.Once
	url    string
	urlErr error
)

// URL returns the test server's URL; without one it skips the test, or
// fails it under CI.
func URL(t testing.TB) string {
	t.Helper()
	once.Do(func() { url, urlErr = find() })
	if urlErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(urlErr)
		}
		t.Skip(urlErr)
	}
	return url
}

func answers(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func find() (string, error) {
	if u := os.Getenv("LIFECIRCLE_TEST_NATS_URL"); u != "" {
		return u, nil
	}
	if answers("127.0.0.1:4222") {
		return "nats://127.0.0.1:4222", nil
	}
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		bin = "/usr/sbin/nats-server"
		if _, err := os.Stat(bin); err != nil {
			return "", fmt.Errorf("no NATS server: none answers on 127.0.0.1:4222 and nats-server is not installed (apt-get install nats-server; scripts/test does it)")
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir, err := os.MkdirTemp("", "lifecircle-nats-")
	if err != nil {
		return "", err
	}
	cmd := exec.Command(bin, "-js", "-a", "127.0.0.1", "-p", fmt.Sprint(port), "-sd", filepath.Join(dir, "js"))
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start %s: %w", bin, err)
	}
	// The server dies with the test binary: it is in its process group
	// only as a child, so stop it when the binary's tests end (Stop).
	server = cmd
	serverDir = dir
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for i := 0; i < 100; i++ {
		if answers(addr) {
			return "nats://" + addr, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	Stop()
	return "", fmt.Errorf("%s did not answer on %s within 10 s", bin, addr)
}

var (
	server    *exec.Cmd
	serverDir string
)

// Stop stops the server this package started, if any (call it from
// TestMain after m.Run).
func Stop() {
	if server != nil && server.Process != nil {
		_ = server.Process.Kill()
		_ = server.Wait()
		server = nil
	}
	if serverDir != "" {
		os.RemoveAll(serverDir)
	}
}

// Prefix returns a fresh engine prefix for one test (LIFECIRCLE_NATS_PREFIX).
func Prefix(name string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	name = strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, name)
	if len(name) > 14 {
		name = name[:14]
	}
	return "T" + name + hex.EncodeToString(b[:])
}

// Cleanup deletes, when t ends, every stream of the server whose name
// holds prefix (the tasks, the bucket and the object stores of a test).
func Cleanup(t testing.TB, url, prefix string) {
	t.Cleanup(func() {
		nc, err := nats.Connect(url)
		if err != nil {
			return
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		names := js.StreamNames(ctx)
		var del []string
		for n := range names.Name() {
			if strings.Contains(n, prefix) {
				del = append(del, n)
			}
		}
		for _, n := range del {
			_ = js.DeleteStream(ctx, n)
		}
	})
}

// A Server is a nats-server this package started for one test (Start),
// which the test may restart.
type Server struct {
	URL  string
	bin  string
	dir  string
	port int
	cmd  *exec.Cmd
}

// Start starts a private nats-server with JetStream on file storage in a
// temporary folder of t (stopped at the end of t); it skips the test, or
// fails it under CI, when nats-server is not installed.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		bin = "/usr/sbin/nats-server"
		if _, err := os.Stat(bin); err != nil {
			msg := "nats-server is not installed (apt-get install nats-server; scripts/test does it)"
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &Server{bin: bin, dir: t.TempDir(), port: port, URL: fmt.Sprintf("nats://127.0.0.1:%d", port)}
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stop)
	return s
}

func (s *Server) start() error {
	s.cmd = exec.Command(s.bin, "-js", "-a", "127.0.0.1", "-p", fmt.Sprint(s.port), "-sd", filepath.Join(s.dir, "js"))
	s.cmd.SysProcAttr = procAttr()
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.bin, err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", s.port)
	for i := 0; i < 100; i++ {
		if answers(addr) {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer on %s within 10 s", s.bin, addr)
}

func (s *Server) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
			<-done
		}
		s.cmd = nil
	}
}

// Restart stops the server and starts it again on the same port and
// store, after down.
func (s *Server) Restart(t testing.TB, down time.Duration) {
	t.Helper()
	s.stop()
	time.Sleep(down)
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
}
