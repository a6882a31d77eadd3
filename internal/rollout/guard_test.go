package rollout

import (
	"context"
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
	"github.com/fleetport/fleetport/policies"
)

// fakeClock is a rollout's injected clock: Sleep moves it on at once.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
	// Let the other hosts' work run, as a real wait would.
	time.Sleep(100 * time.Microsecond)
}

// rebootHost is a host whose one registry value a plan sets and which
// then reboots: its boot time moves on after a few reads, as a host that
// takes a while to come back.
type rebootHost struct {
	mu        sync.Mutex
	set       bool
	boot      time.Time
	backAfter int // boot time reads left before the reboot shows
	log       []string
}

type rebootFleet struct {
	clock *fakeClock
	mu    sync.Mutex
	hosts map[string]*rebootHost
}

func newRebootFleet(clock *fakeClock, names ...string) *rebootFleet {
	f := &rebootFleet{clock: clock, hosts: map[string]*rebootHost{}}
	for _, n := range names {
		f.hosts[n] = &rebootHost{boot: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	}
	return f
}

func (f *rebootFleet) open(_ context.Context, hp plan.HostPlan) (Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h, ok := f.hosts[hp.Host]
	if !ok {
		return nil, fmt.Errorf("no host %s", hp.Host)
	}
	return &rebootSession{f: f, h: h}, nil
}

// commands is everything the hosts ran, "host: line", by host name.
func (f *rebootFleet) commands(host string) []string {
	h := f.hosts[host]
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.log)
}

type rebootSession struct {
	f *rebootFleet
	h *rebootHost
}

func (s *rebootSession) Close() error { return nil }

func (s *rebootSession) Run(_ context.Context, cmd remote.Command) (remote.Result, error) {
	h := s.h
	h.mu.Lock()
	defer h.mu.Unlock()
	h.log = append(h.log, cmd.Line)
	switch {
	case strings.HasPrefix(cmd.Line, "reg query"):
		if h.set {
			return remote.Result{Stdout: []byte("\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\r\n    TcpTimedWaitDelay    REG_DWORD    0x1e\r\n\r\n")}, nil
		}
		return remote.Result{Stderr: []byte("ERROR: The system was unable to find the specified registry key or value.\r\n"), ExitCode: 1}, nil
	case strings.HasPrefix(cmd.Line, "reg add"):
		h.set = true
		return remote.Result{Stdout: []byte("The operation completed successfully.\r\n")}, nil
	case cmd.Line == "wmic os get LastBootUpTime /value":
		if h.backAfter > 0 {
			h.backAfter--
			if h.backAfter == 0 {
				h.boot = s.f.clock.Now()
			}
		}
		return remote.Result{Stdout: []byte("\r\r\nLastBootUpTime=" + h.boot.UTC().Format("20060102150405") + ".500000+000\r\r\n")}, nil
	case cmd.Line == plan.RebootCommand:
		h.backAfter = 30
		return remote.Result{}, nil
	}
	return remote.Result{}, nil
}

// rebootPlan sets TcpTimedWaitDelay on each host, put into effect by a
// reboot; host i is in group g(i).
func rebootPlan(names []string, group func(i int) []string) *plan.Plan {
	p := &plan.Plan{Version: plan.SchemaVersion, Run: 1}
	n := uint64(30)
	for i, name := range names {
		a := plan.Action{ID: name + "/tcp", Policy: "tcp_timed_wait_delay", Kind: plan.KindRegistry,
			Probe:    `reg query "HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters" /v TcpTimedWaitDelay`,
			Commands: []string{`reg add "HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters" /v TcpTimedWaitDelay /t REG_DWORD /d 30 /f`},
			Undo:     []string{`reg delete "HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters" /v TcpTimedWaitDelay /f`},
			Summary:  "TcpTimedWaitDelay absent → 30",
			Registry: &plan.RegistryChange{Key: `HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters`, Name: "TcpTimedWaitDelay", Type: "REG_DWORD", After: &plan.RegValue{Num: &n}},
			Effect:   plan.Effect{Kind: plan.EffectReboot, Detached: true, Summary: "reboot"}}
		p.Hosts = append(p.Hosts, plan.HostPlan{Host: name, Groups: group(i), Actions: []plan.Action{a}, Fingerprint: plan.Fingerprint([]plan.Action{a}),
			Effect: plan.Effect{Kind: plan.EffectReboot, Detached: true, Summary: "reboot"}})
	}
	return p
}

type guardRig struct {
	st    *store.Store
	clock *fakeClock
	fleet *rebootFleet
	mu    sync.Mutex
	evs   []store.Event
}

func newGuardRig(t *testing.T, start time.Time, names []string) *guardRig {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := &fakeClock{t: start}
	return &guardRig{st: st, clock: clock, fleet: newRebootFleet(clock, names...)}
}

// cfg runs the rollout on the fake clock. Every host's polls move the one
// clock on, so the effect timeout is far above what a reboot takes.
func (g *guardRig) cfg() Config {
	return Config{Store: g.st, Open: g.fleet.open, Now: g.clock.Now, Sleep: g.clock.Sleep, PollEvery: time.Minute, EffectTimeout: 100 * time.Hour, Concurrency: 10, PID: 4242,
		Progress: func(e store.Event) {
			g.mu.Lock()
			g.evs = append(g.evs, e)
			g.mu.Unlock()
		}}
}

func (g *guardRig) events() []store.Event {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.evs)
}

// effectSpans are the hosts' effects as the journal shows them, in order:
// +1 at "effect start", -1 at its "done" or "failed".
func maxAtOnce(evs []store.Event, in func(host string) bool) int {
	at, most := 0, 0
	running := map[string]bool{}
	for _, e := range evs {
		if e.Step != "effect" || !in(e.Host) {
			continue
		}
		switch e.State {
		case "start":
			running[e.Host] = true
			at++
		case "done", "failed":
			if running[e.Host] {
				delete(running, e.Host)
				at--
			}
		}
		most = max(most, at)
	}
	return most
}

func names(n int) []string {
	var out []string
	for i := 1; i <= n; i++ {
		out = append(out, fmt.Sprintf("h%02d", i))
	}
	return out
}

// TestRebootCap: with 10 hosts changed at once, no more than
// MaxDisruptive reboot at once, and no more than MaxDisruptivePerGroup of
// a group; a host that waits for its place journals why.
func TestRebootCap(t *testing.T) {
	hs := names(8)
	group := func(i int) []string {
		if i < 4 {
			return []string{"web"}
		}
		return []string{"app", fmt.Sprintf("rack%d", i%2)}
	}
	for _, c := range []struct {
		name             string
		rails            GuardRails
		total, web, rack int
	}{
		{"none", GuardRails{}, 8, 4, 2},
		{"total", GuardRails{MaxDisruptive: 2}, 2, 2, 2},
		{"per group", GuardRails{MaxDisruptivePerGroup: 1}, 3, 1, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			rig := newGuardRig(t, time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC), hs)
			stages, _ := ParseStages("100%")
			res, err := Start(context.Background(), rig.cfg(), "apply", rebootPlan(hs, group), Options{Stages: stages, Guard: c.rails}, 0)
			if err != nil || res.Status != store.RolloutComplete || res.Fixed != 8 {
				t.Fatalf("%+v %v", res, err)
			}
			evs := rig.events()
			total := maxAtOnce(evs, func(string) bool { return true })
			web := maxAtOnce(evs, func(h string) bool { return slices.Index(hs, h) < 4 })
			rack := maxAtOnce(evs, func(h string) bool { i := slices.Index(hs, h); return i >= 4 && i%2 == 0 })
			// Without a cap the hosts may, but need not, overlap: only
			// the caps are asserted exactly.
			if c.rails.MaxDisruptive > 0 && total > c.total || c.rails.MaxDisruptivePerGroup > 0 && (web > c.web || rack > c.rack) {
				t.Errorf("at once: %d in all, %d of web, %d of rack0; want at most %d, %d, %d", total, web, rack, c.total, c.web, c.rack)
			}
			var waits []string
			for _, e := range evs {
				if e.Step == "effect" && e.State == "wait" {
					waits = append(waits, e.Host+": "+e.Detail)
				}
			}
			if c.rails.MaxDisruptive == 0 && c.rails.MaxDisruptivePerGroup == 0 {
				if len(waits) > 0 {
					t.Errorf("waits without a cap: %v", waits)
				}
				return
			}
			if len(waits) == 0 {
				t.Fatal("no host waited for its place")
			}
			want := "hosts restarting or rebooting, the most at once: "
			if c.rails.MaxDisruptivePerGroup > 0 {
				want = "restarting or rebooting, the most at once per group: "
			}
			for _, w := range waits {
				if !strings.Contains(w, want) {
					t.Errorf("wait %q does not say %q", w, want)
				}
			}
			for _, h := range hs {
				if n := count(rig.fleet.commands(h), plan.RebootCommand); n != 1 {
					t.Errorf("%s rebooted %d times", h, n)
				}
			}
		})
	}
}

func count(lines []string, line string) int {
	n := 0
	for _, l := range lines {
		if l == line {
			n++
		}
	}
	return n
}

var weekendNights = []policies.Window{{Days: []string{"sat", "sun"}, From: "22:00", To: "04:00", TimeZone: "Europe/Paris"}}

// TestMaintenanceWindowWaits: started on a Friday evening, a rollout
// limited to weekend nights waits, saying until when, and runs no command
// before Saturday 22:00 in Paris; every reboot starts inside the window.
func TestMaintenanceWindowWaits(t *testing.T) {
	hs := names(3)
	paris, _ := time.LoadLocation("Europe/Paris")
	start := time.Date(2026, 12, 4, 19, 0, 0, 0, paris) // Friday
	rig := newGuardRig(t, start, hs)
	stages, _ := ParseStages("1,100%")
	res, err := Start(context.Background(), rig.cfg(), "apply", rebootPlan(hs, func(int) []string { return nil }),
		Options{Stages: stages, Guard: GuardRails{Windows: weekendNights, MaxDisruptive: 1}}, 0)
	if err != nil || res.Status != store.RolloutComplete || res.Fixed != 3 {
		t.Fatalf("%+v %v", res, err)
	}
	evs := rig.events()
	var first *store.Event
	for i, e := range evs {
		if e.Step == "window" && e.State == "wait" {
			first = &evs[i]
			break
		}
	}
	if first == nil || first.Detail != "outside the maintenance window: waiting until Sat 22:00 CET (in 27h0m)" {
		t.Fatalf("first wait: %+v", first)
	}
	opens := time.Date(2026, 12, 5, 22, 0, 0, 0, paris)
	ws, _ := GuardRails{Windows: weekendNights}.parse()
	for _, e := range evs {
		if e.Host != "" && e.Time.Before(opens) {
			t.Errorf("%s %s %s at %s, before the window opened", e.Host, e.Step, e.State, e.Time.In(paris))
		}
		if e.Step == "effect" && e.State == "start" {
			if open, _ := windowState(ws, e.Time); !open {
				t.Errorf("%s: reboot started at %s, outside the window", e.Host, e.Time.In(paris))
			}
		}
	}
}

// TestMaintenanceWindowClosesBeforeAnEffect: a window that closes while
// the hosts reboot one at a time holds the last reboot until the next
// night; the host's wait says until when.
func TestMaintenanceWindowClosesBeforeAnEffect(t *testing.T) {
	hs := names(3)
	paris, _ := time.LoadLocation("Europe/Paris")
	// Each reboot takes thirty polls of a minute; the window has forty.
	rails := GuardRails{Windows: []policies.Window{{Days: []string{"sat", "sun"}, From: "22:00", To: "22:40", TimeZone: "Europe/Paris"}}, MaxDisruptive: 1}
	rig := newGuardRig(t, time.Date(2026, 12, 5, 22, 0, 0, 0, paris), hs)
	stages, _ := ParseStages("100%")
	res, err := Start(context.Background(), rig.cfg(), "apply", rebootPlan(hs, func(int) []string { return nil }), Options{Stages: stages, Guard: rails}, 0)
	if err != nil || res.Status != store.RolloutComplete || res.Fixed != 3 {
		t.Fatalf("%+v %v", res, err)
	}
	ws, _ := rails.parse()
	var waited []string
	for _, e := range rig.events() {
		if e.Step == "effect" && e.State == "start" {
			if open, _ := windowState(ws, e.Time); !open {
				t.Errorf("%s: reboot started at %s, outside the window", e.Host, e.Time.In(paris))
			}
		}
		if e.Step == "effect" && e.State == "wait" && strings.HasPrefix(e.Detail, "outside the maintenance window: waiting until Sun 22:00 CET") {
			waited = append(waited, e.Host)
		}
	}
	if len(waited) == 0 {
		t.Errorf("no reboot waited for Sunday night: %v", rig.events())
	}
}

// TestMaintenanceWindowRefuses: with refuse, a rollout outside its
// window stops before any host is touched, saying when the window opens;
// resumed inside the window, it completes.
func TestMaintenanceWindowRefuses(t *testing.T) {
	hs := names(2)
	paris, _ := time.LoadLocation("Europe/Paris")
	rig := newGuardRig(t, time.Date(2026, 12, 4, 19, 0, 0, 0, paris), hs)
	stages, _ := ParseStages("100%")
	rails := GuardRails{Windows: weekendNights, OutsideWindow: "refuse"}
	res, err := Start(context.Background(), rig.cfg(), "apply", rebootPlan(hs, func(int) []string { return nil }), Options{Stages: stages, Guard: rails}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != store.RolloutAborted || res.Reason != "refused outside the maintenance window: it opens Sat 22:00 CET (in 27h0m)" {
		t.Fatalf("%+v", res)
	}
	for _, h := range hs {
		if cmds := rig.fleet.commands(h); len(cmds) > 0 {
			t.Errorf("%s ran %v", h, cmds)
		}
	}
	rig.clock.mu.Lock()
	rig.clock.t = time.Date(2026, 12, 5, 23, 0, 0, 0, paris)
	rig.clock.mu.Unlock()
	res, err = Resume(context.Background(), rig.cfg(), res.ID, nil)
	if err != nil || res.Status != store.RolloutComplete || res.Fixed != 2 {
		t.Fatalf("resumed: %+v %v", res, err)
	}
}

func TestWindowState(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	ws, err := GuardRails{Windows: []policies.Window{
		{Days: []string{"sat", "sun"}, From: "22:00", To: "04:00", TimeZone: "Europe/Paris"},
		{Days: []string{"wed"}, From: "12:00", To: "13:00"},
	}}.parse()
	if err != nil {
		t.Fatal(err)
	}
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, paris) }
	for _, c := range []struct {
		t    time.Time
		open bool
		next string
	}{
		{at(2026, 12, 5, 22, 0), true, ""},                     // Saturday 22:00: opens
		{at(2026, 12, 6, 3, 59), true, ""},                     // Sunday early: Saturday's night
		{at(2026, 12, 7, 3, 59), true, ""},                     // Monday early: Sunday's night
		{at(2026, 12, 7, 4, 0), false, "2026-12-09 12:00 UTC"}, // Monday 04:00: closed until Wednesday noon UTC
		{at(2026, 12, 5, 21, 59), false, "2026-12-05 22:00 CET"},
		{at(2026, 12, 9, 13, 30), true, ""}, // 12:30 UTC on Wednesday
		// Daylight saving: Paris goes to CEST on 2027-03-28 at 02:00;
		// the window opens at 22:00 wall clock either side.
		{at(2027, 3, 27, 12, 0), false, "2027-03-27 22:00 CET"},
		{at(2027, 3, 28, 12, 0), false, "2027-03-28 22:00 CEST"},
		{at(2027, 3, 28, 3, 30), true, ""}, // 03:30 CEST exists, before 04:00
	} {
		open, next := windowState(ws, c.t)
		got := ""
		if !open {
			loc := paris
			if next.In(paris).Weekday() == time.Wednesday {
				loc = time.UTC
			}
			got = next.In(loc).Format("2006-01-02 15:04 MST")
		}
		if open != c.open || got != c.next {
			t.Errorf("%s: open %v next %q, want %v %q", c.t, open, got, c.open, c.next)
		}
	}
}
