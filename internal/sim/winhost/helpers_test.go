package winhost

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// corpus reads a file of the shared corpus of real Windows output.
func corpus(t testing.TB, name string) []byte {
	t.Helper()
	// The repository keeps a copy of the shared corpus (testdata/corpus).
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "corpus", "windows", name))
	if err != nil {
		t.Fatalf("corpus: %v", err)
	}
	return b
}

// crlf turns a transcribed (LF) corpus text into CRLF.
func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

func baseSpec(os OS) Spec {
	return Spec{
		Name: "WEB01", Domain: "corp.example", OS: os,
		Interfaces: []Interface{{Name: "Ethernet", Addrs: []netip.Addr{netip.MustParseAddr("127.0.10.1"), netip.MustParseAddr("10.1.2.3")}}},
	}
}

// recorder collects OnReachability calls.
type recorder struct {
	ch chan bool
}

func newRecorder() *recorder { return &recorder{ch: make(chan bool, 64)} }

func (r *recorder) fn(up bool) { r.ch <- up }

// next waits for the next event.
func (r *recorder) next(t *testing.T) bool {
	t.Helper()
	select {
	case up := <-r.ch:
		return up
	case <-time.After(5 * time.Second):
		t.Fatal("no reachability event")
	}
	return false
}

func (r *recorder) none(t *testing.T) {
	t.Helper()
	select {
	case up := <-r.ch:
		t.Fatalf("unexpected reachability event %v", up)
	default:
	}
}

func newHost(t testing.TB, spec Spec, opts Options) *Host {
	t.Helper()
	h, err := New(spec, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

// run executes a line and returns stdout, stderr and the exit code.
func run(t testing.TB, h *Host, line string) (string, string, int) {
	t.Helper()
	return runIn(t, h, Command{Line: line})
}

func runIn(t testing.TB, h *Host, c Command) (string, string, int) {
	t.Helper()
	var o, e bytes.Buffer
	c.Stdout, c.Stderr = &o, &e
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	code := h.Exec(ctx, c)
	return o.String(), e.String(), code
}

// mustRun fails the test unless the line exits 0.
func mustRun(t testing.TB, h *Host, line string) string {
	t.Helper()
	o, e, code := run(t, h, line)
	if code != 0 {
		t.Fatalf("%s: exit %d\nstdout: %q\nstderr: %q", line, code, o, e)
	}
	return o
}
