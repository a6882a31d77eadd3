package tui

import (
	"slices"
	"strings"
	"testing"
)

// rig is a set of fake engines for the incident flows.
type rig struct {
	w *fakeWatcher
	c *fakeCollector
	r *fakeRemediator
	k *tick
}

func newRig(t *testing.T) *rig {
	return &rig{
		w: &fakeWatcher{Rounds: 3, Next: make(chan struct{})},
		c: &fakeCollector{Data: fixture(t), Release: make(chan struct{})},
		r: &fakeRemediator{Step: make(chan struct{})},
		k: &tick{},
	}
}

func (g *rig) opts() Options {
	return Options{Watcher: g.w, Collector: g.c, Remediator: g.r, Now: g.k.now}
}

// selectHosts filters the fleet to each name and selects it with space,
// then clears the filter.
func selectHosts(names ...string) []any {
	var out []any
	for _, n := range names {
		out = append(out, "/", chars(n), "enter", wait("1/1 of 40"), "space")
	}
	return append(out, "esc")
}

func TestProgramWatch(t *testing.T) {
	g := newRig(t)
	steps := append(selectHosts("web0003", "web0007", "app0006", "sql0001"), "w", wait("12 samples"))
	m := flow(t, g.opts(), steps...)
	if got := g.w.watched(); len(got) != 1 || !slices.Equal(got[0], []string{"app0006", "sql0001", "web0003", "web0007"}) {
		t.Errorf("watched %v", got)
	}
	// app0006 holds 21.6 % of its range, web0007 16.2 %; web0003 cannot
	// be read.
	if m.watch.order[0].name != "app0006" || m.watch.order[1].name != "web0007" || m.watch.order[3].name != "web0003" {
		var names []string
		for _, s := range m.watch.order {
			names = append(names, s.name)
		}
		t.Errorf("order by pressure: %v", names)
	}
	if g.w.every != 5e9 {
		t.Errorf("sampled every %v", g.w.every)
	}
}

// TestProgramWatchGrows sees a pile grow between rounds: the count, the
// change and the sparkline follow.
func TestProgramWatchGrows(t *testing.T) {
	g := newRig(t)
	g.w.Rounds = 1
	next := func() { g.w.Next <- struct{}{} }
	steps := append(selectHosts("web0007"), "w", wait("1 samples"), func(p *probe) {
		if !strings.Contains(p.screen(), "TIME_WAIT      6000") {
			t.Errorf("first sample:\n%s", p.screen())
		}
		next()
		waitScreen(t, p, "TIME_WAIT      7500 (+1500)")
		next()
		next()
		waitScreen(t, p, "TIME_WAIT     10500 (+1500)")
	})
	m := flow(t, g.opts(), steps...)
	if s := m.watch.series["web0007"]; s.tw.len() != 4 || s.last.TimeWait != 10500 {
		t.Errorf("series: %d values, last %d", s.tw.len(), s.last.TimeWait)
	}
}

func TestProgramWatchHost(t *testing.T) {
	g := newRig(t)
	steps := append(selectHosts("web0007", "app0006"), "w", wait("6 samples"), "j", "enter", wait("web0007 > findings"))
	m := flow(t, g.opts(), steps...)
	if !strings.Contains(m.screen, "watch (2 hosts, every 5s) > web0007 > findings") {
		t.Errorf("enter on a watched host:\n%s", m.screen)
	}
}

func TestProgramWatchStop(t *testing.T) {
	g := newRig(t)
	steps := append(selectHosts("web0007"), "w", wait("3 samples"), "x", wait("watch stopped"))
	m := flow(t, g.opts(), steps...)
	if m.watch.running {
		t.Error("x did not stop the watch")
	}
}

func TestProgramCollectSelection(t *testing.T) {
	g := newRig(t)
	steps := append(selectHosts("web0007", "smtp0002"), "c", wait("run 8: 2 hosts collected again"))
	m := flow(t, g.opts(), steps...)
	if got := g.c.collected(); len(got) != 1 || !slices.Equal(got[0], []string{"smtp0002", "web0007"}) {
		t.Errorf("collected %v", got)
	}
	if m.data.Report.Run.ID != 8 || m.coll.failed != 1 || m.coll.done != 2 {
		t.Errorf("run %d, %d done, %d failed", m.data.Report.Run.ID, m.coll.done, m.coll.failed)
	}
	if len(m.fleet.selected) != 2 {
		t.Error("collecting lost the selection")
	}
}

// TestProgramCollectProgress holds a whole-fleet collection halfway:
// the status line shows done/total, failures, hosts in flight, the rate
// and a bar.
func TestProgramCollectProgress(t *testing.T) {
	g := newRig(t)
	g.c.Hold = 29 // 14 hosts done, the 15th started
	m := flow(t, g.opts(), "C", wait("collecting 14/40 | 1 failed | 1 in flight"))
	if m.coll.total != 40 || m.coll.failed != 1 || m.coll.started != 15 {
		t.Errorf("collection %+v", m.coll)
	}
}

func TestProgramRolloutPreview(t *testing.T) {
	g := newRig(t)
	m := flow(t, g.opts(), "/", chars("web0007"), "enter", wait("1/1 of 40"), "a", wait("PLAN of run 7"))
	if m.ro.state != roPreview || !strings.Contains(m.screen, "plan (1 host)") {
		t.Errorf("state %d:\n%s", m.ro.state, m.screen)
	}
	if got := g.r.planned; len(got) != 1 || !slices.Equal(got[0], []string{"web0007"}) {
		t.Errorf("planned %v", got)
	}
}

func TestProgramRolloutConfirm(t *testing.T) {
	g := newRig(t)
	m := flow(t, g.opts(), "/", chars("web0007"), "enter", wait("1/1 of 40"), "a", wait("PLAN of run 7"), "a", wait("Apply this plan?"))
	if g.r.applied != 0 || !strings.Contains(m.screen, "y yes (confirm) | n no (cancel)") {
		t.Errorf("applied %d before a confirmation:\n%s", g.r.applied, m.screen)
	}
}

func TestProgramRolloutCancel(t *testing.T) {
	g := newRig(t)
	m := flow(t, g.opts(), "/", chars("web0007"), "enter", wait("1/1 of 40"), "a", wait("PLAN of run 7"), "a", wait("Apply this plan?"),
		"n", wait("not applied: nothing changed"))
	if m.dialog != dlgNone || g.r.applied != 0 || m.ro.state != roPreview {
		t.Errorf("dialog %d, applied %d, state %d", m.dialog, g.r.applied, m.ro.state)
	}
}

// TestProgramRolloutPaused applies, follows the journal and pauses.
func TestProgramRolloutPaused(t *testing.T) {
	g := newRig(t)
	g.r.Hold = 3
	m := flow(t, g.opts(), "/", chars("web0007"), "enter", wait("1/1 of 40"), "a", wait("PLAN of run 7"), "a", wait("Apply this plan?"),
		"y", wait("action tcp_timed_wait_delay/0"), "p", wait("PAUSED"))
	if !strings.Contains(m.screen, "rollout 3 PAUSED") || !slices.Equal(g.r.controls(), []string{"pause"}) {
		t.Errorf("controls %v:\n%s", g.r.controls(), m.screen)
	}
}

// TestProgramRolloutAbort asks to abort and confirms: the rollout ends
// aborted, and its host is collected again.
func TestProgramRolloutAbort(t *testing.T) {
	g := newRig(t)
	g.r.Hold = 3
	m := flow(t, g.opts(), "/", chars("web0007"), "enter", wait("1/1 of 40"), "a", wait("PLAN of run 7"), "a", wait("Apply this plan?"),
		"y", wait("action tcp_timed_wait_delay/0"), "x", wait("Abort rollout 3?"), "y", wait("rollout 3 aborted"), wait("run 8: 1 host collected again"))
	if m.ro.result == nil || m.ro.result.Status != "aborted" || !slices.Equal(g.r.controls(), []string{"abort"}) {
		t.Errorf("result %+v, controls %v", m.ro.result, g.r.controls())
	}
}

// TestProgramRolloutResume resumes the aborted rollout after a
// confirmation: it goes on to its end.
func TestProgramRolloutResume(t *testing.T) {
	g := newRig(t)
	g.r.Hold = 3
	m := flow(t, g.opts(), "/", chars("web0007"), "enter", wait("1/1 of 40"), "a", wait("PLAN of run 7"), "a", wait("Apply this plan?"),
		"y", wait("action tcp_timed_wait_delay/0"), "x", wait("Abort rollout 3?"), "y", wait("R resumes it"), wait("run 8: 1 host collected again"),
		"R", wait("Resume rollout 3?"), "y", wait("rollout 3 complete"), wait("run 9: 1 host collected again"))
	if got := g.r.controls(); strings.Join(got, ",") != "abort,resume" {
		t.Errorf("controls %v", got)
	}
	if !strings.Contains(m.screen, "rollout resumed: by process 42") || !strings.Contains(m.screen, "1 fixed") {
		t.Errorf("resumed:\n%s", m.screen)
	}
}

// TestProgramRolloutDone runs the rollout to its end: the host is fixed,
// and collected again.
func TestProgramRolloutDone(t *testing.T) {
	g := newRig(t)
	m := flow(t, g.opts(), "/", chars("web0007"), "enter", wait("1/1 of 40"), "a", wait("PLAN of run 7"), "a", wait("Apply this plan?"),
		"y", wait("rollout 3 complete"), wait("run 8: 1 host collected again"))
	if m.ro.result == nil || m.ro.result.Fixed != 1 {
		t.Errorf("result %+v", m.ro.result)
	}
	if got := g.c.collected(); len(got) != 1 || !slices.Equal(got[0], []string{"web0007"}) {
		t.Errorf("collected after the rollout: %v", got)
	}
}

// TestProgramReadOnly: no key that changes a host works or shows.
func TestProgramReadOnly(t *testing.T) {
	g := newRig(t)
	opts := g.opts()
	opts.ReadOnly = true
	m := flow(t, opts, "a", ":", chars("rollout"), "enter", wait("no rollouts here: read-only"), "?", wait("help"))
	if len(g.r.planned) != 0 || m.top().kind != viewFleet {
		t.Errorf("read-only planned %v, top %+v", g.r.planned, m.top())
	}
	v := m.screen
	for _, s := range []string{"plan a fix", "abort rollout", "pause/continue", "yes (confirm)"} {
		if strings.Contains(v, s) {
			t.Errorf("read-only help offers %q", s)
		}
	}
	for _, s := range []string{"watch selection", "collect fleet", "READ-ONLY"} {
		if !strings.Contains(v, s) {
			t.Errorf("read-only help lacks %q", s)
		}
	}
}

func TestProgramHelpIncident(t *testing.T) {
	g := newRig(t)
	m := flow(t, g.opts(), "?", wait("help"))
	v := m.screen
	for _, band := range m.keys.fullHelp() {
		for _, col := range band {
			for _, k := range col {
				if !strings.Contains(v, k.Help().Desc) {
					t.Errorf("help lacks %q", k.Help().Desc)
				}
			}
		}
	}
}
