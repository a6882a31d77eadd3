package tui

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
)

// incidentModel is a loaded model with the fake engines, at w x h, in the
// ASCII profile, driven without a program.
func incidentModel(t *testing.T, g *rig, w, h int) *Model {
	t.Helper()
	opts := g.opts()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	opts.Context = ctx
	m := New(&staticSource{data: fixture(t)}, opts)
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.Update(tea.ColorProfileMsg{Profile: colorprofile.ASCII})
	m.Update(m.Init()())
	return m
}

// samples is one round of the fake watcher for hosts.
func samples(g *rig, round int, hosts ...string) []Sample {
	var out []Sample
	for _, h := range hosts {
		out = append(out, g.w.sample(round, h))
	}
	return out
}

// checkScreen checks that the screen is exactly h lines of at most w
// cells, and has no escape code in the ASCII profile.
func checkScreen(t *testing.T, m *Model, w, h int) string {
	t.Helper()
	v := m.View().Content
	lines := strings.Split(v, "\n")
	if len(lines) != h {
		t.Errorf("%d lines at %dx%d, want %d:\n%s", len(lines), w, h, h, v)
	}
	for _, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Errorf("a line of %d cells at width %d: %q", n, w, l)
		}
	}
	if !m.st.Color && strings.Contains(v, "\x1b") {
		t.Error("an escape code without colour")
	}
	return v
}

// TestIncidentKeysDoNotBlock: w, c and a only make commands; the engine
// is not called on the UI goroutine.
func TestIncidentKeysDoNotBlock(t *testing.T) {
	g := newRig(t)
	m := incidentModel(t, g, 80, 24)
	for _, k := range []string{"w", "esc", "c", "a"} {
		_, cmd := m.Update(keyMsg(k))
		if k != "esc" && cmd == nil {
			t.Errorf("%s made no command", k)
		}
	}
	if len(g.w.watched()) != 0 || len(g.c.collected()) != 0 || len(g.r.planned) != 0 {
		t.Errorf("an engine ran on the UI goroutine: watched %v, collected %v, planned %v", g.w.watched(), g.c.collected(), g.r.planned)
	}
	if !m.watch.running || !m.coll.running || m.ro.state != roPlanning {
		t.Errorf("watch %v, collection %v, rollout state %d", m.watch.running, m.coll.running, m.ro.state)
	}
	// A second collection waits for the first.
	if _, cmd := m.Update(keyMsg("C")); cmd != nil || !strings.Contains(m.status, "a collection is running") {
		t.Errorf("C during a collection: %q", m.status)
	}
}

// TestStaleResultsAreDropped: a result of a replaced operation changes
// nothing.
func TestStaleResultsAreDropped(t *testing.T) {
	g := newRig(t)
	m := incidentModel(t, g, 80, 24)
	press(m, "w")
	old := m.watch.seq
	press(m, "w") // a new watch of the same host
	m.Update(watchBatchMsg{seq: old, samples: samples(g, 0, "app0001")})
	if m.watch.samples != 0 {
		t.Error("a sample of the replaced watch was counted")
	}
	m.Update(watchBatchMsg{seq: m.watch.seq, samples: samples(g, 0, "app0001")})
	if m.watch.samples != 1 {
		t.Errorf("%d samples", m.watch.samples)
	}
	// A plan that comes after another was asked for is dropped.
	press(m, "a")
	first := m.ro.seq
	press(m, "esc", "a")
	m.Update(planMsg{seq: first, prop: &Proposal{Plan: fixPlan(7)}})
	if m.ro.state != roPlanning {
		t.Errorf("a stale plan was shown: state %d", m.ro.state)
	}
	// A collection's batch of another collection does not count.
	press(m, "c")
	m.Update(collectBatchMsg{seq: m.coll.seq + 5, items: []collectItem{{ev: CollectEvent{Host: "app0001", Done: true}}}})
	if m.coll.done != 0 {
		t.Error("a stale collection event was counted")
	}
}

// TestWatchCoalescesAndSorts: one batch of samples is one update, the
// hosts under most pressure first, the cursor kept on its host.
func TestWatchCoalescesAndSorts(t *testing.T) {
	g := newRig(t)
	m := incidentModel(t, g, 80, 24)
	press(m, "/")
	typeText(m, "web0007")
	press(m, "enter", "space", "/")
	typeText(m, "web0003")
	press(m, "enter", "space", "/")
	typeText(m, "sql0001")
	press(m, "enter", "space", "esc", "w")
	if m.top().kind != viewWatch || len(m.watch.hosts) != 3 {
		t.Fatalf("top %+v, hosts %v", m.top(), m.watch.hosts)
	}
	v := checkScreen(t, m, 80, 24)
	if strings.Count(v, "waiting for the first sample") != 4 { // three rows and the panel
		t.Errorf("before the first sample:\n%s", v)
	}
	m.Update(watchBatchMsg{seq: m.watch.seq, samples: samples(g, 0, "sql0001", "web0003", "web0007")})
	if got := [3]string{m.watch.order[0].name, m.watch.order[1].name, m.watch.order[2].name}; got != [3]string{"web0007", "sql0001", "web0003"} {
		t.Errorf("order %v", got)
	}
	press(m, "j") // sql0001
	m.Update(watchBatchMsg{seq: m.watch.seq, samples: samples(g, 1, "sql0001", "web0003", "web0007")})
	if s := m.watch.current(); s == nil || s.name != "sql0001" {
		t.Errorf("the cursor left sql0001")
	}
	v = checkScreen(t, m, 80, 24)
	for _, want := range []string{"web0003 unreachable: dial tcp", "sql0001 | sampled 14:00:05", "client ports 10000-65534: 4 in use, 0.0%", "top TIME_WAIT remotes: none"} {
		if !strings.Contains(v, want) {
			t.Errorf("the watch lacks %q:\n%s", want, v)
		}
	}
	// The channel closed: the watch is over.
	m.Update(watchBatchMsg{seq: m.watch.seq, closed: true})
	if m.watch.running || !strings.Contains(m.crumbs(), "stopped") {
		t.Errorf("closed: running %v, crumbs %q", m.watch.running, m.crumbs())
	}
}

// TestViewsAdaptToTheTerminal renders the watch and the rollout at
// several sizes (80x24 included) and after a resize, in both profiles.
func TestViewsAdaptToTheTerminal(t *testing.T) {
	g := newRig(t)
	m := incidentModel(t, g, 80, 24)
	press(m, "/")
	typeText(m, "web0007")
	press(m, "enter", "w")
	m.Update(watchBatchMsg{seq: m.watch.seq, samples: samples(g, 0, "web0007")})
	m.Update(watchBatchMsg{seq: m.watch.seq, samples: samples(g, 1, "web0007")})
	for _, sz := range [][2]int{{80, 24}, {120, 40}, {60, 16}, {40, 12}, {200, 60}} {
		m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		v := checkScreen(t, m, sz[0], sz[1])
		if sz[0] >= 60 && !strings.Contains(v, "web0007") {
			t.Errorf("%dx%d: the watched host is not shown:\n%s", sz[0], sz[1], v)
		}
	}
	// Wide: the sparkline column is wider and reaches further back.
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	if _, spark, remote := m.watch.layout(); spark <= 22 || remote == 0 {
		t.Errorf("at 120 columns: spark %d remote %d", spark, remote)
	}
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m.Update(planMsg{}) // nothing planned: ignored
	press(m, "esc", "a")
	m.Update(planMsg{seq: m.ro.seq, prop: &Proposal{Plan: fixPlan(7), Stages: "1,100%", Budget: "0", Assigned: [][]string{{"web0007"}}}})
	for _, sz := range [][2]int{{80, 24}, {100, 30}, {50, 14}} {
		m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		checkScreen(t, m, sz[0], sz[1])
	}
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	press(m, "a")
	v := checkScreen(t, m, 80, 24)
	if !strings.Contains(v, "+---") || !strings.Contains(v, "| Apply this plan?") {
		t.Errorf("the dialog without colour:\n%s", v)
	}
	// In colour: rounded box, block sparklines, escapes.
	m.Update(tea.ColorProfileMsg{Profile: colorprofile.TrueColor})
	v = m.View().Content
	if !strings.Contains(v, "╭") || !strings.Contains(v, "\x1b[") {
		t.Errorf("the dialog in colour:\n%s", v)
	}
	press(m, "n", ":")
	typeText(m, "watch")
	press(m, "enter")
	if v := m.View().Content; !strings.ContainsAny(v, "▁▂▃▄▅▆▇█") {
		t.Errorf("no block sparkline in colour:\n%s", v)
	}
	m.Update(tea.ColorProfileMsg{Profile: colorprofile.ASCII})
	if v := checkScreen(t, m, 80, 24); strings.ContainsAny(v, "▁▂▃▄▅▆▇█╭") {
		t.Errorf("unicode glyphs without colour:\n%s", v)
	}
}

// TestQuitDuringARolloutAsks: q asks while a rollout runs; n stays, y
// quits and cancels every operation.
func TestQuitDuringARolloutAsks(t *testing.T) {
	g := newRig(t)
	m := incidentModel(t, g, 80, 24)
	press(m, "/")
	typeText(m, "web0007")
	press(m, "enter", "w", "esc", "a")
	m.Update(planMsg{seq: m.ro.seq, prop: &Proposal{Plan: fixPlan(7), Stages: "1,100%", Budget: "0", Assigned: [][]string{{"web0007"}}}})
	press(m, "a")
	if m.dialog != dlgApply {
		t.Fatal("a on a plan did not ask")
	}
	_, cmd := m.Update(keyMsg("y"))
	if cmd == nil || m.ro.state != roRunning {
		t.Fatalf("y: state %d", m.ro.state)
	}
	m.Update(rolloutBatchMsg{seq: m.ro.seq, items: []rolloutItem{{ev: journal(3)[0]}}})
	if m.ro.id != 3 {
		t.Fatalf("rollout id %d", m.ro.id)
	}
	for _, k := range []string{"q", "ctrl+c"} {
		if _, cmd := m.Update(keyMsg(k)); cmd != nil || m.dialog != dlgQuit {
			t.Fatalf("%s during a rollout: dialog %d", k, m.dialog)
		}
		if v := m.View().Content; !strings.Contains(v, "Rollout 3 is running. Quit?") || !strings.Contains(v, "fleetport rollout resume 3") {
			t.Errorf("quit dialog:\n%s", v)
		}
		press(m, "n")
	}
	press(m, "q")
	watchCtx, roCancel := m.watch.cancel, m.ro.cancel
	if watchCtx == nil || roCancel == nil {
		t.Fatal("operations without a cancel func")
	}
	_, cmd = m.Update(keyMsg("y"))
	if cmd == nil || cmd() != tea.Quit() {
		t.Error("y did not quit")
	}
}

// TestRolloutControlKeys: p pauses and continues, x asks then aborts;
// an error of the engine shows; keys do nothing before the rollout has
// an id or after it ended.
func TestRolloutControlKeys(t *testing.T) {
	g := newRig(t)
	m := incidentModel(t, g, 80, 24)
	press(m, "/")
	typeText(m, "web0007")
	press(m, "enter", "a")
	m.Update(planMsg{seq: m.ro.seq, prop: &Proposal{Plan: fixPlan(7), Stages: "1,100%", Budget: "0", Assigned: [][]string{{"web0007"}}}})
	press(m, "a", "y")
	// p before the rollout has an id: sent with its first entry.
	if _, cmd := m.Update(keyMsg("p")); cmd != nil || !m.ro.pauseAsked {
		t.Error("p before the rollout has an id")
	}
	_, cmd := m.Update(rolloutBatchMsg{seq: m.ro.seq, items: []rolloutItem{{ev: journal(3)[0]}, {ev: journal(3)[1]}}})
	if cmd == nil {
		t.Fatal("no pause sent with the first entry")
	}
	if msgs, ok := cmd().(tea.BatchMsg); !ok || len(msgs) != 2 {
		t.Fatalf("first entry with a pause pending: %T", cmd())
	} else if ctl, ok := msgs[1]().(rolloutCtlMsg); !ok || ctl.what != "pause" || ctl.err != nil {
		t.Fatalf("pending pause: %+v", ctl)
	}
	// p again: continue.
	_, cmd = m.Update(keyMsg("p"))
	if cmd == nil || m.ro.pauseAsked {
		t.Fatal("p after a pending pause")
	}
	m.Update(cmd())
	_, cmd = m.Update(keyMsg("p"))
	if cmd == nil || !m.ro.pauseAsked || !strings.Contains(m.ro.summary(), "rollout 3 pausing") {
		t.Fatalf("p: %v %q", m.ro.pauseAsked, m.ro.summary())
	}
	if msg := cmd(); msg.(rolloutCtlMsg).err != nil {
		t.Fatal(msg)
	}
	m.Update(rolloutBatchMsg{seq: m.ro.seq, items: []rolloutItem{{ev: RolloutEvent{Rollout: 3, Step: "rollout", State: "paused"}}}})
	if !m.ro.paused || !strings.Contains(m.headerLine()+m.ro.summary(), "PAUSED") {
		t.Errorf("paused: %q", m.ro.summary())
	}
	_, cmd = m.Update(keyMsg("p"))
	if cmd == nil {
		t.Fatal("p while paused")
	}
	m.Update(cmd())
	m.Update(rolloutBatchMsg{seq: m.ro.seq, items: []rolloutItem{{ev: RolloutEvent{Rollout: 3, Step: "rollout", State: "continued"}}}})
	if m.ro.paused || m.ro.pauseAsked {
		t.Error("still paused after continued")
	}
	if got := g.r.controls(); strings.Join(got, ",") != "pause,continue,pause,continue" {
		t.Errorf("controls %v", got)
	}
	// An engine error is shown.
	m.Update(rolloutCtlMsg{seq: m.ro.seq, what: "pause", err: context.DeadlineExceeded})
	if !m.statusErr || !strings.Contains(m.status, "pause: context deadline exceeded") {
		t.Errorf("status %q", m.status)
	}
	press(m, "x")
	if m.dialog != dlgAbort {
		t.Fatal("x did not ask")
	}
	_, cmd = m.Update(keyMsg("y"))
	if cmd == nil || !m.ro.abortAsked {
		t.Fatal("y did not abort")
	}
	m.Update(cmd())
	if got := g.r.controls(); got[len(got)-1] != "abort" {
		t.Errorf("controls %v", got)
	}
	// x again while it stops: nothing more to ask.
	press(m, "x")
	if m.dialog != dlgNone {
		t.Error("x asked twice")
	}
	end := rolloutItem{end: true, res: RolloutResult{ID: 3, Status: "aborted", Reason: "aborted during stage 1", Pending: 1}}
	_, cmd = m.Update(rolloutBatchMsg{seq: m.ro.seq, items: []rolloutItem{end}, closed: true})
	if m.ro.state != roDone || cmd == nil || !m.coll.running {
		t.Errorf("end: state %d, re-collect %v", m.ro.state, m.coll.running)
	}
	if _, cmd := m.Update(keyMsg("p")); cmd != nil {
		t.Error("p after the end")
	}
}

// TestPlanErrorAndEmptyPlan: a plan that fails, or has nothing to do,
// offers nothing to apply.
func TestPlanErrorAndEmptyPlan(t *testing.T) {
	g := newRig(t)
	m := incidentModel(t, g, 80, 24)
	press(m, "a")
	m.Update(planMsg{seq: m.ro.seq, err: context.Canceled})
	if m.ro.state != roDone || !m.statusErr || !strings.Contains(m.View().Content, "context canceled") {
		t.Errorf("plan error: state %d, %q", m.ro.state, m.status)
	}
	press(m, "esc", "a")
	m.Update(planMsg{seq: m.ro.seq, prop: &Proposal{Plan: fixPlan(7)}})
	m.ro.prop.Plan.Hosts = nil
	press(m, "a")
	if m.dialog != dlgNone || !strings.Contains(m.status, "nothing to apply") {
		t.Errorf("a on an empty plan: dialog %d, %q", m.dialog, m.status)
	}
}

// TestCollectionProgressLine: done/total, failures, in flight, the rate
// and the bar, from the items' times (View reads no clock).
func TestCollectionProgressLine(t *testing.T) {
	st := DefaultStyles(false)
	c := collection{total: 10}
	c.apply([]collectItem{{start: true, at: t0}})
	if got := c.line(&st, 80, plain); got != "collecting 0/10 | 0 failed | 0 in flight | - hosts/s [......................]" {
		t.Errorf("at the start: %q", got)
	}
	var items []collectItem
	for i := range 4 {
		items = append(items, collectItem{at: t0.Add(time.Duration(i) * time.Second), ev: CollectEvent{Host: "h"}})
		items = append(items, collectItem{at: t0.Add(time.Duration(i+1) * time.Second), ev: CollectEvent{Host: "h", Done: true, Status: 2}})
	}
	items = append(items, collectItem{at: t0.Add(4 * time.Second), ev: CollectEvent{Host: "h"}})
	c.apply(items)
	if got := c.line(&st, 80, plain); got != "collecting 4/10 | 4 failed | 1 in flight | 1.0 hosts/s [########.............]" {
		t.Errorf("halfway: %q", got)
	}
	if got := c.line(&st, 30, plain); len(got) > 30 {
		t.Errorf("narrow: %q", got)
	}
}

func TestDrainCoalesces(t *testing.T) {
	ch := make(chan int, 10)
	for i := range 5 {
		ch <- i
	}
	got, closed := drain(ch, 20*time.Millisecond)
	if len(got) != 5 || closed {
		t.Errorf("drain: %v %v", got, closed)
	}
	ch <- 9
	close(ch)
	got, closed = drain(ch, time.Second)
	if len(got) != 1 || !closed {
		t.Errorf("drain before the close: %v %v", got, closed)
	}
	got, closed = drain(ch, time.Second)
	if len(got) != 0 || !closed {
		t.Errorf("drain of a closed channel: %v %v", got, closed)
	}
	// A sender whose context ended drops instead of blocking.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	full := make(chan int)
	sender(ctx, full)(1)
}

func TestSparkline(t *testing.T) {
	st := DefaultStyles(false)
	r := newRing(4)
	if got := sparkline(&st, &r, 10, nil); got != "" {
		t.Errorf("empty: %q", got)
	}
	for _, v := range []int{0, 10, 20, 40, 80} {
		r.push(v)
	}
	if got := sparkline(&st, &r, 10, nil); got != ".-+@" {
		t.Errorf("the last four of 0 10 20 40 80: %q", got)
	}
	if got := sparkline(&st, &r, 2, nil); got != "+@" {
		t.Errorf("two wide: %q", got)
	}
	z := newRing(3)
	z.push(0)
	z.push(0)
	if got := sparkline(&st, &z, 5, nil); got != "__" {
		t.Errorf("zeros: %q", got)
	}
	cs := DefaultStyles(true)
	if got := sparkline(&cs, &r, 10, nil); got != "▂▃▅█" {
		t.Errorf("colour: %q", got)
	}
}

func plain(s string) string { return s }

// brokenEscape is an SGR sequence that lost its ESC: what nesting one
// lipgloss style in another can leave on screen.
var brokenEscape = regexp.MustCompile(`(^|[^\x1b])\[[0-9;]*m`)

// TestColourScreensAreClean renders every incident screen in colour:
// no escape sequence is broken (styles are never nested).
func TestColourScreensAreClean(t *testing.T) {
	g := newRig(t)
	m := incidentModel(t, g, 80, 24)
	m.Update(tea.ColorProfileMsg{Profile: colorprofile.TrueColor})
	check := func(what string) {
		t.Helper()
		v := m.View().Content
		if loc := brokenEscape.FindStringIndex(v); loc != nil {
			t.Errorf("%s: a broken escape at %q", what, v[max(loc[0]-20, 0):min(loc[1]+20, len(v))])
		}
	}
	press(m, "/")
	typeText(m, "web0007")
	press(m, "enter", "w")
	m.Update(watchBatchMsg{seq: m.watch.seq, samples: samples(g, 0, "web0007")})
	m.Update(watchBatchMsg{seq: m.watch.seq, samples: samples(g, 5, "web0007")})
	check("watch")
	press(m, "esc", "c")
	m.Update(collectBatchMsg{seq: m.coll.seq, items: []collectItem{{start: true, at: t0}, {at: t0.Add(time.Second), ev: CollectEvent{Host: "web0007"}}}})
	m.setStatus(true, "an error")
	check("collection progress")
	press(m, "a")
	m.Update(planMsg{seq: m.ro.seq, prop: &Proposal{Plan: fixPlan(7), Stages: "1,100%", Budget: "0", Assigned: [][]string{{"web0007"}}}})
	check("plan")
	press(m, "a")
	check("confirmation")
	press(m, "y")
	m.Update(rolloutBatchMsg{seq: m.ro.seq, items: []rolloutItem{{ev: journal(3)[0]}, {ev: journal(3)[1]}, {ev: RolloutEvent{Rollout: 3, Step: "rollout", State: "paused"}}}})
	if !strings.Contains(m.View().Content, "PAUSED") {
		t.Error("no PAUSED in colour")
	}
	check("rollout paused")
	var items []rolloutItem
	for _, e := range journal(3)[2:] {
		items = append(items, rolloutItem{ev: e})
	}
	m.Update(rolloutBatchMsg{seq: m.ro.seq, items: append(items, rolloutItem{end: true, res: RolloutResult{ID: 3, Status: "complete", Fixed: 1}})})
	check("rollout complete")
}
