package tui

import (
	"fmt"
	"testing"

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
