package tui

import (
	"fmt"
	"slices"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/fleetport/fleetport/internal/drift"
)

// fleetOf replicates the fixture's hosts to n, renamed h00000, h00001, ...
func fleetOf(b testing.TB, n int) *Data {
	rep := loadReport(b)
	base := rep.Hosts
	rep.Hosts = make([]drift.HostReport, n)
	for i := range rep.Hosts {
		h := base[i%len(base)]
		h.Name = fmt.Sprintf("%s-%05d", base[i%len(base)].Name, i)
		rep.Hosts[i] = h
	}
	return &Data{Report: rep}
}

// BenchmarkKeyPress10k measures one key press on a fleet of 10,000 hosts:
// Update with "down" and the View that follows, in colour (the dearer
// profile). The target is under 16 ms.
func BenchmarkKeyPress10k(b *testing.B) {
	m := loadedModel(b, fleetOf(b, 10000), 80, 24)
	m.Update(tea.ColorProfileMsg{Profile: colorprofile.TrueColor})
	press(m, "7") // sort by wildcard binds: the rows interleave
	down, top := keyMsg("down"), keyMsg("g")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if m.fleet.cursor == len(m.fleet.view)-1 {
			m.Update(top)
		}
		m.Update(down)
		_ = m.View()
	}
}

// BenchmarkFilter10k measures one typed filter character on 10,000 hosts
// (the whole fleet is filtered again).
func BenchmarkFilter10k(b *testing.B) {
	m := loadedModel(b, fleetOf(b, 10000), 80, 24)
	press(m, "/")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			m.Update(keyMsg("w"))
		} else {
			m.Update(tea.KeyPressMsg{Code: tea.KeyBackspace})
		}
		_ = m.View()
	}
}

// BenchmarkSort10k measures a sort key press on 10,000 hosts.
func BenchmarkSort10k(b *testing.B) {
	m := loadedModel(b, fleetOf(b, 10000), 80, 24)
	s := keyMsg("s")
	b.ReportAllocs()
	for b.Loop() {
		m.Update(s)
		_ = m.View()
	}
}

func TestTenThousandHostsScroll(t *testing.T) {
	m := loadedModel(t, fleetOf(t, 10000), 80, 24)
	press(m, "G")
	if r := m.fleet.current(); r == nil || m.fleet.cursor != 9999 || m.fleet.offset != 10000-19 {
		t.Fatalf("G: cursor %d offset %d", m.fleet.cursor, m.fleet.offset)
	}
	press(m, "pgup", "up")
	if m.fleet.cursor != 9999-19-1 {
		t.Errorf("pgup up: cursor %d", m.fleet.cursor)
	}
}

// watching10k is a model over 10,000 hosts that watches n of them, each
// with a full sparkline of samples, in colour, on the watch view.
func watching10k(b testing.TB, n int) *Model {
	g := &rig{w: &fakeWatcher{}, k: &tick{}}
	m := loadedModel(b, fleetOf(b, 10000), 80, 24)
	m.opts.Watcher = g.w
	m.keys.enable(true, false, false)
	m.Update(tea.ColorProfileMsg{Profile: colorprofile.TrueColor})
	hosts := make([]string, n)
	for i := range hosts {
		hosts[i] = m.rows[i*(10000/n)].h.Name
	}
	m.startWatch(hosts)
	m.watch.cancel()
	names := []string{"web0007", "app0006", "smtp0002", "sql0001", "web0003"}
	for round := 0; round < m.watch.keep; round++ {
		batch := make([]Sample, n)
		for i, h := range hosts {
			batch[i] = g.w.sample(round, names[i%len(names)])
			batch[i].Host = h
		}
		m.Update(watchBatchMsg{seq: m.watch.seq, samples: batch})
	}
	return m
}

// BenchmarkWatchKeyPress10k is a key press on the watch view: 10,000
// hosts loaded, 1,000 of them watched with a full sparkline each.
func BenchmarkWatchKeyPress10k(b *testing.B) {
	m := watching10k(b, 1000)
	down, top := keyMsg("down"), keyMsg("g")
	b.ReportAllocs()
	for b.Loop() {
		if m.watch.cursor == len(m.watch.order)-1 {
			m.Update(top)
		}
		m.Update(down)
		_ = m.View()
	}
}

// BenchmarkWatchRound10k is one round of samples of 1,000 watched hosts
// arriving in one batch (filed, sorted by pressure) and the redraw.
func BenchmarkWatchRound10k(b *testing.B) {
	m := watching10k(b, 1000)
	g := &fakeWatcher{}
	batch := make([]Sample, len(m.watch.hosts))
	for i, h := range m.watch.hosts {
		batch[i] = g.sample(i%7, "web0007")
		batch[i].Host = h
	}
	b.ReportAllocs()
	for b.Loop() {
		m.Update(watchBatchMsg{seq: m.watch.seq, samples: batch})
		_ = m.View()
	}
}

// BenchmarkRolloutKeyPress10k is a key press on the rollout view
// following a rollout of 1,000 of the 10,000 hosts, its journal full.
func BenchmarkRolloutKeyPress10k(b *testing.B) {
	m := loadedModel(b, fleetOf(b, 10000), 80, 24)
	m.opts.Remediator = &fakeRemediator{}
	m.keys.enable(false, false, true)
	m.Update(tea.ColorProfileMsg{Profile: colorprofile.TrueColor})
	p := fixPlan(7)
	var assigned [][]string
	var stage []string
	for i := range 1000 {
		hp := p.Hosts[0]
		hp.Host = m.rows[i*10].h.Name
		p.Hosts = append(p.Hosts, hp)
		stage = append(stage, hp.Host)
		if len(stage) == 250 {
			assigned, stage = append(assigned, stage), nil
		}
	}
	p.Hosts = p.Hosts[1:]
	m.startPlan(stage0(assigned))
	m.Update(planMsg{seq: m.ro.seq, prop: &Proposal{Plan: p, Stages: "25%,50%,75%,100%", Budget: "0", Assigned: assigned}})
	m.ro.state = roRunning
	var items []rolloutItem
	for i, h := range p.Hosts {
		for _, e := range journal(3)[1:9] {
			e.Host, e.Stage = h.Host, 1+i/250
			items = append(items, rolloutItem{ev: e})
		}
	}
	m.Update(rolloutBatchMsg{seq: m.ro.seq, items: items})
	down, top := keyMsg("down"), keyMsg("g")
	b.ReportAllocs()
	for b.Loop() {
		if m.ro.cursor == len(m.ro.rows)-1 {
			m.Update(top)
		}
		m.Update(down)
		_ = m.View()
	}
}

func stage0(a [][]string) []string { return a[0] }

// BenchmarkCollectProgress10k is a batch of 500 progress events of a
// collection of the 10,000 hosts, then the fleet view's redraw.
func BenchmarkCollectProgress10k(b *testing.B) {
	m := loadedModel(b, fleetOf(b, 10000), 80, 24)
	m.Update(tea.ColorProfileMsg{Profile: colorprofile.TrueColor})
	m.coll = collection{seq: 1, running: true, total: 10000}
	items := make([]collectItem, 500)
	for i := range items {
		items[i] = collectItem{at: t0.Add(time.Duration(i) * time.Millisecond), ev: CollectEvent{Host: "h", Done: i%2 == 1, Status: 1}}
	}
	b.ReportAllocs()
	for b.Loop() {
		m.coll.done, m.coll.started = 0, 0
		m.Update(collectBatchMsg{seq: 1, items: items})
		_ = m.View()
	}
}

// TestKeyPressUnder16ms holds every view to the frame budget on 10,000
// hosts: the median of 60 key presses (Update and View, in colour) is
// under 16 ms, with a margin for a loaded machine or the race detector.
func TestKeyPressUnder16ms(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	if raceEnabled {
		// Under the race detector a 10,000-host sort can take more than a
		// frame on a loaded machine; the figures are the benchmarks' own
		// (BenchmarkKeyPress10k and the others, docs/BENCHMARKS.md).
		t.Skip("timing under the race detector")
	}
	median := func(m *Model, keys ...string) time.Duration {
		var ds []time.Duration
		for i := range 60 {
			k := keyMsg(keys[i%len(keys)])
			start := time.Now()
			m.Update(k)
			_ = m.View()
			ds = append(ds, time.Since(start))
		}
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	fleet := loadedModel(t, fleetOf(t, 10000), 80, 24)
	fleet.Update(tea.ColorProfileMsg{Profile: colorprofile.TrueColor})
	watch := watching10k(t, 1000)
	for name, d := range map[string]time.Duration{
		"fleet down":  median(fleet, "down"),
		"fleet sort":  median(fleet, "s"),
		"watch down":  median(watch, "down", "down", "up"),
		"matrix move": median(fleet, ":", "m", "a", "t", "r", "i", "x", "enter", "l", "j", "esc"),
	} {
		if d > 16*time.Millisecond {
			t.Errorf("%s: %s a key press (median), over 16 ms", name, d)
		}
	}
}
