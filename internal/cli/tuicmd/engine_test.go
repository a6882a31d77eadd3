package tuicmd_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/cli/root"
	"github.com/fleetport/fleetport/internal/cli/tuicmd"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/simtest"
	"github.com/fleetport/fleetport/internal/store"
	"github.com/fleetport/fleetport/internal/tui"
)

// incidentFleet serves three 2019 web servers, web0001 and web0002 with
// the default dynamic port range (drift a plan fixes at once, without a
// restart), collects them into a store and opens the TUI's source on it,
// as `fleetport tui -i sim.hcl --store DB` does.
func incidentFleet(t *testing.T, extra ...string) (*sim.Fleet, *tuicmd.Source, string) {
	t.Helper()
	sc := simtest.Scenario(3)
	sc.OSMix = map[string]float64{"2019": 1}
	sc.LocaleMix = map[string]float64{"en-US": 1}
	sc.Roles = []sim.Role{{Name: "web", Share: 1, Services: []string{"W3SVC"}}}
	sc.Drift = []sim.Drift{{Kind: sim.DriftDynamicRangeDefault, Hosts: []string{"web0001", "web0002"}}}
	f := simtest.Serve(t, sc)
	inv := simtest.Inventory(t, f, sim.InventoryOptions{})
	db := collectInto(t, inv)
	src, _ := openSource(t, inv, db, extra...)
	return f, src, db
}

// collectInto collects the inventory's hosts into a new store, as
// fleetport collect does without --nats, and returns the store's path.
func collectInto(t *testing.T, inv string) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "fleetport.db")
	ios, _, out, errOut := cmdutil.Test()
	if code := root.Run(context.Background(), &cmdutil.Factory{IO: ios, Now: time.Now}, []string{"collect", "-i", inv, "--store", db}); code != 0 {
		t.Fatalf("collect: exit %d\n%s\n%s", code, out, errOut)
	}
	return db
}

// openSource opens the TUI's source on a store through the command's
// flags, as `fleetport tui -i INV --store DB --stages 1,100% --poll 100ms
// extra...` does, and returns it with its close (which the test's
// cleanup calls too; once is enough).
func openSource(t *testing.T, inv, db string, extra ...string) (*tuicmd.Source, func()) {
	t.Helper()
	ios, _, _, errOut := cmdutil.Test()
	var src *tuicmd.Source
	var closeOnce func()
	cmd := tuicmd.NewCmdTUI(&cmdutil.Factory{IO: ios, Now: time.Now}, func(ctx context.Context, o *tuicmd.Options) error {
		s, closeSrc, err := tuicmd.NewSource(ctx, o)
		if err == nil {
			closeOnce = sync.OnceFunc(closeSrc)
			t.Cleanup(closeOnce)
		}
		src = s
		return err
	})
	cmd.SetArgs(append([]string{"-i", inv, "--store", db, "--stages", "1,100%", "--poll", "100ms"}, extra...))
	if err := cmd.Execute(); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if errOut.Len() > 0 {
		t.Errorf("the source wrote to stderr: %s", errOut)
	}
	return src, closeOnce
}

// TestWatchOverWinRM watches two hosts while a TIME_WAIT pile grows on
// one: its samples climb, with the share of its dynamic range; the other
// stays; cancelling ends the watch and closes its sessions.
func TestWatchOverWinRM(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	f, src, _ := incidentFleet(t)
	gr, err := f.GrowPiles([]sim.PileGrowth{{Hosts: []string{"web0001"}, Step: 400, Every: 150 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gr.Stop)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	got := map[string][]tui.Sample{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		src.Watch(ctx, []string{"web0001", "web0002", "nosuchhost"}, time.Second, func(s tui.Sample) {
			mu.Lock()
			got[s.Host] = append(got[s.Host], s)
			mu.Unlock()
		})
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(got["web0001"])
		mu.Unlock()
		if n >= 4 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("the watch did not end when cancelled")
	}
	mu.Lock()
	defer mu.Unlock()
	w1 := got["web0001"]
	if len(w1) < 4 {
		t.Fatalf("web0001: %d samples", len(w1))
	}
	for i, s := range w1 {
		if s.Status != facts.StatusOK {
			t.Fatalf("sample %d of web0001: %s: %s", i, s.Status, s.Error)
		}
		if s.Ephemeral == nil || s.Ephemeral.Start != 49152 || s.Ephemeral.Count != 16384 {
			t.Fatalf("web0001's client range (the default dynamic range): %+v", s.Ephemeral)
		}
		if i > 0 && s.TimeWait <= w1[i-1].TimeWait {
			t.Errorf("TIME_WAIT did not grow: %d then %d", w1[i-1].TimeWait, s.TimeWait)
		}
	}
	last := w1[len(w1)-1]
	if len(last.TopRemotes) == 0 || last.TopRemotes[0].Count < 400 || last.Ephemeral.InUse < last.TimeWait || last.Ephemeral.Percent <= w1[0].Ephemeral.Percent {
		t.Errorf("last sample %+v, ephemeral %+v", last, last.Ephemeral)
	}
	w2 := got["web0002"]
	if len(w2) < 2 || w2[0].Status != facts.StatusOK || w2[len(w2)-1].TimeWait != w2[0].TimeWait {
		t.Errorf("web0002 samples: %+v", w2)
	}
	if n := got["nosuchhost"]; len(n) != 1 || !strings.Contains(n[0].Error, "not in the inventory") {
		t.Errorf("a host without inventory entry: %+v", n)
	}
	// Each watched host kept one session: one shell created, none left.
	for _, name := range []string{"web0001", "web0002"} {
		st := f.Host(name).Service.Stats()
		if st.ShellsOpen != 0 {
			t.Errorf("%s: %d shells left open", name, st.ShellsOpen)
		}
	}
}

// TestCollectAgainOverWinRM collects one host again into a new run that
// keeps the others as they were.
func TestCollectAgainOverWinRM(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	_, src, db := incidentFleet(t)
	before, err := src.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var evs []tui.CollectEvent
	data, err := src.Collect(context.Background(), before.Report.Run.ID, []string{"web0002"}, func(e tui.CollectEvent) {
		mu.Lock()
		evs = append(evs, e)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	if data.Report.Run.ID != before.Report.Run.ID+1 || src.Run() != data.Report.Run.ID || len(data.Report.Hosts) != 3 {
		t.Fatalf("new run %d (source shows %d) with %d hosts", data.Report.Run.ID, src.Run(), len(data.Report.Hosts))
	}
	if len(evs) != 2 || evs[0] != (tui.CollectEvent{Host: "web0002"}) || evs[1] != (tui.CollectEvent{Host: "web0002", Done: true, Status: facts.StatusOK}) {
		t.Errorf("progress %+v", evs)
	}
	old := map[string]time.Time{}
	for _, h := range before.Report.Hosts {
		old[h.Name] = h.Collected
	}
	for _, h := range data.Report.Hosts {
		switch {
		case h.Name == "web0002" && !h.Collected.After(old[h.Name]):
			t.Errorf("web0002 was not collected again: %v", h.Collected)
		case h.Name != "web0002" && !h.Collected.Equal(old[h.Name]):
			t.Errorf("%s changed: %v, was %v", h.Name, h.Collected, old[h.Name])
		}
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r, err := st.Run(context.Background(), data.Report.Run.ID)
	if err != nil || r.Status != store.RunComplete || r.Meta["base"] == "" {
		t.Errorf("stored run %+v: %v", r, err)
	}
	if _, err := src.Collect(context.Background(), data.Report.Run.ID, []string{"nosuchhost"}, func(tui.CollectEvent) {}); err == nil || !strings.Contains(err.Error(), "in the inventory") {
		t.Errorf("collecting a host the inventory lacks: %v", err)
	}
}

// TestPlanApplyPauseAbortOverWinRM plans web0001's fix and applies it
// with a pause on the way; then plans web0002's and aborts it while
// paused. Both rollouts are in the store's journal.
func TestPlanApplyPauseAbortOverWinRM(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	f, src, db := incidentFleet(t)
	ctx := context.Background()
	run := src.Run()
	prop, err := src.Plan(ctx, run, []string{"web0001"})
	if err != nil {
		t.Fatal(err)
	}
	if len(prop.Plan.Hosts) != 1 || prop.Plan.Hosts[0].Host != "web0001" || prop.Stages != "1,100%" || len(prop.Assigned) != 1 {
		t.Fatalf("proposal %+v, plan hosts %+v", prop, prop.Plan.Hosts)
	}
	var kinds []string
	for _, a := range prop.Plan.Hosts[0].Actions {
		kinds = append(kinds, string(a.Kind))
	}
	if !slices.Contains(kinds, "dynamic_port_range") {
		t.Fatalf("web0001's plan: %v", kinds)
	}

	// Apply, pausing at the first journal entry and continuing once the
	// pause is journaled.
	var mu sync.Mutex
	var steps []string
	paused := make(chan int64, 1)
	res, err := src.Apply(ctx, prop, tui.RolloutHooks{Progress: func(e tui.RolloutEvent) {
		mu.Lock()
		first := len(steps) == 0
		steps = append(steps, e.Host+" "+e.Step+" "+e.State)
		mu.Unlock()
		switch {
		case first:
			if err := src.Pause(e.Rollout); err != nil {
				t.Errorf("pause: %v", err)
			}
		case e.Step == "rollout" && e.State == "paused":
			paused <- e.Rollout
			go func() {
				time.Sleep(100 * time.Millisecond)
				if err := src.Continue(e.Rollout); err != nil {
					t.Errorf("continue: %v", err)
				}
			}()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != "complete" || res.Fixed != 1 {
		t.Fatalf("result %+v: %v", res, steps)
	}
	select {
	case <-paused:
	default:
		t.Errorf("no pause in the journal: %v", steps)
	}
	if i, j := slices.Index(steps, " rollout continued"), slices.Index(steps, "web0001 host fixed"); i < 0 || j < i {
		t.Errorf("journal %v", steps)
	}
	if err := src.Pause(res.ID); err == nil {
		t.Error("a finished rollout can still be paused")
	}
	// web0002: paused before its first step, then aborted.
	prop2, err := src.Plan(ctx, run, []string{"web0002"})
	if err != nil {
		t.Fatal(err)
	}
	var id2 int64
	res2, err := src.Apply(ctx, prop2, tui.RolloutHooks{Progress: func(e tui.RolloutEvent) {
		switch {
		case id2 == 0:
			id2 = e.Rollout
			if err := src.Pause(e.Rollout); err != nil {
				t.Errorf("pause: %v", err)
			}
		case e.Step == "rollout" && e.State == "paused":
			go func() {
				if err := src.Abort(context.Background(), e.Rollout); err != nil {
					t.Errorf("abort: %v", err)
				}
			}()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Status != "aborted" || res2.Fixed != 0 {
		t.Errorf("aborted rollout: %+v", res2)
	}
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for id, want := range map[int64]store.RolloutStatus{res.ID: store.RolloutComplete, res2.ID: store.RolloutAborted} {
		rec, err := st.Rollout(ctx, id)
		if err != nil || rec.Status != want || rec.Kind != "apply" {
			t.Errorf("rollout %d: %+v %v", id, rec, err)
		}
	}
	// Nothing ran on web0002: its range is still the default.
	setRange := func(host string) int {
		n := 0
		for _, a := range f.Host(host).Model.Audit() {
			if strings.Contains(a.Line, "set dynamicport") {
				n++
			}
		}
		return n
	}
	if n := setRange("web0002"); n != 0 {
		t.Errorf("the aborted rollout changed web0002 %d times", n)
	}
	// Resumed, it goes on to its end: web0002 gets its range, once.
	var resumed []string
	res3, err := src.Resume(ctx, res2.ID, tui.RolloutHooks{Progress: func(e tui.RolloutEvent) { resumed = append(resumed, e.Host+" "+e.Step+" "+e.State) }})
	if err != nil {
		t.Fatal(err)
	}
	if res3.Status != "complete" || res3.Fixed != 1 || !slices.Contains(resumed, " rollout resumed") || !slices.Contains(resumed, "web0002 host fixed") {
		t.Errorf("resumed rollout %+v: %v", res3, resumed)
	}
	if n := setRange("web0002"); n != 1 {
		t.Errorf("web0002's range was set %d times", n)
	}
	if rec, err := st.Rollout(ctx, res2.ID); err != nil || rec.Status != store.RolloutComplete {
		t.Errorf("resumed rollout in the store: %+v %v", rec, err)
	}
	if _, err := src.Resume(ctx, res.ID, tui.RolloutHooks{Progress: func(tui.RolloutEvent) {}}); err == nil || !strings.Contains(err.Error(), "complete") {
		t.Errorf("resuming a complete rollout: %v", err)
	}
	found := false
	for _, a := range f.Host("web0001").Model.Audit() {
		if strings.Contains(a.Line, "set dynamicport") {
			found = true
		}
	}
	if !found {
		t.Error("web0001's range was not set")
	}
}
