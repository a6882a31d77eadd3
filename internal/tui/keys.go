package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// KeyMap is every key binding of the TUI, in the conventions of k9s and
// lazygit: esc goes back one level, q quits from anywhere (ctrl+c too),
// enter drills in.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom, Left, Right key.Binding

	Enter, Back, Tab key.Binding

	Select, Sort, SortReverse, SortColumn key.Binding
	MatrixMode                            key.Binding

	// Incident work: watch connection tables, collect again.
	Watch, StopWatch, Collect, CollectAll key.Binding
	// Actions that change hosts, each behind a confirmation; disabled
	// (and so hidden from the help) in read-only mode.
	Fix, Confirm, Cancel, Pause, Abort, Resume key.Binding

	Filter, Command, Refresh, Help, Quit key.Binding
}

// DefaultKeyMap returns the default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("up/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("down/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g/home", "first")),
		Bottom:   key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G/end", "last")),
		Left:     key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("left/h", "column left")),
		Right:    key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("right/l", "column right")),

		Enter: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Back:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back / clear filter")),
		Tab:   key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "findings/facts")),

		Select:      key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "select host")),
		Sort:        key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "next sort column")),
		SortReverse: key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "reverse sort")),
		SortColumn: key.NewBinding(key.WithKeys("1", "2", "3", "4", "5", "6", "7", "8", "9"),
			key.WithHelp("1-9", "sort by column N")),
		MatrixMode: key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "hosts/groups")),

		Watch:      key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "watch selection")),
		StopWatch:  key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "stop the watch")),
		Collect:    key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "collect selection")),
		CollectAll: key.NewBinding(key.WithKeys("C"), key.WithHelp("C", "collect fleet")),

		Fix:     key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "plan a fix / apply")),
		Confirm: key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "yes (confirm)")),
		Cancel:  key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "no (cancel)")),
		Pause:   key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "pause/continue")),
		Abort:   key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "abort rollout")),
		Resume:  key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "resume rollout")),

		Filter:  key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Command: key.NewBinding(key.WithKeys(":"), key.WithHelp(":", "switch view")),
		Refresh: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
		Help:    key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:    key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
}

// enable turns off the bindings of what the TUI cannot do: no Watcher,
// no Collector, no Remediator, or read-only mode (which disables every
// binding that changes a host, so that the help does not offer them).
func (k *KeyMap) enable(watch, collect, fix bool) {
	k.Watch.SetEnabled(watch)
	k.StopWatch.SetEnabled(watch)
	k.Collect.SetEnabled(collect)
	k.CollectAll.SetEnabled(collect)
	for _, b := range []*key.Binding{&k.Fix, &k.Confirm, &k.Cancel, &k.Pause, &k.Abort, &k.Resume} {
		b.SetEnabled(fix)
	}
}

// viewHelp is the help of one view, for bubbles/help.
type viewHelp struct {
	short []key.Binding
	full  [][]key.Binding
}

func (h viewHelp) ShortHelp() []key.Binding  { return h.short }
func (h viewHelp) FullHelp() [][]key.Binding { return h.full }

// fullHelp lists every key of the TUI in two bands of columns, so that it
// fits 80 columns and 24 lines.
func (k KeyMap) fullHelp() [][][]key.Binding {
	return [][][]key.Binding{
		{
			{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.Left, k.Right},
			{k.Enter, k.Select, k.Sort, k.SortReverse, k.SortColumn, k.MatrixMode, k.Tab},
			{k.Filter, k.Command, k.Refresh, k.Help, k.Back, k.Quit},
		},
		{
			{k.Watch, k.StopWatch, k.Collect, k.CollectAll},
			{k.Fix, k.Confirm, k.Cancel},
			{k.Pause, k.Abort, k.Resume},
		},
	}
}

// helpFor returns the short help of a view: the keys that act there.
func (k KeyMap) helpFor(p page, dialog int, rv *rolloutView, watching bool) viewHelp {
	if dialog != dlgNone {
		return viewHelp{short: []key.Binding{k.Confirm, k.Cancel}}
	}
	switch p.kind {
	case viewMatrix:
		return viewHelp{short: []key.Binding{k.Enter, k.MatrixMode, k.Left, k.Right, k.Filter, k.Command, k.Help, k.Quit}}
	case viewHost:
		return viewHelp{short: []key.Binding{k.Tab, k.Back, k.Down, k.PageDown, k.Watch, k.Collect, k.Fix, k.Help, k.Quit}}
	case viewWatch:
		stop := k.StopWatch
		if !watching {
			stop.SetEnabled(false)
		}
		return viewHelp{short: []key.Binding{k.Enter, stop, k.Down, k.Back, k.Command, k.Help, k.Quit}}
	case viewRollout:
		switch {
		case rv.state == roPreview && rv.canApply():
			return viewHelp{short: []key.Binding{k.Fix, k.Down, k.PageDown, k.Back, k.Help, k.Quit}}
		case rv.state == roRunning:
			return viewHelp{short: []key.Binding{k.Pause, k.Abort, k.Enter, k.Down, k.Back, k.Help, k.Quit}}
		case rv.resumable():
			return viewHelp{short: []key.Binding{k.Resume, k.Enter, k.Down, k.Back, k.Help, k.Quit}}
		}
		return viewHelp{short: []key.Binding{k.Enter, k.Down, k.Back, k.Command, k.Help, k.Quit}}
	}
	return viewHelp{short: []key.Binding{k.Enter, k.Filter, k.Select, k.Watch, k.Collect, k.Fix, k.Sort, k.Command, k.Help, k.Quit}}
}

// cursorMove is how far a vertical movement key moves a list's cursor:
// one row, a page, or all the way (all: the list's length or more) to
// either end. ok is false for any other key.
func (k *KeyMap) cursorMove(msg tea.KeyPressMsg, page, all int) (delta int, ok bool) {
	switch {
	case key.Matches(msg, k.Up):
		return -1, true
	case key.Matches(msg, k.Down):
		return 1, true
	case key.Matches(msg, k.PageUp):
		return -page, true
	case key.Matches(msg, k.PageDown):
		return page, true
	case key.Matches(msg, k.Top):
		return -all, true
	case key.Matches(msg, k.Bottom):
		return all, true
	}
	return 0, false
}
