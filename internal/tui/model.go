package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/fleetport/fleetport/internal/drift"
)

var errNoReport = errors.New("the source returned no report")

// viewKind names a view.
type viewKind int

const (
	viewFleet viewKind = iota
	viewMatrix
	viewHost
)

// page is one level of the breadcrumb: a root view (fleet or matrix), or
// a host opened from it.
type page struct {
	kind   viewKind
	host   string
	policy string
}

// The prompts on the status line.
const (
	promptNone = iota
	promptFilter
	promptCommand
)

// Options configure the TUI.
type Options struct {
	// Context bounds every load; cancelling it ends them. Nil is
	// context.Background.
	Context context.Context
	// ReadOnly is shown in the header. This slice of the TUI has no
	// action that changes a host; later ones hide theirs under it.
	ReadOnly bool
	// Title names what is shown (the store), in the header.
	Title string
}

// Model is the TUI's root model: it holds the loaded run, routes messages
// to the view on top of the breadcrumb, and draws the header, the
// breadcrumb, the status line and the help around it.
//
// The model is used through a pointer, from the bubbletea goroutine only.
type Model struct {
	src  Source
	opts Options
	keys KeyMap
	st   Styles

	width, height int

	data    *Data
	rows    []hostRow
	byName  map[string]int
	loadErr error
	loading bool
	// seq numbers loads; cancel ends the one running. Quitting calls it.
	seq    int
	cancel context.CancelFunc

	stack  []page
	fleet  fleetView
	matrix matrixView
	host   hostView

	help     help.Model
	showHelp bool

	prompt     int
	input      textinput.Model
	prevFilter string

	// status is the last message for the status line; statusErr marks it
	// an error.
	status    string
	statusErr bool
}

// New returns the model. Nothing is loaded until the program runs Init.
func New(src Source, opts Options) *Model {
	if opts.Context == nil {
		opts.Context = context.Background()
	}
	m := &Model{
		src:    src,
		opts:   opts,
		keys:   DefaultKeyMap(),
		stack:  []page{{kind: viewFleet}},
		fleet:  newFleetView(),
		host:   newHostView(),
		help:   help.New(),
		input:  textinput.New(),
		width:  80,
		height: 24,
	}
	m.input.SetVirtualCursor(false)
	m.setColor(false)
	m.resize()
	return m
}

// Init starts the first load.
func (m *Model) Init() tea.Cmd { return m.loadCmd() }

// loadCmd starts a load, cancelling the one running.
func (m *Model) loadCmd() tea.Cmd {
	if m.cancel != nil {
		m.cancel()
	}
	ctx, cancel := context.WithCancel(m.opts.Context)
	m.cancel = cancel
	m.seq++
	m.loading = true
	return loadCmd(ctx, m.src, m.seq)
}

func (m *Model) quit() (tea.Model, tea.Cmd) {
	if m.cancel != nil {
		m.cancel()
	}
	return m, tea.Quit
}

// setColor rebuilds the styles for a terminal with or without colour.
func (m *Model) setColor(color bool) {
	m.st = DefaultStyles(color)
	is := textinput.Styles{}
	if color {
		m.help.Styles = help.DefaultDarkStyles()
		m.help.ShortSeparator, m.help.Ellipsis = " • ", "…"
		is = textinput.DefaultDarkStyles()
	} else {
		m.help.Styles = help.Styles{}
		m.help.ShortSeparator, m.help.Ellipsis = " | ", "..."
	}
	m.input.SetStyles(is)
	m.rebuildHost()
}

// bodyHeight is what is left for the view under the header and the
// breadcrumb and above the status and help lines.
func (m *Model) bodyHeight() int { return max(m.height-4, 1) }

func (m *Model) resize() {
	h := m.bodyHeight()
	m.fleet.SetSize(m.width, h)
	m.matrix.SetSize(m.width, h)
	m.host.SetSize(m.width, h)
	m.help.SetWidth(m.width)
	m.input.SetWidth(max(m.width-3, 1))
	if m.data != nil {
		m.matrix.scroll(m.data.Report, &m.fleet)
	}
}

func (m *Model) top() page { return m.stack[len(m.stack)-1] }

// Update handles a message. It never blocks: loading runs in a tea.Cmd.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.resize()
	case tea.ColorProfileMsg:
		m.setColor(msg.Profile > colorprofile.ASCII)
	case loadedMsg:
		m.loaded(msg)
	case tea.KeyPressMsg:
		var quit bool
		cmd, quit = m.key(msg)
		if quit {
			return m.quit()
		}
	}
	m.syncMatrix()
	return m, cmd
}

func (m *Model) loaded(msg loadedMsg) {
	if msg.seq != m.seq {
		return
	}
	m.loading = false
	if msg.err != nil {
		m.loadErr = msg.err
		m.setStatus(true, "load: %v", msg.err)
		return
	}
	first := m.data == nil
	m.loadErr = nil
	m.data = msg.data
	rep := m.data.Report
	m.rows = make([]hostRow, len(rep.Hosts))
	m.byName = make(map[string]int, len(rep.Hosts))
	for i := range rep.Hosts {
		m.rows[i] = newHostRow(&rep.Hosts[i])
		m.byName[rep.Hosts[i].Name] = i
	}
	m.fleet.setRows(m.rows, m.data.Tags)
	m.matrix.dirty = true
	if p := m.top(); p.kind == viewHost {
		if _, ok := m.byName[p.host]; !ok {
			m.stack = m.stack[:len(m.stack)-1]
			m.setStatus(true, "%s is not in the run any more", p.host)
		}
	}
	m.rebuildHost()
	if first {
		m.setStatus(false, "run %d: %d hosts judged against %d policies", rep.Run.ID, len(rep.Hosts), len(rep.Policies))
	} else {
		m.setStatus(false, "refreshed: run %d judged again", rep.Run.ID)
	}
}

// syncMatrix recomputes the group columns after the hosts or the filter
// changed, when the matrix shows them.
func (m *Model) syncMatrix() {
	if m.data == nil || m.stack[0].kind != viewMatrix {
		return
	}
	if m.matrix.byGroup && m.matrix.dirty {
		m.matrix.buildGroups(m.data.Report, &m.fleet)
	}
	m.matrix.scroll(m.data.Report, &m.fleet)
}

func (m *Model) setStatus(isErr bool, format string, args ...any) {
	m.status, m.statusErr = fmt.Sprintf(format, args...), isErr
}

// rebuildHost lays the host view out again when it is on top.
func (m *Model) rebuildHost() {
	p := m.top()
	if p.kind != viewHost || m.data == nil {
		return
	}
	i, ok := m.byName[p.host]
	if !ok {
		return
	}
	m.host.name, m.host.policy = p.host, p.policy
	m.host.build(&m.st, m.rows[i].h, m.data.Facts[p.host])
}

// openHost drills into a host from the root view.
func (m *Model) openHost(name, policy string) {
	m.stack = append(m.stack[:1], page{kind: viewHost, host: name, policy: policy})
	m.host.tab = tabFindings
	m.rebuildHost()
	m.host.vp.GotoTop()
}

// back goes up one level of the breadcrumb; at the root it clears the
// filter.
func (m *Model) back() {
	switch {
	case len(m.stack) > 1:
		m.stack = m.stack[:len(m.stack)-1]
	case !m.fleet.filter.empty() || m.fleet.filter.raw != "":
		m.fleet.setFilter(filter{})
		m.matrix.dirty = true
		m.setStatus(false, "filter cleared")
	}
}

// key handles a key press; quit says the program should end.
func (m *Model) key(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := &m.keys
	if m.prompt != promptNone {
		return m.promptKey(msg)
	}
	// A message lasts until the next key.
	m.status, m.statusErr = "", false
	if msg.String() == "ctrl+c" || key.Matches(msg, k.Quit) {
		return nil, true
	}
	if m.showHelp {
		if key.Matches(msg, k.Help, k.Back) {
			m.showHelp = false
		}
		return nil, false
	}
	switch {
	case key.Matches(msg, k.Help):
		m.showHelp = true
		return nil, false
	case key.Matches(msg, k.Back):
		m.back()
		return nil, false
	case key.Matches(msg, k.Refresh):
		if m.loading {
			return nil, false
		}
		m.setStatus(false, "judging the run again...")
		return m.loadCmd(), false
	case key.Matches(msg, k.Command):
		return m.openPrompt(promptCommand, ""), false
	case key.Matches(msg, k.Filter):
		if m.data == nil {
			return nil, false
		}
		if m.top().kind == viewHost {
			m.stack = m.stack[:1]
		}
		m.prevFilter = m.fleet.filter.raw
		return m.openPrompt(promptFilter, ""), false
	}
	if m.data == nil {
		return nil, false
	}
	switch m.top().kind {
	case viewFleet:
		m.fleetKey(msg)
	case viewMatrix:
		m.matrixKey(msg)
	case viewHost:
		m.hostKey(msg)
	}
	return nil, false
}

func (m *Model) fleetKey(msg tea.KeyPressMsg) {
	k, f := &m.keys, &m.fleet
	switch {
	case key.Matches(msg, k.Up):
		f.move(-1)
	case key.Matches(msg, k.Down):
		f.move(1)
	case key.Matches(msg, k.PageUp):
		f.move(-f.pageSize())
	case key.Matches(msg, k.PageDown):
		f.move(f.pageSize())
	case key.Matches(msg, k.Top):
		f.move(-len(f.view))
	case key.Matches(msg, k.Bottom):
		f.move(len(f.view))
	case key.Matches(msg, k.Select):
		f.toggleSelect()
	case key.Matches(msg, k.Sort):
		f.nextSort()
		m.matrix.dirty = true
	case key.Matches(msg, k.SortReverse):
		f.reverse()
		m.matrix.dirty = true
	case key.Matches(msg, k.SortColumn):
		f.setSort(int(msg.String()[0] - '1'))
		m.matrix.dirty = true
	case key.Matches(msg, k.Enter):
		if r := f.current(); r != nil {
			m.openHost(r.h.Name, "")
		}
	}
}

func (m *Model) matrixKey(msg tea.KeyPressMsg) {
	k, mv, rep := &m.keys, &m.matrix, m.data.Report
	page := max(mv.height-1, 1)
	switch {
	case key.Matches(msg, k.Up):
		mv.move(rep, &m.fleet, -1, 0)
	case key.Matches(msg, k.Down):
		mv.move(rep, &m.fleet, 1, 0)
	case key.Matches(msg, k.PageUp):
		mv.move(rep, &m.fleet, -page, 0)
	case key.Matches(msg, k.PageDown):
		mv.move(rep, &m.fleet, page, 0)
	case key.Matches(msg, k.Top):
		mv.move(rep, &m.fleet, -len(rep.Policies), 0)
	case key.Matches(msg, k.Bottom):
		mv.move(rep, &m.fleet, len(rep.Policies), 0)
	case key.Matches(msg, k.Left):
		mv.move(rep, &m.fleet, 0, -1)
	case key.Matches(msg, k.Right):
		mv.move(rep, &m.fleet, 0, 1)
	case key.Matches(msg, k.MatrixMode):
		mv.byGroup = !mv.byGroup
		mv.col, mv.colOff, mv.dirty = 0, 0, true
	case key.Matches(msg, k.Enter):
		if mv.ncols(&m.fleet) == 0 || len(rep.Policies) == 0 {
			return
		}
		if mv.byGroup {
			// Drill into the group: its hosts, for the same policy.
			g := mv.groups[mv.col].name
			flt, _ := parseFilter("group:" + g)
			if g == noGroup {
				flt = filter{}
			}
			m.fleet.setFilter(flt)
			mv.byGroup, mv.col, mv.colOff, mv.dirty = false, 0, 0, true
			m.setStatus(false, "hosts of group %s (esc clears the filter)", g)
			return
		}
		h := m.fleet.rows[m.fleet.view[mv.col]].h
		m.openHost(h.Name, rep.Policies[mv.row].Name)
	}
}

func (m *Model) hostKey(msg tea.KeyPressMsg) {
	k, vp := &m.keys, &m.host.vp
	switch {
	case key.Matches(msg, k.Up):
		vp.ScrollUp(1)
	case key.Matches(msg, k.Down):
		vp.ScrollDown(1)
	case key.Matches(msg, k.PageUp):
		vp.PageUp()
	case key.Matches(msg, k.PageDown):
		vp.PageDown()
	case key.Matches(msg, k.Top):
		vp.GotoTop()
	case key.Matches(msg, k.Bottom):
		vp.GotoBottom()
	case key.Matches(msg, k.Tab):
		m.host.tab = (m.host.tab + 1) % len(tabNames)
		m.rebuildHost()
		vp.GotoTop()
	}
}

func (m *Model) openPrompt(kind int, value string) tea.Cmd {
	m.prompt = kind
	m.input.Prompt = "/"
	m.input.Placeholder = "web  !web  group:NAME  tag:KEY=VALUE  status:unreachable  result:fail"
	if kind == promptCommand {
		m.input.Prompt = ":"
		m.input.Placeholder = "fleet | matrix | host NAME | quit"
	}
	m.input.SetValue(value)
	m.input.CursorEnd()
	return m.input.Focus()
}

func (m *Model) closePrompt() {
	m.prompt = promptNone
	m.input.Blur()
	m.input.Reset()
}

// promptKey edits the filter or command line. The filter applies as it
// is typed; enter keeps it, esc restores the one before.
func (m *Model) promptKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	switch msg.String() {
	case "ctrl+c":
		return nil, true
	case "esc":
		if m.prompt == promptFilter {
			m.applyFilter(m.prevFilter)
		}
		m.closePrompt()
		return nil, false
	case "enter":
		v := strings.TrimSpace(m.input.Value())
		kind := m.prompt
		m.closePrompt()
		if kind == promptCommand {
			return m.command(v)
		}
		m.applyFilter(v)
		if v != "" && !m.statusErr {
			m.setStatus(false, "filter %q: %d of %d hosts", v, len(m.fleet.view), len(m.fleet.rows))
		}
		return nil, false
	}
	var cmd tea.Cmd
	before := m.input.Value()
	m.input, cmd = m.input.Update(msg)
	if m.prompt == promptFilter && m.input.Value() != before {
		m.applyFilter(m.input.Value())
	}
	return cmd, false
}

func (m *Model) applyFilter(s string) {
	f, err := parseFilter(s)
	if err != nil {
		m.setStatus(true, "%v", err)
	} else {
		m.status, m.statusErr = "", false
	}
	m.fleet.setFilter(f)
	m.matrix.dirty = true
}

// command runs a `:` command: a view by name.
func (m *Model) command(line string) (tea.Cmd, bool) {
	verb, arg, _ := strings.Cut(line, " ")
	arg = strings.TrimSpace(arg)
	switch strings.ToLower(verb) {
	case "":
	case "fleet", "f", "hosts":
		m.stack = []page{{kind: viewFleet}}
	case "matrix", "m", "drift":
		m.stack = []page{{kind: viewMatrix}}
		m.matrix.dirty = true
	case "host", "h":
		if m.data == nil {
			return nil, false
		}
		if arg == "" {
			if r := m.fleet.current(); r != nil {
				arg = r.h.Name
			}
		}
		i, ok := m.byName[arg]
		if !ok {
			for j := range m.rows {
				if strings.EqualFold(m.rows[j].h.Name, arg) {
					i, ok = j, true
					break
				}
			}
		}
		if !ok {
			m.setStatus(true, "no host %q in the run", arg)
			return nil, false
		}
		name := m.rows[i].h.Name
		m.fleet.jump(name)
		m.openHost(name, "")
	case "q", "quit", "exit":
		return nil, true
	case "help":
		m.showHelp = true
	default:
		m.setStatus(true, "unknown view %q: try :fleet, :matrix or :host NAME", verb)
	}
	return nil, false
}

// View renders the screen. It is pure and its cost follows the screen
// size: only visible rows and cells are rendered.
func (m *Model) View() tea.View {
	var b strings.Builder
	b.Grow(m.width * (m.height + 1) * 2)
	b.WriteString(m.headerLine())
	b.WriteByte('\n')
	b.WriteString(m.crumbLine())
	b.WriteByte('\n')
	body := m.body()
	n := strings.Count(body, "\n") + 1
	b.WriteString(body)
	for ; n < m.bodyHeight(); n++ {
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	statusRow := m.bodyHeight() + 2
	b.WriteString(m.statusLine())
	b.WriteByte('\n')
	b.WriteString(clip(m.help.ShortHelpView(m.keys.helpFor(m.top().kind).short), m.width))
	v := tea.NewView(b.String())
	v.AltScreen = true
	v.WindowTitle = "fleetport"
	if m.prompt != promptNone {
		if c := m.input.Cursor(); c != nil {
			c.Y = statusRow
			v.Cursor = c
		}
	}
	return v
}

func (m *Model) headerLine() string {
	s := "fleetport"
	if m.opts.ReadOnly {
		s += " READ-ONLY"
	}
	if m.loading {
		s += " | loading..."
	}
	if m.data != nil {
		rep := m.data.Report
		s += fmt.Sprintf(" | run %d", rep.Run.ID)
		if rep.Run.Status != "" {
			s += " " + rep.Run.Status
		}
		r := rep.Summary.Results
		s += fmt.Sprintf(" | %d hosts: %d fail, %d pending, %d unknown, %d pass", len(rep.Hosts), r.Fail, r.Pending, r.Unknown, r.Pass)
	}
	// The title comes last: on a narrow terminal it is the first to go.
	if m.opts.Title != "" {
		s += " | " + m.opts.Title
	}
	return m.st.render(m.st.Header, clip(s, m.width))
}

// crumbs is the breadcrumb: the root view (with its filter), then the
// host and its tab.
func (m *Model) crumbs() string {
	var parts []string
	for _, p := range m.stack {
		switch p.kind {
		case viewFleet, viewMatrix:
			s := "fleet"
			if p.kind == viewMatrix {
				s = "matrix"
				if m.matrix.byGroup {
					s += " (groups)"
				}
			}
			if m.fleet.filter.raw != "" {
				s += " [/" + m.fleet.filter.raw + "]"
			}
			parts = append(parts, s)
		case viewHost:
			parts = append(parts, p.host)
			t := tabNames[m.host.tab]
			if p.policy != "" && m.host.tab == tabFindings {
				t += " of " + p.policy
			}
			parts = append(parts, t)
		}
	}
	if m.showHelp {
		parts = append(parts, "help")
	}
	return strings.Join(parts, " > ")
}

func (m *Model) crumbLine() string {
	return m.st.render(m.st.Crumb, clip(m.crumbs(), m.width))
}

func (m *Model) body() string {
	if m.showHelp {
		return m.helpBody()
	}
	if m.data == nil {
		if m.loadErr != nil {
			return clip("  could not load the run: "+m.loadErr.Error(), m.width) + "\n  r tries again, q quits"
		}
		return "  loading the run..."
	}
	var b strings.Builder
	switch m.top().kind {
	case viewFleet:
		m.fleet.View(&m.st, &b)
	case viewMatrix:
		m.matrix.View(&m.st, m.data.Report, &m.fleet, &b)
	case viewHost:
		return m.host.View()
	}
	return b.String()
}

// helpBody lists every key of the view, in two bands so that it fits 80
// columns, with the filter forms.
func (m *Model) helpBody() string {
	full := m.keys.helpFor(m.top().kind).full
	var parts []string
	for i := 0; i < len(full); i += 2 {
		parts = append(parts, m.help.FullHelpView(full[i:min(i+2, len(full))]))
	}
	parts = append(parts, strings.Join([]string{
		"filter (/): a part of the name; group:NAME  tag:KEY=VALUE  status:STATUS",
		"  result:RESULT  os:RELEASE; ! before a term inverts it; terms combine (and)",
		"sort (1-9): host groups os status C/H/M/L result wild TW collected",
		"views (:): fleet, matrix, host NAME, quit.  esc goes back, q quits",
	}, "\n"))
	out := strings.Join(parts, "\n\n")
	lines := strings.Split(out, "\n")
	for i := range lines {
		lines[i] = clip(lines[i], m.width)
	}
	if len(lines) > m.bodyHeight() {
		lines = lines[:m.bodyHeight()]
	}
	return strings.Join(lines, "\n")
}

func (m *Model) statusLine() string {
	if m.prompt != promptNone {
		return clip(m.input.View(), m.width)
	}
	var s string
	if m.data != nil && !m.showHelp {
		switch m.top().kind {
		case viewFleet:
			col := columns[m.fleet.sortCol].title
			dir := m.st.SortAsc
			if m.fleet.sortDesc {
				dir = m.st.SortDesc
			}
			s = fmt.Sprintf("%s | sort %s%s", m.fleet.position(), col, dir)
			if n := len(m.fleet.selected); n > 0 {
				s += fmt.Sprintf(" | %d selected", n)
			}
		case viewMatrix:
			s = m.matrix.detail(m.data.Report, &m.fleet)
		case viewHost:
			s = fmt.Sprintf("%d%%", int(m.host.vp.ScrollPercent()*100))
		}
	}
	if m.status != "" {
		if s != "" {
			s += " | "
		}
		if m.statusErr {
			return clip(s+m.st.render(m.st.Error, m.status), m.width)
		}
		s += m.status
	}
	return m.st.render(m.st.Status, clip(s, m.width))
}

// Report returns the report shown, nil before the first load.
func (m *Model) Report() *drift.Report {
	if m.data == nil {
		return nil
	}
	return m.data.Report
}
