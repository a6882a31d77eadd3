package collect_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/collect"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/simtest"
	"github.com/fleetport/fleetport/policies"
)

// adaptiveRun collects a fleet whose path saturates beyond threshold
// requests in flight, adaptively, and returns the results and what the
// run did with its concurrency.
func adaptiveRun(t *testing.T, n int, capacity *sim.Capacity, requestTimeout time.Duration) (*sim.Fleet, map[string]*facts.Host, collect.Adaptation) {
	t.Helper()
	sc := simtest.Scenario(n)
	sc.HTTPSPort = 0
	sc.CommandTime = 150 * time.Millisecond // the host's own work: the client's CPU noise is small beside it
	sc.Capacity = capacity
	f := simtest.Serve(t, sc)
	ts := targets(f, time.Minute)
	for i := range ts {
		if requestTimeout > 0 {
			ts[i].Session.OperationTimeout, ts[i].Session.RequestTimeout = time.Second, requestTimeout
		}
		ts[i].Session.Retry.BaseDelay = 100 * time.Millisecond
	}
	set, diags := policies.Builtin()
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var mu sync.Mutex
	got := map[string]*facts.Host{}
	var a collect.Adaptation
	err := collect.Run(context.Background(), ts, collect.Options{Adaptive: true, Policies: set, Report: func(x collect.Adaptation) { a = x }},
		func(h *facts.Host) {
			mu.Lock()
			defer mu.Unlock()
			if got[h.Name] != nil {
				t.Errorf("two results for %s", h.Name)
			}
			got[h.Name] = h
		})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d results for %d hosts", len(got), n)
	}
	return f, got, a
}

func allOK(t *testing.T, got map[string]*facts.Host) {
	t.Helper()
	for name, h := range got {
		if h.Status != facts.StatusOK {
			t.Errorf("%s: %s: %s", name, h.Status, h.Error)
		}
	}
}

// TestAdaptiveGrowsOnAHealthyFleet: with nothing in the way, the run grows
// from its start to every host at once.
func TestAdaptiveGrowsOnAHealthyFleet(t *testing.T) {
	_, got, a := adaptiveRun(t, 200, nil, 0)
	allOK(t, got)
	// The round trip on this machine rises as the client and the
	// simulator share its cores: growth may stop before every host is in
	// flight, but not before it has doubled twice.
	if !a.Adaptive || a.Reached < 3*collect.AdaptiveStart || a.Backoffs != 0 {
		t.Errorf("adaptation %+v: want growth past %d without backing off", a, 3*collect.AdaptiveStart)
	}
}

// TestAdaptiveStopsWhereThePathSlowsDown: beyond 40 requests in flight
// every request waits 4 ms more per request over the threshold; the run
// stops growing near it and says why.
func TestAdaptiveStopsWhereThePathSlowsDown(t *testing.T) {
	f, got, a := adaptiveRun(t, 150, &sim.Capacity{Threshold: 40, Beyond: "slow", SlowPer: 4 * time.Millisecond}, 0)
	allOK(t, got)
	if a.Final >= a.Reached || !strings.Contains(a.Why, "round trip") {
		t.Errorf("adaptation %+v (%s): want it to come down from its highest, for the round trip", a, a)
	}
	t.Logf("%s; the path saw %+v", a, f.CapacityStats())
}

// TestAdaptiveBacksOffWhenThePathRefuses: beyond 20 requests in flight
// the path answers HTTP 503; the run backs off, and no host fails because
// of it.
func TestAdaptiveBacksOffWhenThePathRefuses(t *testing.T) {
	f, got, a := adaptiveRun(t, 120, &sim.Capacity{Threshold: 20, Beyond: "refuse"}, 0)
	allOK(t, got)
	if a.Backoffs == 0 || !strings.Contains(a.String(), "backed off") {
		t.Errorf("adaptation %+v (%s): want it to back off", a, a)
	}
	if st := f.CapacityStats(); st.Over == 0 {
		t.Errorf("the path never refused (%+v): the test tests nothing", st)
	}
	t.Logf("%s; the path saw %+v", a, f.CapacityStats())
}

// TestAdaptiveBacksOffWhenThePathDrops: beyond 20 requests in flight the
// path never answers, and requests time out; the run backs off, tries
// those hosts again at the end, and every host is collected.
func TestAdaptiveBacksOffWhenThePathDrops(t *testing.T) {
	f, got, a := adaptiveRun(t, 120, &sim.Capacity{Threshold: 20, Beyond: "timeout"}, 3*time.Second)
	allOK(t, got)
	if a.Backoffs == 0 {
		t.Errorf("adaptation %+v (%s): want it to back off", a, a)
	}
	if st := f.CapacityStats(); st.Over == 0 {
		t.Errorf("the path never dropped a request (%+v): the test tests nothing", st)
	}
	t.Logf("%s; the path saw %+v", a, f.CapacityStats())
}

// TestFixedConcurrencyIsExact: a fixed concurrency is never exceeded or
// changed, whatever the path does.
func TestFixedConcurrencyIsExact(t *testing.T) {
	sc := simtest.Scenario(60)
	sc.HTTPSPort = 0
	sc.Capacity = &sim.Capacity{Threshold: 5, Beyond: "slow", SlowPer: time.Millisecond}
	f := simtest.Serve(t, sc)
	var a collect.Adaptation
	err := collect.Run(context.Background(), targets(f, time.Minute), collect.Options{Concurrency: 12, Report: func(x collect.Adaptation) { a = x }},
		func(*facts.Host) {})
	if err != nil {
		t.Fatal(err)
	}
	if a.Adaptive || a.Final != 12 || a.Peak > 12 || a.Peak < 10 {
		t.Errorf("adaptation %+v", a)
	}
}
