package tui

import (
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/fleetport/fleetport/internal/drift"
)

func fixture(t testing.TB) *Data {
	rep := loadReport(t)
	return &Data{Report: rep, Tags: fixtureTags(rep)}
}

// shown lists the hosts the fleet view shows, in order.
func shown(m *Model) []string {
	var out []string
	for _, i := range m.fleet.view {
		out = append(out, m.fleet.rows[i].h.Name)
	}
	return out
}

func TestFleetShowsEveryHostByName(t *testing.T) {
	m := loadedModel(t, fixture(t), 80, 24)
	got := shown(m)
	if len(got) != 40 || !slices.IsSorted(got) {
		t.Fatalf("fleet shows %d hosts, sorted %v: %v", len(got), slices.IsSorted(got), got)
	}
	v := m.View().Content
	for _, want := range []string{"HOST^", "app0001", "smtp0002", "parse-error", "12000", "1/40 | sort HOST^"} {
		if !strings.Contains(v, want) {
			t.Errorf("the fleet view lacks %q:\n%s", want, v)
		}
	}
	// Windowed: 24 lines, 19 rows, no line wider than the terminal.
	lines := strings.Split(v, "\n")
	if len(lines) != 24 {
		t.Errorf("%d lines, want 24", len(lines))
	}
	for _, l := range lines {
		if w := ansi.StringWidth(l); w > 80 {
			t.Errorf("line %d cells wide: %q", w, l)
		}
	}
	if strings.Contains(v, "web0001") {
		t.Error("a host below the window was rendered")
	}
}

func TestFleetSort(t *testing.T) {
	m := loadedModel(t, fixture(t), 80, 24)
	press(m, "8") // TW, most first
	got := shown(m)
	if want := []string{"app0006", "app0012", "smtp0001", "web0007"}; !slices.Equal(got[:4], want) {
		t.Errorf("by TIME_WAIT: %v, want %v first", got[:4], want)
	}
	if last := got[len(got)-2:]; !slices.Equal(last, []string{"smtp0002", "web0003"}) {
		t.Errorf("hosts without a socket table should sort last, got %v", last)
	}
	press(m, "S")
	if got := shown(m); got[0] != "smtp0002" || got[len(got)-1] != "web0007" {
		t.Errorf("reversed: first %s last %s", got[0], got[len(got)-1])
	}
	press(m, "5") // C/H/M/L: the critical findings first
	if got := shown(m); got[0] != "web0007" {
		t.Errorf("by severity: %s first, want web0007 (2 critical)", got[0])
	}
	press(m, "s") // the next column: RESULT, worst first
	got = shown(m)
	if m.fleet.sortCol != colResult || !m.fleet.sortDesc {
		t.Fatalf("s: sort column %d desc %v", m.fleet.sortCol, m.fleet.sortDesc)
	}
	var results []drift.Result
	for _, n := range got {
		results = append(results, m.rows[m.byName[n]].h.Result)
	}
	if !slices.IsSortedFunc(results, func(a, b drift.Result) int { return int(b) - int(a) }) {
		t.Errorf("by result: %v", results)
	}
	// 1 again on the name column reverses it.
	press(m, "1", "1")
	if got := shown(m); got[0] != "web0021" {
		t.Errorf("1 1: %s first, want web0021", got[0])
	}
}

func TestFleetCursorKeepsItsHost(t *testing.T) {
	m := loadedModel(t, fixture(t), 80, 24)
	press(m, "G")
	if r := m.fleet.current(); r.h.Name != "web0021" {
		t.Fatalf("G: %s", r.h.Name)
	}
	press(m, "8")
	if r := m.fleet.current(); r.h.Name != "web0021" {
		t.Errorf("the cursor left its host on sorting: %s", r.h.Name)
	}
	if !strings.Contains(m.View().Content, "> web0021") {
		t.Error("the cursor's row is not on screen after sorting")
	}
	press(m, "g", "pgdown")
	if m.fleet.cursor != 19 || m.fleet.offset != 1 {
		t.Errorf("pgdown: cursor %d offset %d", m.fleet.cursor, m.fleet.offset)
	}
}

func TestFleetFilter(t *testing.T) {
	cases := []struct {
		filter string
		want   int
		check  func(name string, h *drift.HostReport) bool
	}{
		{"web", 21, func(n string, _ *drift.HostReport) bool { return strings.Contains(n, "web") }},
		{"!web", 19, func(n string, _ *drift.HostReport) bool { return !strings.Contains(n, "web") }},
		{"WEB001", 10, func(n string, _ *drift.HostReport) bool { return strings.HasPrefix(n, "web001") }},
		{"group:sql", 4, func(_ string, h *drift.HostReport) bool { return h.Groups[0] == "sql" }},
		{"!group:web !group:app", 7, func(_ string, h *drift.HostReport) bool { return h.Groups[0] == "sql" || h.Groups[0] == "smtp" }},
		{"status:unreachable", 1, func(n string, _ *drift.HostReport) bool { return n == "web0003" }},
		{"result:fail", 22, func(_ string, h *drift.HostReport) bool { return h.Result == drift.Fail }},
		{"result:fail group:web", 12, func(_ string, h *drift.HostReport) bool { return h.Result == drift.Fail && h.Groups[0] == "web" }},
		{"!result:pass", 24, func(_ string, h *drift.HostReport) bool { return h.Result != drift.Pass }},
		{"tag:role=smtp", 3, func(n string, _ *drift.HostReport) bool { return strings.HasPrefix(n, "smtp") }},
		{"tag:env=prod group:app", 6, nil},
		{"os:2003", 4, func(_ string, h *drift.HostReport) bool { return h.OS == "2003" }},
		{"nothing-matches", 0, nil},
	}
	for _, c := range cases {
		t.Run(c.filter, func(t *testing.T) {
			m := loadedModel(t, fixture(t), 80, 24)
			press(m, "/")
			typeText(m, c.filter)
			press(m, "enter")
			got := shown(m)
			if len(got) != c.want {
				t.Errorf("%d hosts, want %d: %v", len(got), c.want, got)
			}
			for _, n := range got {
				if c.check != nil && !c.check(n, m.rows[m.byName[n]].h) {
					t.Errorf("%s should not pass the filter", n)
				}
			}
			if m.statusErr {
				t.Errorf("error: %s", m.status)
			}
			if !strings.Contains(m.crumbs(), "[/"+c.filter+"]") {
				t.Errorf("the breadcrumb does not show the filter: %q", m.crumbs())
			}
			press(m, "esc")
			if len(shown(m)) != 40 || m.fleet.filter.raw != "" {
				t.Errorf("esc at the root should clear the filter: %d hosts", len(shown(m)))
			}
		})
	}
}

func TestFilterErrorsAndCancel(t *testing.T) {
	m := loadedModel(t, fixture(t), 80, 24)
	press(m, "/")
	typeText(m, "colour:red")
	if !m.statusErr || !strings.Contains(m.status, "colour: is not a filter") {
		t.Errorf("status %q", m.status)
	}
	press(m, "esc")
	if m.prompt != promptNone || len(shown(m)) != 40 {
		t.Errorf("esc in the prompt: prompt %d, %d hosts", m.prompt, len(shown(m)))
	}
	// The filter applies as it is typed; esc restores the one before.
	press(m, "/")
	typeText(m, "sql")
	press(m, "enter", "/")
	typeText(m, "sql000")
	if len(shown(m)) != 4 {
		t.Errorf("sql000 while typing: %v", shown(m))
	}
	press(m, "esc")
	if m.fleet.filter.raw != "sql" || len(shown(m)) != 4 {
		t.Errorf("esc should restore the filter sql: %q", m.fleet.filter.raw)
	}
	press(m, "esc", "/")
	typeText(m, "result:bad")
	press(m, "enter")
	if !m.statusErr || !strings.Contains(m.status, "not a result") {
		t.Errorf("status %q", m.status)
	}
}

func TestSelection(t *testing.T) {
	m := loadedModel(t, fixture(t), 80, 24)
	press(m, "space", "space", "k", "space")
	if len(m.fleet.selected) != 1 || !m.fleet.selected["app0001"] {
		t.Fatalf("selected %v", m.fleet.selected)
	}
	v := m.View().Content
	if !strings.Contains(v, " *app0001") || !strings.Contains(v, "> app0003") || !strings.Contains(v, "1 selected") {
		t.Errorf("selection not shown:\n%s", v)
	}
	// Selection outlives a filter and a refresh.
	press(m, "/")
	typeText(m, "web")
	press(m, "enter", "esc")
	m.Update(m.loadCmd()())
	if !m.fleet.selected["app0001"] {
		t.Error("the selection was lost")
	}
}

func TestDrillIntoHostAndBack(t *testing.T) {
	m := loadedModel(t, fixture(t), 80, 24)
	press(m, "/")
	typeText(m, "web0007")
	press(m, "enter", "enter")
	if got := m.crumbs(); got != "fleet [/web0007] > web0007 > findings" {
		t.Errorf("breadcrumb %q", got)
	}
	content := m.host.vp.GetContent()
	for _, want := range []string{"FINDINGS (6)", "CRITICAL fail  fleetport.listen_list_lockout", "expected", "actual", "evidence", "netstat -ano", "fix"} {
		if !strings.Contains(content, want) {
			t.Errorf("the host view lacks %q", want)
		}
	}
	press(m, "tab")
	if got := m.crumbs(); !strings.HasSuffix(got, "web0007 > facts") {
		t.Errorf("tab: %q", got)
	}
	if !strings.Contains(m.host.vp.GetContent(), "no facts document") {
		t.Error("a host without facts should say so")
	}
	press(m, "esc")
	if m.top().kind != viewFleet || m.fleet.current().h.Name != "web0007" {
		t.Errorf("esc: view %d", m.top().kind)
	}
	press(m, "esc")
	if m.fleet.filter.raw != "" {
		t.Error("the second esc should clear the filter")
	}
}

func TestMatrix(t *testing.T) {
	m := loadedModel(t, fixture(t), 80, 24)
	press(m, ":")
	typeText(m, "matrix")
	press(m, "enter")
	if m.top().kind != viewMatrix {
		t.Fatalf("view %d", m.top().kind)
	}
	v := m.View().Content
	for _, want := range []string{"POLICY \\ HOST", "afd_dynamic_backlog", "app0001", "[.]"} {
		if !strings.Contains(v, want) {
			t.Errorf("the matrix lacks %q:\n%s", want, v)
		}
	}
	// max_user_port is row 4; app0010 (column 9) fails it.
	press(m, "j", "j", "j", "j")
	for range 9 {
		press(m, "l")
	}
	if d := m.matrix.detail(m.data.Report, &m.fleet); d != "app0010 x max_user_port: fail (high)" {
		t.Errorf("detail %q", d)
	}
	if !strings.Contains(m.View().Content, "[F]") {
		t.Error("the cursor cell does not show F")
	}
	if m.matrix.colOff == 0 {
		t.Error("the matrix did not scroll horizontally")
	}
	press(m, "enter")
	if got := m.crumbs(); got != "matrix > app0010 > findings of max_user_port" {
		t.Errorf("breadcrumb %q", got)
	}
	c := m.host.vp.GetContent()
	if !strings.Contains(c, "FINDINGS OF max_user_port (1)") || strings.Contains(c, "tcp_timed_wait_delay") {
		t.Errorf("the host view should show the policy's findings only:\n%s", c)
	}
	press(m, "esc")
	if m.top().kind != viewMatrix {
		t.Error("esc should go back to the matrix")
	}
}

func TestMatrixGroups(t *testing.T) {
	m := loadedModel(t, fixture(t), 80, 24)
	press(m, ":")
	typeText(m, "matrix")
	press(m, "enter", "m")
	if !m.matrix.byGroup || len(m.matrix.groups) != 4 {
		t.Fatalf("groups: %v", m.matrix.groups)
	}
	names := []string{}
	for _, g := range m.matrix.groups {
		names = append(names, g.name)
	}
	if !slices.Equal(names, []string{"app", "smtp", "sql", "web"}) {
		t.Errorf("groups %v", names)
	}
	// dynamic_port_range (row 6) in web: 4 of 21 fail.
	press(m, "j", "j", "j", "j", "j", "j", "l", "l", "l")
	if d := m.matrix.detail(m.data.Report, &m.fleet); !strings.HasPrefix(d, "group web x dynamic_port_range: 4 of 21 fail") {
		t.Errorf("detail %q", d)
	}
	if !strings.Contains(m.View().Content, "[F 4/21]") {
		t.Errorf("cell:\n%s", m.View().Content)
	}
	// enter drills into the group's hosts.
	press(m, "enter")
	if m.matrix.byGroup || len(shown(m)) != 21 || m.fleet.filter.raw != "group:web" {
		t.Errorf("enter on a group: byGroup %v, %d hosts, filter %q", m.matrix.byGroup, len(shown(m)), m.fleet.filter.raw)
	}
	// A filter changes the groups.
	press(m, "m", "/")
	typeText(m, "!group:web")
	press(m, "enter")
	if len(m.matrix.groups) != 3 {
		t.Errorf("after the filter: %d groups", len(m.matrix.groups))
	}
}

func TestCommands(t *testing.T) {
	m := loadedModel(t, fixture(t), 80, 24)
	press(m, ":")
	typeText(m, "host smtp0002")
	press(m, "enter")
	if m.top().kind != viewHost || m.top().host != "smtp0002" {
		t.Fatalf(":host: %+v", m.top())
	}
	if c := m.host.vp.GetContent(); !strings.Contains(c, "status parse-error | result unknown") {
		t.Errorf("host content:\n%s", c)
	}
	press(m, ":")
	typeText(m, "host nosuch")
	press(m, "enter")
	if !m.statusErr || !strings.Contains(m.status, `no host "nosuch"`) {
		t.Errorf("status %q", m.status)
	}
	press(m, ":")
	typeText(m, "bogus")
	press(m, "enter")
	if !m.statusErr || !strings.Contains(m.status, "unknown view") {
		t.Errorf("status %q", m.status)
	}
	press(m, ":")
	typeText(m, "fleet")
	press(m, "enter")
	if len(m.stack) != 1 || m.top().kind != viewFleet {
		t.Errorf(":fleet: %+v", m.stack)
	}
	if m.fleet.current().h.Name != "smtp0002" {
		t.Error(":host should move the fleet cursor to the host")
	}
	_, cmd := m.Update(keyMsg(":"))
	_ = cmd
	typeText(m, "q")
	if _, cmd := m.Update(keyMsg("enter")); cmd == nil || cmd() != tea.Quit() {
		t.Error(":q should quit")
	}
}

func TestHelpAndQuit(t *testing.T) {
	m := loadedModel(t, fixture(t), 80, 24)
	press(m, "?")
	v := m.View().Content
	for _, band := range m.keys.fullHelp() {
		for _, col := range band {
			for _, k := range col {
				if k.Enabled() && !strings.Contains(v, k.Help().Desc) {
					t.Errorf("help lacks %q", k.Help().Desc)
				}
			}
		}
	}
	press(m, "j")
	if m.fleet.cursor != 0 {
		t.Error("keys under the help should not move the fleet")
	}
	press(m, "esc")
	if m.showHelp {
		t.Error("esc should close the help")
	}
	for _, k := range []string{"q", "ctrl+c"} {
		_, cmd := m.Update(keyMsg(k))
		if cmd == nil || cmd() != tea.Quit() {
			t.Errorf("%s should quit", k)
		}
	}
}

func TestRefreshRunsInACommand(t *testing.T) {
	src := &staticSource{data: fixture(t)}
	m := New(src, Options{ReadOnly: true})
	cmd := m.Init()
	if src.count() != 0 {
		t.Fatal("Init loaded on the UI goroutine")
	}
	m.Update(cmd())
	_, cmd = m.Update(keyMsg("r"))
	if cmd == nil || src.count() != 1 || !m.loading {
		t.Fatalf("r: cmd %v, %d loads", cmd != nil, src.count())
	}
	if !strings.Contains(m.View().Content, "loading...") || !strings.Contains(m.View().Content, "READ-ONLY") {
		t.Error("the header should show the load and read-only")
	}
	if _, again := m.Update(keyMsg("r")); again != nil {
		t.Error("a second r while loading should not start another load")
	}
	m.Update(cmd())
	if src.count() != 2 || m.loading || !strings.Contains(m.status, "refreshed") {
		t.Errorf("after refresh: %d loads, loading %v, status %q", src.count(), m.loading, m.status)
	}
	// A stale answer is dropped.
	m.Update(loadedMsg{seq: 1, err: errNoReport})
	if m.loadErr != nil {
		t.Error("a stale load was applied")
	}
}

func TestLoadError(t *testing.T) {
	m := New(&staticSource{err: errNoReport}, Options{})
	m.Update(m.Init()())
	if v := m.View().Content; !strings.Contains(v, "could not load the run") || !strings.Contains(v, "r tries again") {
		t.Errorf("view:\n%s", v)
	}
}

func TestResize(t *testing.T) {
	m := loadedModel(t, fixture(t), 80, 24)
	for _, size := range [][2]int{{120, 40}, {60, 20}, {80, 24}} {
		m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		for _, keys := range [][]string{nil, {":", "m", "a", "t", "r", "i", "x", "enter"}, {"m"}, {":", "f", "l", "e", "e", "t", "enter", "enter"}} {
			press(m, keys...)
			lines := strings.Split(m.View().Content, "\n")
			if len(lines) != size[1] {
				t.Errorf("%dx%d after %v: %d lines", size[0], size[1], keys, len(lines))
			}
			for _, l := range lines {
				if w := ansi.StringWidth(l); w > size[0] {
					t.Errorf("%dx%d after %v: a line of %d cells: %q", size[0], size[1], keys, w, l)
				}
			}
		}
		press(m, "esc")
	}
	m.Update(tea.WindowSizeMsg{Width: 60, Height: 20})
	press(m, "esc", ":", "f", "l", "e", "e", "t", "enter")
	if slices.Contains(m.fleet.shown, colCollected) || !slices.Contains(m.fleet.shown, colTimeWait) {
		t.Errorf("at 60 columns: %v", m.fleet.shown)
	}
}

func TestColourProfiles(t *testing.T) {
	m := loadedModel(t, fixture(t), 80, 24)
	if strings.Contains(m.View().Content, "\x1b[") {
		t.Error("the ASCII profile rendered an escape sequence")
	}
	m.Update(tea.ColorProfileMsg{Profile: colorprofile.ANSI256})
	press(m, ":", "m", "enter")
	v := m.View().Content
	if !strings.Contains(v, "\x1b[") || !strings.Contains(v, "✗") || !strings.Contains(v, "·") {
		t.Error("a colour profile should render colour and the ✓ ✗ · glyphs")
	}
	m.Update(tea.ColorProfileMsg{Profile: colorprofile.NoTTY})
	if v := m.View().Content; strings.Contains(v, "\x1b[") || strings.Contains(v, "✗") {
		t.Error("NoTTY should render neither colour nor the unicode glyphs")
	}
}
