package wsman

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	shellSelRE = regexp.MustCompile(`Name="ShellId">\s*([0-9A-Fa-f-]{36})\s*<`)
	cmdAttrRE  = regexp.MustCompile(`CommandId="([0-9A-Fa-f-]{36})"`)
)

// fuzzSeeds returns the request fixtures and a few responses.
func fuzzSeeds(tb testing.TB) (seeds [][]byte) {
	var files []string
	for _, pat := range []string{"pypsrp/*/*-request.xml", "clients/*/*.xml", "masterzen/fixture_test/*.xml", "winrb/*.xml", "pywinrm/*/*.xml"} {
		m, _ := filepath.Glob(filepath.Join("..", "..", "..", "testdata", "winrm", pat))
		files = append(files, m...)
	}
	sort.Strings(files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	if len(seeds) < 50 {
		tb.Fatalf("only %d fuzz seeds", len(seeds))
	}
	return seeds
}

// idQueue hands out queued ids first, then random ones.
type idQueue struct {
	mu sync.Mutex
	q  []string
}

func (q *idQueue) push(id string) {
	q.mu.Lock()
	q.q = append(q.q, id)
	q.mu.Unlock()
}

func (q *idQueue) next() string {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.q) == 0 {
		return randomID()
	}
	id := q.q[0]
	q.q = q.q[1:]
	return id
}

// FuzzHandle feeds arbitrary bodies to a service in which the shell and
// commands the body names exist (ids are taken from its ShellId selector and
// CommandId attributes), so that mutated fixtures reach deep into each
// action. Every answer must be one of the documented statuses, arrive in
// bounded time, and carry well-formed XML exactly when it should.
func FuzzHandle(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Add([]byte(""))
	f.Add([]byte("<"))
	create := fixture(f, "clients/pywinrm-0.3.0-debian/Create-request.xml")
	command := fixture(f, "clients/pywinrm-0.3.0-debian/Command-cmd-request.xml")
	oldShell := shellSelRE.FindSubmatch(command)[1]

	f.Fuzz(func(t *testing.T, body []byte) {
		q := &idQueue{}
		cfg := DefaultConfig()
		cfg.NewID = q.next
		cfg.MaxTimeout = 20 * time.Millisecond
		b := backendFunc(func(ctx context.Context, req ExecRequest) int {
			if strings.Contains(req.CommandLine, "more") {
				_, _ = io.Copy(req.Stdout, req.Stdin)
			}
			_, _ = io.WriteString(req.Stdout, req.CommandLine)
			_, _ = req.Stderr.Write([]byte{0, 0xff, '<', '&'})
			return -1
		})
		s := NewService(cfg, b)
		defer s.Close()
		if m := shellSelRE.FindSubmatch(body); m != nil {
			shell := string(m[1])
			q.push(strings.ToUpper(shell))
			if r := handle(s, create); r.Status != 200 {
				t.Fatalf("setup create: %d", r.Status)
			}
			for i, cm := range cmdAttrRE.FindAllSubmatch(body, 3) {
				q.push(strings.ToUpper(string(cm[1])))
				req := bytes.ReplaceAll(command, oldShell, []byte(shell))
				if i == 0 {
					req = bytes.ReplaceAll(req, []byte(">hostname<"), []byte(">more<"))
				}
				if r := handle(s, req); r.Status != 200 {
					t.Fatalf("setup command: %d %s", r.Status, r.Body)
				}
			}
		}

		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		r := s.Handle(ctx, "vagrant", "192.168.56.1", body)
		if el := time.Since(start); el > 3*time.Second {
			t.Fatalf("Handle took %v", el)
		}
		switch r.Status {
		case 200, 500:
			root, err := buildTree(r.Body)
			if err != nil {
				t.Fatalf("status %d with malformed XML: %v\n%q", r.Status, err, r.Body)
			}
			if root.name.Space != nsSOAP || root.name.Local != "Envelope" {
				t.Fatalf("root %v", root.name)
			}
			isFault := root.first(nsSOAP, "Fault") != nil
			if isFault != (r.Status == 500) {
				t.Fatalf("status %d, fault %v", r.Status, isFault)
			}
		case 400, 413:
			if r.Body != nil {
				t.Fatalf("status %d with a body", r.Status)
			}
		default:
			t.Fatalf("status %d", r.Status)
		}
	})
}
