package rollout

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/plan"
	"github.com/fleetport/fleetport/internal/store"
)

// pauseRig runs rollouts of hosts without actions (each is fixed at once,
// without a session) and records the journal as the Progress hook sees it.
type pauseRig struct {
	st   *store.Store
	gate *Gate
	mu   sync.Mutex
	evs  []store.Event
	hook func(store.Event)
}

func newPauseRig(t *testing.T) *pauseRig {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &pauseRig{st: st, gate: &Gate{}}
}

func (p *pauseRig) cfg() Config {
	return Config{Store: p.st, Gate: p.gate, Concurrency: 1, PID: 4242,
		Open: func(context.Context, plan.HostPlan) (Session, error) { return nil, fmt.Errorf("no session needed") },
		Progress: func(e store.Event) {
			p.mu.Lock()
			p.evs = append(p.evs, e)
			hook := p.hook
			p.mu.Unlock()
			if hook != nil {
				hook(e)
			}
		}}
}

func (p *pauseRig) events() []store.Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.evs)
}

// steps lists the journal as "host step state" (host "-" for the rollout).
func (p *pauseRig) steps() []string {
	var out []string
	for _, e := range p.events() {
		h := e.Host
		if h == "" {
			h = "-"
		}
		out = append(out, h+" "+e.Step+" "+e.State)
	}
	return out
}

// waitFor waits until the journal has an entry for which ok holds.
func (p *pauseRig) waitFor(t *testing.T, what string, ok func(store.Event) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if slices.ContainsFunc(p.events(), ok) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no %s in the journal: %v", what, p.steps())
}

func isPaused(e store.Event) bool { return e.Step == "rollout" && e.State == "paused" }

func pausePlan(n int) *plan.Plan {
	p := &plan.Plan{Version: plan.SchemaVersion}
	for i := 1; i <= n; i++ {
		p.Hosts = append(p.Hosts, plan.HostPlan{Host: fmt.Sprintf("h%02d", i), Effect: plan.Effect{Kind: plan.EffectNone}})
	}
	return p
}

func startAsync(rig *pauseRig, p *plan.Plan, stages string) chan Result {
	done := make(chan Result, 1)
	specs, _ := ParseStages(stages)
	go func() {
		res, err := Start(context.Background(), rig.cfg(), "apply", p, Options{Stages: specs}, 0)
		if err != nil {
			res.Reason = "error: " + err.Error()
		}
		done <- res
	}()
	return done
}

func TestGate(t *testing.T) {
	var g Gate
	if g.Paused() || g.Continue() {
		t.Fatal("the zero gate is not open")
	}
	if !g.Pause() || g.Pause() || !g.Paused() {
		t.Fatal("pause")
	}
	if !g.Continue() || g.Continue() || g.Paused() {
		t.Fatal("continue")
	}
}

// TestPauseBeforeTheFirstStep: a rollout started paused journals the
// pause and touches no host until it continues, then completes.
func TestPauseBeforeTheFirstStep(t *testing.T) {
	rig := newPauseRig(t)
	rig.gate.Pause()
	done := startAsync(rig, pausePlan(3), "1,100%")
	rig.waitFor(t, "pause", isPaused)
	time.Sleep(50 * time.Millisecond)
	for _, e := range rig.events() {
		if e.Host != "" || e.Step == "stage" {
			t.Fatalf("a paused rollout went on: %v", rig.steps())
		}
	}
	rig.gate.Continue()
	res := <-done
	if res.Status != store.RolloutComplete || res.Fixed != 3 {
		t.Fatalf("result %+v: %v", res, rig.steps())
	}
	steps := rig.steps()
	if n := countOf(steps, "- rollout paused"); n != 1 {
		t.Errorf("%d paused entries: %v", n, steps)
	}
	if i, j := slices.Index(steps, "- rollout continued"), slices.Index(steps, "- stage start"); i < 0 || j < i {
		t.Errorf("the first stage started before the rollout continued: %v", steps)
	}
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// TestPauseBetweenHosts pauses while the first host finishes: the next
// host does not start until the rollout continues, and the journal shows
// where it held.
func TestPauseBetweenHosts(t *testing.T) {
	rig := newPauseRig(t)
	rig.hook = func(e store.Event) {
		if e.Host == "h01" && e.Step == "host" && e.State == "fixed" {
			rig.gate.Pause()
		}
	}
	done := startAsync(rig, pausePlan(3), "100%")
	rig.waitFor(t, "pause", isPaused)
	time.Sleep(50 * time.Millisecond)
	for _, e := range rig.events() {
		if e.Host == "h02" || e.Host == "h03" {
			t.Fatalf("a host started while paused: %v", rig.steps())
		}
	}
	rig.mu.Lock()
	rig.hook = nil
	rig.mu.Unlock()
	rig.gate.Continue()
	res := <-done
	if res.Status != store.RolloutComplete || res.Fixed != 3 {
		t.Fatalf("result %+v: %v", res, rig.steps())
	}
	steps := rig.steps()
	want := []string{"h01 host fixed", "- rollout paused", "- rollout continued", "h02 host start"}
	at := 0
	for _, s := range steps {
		if at < len(want) && s == want[at] {
			at++
		}
	}
	if at != len(want) {
		t.Errorf("journal %v: want %v in order", steps, want)
	}
	// The journal in the store holds the same story.
	stored, err := rig.st.Events(context.Background(), res.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(stored, isPaused) {
		t.Error("the pause is not in the stored journal")
	}
}

// TestAbortWhilePaused: Abort, then Continue, stops the rollout at its
// next step, with no host touched.
func TestAbortWhilePaused(t *testing.T) {
	rig := newPauseRig(t)
	rig.gate.Pause()
	done := startAsync(rig, pausePlan(2), "100%")
	rig.waitFor(t, "pause", isPaused)
	id := rig.events()[0].Rollout
	st, err := Abort(context.Background(), rig.st, id, func(pid int) bool { return pid == 4242 }, time.Now())
	if err != nil || st != store.RolloutAborting {
		t.Fatalf("abort: %v %v", st, err)
	}
	rig.gate.Continue()
	res := <-done
	if res.Status != store.RolloutAborted || res.Fixed != 0 || res.Pending != 2 {
		t.Errorf("result %+v: %v", res, rig.steps())
	}
}

// TestPausedWaitEndsWithTheContext: cancelling the runner's context ends
// a pause; the rollout stops as interrupted.
func TestPausedWaitEndsWithTheContext(t *testing.T) {
	rig := newPauseRig(t)
	rig.gate.Pause()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Result, 1)
	go func() {
		specs, _ := ParseStages("100%")
		res, _ := Start(ctx, rig.cfg(), "apply", pausePlan(2), Options{Stages: specs}, 0)
		done <- res
	}()
	rig.waitFor(t, "pause", isPaused)
	cancel()
	select {
	case res := <-done:
		if res.Status != store.RolloutAborted {
			t.Errorf("result %+v", res)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a cancelled context did not end the pause")
	}
}
