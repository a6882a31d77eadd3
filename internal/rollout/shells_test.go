package rollout

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/plan"
	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/internal/store"
)

// shellHost is a host for the shell journal's tests: its dynamic port
// range, the shells open on it (as WinRM keeps them per user), and what
// was done to it, in order. Its sessions report their shells to the trace
// in their Open context, as remote's do.
type shellHost struct {
	mu        sync.Mutex
	start     int
	open      map[string]bool
	next      int
	log       []string
	deleteErr error // DeleteShells fails every id with it
	closeErr  error // a session's Delete fails with it
}

func newShellHost(open ...string) *shellHost {
	h := &shellHost{start: 49152, open: map[string]bool{}}
	for _, id := range open {
		h.open[id] = true
	}
	return h
}

func (h *shellHost) record(s string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.log = append(h.log, s)
}

func (h *shellHost) history() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.log)
}

func (h *shellHost) shells() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for id := range h.open {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

func (h *shellHost) openSession(ctx context.Context, hp plan.HostPlan) (Session, error) {
	h.mu.Lock()
	h.next++
	id := fmt.Sprintf("NEW-%d", h.next)
	h.open[id] = true
	h.log = append(h.log, "create "+id)
	h.mu.Unlock()
	t := remote.ContextShellTrace(ctx)
	if t != nil {
		t.Created(hp.Host+":5985", id)
	}
	return &shellSession{h: h, id: id, trace: t}, nil
}

func (h *shellHost) deleteShells(_ context.Context, _ plan.HostPlan, ids []string) ([]remote.ShellDeletion, error) {
	h.record("delete " + strings.Join(ids, " "))
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]remote.ShellDeletion, len(ids))
	for i, id := range ids {
		out[i].ID = id
		switch {
		case h.deleteErr != nil:
			out[i].Err = h.deleteErr
		case h.open[id]:
			delete(h.open, id)
		default:
			out[i].Gone = true
		}
	}
	return out, h.deleteErr
}

type shellSession struct {
	h     *shellHost
	id    string
	trace *remote.ShellTrace
}

func (s *shellSession) Run(_ context.Context, cmd remote.Command) (remote.Result, error) {
	s.h.mu.Lock()
	defer s.h.mu.Unlock()
	s.h.log = append(s.h.log, "run "+cmd.Line)
	if n, ok := strings.CutPrefix(cmd.Line, "netsh int ipv4 set dynamicport tcp start="); ok {
		fmt.Sscanf(n, "%d", &s.h.start)
		return remote.Result{Stdout: []byte("Ok.\r\n\r\n")}, nil
	}
	out := fmt.Sprintf("\r\nProtocol tcp Dynamic Port Range\r\n---------------------------------\r\nStart Port      : %d\r\nNumber of Ports : 16384\r\n\r\n", s.h.start)
	return remote.Result{Stdout: []byte(out)}, nil
}

func (s *shellSession) Close() error {
	s.h.mu.Lock()
	err := s.h.closeErr
	if err == nil {
		delete(s.h.open, s.id)
	}
	s.h.log = append(s.h.log, "close "+s.id)
	s.h.mu.Unlock()
	if s.trace != nil {
		s.trace.Deleted("h1:5985", s.id, err)
	}
	return err
}

// portRangePlan moves h1's dynamic port range from 49152 to 10000.
func portRangePlan() *plan.Plan {
	p := &plan.Plan{Version: plan.SchemaVersion, Hosts: []plan.HostPlan{{
		Host: "h1", Effect: plan.Effect{Kind: plan.EffectNone},
		Actions: []plan.Action{{
			ID: "h1/dynamic_port_range/0", Kind: plan.KindPortRange, Policy: "dynamic_port_range",
			Summary:   "ipv4 tcp dynamic port range 49152-65535 (16384 ports) → 10000-26383 (16384 ports)",
			Probe:     "netsh int ipv4 show dynamicport tcp",
			Commands:  []string{"netsh int ipv4 set dynamicport tcp start=10000 num=16384"},
			Undo:      []string{"netsh int ipv4 set dynamicport tcp start=49152 num=16384"},
			PortRange: &plan.PortRangeChange{Family: "ipv4", Protocol: "tcp", Before: plan.PortRange{Start: 49152, Num: 16384}, After: plan.PortRange{Start: 10000, Num: 16384}},
		}},
	}}}
	p.Hosts[0].Fingerprint = plan.Fingerprint(p.Hosts[0].Actions)
	return p
}

// crashedRollout stores a rollout of portRangePlan as a controller that
// died in h1's work left it: its journal says what is given.
func crashedRollout(t *testing.T, entries ...store.Event) (*store.Store, int64) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var buf bytes.Buffer
	if err := portRangePlan().Write(&buf); err != nil {
		t.Fatal(err)
	}
	specs, _ := ParseStages("100%")
	o, _ := json.Marshal(Options{Stages: specs, Assigned: [][]string{{"h1"}}})
	id, err := st.CreateRollout(ctx, "apply", buf.Bytes(), string(o), 0, 999999, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	head := []store.Event{{Stage: 1, Step: "stage", State: "start"}, {Stage: 1, Host: "h1", Step: "host", State: "start"}}
	for _, e := range append(head, entries...) {
		e.Rollout, e.Time = id, time.Now()
		if _, err := st.AppendEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	return st, id
}

func shellEntry(state, detail string) store.Event {
	return store.Event{Stage: 1, Host: "h1", Step: "shell", State: state, Detail: detail}
}

// shellSteps lists the "shell" entries of a host's journal after skip.
func shellSteps(t *testing.T, st *store.Store, id int64, skip int) []string {
	t.Helper()
	evs, err := st.Events(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs[skip:] {
		if e.Step == "shell" {
			out = append(out, e.State+" "+e.Detail)
		}
	}
	return out
}

// TestResumeDeletesTheShellsTheJournalLeftOpen: the journal of a dead
// controller lists shells open on h1: one its session created, one whose
// Delete failed, one the host has dropped since, and one it closed. The
// host also has a shell nobody journaled (another tool's). The resume
// deletes exactly the three open by the journal, before it opens a
// session, journals each outcome, and converges; the other tool's shell
// stays.
func TestResumeDeletesTheShellsTheJournalLeftOpen(t *testing.T) {
	st, id := crashedRollout(t,
		shellEntry("open", "S-A"),
		shellEntry("open", "S-B"),
		shellEntry("closed", "S-B"),
		shellEntry("open", "S-C"),
		shellEntry("left", "S-C: winrm delete on h1:5985: timeout: context deadline exceeded"),
		shellEntry("open", "S-GONE"),
		store.Event{Stage: 1, Host: "h1", Step: "action:h1/dynamic_port_range/0", State: "run", Detail: "before: 49152"},
	)
	before, _ := st.Events(context.Background(), id)
	h := newShellHost("S-A", "S-C", "S-OTHER")
	cfg := Config{Store: st, Open: h.openSession, DeleteShells: h.deleteShells, PID: 1, PollEvery: time.Millisecond}
	res, err := Resume(context.Background(), cfg, id, func(int) bool { return false })
	if err != nil || res.Status != store.RolloutComplete || res.Fixed != 1 {
		t.Fatalf("resume: %+v %v", res, err)
	}
	got := h.history()
	if len(got) < 2 || got[0] != "delete S-A S-C S-GONE" || got[1] != "create NEW-1" {
		t.Errorf("the host saw %q: want the journal's open shells deleted before the first session", got)
	}
	if s := h.shells(); !slices.Equal(s, []string{"S-OTHER"}) {
		t.Errorf("shells open on the host after the resume: %v, want only the other tool's", s)
	}
	want := []string{"deleted S-A", "deleted S-C", "gone S-GONE", "open NEW-1", "closed NEW-1"}
	if s := shellSteps(t, st, id, len(before)); !slices.Equal(s, want) {
		t.Errorf("shell journal of the resume %q, want %q", s, want)
	}
	if h.start != 10000 {
		t.Errorf("the range starts at %d", h.start)
	}
	// The journal now lists no shell open on h1.
	r := &runner{id: id}
	r.events, _ = st.Events(context.Background(), id)
	if hs := r.hostStates()["h1"]; len(hs.shells) != 0 {
		t.Errorf("open by the journal: %v", hs.shells)
	}
}

// TestShellCleanupFailure: when the shells cannot be deleted the failure
// is journaled per shell, the host's work goes on as before (and here
// converges), and the shells stay listed as open for a later run; a
// session whose own Delete fails journals its shell as left.
func TestShellCleanupFailure(t *testing.T) {
	st, id := crashedRollout(t, shellEntry("open", "S-A"))
	before, _ := st.Events(context.Background(), id)
	h := newShellHost("S-A")
	h.deleteErr = &remote.Error{Class: remote.ClassUnreachable, Op: "delete", Host: "h1:5985", Err: errors.New("connection refused")}
	h.closeErr = &remote.Error{Class: remote.ClassTimeout, Op: "delete", Host: "h1:5985", Err: context.DeadlineExceeded}
	cfg := Config{Store: st, Open: h.openSession, DeleteShells: h.deleteShells, PID: 1, PollEvery: time.Millisecond}
	res, err := Resume(context.Background(), cfg, id, func(int) bool { return false })
	if err != nil || res.Status != store.RolloutComplete || res.Fixed != 1 {
		t.Fatalf("resume: %+v %v", res, err)
	}
	want := []string{
		"failed S-A: winrm delete on h1:5985: unreachable: connection refused",
		"open NEW-1",
		"left NEW-1: winrm delete on h1:5985: timeout: context deadline exceeded",
	}
	if s := shellSteps(t, st, id, len(before)); !slices.Equal(s, want) {
		t.Errorf("shell journal %q, want %q", s, want)
	}
	r := &runner{id: id}
	r.events, _ = st.Events(context.Background(), id)
	if hs := r.hostStates()["h1"]; !slices.Equal(hs.shells, []string{"S-A", "NEW-1"}) {
		t.Errorf("open by the journal: %v", hs.shells)
	}
	if n := strings.Count(strings.Join(h.history(), "\n"), "delete "); n != 1 {
		t.Errorf("DeleteShells called %d times: %q", n, h.history())
	}
}

// hostJournal is a site runner's journal, as RunHost writes it.
type hostJournal struct {
	mu      sync.Mutex
	entries []string
}

func (j *hostJournal) Append(_ context.Context, step, state, detail string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = append(j.entries, step+" "+state+" "+detail)
	return nil
}

func (j *hostJournal) Aborting(context.Context) bool { return false }

// TestRunHostDeletesThePriorShells: a site runner's delivery gets the
// shells the controller's journal lists as open (HostState.Shells),
// deletes them before its first session, and journals its own shells
// through its journal as the controller's runner does.
func TestRunHostDeletesThePriorShells(t *testing.T) {
	h := newShellHost("S-A")
	j := &hostJournal{}
	cfg := Config{Open: h.openSession, DeleteShells: h.deleteShells, PollEvery: time.Millisecond}
	res, err := RunHost(context.Background(), cfg, 1, portRangePlan().Hosts[0], HostState{Shells: []string{"S-A", "S-GONE"}}, j)
	if err != nil || res.Outcome != OutcomeFixed {
		t.Fatalf("RunHost: %+v %v", res, err)
	}
	var shells []string
	for _, e := range j.entries {
		if strings.HasPrefix(e, "shell ") {
			shells = append(shells, e)
		}
	}
	want := []string{"shell deleted S-A", "shell gone S-GONE", "shell open NEW-1", "shell closed NEW-1"}
	if !slices.Equal(shells, want) {
		t.Errorf("journal %q, want %q", j.entries, want)
	}
	if got := h.history(); got[0] != "delete S-A S-GONE" || len(h.shells()) != 0 {
		t.Errorf("host %q, shells %v", got, h.shells())
	}
}

func TestRoutine(t *testing.T) {
	for _, c := range []struct {
		state string
		want  bool
	}{{"open", true}, {"closed", true}, {"left", false}, {"deleted", false}, {"gone", false}, {"failed", false}} {
		if got := Routine(store.Event{Step: "shell", State: c.state}); got != c.want {
			t.Errorf("shell %s: %v", c.state, got)
		}
	}
	if Routine(store.Event{Step: "verify", State: "open"}) {
		t.Error("a verify entry is routine")
	}
}
