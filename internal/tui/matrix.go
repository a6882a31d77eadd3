package tui

import (
	"slices"
	"strconv"
	"strings"

	"github.com/fleetport/fleetport/internal/drift"
)

// matrixView is the drift matrix: the report's policies as rows, and the
// fleet view's hosts (filtered and sorted as there) or their groups as
// columns. Only the cells that fit the screen are rendered, in both
// directions.
type matrixView struct {
	byGroup bool
	// row is the policy under the cursor, col the host or group.
	row, col       int
	rowOff, colOff int
	width, height  int

	// groups aggregate the fleet view's hosts by group; dirty says they
	// must be computed again (the hosts or the filter changed).
	groups []groupCol
	dirty  bool
}

// groupCol is one group of the matrix in group mode.
type groupCol struct {
	name  string
	hosts int
	// worst is the group's worst result per policy (in the order of
	// concern of drift.Result), n the number of its hosts with it.
	worst []drift.Result
	n     []int
}

// noGroup names the column of the hosts without a group.
const noGroup = "(none)"

func (mv *matrixView) SetSize(w, h int) { mv.width, mv.height = w, h }

// buildGroups aggregates the shown hosts by group. A host in several
// groups counts in each.
func (mv *matrixView) buildGroups(rep *drift.Report, fv *fleetView) {
	idx := map[string]int{}
	mv.groups = mv.groups[:0]
	np := len(rep.Policies)
	for _, i := range fv.view {
		h := fv.rows[i].h
		gs := h.Groups
		if len(gs) == 0 {
			gs = []string{noGroup}
		}
		for _, g := range gs {
			gi, ok := idx[g]
			if !ok {
				gi = len(mv.groups)
				idx[g] = gi
				mv.groups = append(mv.groups, groupCol{name: g, worst: make([]drift.Result, np), n: make([]int, np)})
			}
			gc := &mv.groups[gi]
			gc.hosts++
			for pi := range rep.Policies {
				r := verdictOf(h, pi, rep.Policies[pi].Name).Result
				switch {
				case gc.n[pi] == 0 || r > gc.worst[pi]:
					gc.worst[pi], gc.n[pi] = r, 1
				case r == gc.worst[pi]:
					gc.n[pi]++
				}
			}
		}
	}
	slices.SortFunc(mv.groups, func(a, b groupCol) int { return strings.Compare(a.name, b.name) })
	mv.dirty = false
}

// verdictOf returns a host's verdict for the policy at index pi of the
// report (named name); a host without one is not-applicable.
func verdictOf(h *drift.HostReport, pi int, name string) drift.Verdict {
	if pi < len(h.Verdicts) && h.Verdicts[pi].Policy == name {
		return h.Verdicts[pi]
	}
	for _, v := range h.Verdicts {
		if v.Policy == name {
			return v
		}
	}
	return drift.Verdict{Policy: name, Result: drift.NotApplicable}
}

// ncols is the number of columns: shown hosts or groups.
func (mv *matrixView) ncols(fv *fleetView) int {
	if mv.byGroup {
		return len(mv.groups)
	}
	return len(fv.view)
}

// geometry returns the policy column's width and a cell's width for
// column c.
func (mv *matrixView) policyWidth(rep *drift.Report) int {
	w := 8
	for i := range rep.Policies {
		w = max(w, len(rep.Policies[i].Name))
	}
	return min(w, 26, max(mv.width/3, 8))
}

func (mv *matrixView) cellWidth(fv *fleetView, c int) int {
	if mv.byGroup {
		return clamp(len(mv.groups[c].name), 8, 14) + 2
	}
	return clamp(fv.widths[colName]-1, 3, 10) + 2
}

// move moves the cursor by rows and columns and scrolls to keep it in
// view.
func (mv *matrixView) move(rep *drift.Report, fv *fleetView, dr, dc int) {
	mv.row = clamp(mv.row+dr, 0, len(rep.Policies)-1)
	mv.col = clamp(mv.col+dc, 0, mv.ncols(fv)-1)
	mv.scroll(rep, fv)
}

func (mv *matrixView) scroll(rep *drift.Report, fv *fleetView) {
	mv.row = clamp(mv.row, 0, len(rep.Policies)-1)
	mv.col = clamp(mv.col, 0, mv.ncols(fv)-1)
	page := max(mv.height-1, 1)
	if mv.row < mv.rowOff {
		mv.rowOff = mv.row
	}
	if mv.row >= mv.rowOff+page {
		mv.rowOff = mv.row - page + 1
	}
	if mv.col < mv.colOff {
		mv.colOff = mv.col
	}
	// Move the left edge right until the cursor's column fits.
	avail := mv.width - 2 - mv.policyWidth(rep)
	for mv.colOff < mv.col {
		w := 0
		for c := mv.colOff; c <= mv.col; c++ {
			w += mv.cellWidth(fv, c)
		}
		if w <= avail {
			break
		}
		mv.colOff++
	}
}

// visibleCols returns the columns from colOff that fit.
func (mv *matrixView) visibleCols(rep *drift.Report, fv *fleetView) (int, int) {
	avail := mv.width - 2 - mv.policyWidth(rep)
	end := mv.colOff
	for n := mv.ncols(fv); end < n; end++ {
		w := mv.cellWidth(fv, end)
		if w > avail {
			break
		}
		avail -= w
	}
	return mv.colOff, end
}

// View renders the header row and the visible policy rows.
func (mv *matrixView) View(st *Styles, rep *drift.Report, fv *fleetView, b *strings.Builder) {
	if mv.ncols(fv) == 0 {
		b.WriteString("  no host matches the filter")
		return
	}
	pw := mv.policyWidth(rep)
	c0, c1 := mv.visibleCols(rep, fv)
	var line strings.Builder
	line.WriteString("  ")
	title := "POLICY \\ HOST"
	if mv.byGroup {
		title = "POLICY \\ GROUP"
	}
	line.WriteString(fit(title, pw, false, st.Tail))
	for c := c0; c < c1; c++ {
		w := mv.cellWidth(fv, c)
		line.WriteString(" " + fit(mv.colName(fv, c), w-1, false, st.Tail))
	}
	if c1 < mv.ncols(fv) {
		line.WriteString(" >")
	}
	b.WriteString(st.render(st.ColHeader, clip(line.String(), mv.width)))
	end := min(mv.rowOff+max(mv.height-1, 1), len(rep.Policies))
	for pi := mv.rowOff; pi < end; pi++ {
		b.WriteByte('\n')
		line.Reset()
		if pi == mv.row {
			line.WriteString("> ")
		} else {
			line.WriteString("  ")
		}
		line.WriteString(fit(rep.Policies[pi].Name, pw, false, st.Tail))
		for c := c0; c < c1; c++ {
			line.WriteString(mv.cell(st, rep, fv, pi, c, pi == mv.row && c == mv.col))
		}
		b.WriteString(clip(line.String(), mv.width))
	}
}

func (mv *matrixView) colName(fv *fleetView, c int) string {
	if mv.byGroup {
		return mv.groups[c].name
	}
	return fv.rows[fv.view[c]].h.Name
}

// cell renders one cell, its width wide: the result's glyph (and in group
// mode how many of the group's hosts have that result), bracketed under
// the cursor.
func (mv *matrixView) cell(st *Styles, rep *drift.Report, fv *fleetView, pi, c int, cur bool) string {
	w := mv.cellWidth(fv, c)
	var r drift.Result
	text := ""
	if mv.byGroup {
		g := &mv.groups[c]
		r = g.worst[pi]
		text = st.glyph(r) + " " + strconv.Itoa(g.n[pi]) + "/" + strconv.Itoa(g.hosts)
	} else {
		r = verdictOf(fv.rows[fv.view[c]].h, pi, rep.Policies[pi].Name).Result
		text = st.glyph(r)
	}
	if cur {
		text = "[" + text + "]"
	} else {
		text = " " + text + " "
	}
	text = fit(text, w, false, st.Tail)
	if cur && st.Color {
		return st.Cursor.Render(st.result(r, text))
	}
	return st.result(r, text)
}

// detail describes the cell under the cursor, for the status line.
func (mv *matrixView) detail(rep *drift.Report, fv *fleetView) string {
	if mv.ncols(fv) == 0 || len(rep.Policies) == 0 {
		return ""
	}
	p := &rep.Policies[mv.row]
	if mv.byGroup {
		g := &mv.groups[mv.col]
		return "group " + g.name + " x " + p.Name + ": " + strconv.Itoa(g.n[mv.row]) + " of " + strconv.Itoa(g.hosts) +
			" " + resultLabel(g.worst[mv.row]) + " (" + p.Severity.String() + "); enter lists them"
	}
	h := fv.rows[fv.view[mv.col]].h
	v := verdictOf(h, mv.row, p.Name)
	s := h.Name + " x " + p.Name + ": " + resultLabel(v.Result) + " (" + p.Severity.String() + ")"
	if v.Reason != "" {
		s += ": " + v.Reason
	}
	return s
}
