package tui

import (
	"charm.land/lipgloss/v2"

	"github.com/fleetport/fleetport/internal/drift"
)

// Styles are every style and glyph the views use, built once per colour
// profile. Without colour (the ASCII and NoTTY profiles: NO_COLOR,
// --no-color, a dumb terminal) every style renders its text unchanged and
// the glyphs are plain ASCII, so that the screen reads the same in black
// and white.
type Styles struct {
	Color bool

	Header    lipgloss.Style
	Crumb     lipgloss.Style
	ColHeader lipgloss.Style
	Cursor    lipgloss.Style
	Status    lipgloss.Style
	Error     lipgloss.Style
	Dim       lipgloss.Style
	Title     lipgloss.Style
	// Good marks done work (a progress bar, a fixed host); Warn a share
	// that needs attention; Dialog a confirmation box.
	Good   lipgloss.Style
	Warn   lipgloss.Style
	Dialog lipgloss.Style
	// Result colours a result (indexed by drift.Result).
	Result [6]lipgloss.Style
	// Glyph is the matrix cell of a result (indexed by drift.Result):
	// ✓ ✗ ! ? · w in colour, p F P ? . w without.
	Glyph [6]string
	// SortAsc and SortDesc mark the sort column; Tail ends a truncated
	// cell.
	SortAsc, SortDesc, Tail string
}

// DefaultStyles builds the styles for a terminal with (color) or without
// colour.
func DefaultStyles(color bool) Styles {
	if !color {
		s := Styles{SortAsc: "^", SortDesc: "v", Tail: "~"}
		s.Glyph[drift.Pass], s.Glyph[drift.Fail], s.Glyph[drift.Pending] = "p", "F", "P"
		s.Glyph[drift.Unknown], s.Glyph[drift.NotApplicable], s.Glyph[drift.Waived] = "?", ".", "w"
		return s
	}
	s := Styles{
		Color:     true,
		Header:    lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Cyan),
		Crumb:     lipgloss.NewStyle().Foreground(lipgloss.Yellow),
		ColHeader: lipgloss.NewStyle().Bold(true),
		Cursor:    lipgloss.NewStyle().Reverse(true),
		Status:    lipgloss.NewStyle().Foreground(lipgloss.BrightBlack),
		Error:     lipgloss.NewStyle().Foreground(lipgloss.Red).Bold(true),
		Dim:       lipgloss.NewStyle().Foreground(lipgloss.BrightBlack),
		Title:     lipgloss.NewStyle().Bold(true).Underline(true),
		Good:      lipgloss.NewStyle().Foreground(lipgloss.Green),
		Warn:      lipgloss.NewStyle().Foreground(lipgloss.Yellow).Bold(true),
		Dialog:    lipgloss.NewStyle().Foreground(lipgloss.BrightWhite).Bold(true),
		SortAsc:   "▲", SortDesc: "▼", Tail: "…",
	}
	s.Result[drift.Pass] = lipgloss.NewStyle().Foreground(lipgloss.Green)
	s.Result[drift.Fail] = lipgloss.NewStyle().Foreground(lipgloss.Red).Bold(true)
	s.Result[drift.Pending] = lipgloss.NewStyle().Foreground(lipgloss.Yellow)
	s.Result[drift.Unknown] = lipgloss.NewStyle().Foreground(lipgloss.Magenta)
	s.Result[drift.NotApplicable] = lipgloss.NewStyle().Foreground(lipgloss.BrightBlack)
	s.Result[drift.Waived] = lipgloss.NewStyle().Foreground(lipgloss.Cyan)
	s.Glyph[drift.Pass], s.Glyph[drift.Fail], s.Glyph[drift.Pending] = "✓", "✗", "!"
	s.Glyph[drift.Unknown], s.Glyph[drift.NotApplicable], s.Glyph[drift.Waived] = "?", "·", "w"
	return s
}

// render applies st when the terminal has colour.
func (s *Styles) render(st lipgloss.Style, text string) string {
	if !s.Color || text == "" {
		return text
	}
	return st.Render(text)
}

// result colours text by a result.
func (s *Styles) result(r drift.Result, text string) string {
	if int(r) >= len(s.Result) {
		return text
	}
	return s.render(s.Result[r], text)
}

// glyph is the cell symbol of a result.
func (s *Styles) glyph(r drift.Result) string {
	if int(r) >= len(s.Glyph) {
		return "?"
	}
	return s.Glyph[r]
}

// pressure colours a share of the client port range in use: red from
// 80 %, where drift's port_exhaustion check fires, yellow from 50 %.
func (s *Styles) pressure(pct float64, text string) string {
	switch {
	case pct >= 80:
		return s.render(s.Error, text)
	case pct >= 50:
		return s.render(s.Warn, text)
	}
	return text
}

// outcome colours a rollout host's outcome.
func (s *Styles) outcome(o, text string) string {
	switch o {
	case "fixed":
		return s.render(s.Good, text)
	case "failed", "unreachable":
		return s.render(s.Error, text)
	}
	return text
}
