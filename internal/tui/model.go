package tui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/fleetport/fleetport/internal/drift"
)

var errNoReport = errors.New("the source returned no report")

// viewKind names a view.
type viewKind int

const (
	viewFleet viewKind = iota
	viewMatrix
	viewHost
	viewWatch
	viewRollout
)

// page is one level of the breadcrumb: a root view (fleet, matrix, watch
// or rollout), or a host opened from it.
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
	// Context bounds every operation (loads, collections, watches,
	// rollouts); cancelling it ends them. Nil is context.Background.
	Context context.Context
	// ReadOnly hides every action that changes a host: the rollout view
	// and its keys (Remediator is not used). It is shown in the header.
	ReadOnly bool
	// Title names what is shown (the store), in the header.
	Title string
	// Watcher, Collector and Remediator reach the engine for the watch
	// view, collecting again and the rollout view; each may be nil, which
	// hides its keys.
	Watcher    Watcher
	Collector  Collector
	Remediator Remediator
	// WatchEvery is the watch's sampling interval; 0 means 5 seconds.
	WatchEvery time.Duration
	// Now is the clock of the commands (the collection rate); nil means
	// time.Now. View never reads it.
	Now func() time.Time
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
	watch  watchView
	ro     rolloutView

	// coll is the collection running, or the last one.
	coll collection
	// dialog is the confirmation open over the view (dlgNone: none).
	dialog int

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
	if opts.ReadOnly {
		opts.Remediator = nil
	}
	if opts.WatchEvery <= 0 {
		opts.WatchEvery = 5 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := &Model{
		src:    src,
		opts:   opts,
		keys:   DefaultKeyMap(),
		stack:  []page{{kind: viewFleet}},
		fleet:  newFleetView(),
		host:   newHostView(),
		ro:     newRolloutView(),
		help:   help.New(),
		input:  textinput.New(),
		width:  80,
		height: 24,
	}
	m.keys.enable(opts.Watcher != nil, opts.Collector != nil, opts.Remediator != nil)
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

// quit ends every operation and the program.
func (m *Model) quit() (tea.Model, tea.Cmd) {
	for _, c := range []context.CancelFunc{m.cancel, m.coll.cancel, m.watch.cancel, m.ro.cancel} {
		if c != nil {
			c()
		}
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
	m.ro.buildPreview(&m.st)
}

// bodyHeight is what is left for the view under the header and the
// breadcrumb and above the status and help lines.
func (m *Model) bodyHeight() int { return max(m.height-4, 1) }

func (m *Model) resize() {
	h := m.bodyHeight()
	m.fleet.SetSize(m.width, h)
	m.matrix.SetSize(m.width, h)
	m.host.SetSize(m.width, h)
	m.watch.SetSize(m.width, h)
	m.ro.SetSize(m.width, h)
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
	case collectBatchMsg:
		cmd = m.collectBatch(msg)
	case watchBatchMsg:
		cmd = m.watchBatch(msg)
	case planMsg:
		if msg.seq == m.ro.seq && m.ro.state == roPlanning {
			m.ro.planned(msg)
			m.ro.buildPreview(&m.st)
			if msg.err != nil {
				m.setStatus(true, "plan: %v", msg.err)
			}
		}
	case rolloutBatchMsg:
		cmd = m.rolloutBatch(msg)
	case rolloutCtlMsg:
		if msg.seq == m.ro.seq && msg.err != nil {
			m.setStatus(true, "%s: %v", msg.what, msg.err)
			if msg.what == "pause" {
				m.ro.pauseAsked = false
			}
		}
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
	m.setData(msg.data)
	rep := m.data.Report
	if first {
		m.setStatus(false, "run %d: %d hosts judged against %d policies", rep.Run.ID, len(rep.Hosts), len(rep.Policies))
	} else {
		m.setStatus(false, "refreshed: run %d judged again", rep.Run.ID)
	}
}

// setData shows a judged run (a load, a refresh, a collection), keeping
// the sort, the filter, the selection and the cursor's host.
func (m *Model) setData(d *Data) {
	m.loadErr = nil
	m.data = d
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

// back goes up one level of the breadcrumb; from the watch or rollout
// view to the fleet (they go on); at the fleet or matrix it clears the
// filter.
func (m *Model) back() {
	switch {
	case len(m.stack) > 1:
		m.stack = m.stack[:len(m.stack)-1]
	case m.top().kind == viewWatch || m.top().kind == viewRollout:
		m.stack = []page{{kind: viewFleet}}
		switch {
		case m.watch.running:
			m.setStatus(false, "the watch goes on: :watch shows it")
		case m.ro.state == roRunning:
			m.setStatus(false, "rollout %d goes on: :rollout shows it", m.ro.id)
		}
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
	if m.dialog != dlgNone {
		return m.dialogKey(msg)
	}
	if msg.String() == "ctrl+c" || key.Matches(msg, k.Quit) {
		if m.ro.state == roRunning {
			m.dialog = dlgQuit
			return nil, false
		}
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
		if kind := m.top().kind; kind != viewFleet && kind != viewMatrix {
			m.stack = []page{{kind: viewFleet}}
		}
		m.prevFilter = m.fleet.filter.raw
		return m.openPrompt(promptFilter, ""), false
	}
	if m.data == nil {
		return nil, false
	}
	if cmd, ok := m.incidentKey(msg); ok {
		return cmd, false
	}
	switch m.top().kind {
	case viewFleet:
		m.fleetKey(msg)
	case viewMatrix:
		m.matrixKey(msg)
	case viewHost:
		m.hostKey(msg)
	case viewWatch:
		m.watchKey(msg)
	case viewRollout:
		return m.rolloutKey(msg), false
	}
	return nil, false
}

func (m *Model) fleetKey(msg tea.KeyPressMsg) {
	k, f := &m.keys, &m.fleet
	if d, ok := k.cursorMove(msg, f.pageSize(), len(f.view)); ok {
		f.move(d)
		return
	}
	switch {
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
	if d, ok := k.cursorMove(msg, max(mv.height-1, 1), len(rep.Policies)); ok {
		mv.move(rep, &m.fleet, d, 0)
		return
	}
	switch {
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
		m.input.Placeholder = "fleet | matrix | host NAME | watch | rollout | quit"
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
	case "watch", "w":
		if m.opts.Watcher == nil {
			m.setStatus(true, "no watch here: the source cannot reach the hosts")
			return nil, false
		}
		if m.watch.hosts == nil {
			m.setStatus(true, "nothing watched yet: select hosts (space) and press w")
			return nil, false
		}
		m.stack = []page{{kind: viewWatch}}
	case "rollout", "fix", "plan":
		if m.opts.Remediator == nil {
			m.setStatus(true, "no rollouts here: read-only")
			return nil, false
		}
		m.stack = []page{{kind: viewRollout}}
	case "q", "quit", "exit":
		if m.ro.state == roRunning {
			m.dialog = dlgQuit
			return nil, false
		}
		return nil, true
	case "help":
		m.showHelp = true
	default:
		m.setStatus(true, "unknown view %q: try :fleet, :matrix, :host NAME, :watch or :rollout", verb)
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
	if m.dialog != dlgNone {
		body = overlay(&m.st, body, m.ro.dialogLines(m.dialog), m.width, m.bodyHeight())
	}
	n := strings.Count(body, "\n") + 1
	b.WriteString(body)
	for ; n < m.bodyHeight(); n++ {
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	statusRow := m.bodyHeight() + 2
	b.WriteString(m.statusLine())
	b.WriteByte('\n')
	b.WriteString(m.shortHelp(m.keys.helpFor(m.top(), m.dialog, &m.ro, m.watch.running).short))
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

// shortHelp is the help line: the view's enabled keys that fit the width,
// then an ellipsis when some did not (bubbles' ShortHelpView can overrun
// the width when the ellipsis does not fit).
func (m *Model) shortHelp(bs []key.Binding) string {
	hs := &m.help.Styles
	sep := hs.ShortSeparator.Inline(true).Render(m.help.ShortSeparator)
	tail := " " + hs.Ellipsis.Inline(true).Render(m.help.Ellipsis)
	var b strings.Builder
	w, n := 0, 0
	for i, kb := range bs {
		if !kb.Enabled() {
			continue
		}
		item := hs.ShortKey.Inline(true).Render(kb.Help().Key) + " " + hs.ShortDesc.Inline(true).Render(kb.Help().Desc)
		if n > 0 {
			item = sep + item
		}
		iw := ansi.StringWidth(item)
		room := m.width
		if slices.ContainsFunc(bs[i+1:], key.Binding.Enabled) {
			room -= ansi.StringWidth(tail)
		}
		if w+iw > room {
			b.WriteString(tail)
			break
		}
		b.WriteString(item)
		w += iw
		n++
	}
	return clip(b.String(), m.width)
}

// headerLine is the program, the run and its results, what runs in the
// background and the title; parts that do not fit whole are left out,
// the last first.
func (m *Model) headerLine() string {
	first := "fleetport"
	if m.opts.ReadOnly {
		first += " READ-ONLY"
	}
	parts := []string{first}
	if m.loading {
		parts = append(parts, "loading...")
	}
	if m.data != nil {
		rep := m.data.Report
		run := fmt.Sprintf("run %d", rep.Run.ID)
		if rep.Run.Status != "" {
			run += " " + rep.Run.Status
		}
		r := rep.Summary.Results
		sum := fmt.Sprintf("%d hosts: %d fail", len(rep.Hosts), r.Fail)
		if r.Pending > 0 {
			sum += fmt.Sprintf(", %d pending", r.Pending)
		}
		if r.Unknown > 0 {
			sum += fmt.Sprintf(", %d unknown", r.Unknown)
		}
		sum += fmt.Sprintf(", %d pass", r.Pass)
		parts = append(parts, run, sum)
	}
	if m.watch.running && m.top().kind != viewWatch {
		parts = append(parts, fmt.Sprintf("watching %d", len(m.watch.hosts)))
	}
	if m.ro.state == roRunning && m.top().kind != viewRollout {
		s := fmt.Sprintf("rollout %d running", m.ro.id)
		if m.ro.paused {
			s = fmt.Sprintf("rollout %d paused", m.ro.id)
		}
		parts = append(parts, s)
	}
	// The title comes last: on a narrow terminal it is the first to go.
	if m.opts.Title != "" {
		parts = append(parts, m.opts.Title)
	}
	s := parts[0]
	for _, p := range parts[1:] {
		if len(s)+3+len(p) > m.width {
			break
		}
		s += " | " + p
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
		case viewWatch:
			s := fmt.Sprintf("watch (%s, every %s)", plural(len(m.watch.hosts), "host"), m.watch.every)
			if !m.watch.running {
				s = fmt.Sprintf("watch (%s, stopped)", plural(len(m.watch.hosts), "host"))
			}
			parts = append(parts, s)
		case viewRollout:
			s := "rollout"
			switch {
			case m.ro.id != 0:
				s += fmt.Sprintf(" %d", m.ro.id)
			case m.ro.state == roPlanning || m.ro.state == roPreview:
				s = fmt.Sprintf("plan (%s)", plural(len(m.ro.hosts), "host"))
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
	case viewWatch:
		m.watch.View(&m.st, &b)
	case viewRollout:
		m.ro.View(&m.st, &b)
	}
	return b.String()
}

// helpBody lists every key of the view, in two bands so that it fits 80
// columns, with the filter forms.
func (m *Model) helpBody() string {
	var parts []string
	for _, band := range m.keys.fullHelp() {
		if v := m.help.FullHelpView(band); v != "" {
			parts = append(parts, v)
		}
	}
	notes := []string{
		"filter (/): part of a name, group:NAME tag:KEY=VALUE status:S result:R os:REL;",
		"  ! before a term inverts it. sort (1-9): host groups os status C/H/M/L result",
		"  wild TW collected. views (:): fleet matrix host NAME watch rollout quit",
	}
	if m.opts.Watcher != nil || m.opts.Collector != nil || m.opts.Remediator != nil {
		notes = append(notes, "w, c and a act on the selected hosts, else on the host under the cursor")
	}
	parts = append(parts, strings.Join(notes, "\n"))
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
		case viewWatch:
			s = m.watch.status()
		case viewRollout:
			s = m.ro.status()
		}
	}
	if m.coll.running {
		// The bar has colours of its own: the text is styled alone.
		line := m.coll.line(&m.st, m.width, func(t string) string { return m.st.render(m.st.Status, t) })
		if m.status != "" {
			msg := m.status
			if m.statusErr {
				msg = m.st.render(m.st.Error, msg)
			}
			line += " | " + msg
		}
		return clip(line, m.width)
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
