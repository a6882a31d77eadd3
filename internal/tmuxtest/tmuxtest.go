// Package tmuxtest drives the real fleetport binary in a real terminal for
// tests: a tmux server of the test's own, a pane of a given size, keys
// sent with send-keys and every screen read back with capture-pane. Only
// tests import it.
package tmuxtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BuildBinary builds cmd/fleetport into dir and returns its path.
func BuildBinary(t *testing.T, dir string) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	bin := filepath.Join(dir, "fleetport")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/fleetport")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return bin
}

// Server is a tmux server of the test's own (-L), killed when the test
// ends; on failure the test's log gets every screen that was read.
type Server struct {
	t       *testing.T
	sock    string
	conf    string
	env     []string
	screens *[]string
}

// NewServer starts nothing yet: the first session starts the server. It
// fails the test when tmux is missing (scripts/test installs it). env is
// the environment of every session.
func NewServer(t *testing.T, env []string) *Server {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is needed (scripts/test installs it): ", err)
	}
	conf := filepath.Join(t.TempDir(), "tmux.conf")
	if err := os.WriteFile(conf, []byte("set -g status off\nset -g remain-on-exit on\nset -g escape-time 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var screens []string
	s := &Server{t: t, sock: fmt.Sprintf("fleetport-test-%d-%d", os.Getpid(), time.Now().UnixNano()), conf: conf, env: env, screens: &screens}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("screens:\n%s", strings.Join(screens, "\n"))
		}
		_, _ = s.tmux("kill-server")
	})
	return s
}

func (s *Server) tmux(args ...string) (string, error) {
	cmd := exec.Command("tmux", append([]string{"-L", s.sock, "-f", s.conf}, args...)...)
	cmd.Env = s.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Pane is one session's pane.
type Pane struct {
	s    *Server
	name string
	exit string
}

// Start runs the shell line in a new session of width×height. The shell
// writes the line's exit status to a file that Exit reads (tmux may never
// reap a program that ends, so its own exit status is not relied on).
func (s *Server) Start(name string, width, height int, line string) *Pane {
	s.t.Helper()
	exit := filepath.Join(s.t.TempDir(), name+".exit")
	full := fmt.Sprintf("%s; echo $? > %s", line, exit)
	if out, err := s.tmux("new-session", "-d", "-s", name, "-x", strconv.Itoa(width), "-y", strconv.Itoa(height), full); err != nil {
		s.t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	return &Pane{s: s, name: name, exit: exit}
}

// Keys sends tmux key names (Enter, Escape, Space, Tab) or, with literal,
// text as typed. After Escape, wait for its effect before the next key:
// an escape followed at once by a key reads as alt+key.
func (p *Pane) Keys(literal bool, keys ...string) {
	p.s.t.Helper()
	args := []string{"send-keys", "-t", p.name}
	if literal {
		args = append(args, "-l")
	}
	if out, err := p.s.tmux(append(args, keys...)...); err != nil {
		p.s.t.Fatalf("send-keys %q: %v\n%s", keys, err, out)
	}
}

// Capture is the screen as text; with escapes, as the terminal got it
// (colours included).
func (p *Pane) Capture(escapes bool) string {
	p.s.t.Helper()
	args := []string{"capture-pane", "-p", "-t", p.name}
	if escapes {
		args = []string{"capture-pane", "-e", "-p", "-t", p.name}
	}
	out, err := p.s.tmux(args...)
	if err != nil {
		p.s.t.Fatalf("capture-pane: %v\n%s", err, out)
	}
	return out
}

// Note adds a screen to those logged on failure.
func (p *Pane) Note(what, screen string) {
	*p.s.screens = append(*p.s.screens, p.name+": "+what+":\n"+screen)
}

// WaitFor reads the screen until ok holds and returns that screen; it
// fails the test at the deadline, with the last screen.
func (p *Pane) WaitFor(what string, timeout time.Duration, ok func(string) bool) string {
	p.s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := p.Capture(false)
		if ok(s) {
			p.Note(what, s)
			return s
		}
		if time.Now().After(deadline) {
			p.s.t.Fatalf("the screen never showed %s within %s; last screen:\n%s", what, timeout, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// WaitText waits for a screen that holds every one of texts.
func (p *Pane) WaitText(timeout time.Duration, texts ...string) string {
	p.s.t.Helper()
	return p.WaitFor(strconv.Quote(strings.Join(texts, `", "`)), timeout, func(s string) bool {
		for _, x := range texts {
			if !strings.Contains(s, x) {
				return false
			}
		}
		return true
	})
}

// Exit waits up to timeout for the line to end and returns its exit
// status as the shell printed it ("" if it did not end).
func (p *Pane) Exit(timeout time.Duration) string {
	for end := time.Now().Add(timeout); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if b, err := os.ReadFile(p.exit); err == nil && len(b) > 0 {
			return strings.TrimSpace(string(b))
		}
	}
	return ""
}

// Screens are the screens read so far, for checks across all of them.
func (s *Server) Screens() []string { return *s.screens }
