package remote_test

// Shells a dead process left: the trace that reports them, DeleteShells
// that removes them by id without a shell of its own, and the idle timeout
// that bounds the ones nobody recorded. Server 2008 R2's quotas (5 shells,
// 15 operations per user) make a few orphans a lockout.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/internal/sim"
)

// traceLog records what a ShellTrace reports.
type traceLog struct {
	mu   sync.Mutex
	evs  []string
	live []string
}

func (l *traceLog) trace() *remote.ShellTrace {
	return &remote.ShellTrace{
		Created: func(_, id string) {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.evs = append(l.evs, "created "+id)
			l.live = append(l.live, id)
		},
		Deleted: func(_, id string, err error) {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.evs = append(l.evs, fmt.Sprintf("deleted %s %v", id, err))
			if err == nil {
				l.live = slices.DeleteFunc(l.live, func(s string) bool { return s == id })
			}
		},
	}
}

func (l *traceLog) events() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.evs)
}

// open is the shells created and not deleted, by the trace.
func (l *traceLog) open() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.live)
}

func server2008R2(sc *sim.Scenario) { sc.OSMix = map[string]float64{"2008r2": 1} }

// TestDeleteShellsUnlocksA2008R2Host: five sessions whose process "died"
// hold every shell Server 2008 R2 allows the user, and a new session is
// refused with the quota fault. DeleteShells, given the ids the trace
// reported for three of them and one the host never had, deletes those
// three over one connection without creating a shell, reports the unknown
// one gone, and leaves the other two shells alone; then a session opens.
func TestDeleteShellsUnlocksA2008R2Host(t *testing.T) {
	f := startFleet(t, 1, server2008R2)
	h := f.Hosts()[0]
	ep := endpoint(f, h, ntlmEncrypted)
	var dead, others traceLog
	var sessions []*remote.Session
	defer func() {
		for _, s := range sessions {
			s.Close()
		}
	}()
	for i := range 5 {
		l := &others
		if i < 3 {
			l = &dead
		}
		ctx, cancel := context.WithTimeout(remote.WithShellTrace(context.Background(), l.trace()), 10*time.Second)
		s, err := remote.Open(ctx, ep, demo, fastOptions())
		cancel()
		if err != nil {
			t.Fatalf("session %d: %v", i, err)
		}
		sessions = append(sessions, s)
		run(t, s, "hostname")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := remote.Open(ctx, ep, demo, fastOptions())
	if e := wantClass(t, err, remote.ClassQuota); e.Code != remote.CodeQuotaShells {
		t.Fatalf("a sixth shell: %v", err)
	}

	before := h.Counters()
	const never = "0D1C1E5A-0000-4000-8000-000000000001"
	ids := append(dead.open(), never)
	if len(ids) != 4 {
		t.Fatalf("the trace reported %v", ids)
	}
	got, err := remote.DeleteShells(ctx, ep, demo, fastOptions(), ids)
	if err != nil {
		t.Fatalf("DeleteShells: %v", err)
	}
	for i, d := range got {
		if d.ID != ids[i] || d.Err != nil || d.Gone != (d.ID == never) {
			t.Errorf("result %d: %+v", i, d)
		}
	}
	after := h.Counters()
	if after.ShellsOpen != 2 || after.ShellsCreated != before.ShellsCreated {
		t.Errorf("shells open %d, created %d (before %d): want the two others left and no Create", after.ShellsOpen, after.ShellsCreated, before.ShellsCreated)
	}
	if n := after.ConnectionsAccepted - before.ConnectionsAccepted; n != 1 {
		t.Errorf("DeleteShells used %d connections, want 1", n)
	}
	// The other two shells are untouched: their sessions go on in them.
	for _, s := range sessions[3:] {
		run(t, s, "hostname")
		if st := s.Stats(); st.Shells != 1 {
			t.Errorf("a shell DeleteShells was not given was replaced: %+v", st)
		}
	}
	if ev := others.events(); len(ev) != 2 {
		t.Errorf("the other sessions' trace: %v", ev)
	}
	s := open(t, ep, fastOptions())
	run(t, s, "hostname")
	s.Close()
	// Deleting again: every shell is gone, which is no error.
	got, err = remote.DeleteShells(ctx, ep, demo, fastOptions(), ids)
	if err != nil || len(got) != 4 || !got[0].Gone || !got[3].Gone {
		t.Errorf("deleting again: %+v %v", got, err)
	}
}

// TestDeleteShellsFailures: a host that hangs costs no more than the
// caller's deadline, a refused connection is reported for every id, and
// ids that cannot be shell ids are refused without a connection.
func TestDeleteShellsFailures(t *testing.T) {
	f := startFleet(t, 3, func(sc *sim.Scenario) {
		sc.Faults = []sim.Fault{{Kind: sim.FaultHang, Hosts: []string{"web0001"}}, {Kind: sim.FaultRefuse, Hosts: []string{"web0002"}}}
	})
	ids := []string{"6F1903CA-E06A-4A8B-BDFC-B44203149D55", "0D1C1E5A-0000-4000-8000-000000000001"}
	check := func(t *testing.T, got []remote.ShellDeletion, err error, c remote.Class) {
		t.Helper()
		wantClass(t, err, c)
		if len(got) != len(ids) {
			t.Fatalf("%d results for %d ids", len(got), len(ids))
		}
		for _, d := range got {
			if remote.ClassOf(d.Err) != c || d.Gone {
				t.Errorf("%+v, want class %v", d, c)
			}
		}
	}
	t.Run("hang", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		got, err := remote.DeleteShells(ctx, endpoint(f, f.Host("web0001"), ntlmEncrypted), demo, fastOptions(), ids)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %v with a 300 ms deadline", d)
		}
		check(t, got, err, remote.ClassTimeout)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v", err)
		}
	})
	t.Run("refused", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		got, err := remote.DeleteShells(ctx, endpoint(f, f.Host("web0002"), ntlmEncrypted), demo, fastOptions(), ids)
		check(t, got, err, remote.ClassUnreachable)
	})
	t.Run("bad ids", func(t *testing.T) {
		h := f.Host("web0003")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		bad := []string{"", "a b", "x]]>", string(make([]byte, 200))}
		got, err := remote.DeleteShells(ctx, endpoint(f, h, ntlmEncrypted), demo, fastOptions(), bad)
		wantClass(t, err, remote.ClassConfig)
		for _, d := range got {
			if remote.ClassOf(d.Err) != remote.ClassConfig {
				t.Errorf("%q: %v", d.ID, d.Err)
			}
		}
		if n := h.Counters().ConnectionsAccepted; n != 0 {
			t.Errorf("%d connections for ids that cannot be sent", n)
		}
		if got, err := remote.DeleteShells(ctx, endpoint(f, h, ntlmEncrypted), demo, fastOptions(), nil); err != nil || len(got) != 0 {
			t.Errorf("no ids: %v %v", got, err)
		}
	})
}

// TestShellIdleTimeout: shells are created with the session's idle
// timeout, so the host deletes one its session left without a Delete; the
// session's next command gets a new shell. Without the option, the
// default (10 minutes) keeps the shell through the same wait.
func TestShellIdleTimeout(t *testing.T) {
	f := startFleet(t, 2, nil)
	short, long := f.Hosts()[0], f.Hosts()[1]
	opts := fastOptions()
	opts.ShellIdleTimeout = time.Second
	s := open(t, endpoint(f, short, ntlmEncrypted), opts)
	defer s.Close()
	d := open(t, endpoint(f, long, ntlmEncrypted), fastOptions())
	defer d.Close()
	run(t, s, "hostname")
	run(t, d, "hostname")
	waitFor(t, 5*time.Second, "the idle shell to be deleted", func() bool { return short.Counters().ShellsOpen == 0 })
	if c := long.Counters(); c.ShellsOpen != 1 {
		t.Errorf("the shell with the default idle timeout is gone after %d s: %+v", 1, c)
	}
	if r := run(t, s, "hostname"); r.ExitCode != 0 {
		t.Errorf("after the idle timeout: %+v", r)
	}
	if st := s.Stats(); st.Shells != 2 || st.Commands != 2 {
		t.Errorf("stats %+v: want a new shell for the second command", st)
	}
	opts.ShellIdleTimeout = 500 * time.Millisecond
	_, err := remote.Open(context.Background(), endpoint(f, short, ntlmEncrypted), demo, opts)
	wantClass(t, err, remote.ClassConfig)
}
