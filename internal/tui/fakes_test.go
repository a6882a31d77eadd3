package tui

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/plan"
)

// t0 is the fakes' clock: every time they report is after it.
var t0 = time.Date(2026, 11, 22, 14, 0, 0, 0, time.UTC)

// tick is a clock that moves 250 ms each time it is read, so that rates
// are the same in every run.
type tick struct {
	mu sync.Mutex
	n  int
}

func (c *tick) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return t0.Add(time.Duration(c.n) * 250 * time.Millisecond)
}

var sqlRemote = netip.MustParseAddrPort("10.118.161.13:1433")

// fakeWatcher plays rounds of samples: web0007's TIME_WAIT pile grows by
// 1500 a round, app0006's stays, web0003 cannot be reached, others are
// quiet. It plays Rounds rounds at once, then one more each time Next is
// sent to, until ctx ends.
type fakeWatcher struct {
	Rounds int
	Next   chan struct{}

	mu     sync.Mutex
	calls  [][]string
	every  time.Duration
	closed bool
}

func (w *fakeWatcher) sample(round int, host string) Sample {
	at := t0.Add(time.Duration(round) * 5 * time.Second)
	s := Sample{Host: host, At: at, Took: 42 * time.Millisecond, Status: facts.StatusOK, Established: 4, Total: 40}
	rng := facts.PortRange{Start: 10000, Count: 55535}
	switch host {
	case "web0003":
		return Sample{Host: host, At: at, Took: 5 * time.Second, Status: facts.StatusUnreachable, Error: "dial tcp 127.118.161.8:5985: connect: connection refused"}
	case "web0007":
		s.TimeWait = 6000 + 1500*round
		s.Established = 4 + round
	case "app0006":
		s.TimeWait = 12000
	case "smtp0002":
		rng = facts.PortRange{Start: 1025, Count: 3976}
		s.TimeWait = 3000 + 100*round
	}
	if s.TimeWait > 0 {
		s.TopRemotes = []facts.RemoteCount{{Remote: sqlRemote, Count: s.TimeWait - 20}, {Remote: netip.MustParseAddrPort("10.118.161.20:80"), Count: 20}}
	}
	inUse := s.TimeWait + s.Established
	s.Total += inUse
	s.Ephemeral = &facts.EphemeralUse{Family: "ipv4", PortRange: rng, InUse: inUse, Percent: float64(int(float64(inUse)*1000/float64(rng.Count))) / 10}
	return s
}

func (w *fakeWatcher) Watch(ctx context.Context, hosts []string, every time.Duration, out func(Sample)) {
	w.mu.Lock()
	w.calls = append(w.calls, slices.Clone(hosts))
	w.every = every
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		w.closed = true
		w.mu.Unlock()
	}()
	for round := 0; ; round++ {
		if round >= w.Rounds {
			select {
			case <-ctx.Done():
				return
			case <-w.Next:
			}
		}
		for _, h := range hosts {
			out(w.sample(round, h))
		}
	}
}

func (w *fakeWatcher) watched() [][]string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.calls)
}

// fakeCollector collects by copying the fixture into a new run: the
// hosts asked for get a new collection time; smtp0002 fails. With Hold it
// stops after that many events until Release is closed or ctx ends.
type fakeCollector struct {
	Data    *Data
	Hold    int
	Release chan struct{}

	mu    sync.Mutex
	calls [][]string
	bases []int64
}

func (c *fakeCollector) Collect(ctx context.Context, base int64, hosts []string, progress func(CollectEvent)) (*Data, error) {
	c.mu.Lock()
	c.calls = append(c.calls, slices.Clone(hosts))
	c.bases = append(c.bases, base)
	c.mu.Unlock()
	n := 0
	emit := func(e CollectEvent) error {
		if c.Hold > 0 && n == c.Hold {
			select {
			case <-c.Release:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		n++
		progress(e)
		return nil
	}
	for _, h := range hosts {
		st := facts.StatusOK
		if h == "smtp0002" {
			st = facts.StatusParseError
		}
		if emit(CollectEvent{Host: h}) != nil || emit(CollectEvent{Host: h, Done: true, Status: st}) != nil {
			return nil, ctx.Err()
		}
	}
	rep := *c.Data.Report
	rep.Run.ID = base + 1
	rep.Hosts = slices.Clone(rep.Hosts)
	for i := range rep.Hosts {
		if slices.Contains(hosts, rep.Hosts[i].Name) {
			rep.Hosts[i].Collected = t0.Add(time.Minute)
		}
	}
	return &Data{Report: &rep, Facts: c.Data.Facts, Tags: c.Data.Tags}, nil
}

func (c *fakeCollector) collected() [][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls)
}

// fixPlan is a plan for web0007: TcpTimedWaitDelay to 30, then a reboot.
func fixPlan(run int64) *plan.Plan {
	thirty := uint64(30)
	key := `HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters`
	return &plan.Plan{Version: plan.SchemaVersion, Created: t0, Run: run,
		Hosts: []plan.HostPlan{{
			Host: "web0007", Address: "127.118.161.15", ManagementAddress: netip.MustParseAddr("127.118.161.15"), Release: "2022",
			Actions: []plan.Action{{
				ID: "web0007/tcp_timed_wait_delay/0", Policy: "tcp_timed_wait_delay", Kind: plan.KindRegistry,
				Summary:  "TcpTimedWaitDelay absent (240) -> 30",
				Probe:    `reg query "` + key + `" /v TcpTimedWaitDelay`,
				Commands: []string{`reg add "` + key + `" /v TcpTimedWaitDelay /t REG_DWORD /d 30 /f`},
				Undo:     []string{`reg delete "` + key + `" /v TcpTimedWaitDelay /f`},
				Registry: &plan.RegistryChange{Key: key, Name: "TcpTimedWaitDelay", Type: "REG_DWORD", After: &plan.RegValue{Num: &thirty}},
			}},
			Effect: plan.Effect{Kind: plan.EffectReboot, Detached: true, Summary: "reboot (TcpTimedWaitDelay is read at boot)"},
			Verify: []string{"tcp_timed_wait_delay"},
		}},
		Refused: []plan.Refusal{{Host: "web0007", Policy: "http_listen_list", Reason: "the listen list would lack the management address 127.118.161.15"}},
	}
}

// fakeRemediator plans fixPlan for whatever it is asked and plays a
// rollout journal: the first Hold entries at once, then one more each
// time Step is sent to. Pause and Continue journal paused and continued
// at once; Abort makes Apply journal its end as aborted.
type fakeRemediator struct {
	Hold int
	Step chan struct{}
	// TwoStages plans web0008 too, in a second stage: Apply asks
	// hooks.Confirm before it and records the answer in answers.
	TwoStages bool
	answers   []bool

	mu       sync.Mutex
	planned  [][]string
	applied  int
	ctl      []string
	progress func(RolloutEvent)
	aborted  chan struct{}
}

func (r *fakeRemediator) Plan(ctx context.Context, run int64, hosts []string) (*Proposal, error) {
	r.mu.Lock()
	r.planned = append(r.planned, slices.Clone(hosts))
	r.mu.Unlock()
	if slices.Contains(hosts, "web0003") {
		return nil, errors.New("web0003 could not be judged (unreachable): collect it first")
	}
	p := fixPlan(run)
	if !slices.Contains(hosts, "web0007") {
		p.Hosts, p.Refused = nil, nil
	}
	var assigned [][]string
	if len(p.Hosts) > 0 {
		assigned = [][]string{{"web0007"}}
	}
	if r.TwoStages && len(p.Hosts) > 0 {
		h := p.Hosts[0]
		h.Host = "web0008"
		p.Hosts = append(p.Hosts, h)
		assigned = append(assigned, []string{"web0008"})
	}
	return &Proposal{Plan: p, Stages: "1,10%,50%,100%", Budget: "0", Assigned: assigned}, nil
}

// journal is the story of a rollout of fixPlan.
func journal(id int64) []RolloutEvent {
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	return []RolloutEvent{
		{Rollout: id, Time: at(1), Stage: 1, Step: "stage", State: "start", Detail: "1 hosts, up to 0 may fail"},
		{Rollout: id, Time: at(1), Stage: 1, Host: "web0007", Step: "host", State: "start"},
		{Rollout: id, Time: at(2), Stage: 1, Host: "web0007", Step: "action:web0007/tcp_timed_wait_delay/0", State: "run", Detail: "before: absent"},
		{Rollout: id, Time: at(2), Stage: 1, Host: "web0007", Step: "action:web0007/tcp_timed_wait_delay/0", State: "done", Detail: "TcpTimedWaitDelay absent (240) -> 30"},
		{Rollout: id, Time: at(3), Stage: 1, Host: "web0007", Step: "effect", State: "start", Detail: "booted 2026-11-01T08:00:00Z"},
		{Rollout: id, Time: at(9), Stage: 1, Host: "web0007", Step: "effect", State: "done", Detail: "booted 2026-11-22T14:00:08Z"},
		{Rollout: id, Time: at(10), Stage: 1, Host: "web0007", Step: "verify", State: "start"},
		{Rollout: id, Time: at(11), Stage: 1, Host: "web0007", Step: "verify", State: "done"},
		{Rollout: id, Time: at(11), Stage: 1, Host: "web0007", Step: "host", State: "fixed"},
		{Rollout: id, Time: at(11), Stage: 1, Step: "stage", State: "done"},
		{Rollout: id, Time: at(11), Step: "rollout", State: "complete"},
	}
}

func (r *fakeRemediator) Apply(ctx context.Context, p *Proposal, hooks RolloutHooks) (RolloutResult, error) {
	progress := hooks.Progress
	if r.TwoStages {
		return r.applyTwo(ctx, hooks)
	}
	r.mu.Lock()
	r.applied++
	r.progress = progress
	r.aborted = make(chan struct{})
	aborted := r.aborted
	r.mu.Unlock()
	const id = 3
	for i, e := range journal(id) {
		if r.Hold > 0 && i >= r.Hold {
			select {
			case <-r.Step:
			case <-aborted:
				progress(RolloutEvent{Rollout: id, Time: t0.Add(20 * time.Second), Step: "rollout", State: "aborted", Detail: "aborted during stage 1"})
				return RolloutResult{ID: id, Status: "aborted", Reason: "aborted during stage 1", Pending: 1}, nil
			case <-ctx.Done():
				return RolloutResult{ID: id, Status: "aborted", Reason: "interrupted", Pending: 1}, nil
			}
		}
		progress(e)
	}
	return RolloutResult{ID: id, Status: "complete", Fixed: 1}, nil
}

// applyTwo plays stage 1 of the journal, asks before stage 2, and plays
// it as the first for web0008, or stops there.
func (r *fakeRemediator) applyTwo(ctx context.Context, hooks RolloutHooks) (RolloutResult, error) {
	r.mu.Lock()
	r.applied++
	r.mu.Unlock()
	const id = 3
	j := journal(id)
	for _, e := range j[:len(j)-1] {
		hooks.Progress(e)
	}
	ok := hooks.Confirm(ctx, StageAsk{Index: 2, Of: 2, Hosts: []string{"web0008"}, Budget: 0})
	r.mu.Lock()
	r.answers = append(r.answers, ok)
	r.mu.Unlock()
	if !ok {
		hooks.Progress(RolloutEvent{Rollout: id, Time: t0.Add(12 * time.Second), Step: "rollout", State: "aborted", Detail: "not confirmed before stage 2"})
		return RolloutResult{ID: id, Status: "aborted", Reason: "not confirmed before stage 2", Fixed: 1, Pending: 1}, nil
	}
	for _, e := range j[:len(j)-1] {
		e.Stage, e.Time = 2, e.Time.Add(20*time.Second)
		if e.Host != "" {
			e.Host, e.Step = "web0008", strings.ReplaceAll(e.Step, "web0007", "web0008")
		}
		hooks.Progress(e)
	}
	hooks.Progress(RolloutEvent{Rollout: id, Time: t0.Add(31 * time.Second), Step: "rollout", State: "complete"})
	return RolloutResult{ID: id, Status: "complete", Fixed: 2}, nil
}

func (r *fakeRemediator) confirmations() []bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.answers)
}

// Resume plays the rest of the journal after "rollout resumed".
func (r *fakeRemediator) Resume(ctx context.Context, id int64, hooks RolloutHooks) (RolloutResult, error) {
	progress := hooks.Progress
	r.mu.Lock()
	r.ctl = append(r.ctl, "resume")
	r.progress = progress
	r.mu.Unlock()
	if id != 3 {
		return RolloutResult{}, errors.New("no such rollout")
	}
	progress(RolloutEvent{Rollout: id, Time: t0.Add(30 * time.Second), Step: "rollout", State: "resumed", Detail: "by process 42"})
	for _, e := range journal(id)[3:] {
		e.Time = e.Time.Add(30 * time.Second)
		progress(e)
	}
	return RolloutResult{ID: id, Status: "complete", Fixed: 1}, nil
}

func (r *fakeRemediator) control(what string, id int64, ev RolloutEvent) error {
	r.mu.Lock()
	r.ctl = append(r.ctl, what)
	progress := r.progress
	r.mu.Unlock()
	if id != 3 {
		return errors.New("no such rollout")
	}
	if progress != nil && ev.Step != "" {
		progress(ev)
	}
	return nil
}

func (r *fakeRemediator) Pause(id int64) error {
	return r.control("pause", id, RolloutEvent{Rollout: id, Time: t0.Add(4 * time.Second), Step: "rollout", State: "paused", Detail: "no new step starts until it continues"})
}

func (r *fakeRemediator) Continue(id int64) error {
	return r.control("continue", id, RolloutEvent{Rollout: id, Time: t0.Add(5 * time.Second), Step: "rollout", State: "continued"})
}

func (r *fakeRemediator) Abort(ctx context.Context, id int64) error {
	if err := r.control("abort", id, RolloutEvent{}); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.aborted != nil {
		close(r.aborted)
		r.aborted = nil
	}
	return nil
}

func (r *fakeRemediator) controls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.ctl)
}

// probe wraps the model in a program and keeps its latest screen, so
// that a test can wait for what the model shows (the program's output
// is a stream of partial redraws).
type probe struct {
	*Model
	mu   sync.Mutex
	view string
}

func (p *probe) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := p.Model.Update(msg)
	v := p.Model.View().Content
	p.mu.Lock()
	p.view = v
	p.mu.Unlock()
	return p, cmd
}

func (p *probe) screen() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.view
}

// shot is a flow's model with the screen its golden holds.
type shot struct {
	*Model
	screen string
}

// wait is a step of a flow: wait until the screen shows text.
type wait string

// flow runs the TUI as a program at 80x24 in the ASCII profile on the
// fixture with opts, plays steps (key names, waits, and funcs given the
// probe), compares the
// screen the last step shows with testdata/<Test>.golden (-update
// rewrites it), then quits. It returns the model and that screen.
func flow(t *testing.T, opts Options, steps ...any) shot {
	t.Helper()
	src := &staticSource{data: fixture(t)}
	opts.Title = "report.json"
	if opts.Context == nil {
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		opts.Context = ctx
	}
	p := &probe{Model: New(src, opts)}
	tm := teatest.NewTestModel(t, p, teatest.WithInitialTermSize(80, 24),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.ASCII)))
	waitScreen(t, p, "app0001")
	for _, s := range steps {
		switch s := s.(type) {
		case string:
			tm.Send(keyMsg(s))
		case []string:
			for _, k := range s {
				tm.Send(keyMsg(k))
			}
		case wait:
			waitScreen(t, p, string(s))
		case func(*probe):
			s(p)
		default:
			t.Fatalf("flow step %T", s)
		}
	}
	content := p.screen()
	if strings.Contains(content, "\x1b") {
		t.Error("the ASCII profile rendered an escape sequence")
	}
	golden.RequireEqual(t, []byte(content))
	// esc closes a dialog (or goes back), q quits, y confirms quitting
	// when a rollout runs.
	for _, k := range []string{"esc", "q", "y"} {
		tm.Send(keyMsg(k))
	}
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	return shot{Model: p.Model, screen: content}
}

func waitScreen(t *testing.T, p *probe, text string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(p.screen(), text) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("the screen never showed %q:\n%s", text, p.screen())
}
