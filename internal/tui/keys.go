package tui

import "charm.land/bubbles/v2/key"

// KeyMap is every key binding of the TUI, in the conventions of k9s and
// lazygit: esc goes back one level, q quits from anywhere (ctrl+c too),
// enter drills in.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom, Left, Right key.Binding

	Enter, Back, Tab key.Binding

	Select, Sort, SortReverse, SortColumn key.Binding
	MatrixMode                            key.Binding

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
			key.WithHelp("1-9", "sort by column N (again: reverse)")),
		MatrixMode: key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "hosts/groups")),

		Filter:  key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Command: key.NewBinding(key.WithKeys(":"), key.WithHelp(":", "view (:fleet :matrix :host NAME)")),
		Refresh: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh (judge again)")),
		Help:    key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:    key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
}

// viewHelp is the help of one view, for bubbles/help.
type viewHelp struct {
	short []key.Binding
	full  [][]key.Binding
}

func (h viewHelp) ShortHelp() []key.Binding  { return h.short }
func (h viewHelp) FullHelp() [][]key.Binding { return h.full }

// helpFor returns the bindings of a view: the short help names the keys
// that act there; the full help lists every key of the TUI.
func (k KeyMap) helpFor(v viewKind) viewHelp {
	full := [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.Enter, k.Select, k.Sort, k.SortReverse, k.SortColumn},
		{k.Left, k.Right, k.MatrixMode, k.Tab},
		{k.Filter, k.Command, k.Refresh, k.Help, k.Back, k.Quit},
	}
	switch v {
	case viewMatrix:
		return viewHelp{short: []key.Binding{k.Enter, k.MatrixMode, k.Left, k.Right, k.Filter, k.Command, k.Help, k.Quit}, full: full}
	case viewHost:
		return viewHelp{short: []key.Binding{k.Tab, k.Back, k.Down, k.PageDown, k.Command, k.Help, k.Quit}, full: full}
	}
	return viewHelp{short: []key.Binding{k.Enter, k.Filter, k.Sort, k.Select, k.Command, k.Help, k.Quit}, full: full}
}
