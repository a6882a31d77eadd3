package tui

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

// runProgram runs the TUI as a program at 80x24 in the ASCII profile on
// the fixture, waits for the first load to show, types keys, quits with
// q and compares the last screen with testdata/<Test>.golden (-update
// rewrites it). It returns the final model for assertions.
func runProgram(t *testing.T, keys ...string) *Model {
	t.Helper()
	src := &staticSource{data: fixture(t)}
	tm := teatest.NewTestModel(t, New(src, Options{Title: "report.json"}),
		teatest.WithInitialTermSize(80, 24),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.ASCII)))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("app0001")) },
		teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	for _, k := range keys {
		tm.Send(keyMsg(k))
	}
	tm.Send(keyMsg("q"))
	fm, ok := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	if !ok {
		t.Fatal("the final model is not a *Model")
	}
	if n := src.count(); n != 1 {
		t.Errorf("%d loads, want 1", n)
	}
	content := fm.View().Content
	if strings.Contains(content, "\x1b") {
		t.Error("the ASCII profile rendered an escape sequence")
	}
	golden.RequireEqual(t, []byte(content))
	return fm
}

// chars splits s into one key per character.
func chars(s string) []string {
	var out []string
	for _, r := range s {
		out = append(out, string(r))
	}
	return out
}

func seq(parts ...[]string) []string { return slices.Concat(parts...) }

func TestProgramFleet(t *testing.T) {
	m := runProgram(t)
	if got := shown(m); len(got) != 40 || got[0] != "app0001" {
		t.Errorf("fleet: %d hosts, first %v", len(got), got[:1])
	}
}

func TestProgramFleetSort(t *testing.T) {
	// s s s s s s s: the seventh column after the name, TW, most first.
	m := runProgram(t, chars("sssssss")...)
	if m.fleet.sortCol != colTimeWait || !m.fleet.sortDesc {
		t.Fatalf("sort column %d desc %v", m.fleet.sortCol, m.fleet.sortDesc)
	}
	if got := shown(m)[:4]; !slices.Equal(got, []string{"app0006", "app0012", "smtp0001", "web0007"}) {
		t.Errorf("by TIME_WAIT: %v", got)
	}
}

func TestProgramFleetSortReverse(t *testing.T) {
	m := runProgram(t, "6", "S")
	if got := shown(m); got[0] != "app0001" || m.fleet.sortDesc {
		t.Errorf("result, best first: %s first", got[0])
	}
}

func TestProgramFilter(t *testing.T) {
	m := runProgram(t, seq([]string{"/"}, chars("group:sql"), []string{"enter"})...)
	if got := shown(m); !slices.Equal(got, []string{"sql0001", "sql0002", "sql0003", "sql0004"}) {
		t.Errorf("group:sql: %v", got)
	}
}

func TestProgramFilterInverted(t *testing.T) {
	m := runProgram(t, seq([]string{"/"}, chars("!web result:fail"), []string{"enter"})...)
	got := shown(m)
	if len(got) != 10 {
		t.Errorf("!web result:fail: %d hosts: %v", len(got), got)
	}
	for _, n := range got {
		if strings.HasPrefix(n, "web") {
			t.Errorf("%s passed !web", n)
		}
	}
}

func TestProgramHost(t *testing.T) {
	m := runProgram(t, seq([]string{"/"}, chars("web0007"), []string{"enter", "enter"})...)
	if m.top().kind != viewHost || m.top().host != "web0007" {
		t.Errorf("top %+v", m.top())
	}
}

func TestProgramHostScroll(t *testing.T) {
	m := runProgram(t, seq([]string{"/"}, chars("web0007"), []string{"enter", "enter", "pgdown", "j"})...)
	if m.host.vp.YOffset() == 0 {
		t.Error("pgdown did not scroll the host view")
	}
}

func TestProgramBack(t *testing.T) {
	m := runProgram(t, seq([]string{"/"}, chars("web0007"), []string{"enter", "enter", "esc"})...)
	if m.top().kind != viewFleet || m.fleet.filter.raw != "web0007" {
		t.Errorf("esc from the host: %+v, filter %q", m.top(), m.fleet.filter.raw)
	}
}

func TestProgramMatrix(t *testing.T) {
	m := runProgram(t, seq([]string{":"}, chars("matrix"), []string{"enter", "j", "j", "j", "j", "l"})...)
	if m.top().kind != viewMatrix || m.matrix.row != 4 || m.matrix.col != 1 {
		t.Errorf("matrix at %d,%d", m.matrix.row, m.matrix.col)
	}
}

func TestProgramMatrixGroups(t *testing.T) {
	m := runProgram(t, seq([]string{":"}, chars("matrix"), []string{"enter", "m"})...)
	if !m.matrix.byGroup {
		t.Error("m did not switch to groups")
	}
}

func TestProgramMatrixEnter(t *testing.T) {
	keys := seq([]string{":"}, chars("matrix"), []string{"enter"}, chars("jjjj"), chars("lllllllll"), []string{"enter"})
	m := runProgram(t, keys...)
	if p := m.top(); p.kind != viewHost || p.host != "app0010" || p.policy != "max_user_port" {
		t.Errorf("enter on a cell: %+v", p)
	}
}

func TestProgramHelp(t *testing.T) {
	m := runProgram(t, "?")
	if !m.showHelp {
		t.Error("? did not open the help")
	}
}

func TestProgramCommandHost(t *testing.T) {
	m := runProgram(t, seq([]string{":"}, chars("host web0003"), []string{"enter"})...)
	if p := m.top(); p.kind != viewHost || p.host != "web0003" {
		t.Errorf(":host: %+v", p)
	}
}

func TestProgramSelect(t *testing.T) {
	m := runProgram(t, "j", "space", "space")
	if len(m.fleet.selected) != 2 || !m.fleet.selected["app0002"] || !m.fleet.selected["app0003"] {
		t.Errorf("selected %v", m.fleet.selected)
	}
}
