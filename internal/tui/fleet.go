package tui

import (
	"slices"
	"strconv"
	"strings"
)

// fleetView is the fleet table: one row per host, sorted by one column,
// filtered, with a cursor and a selection. It renders only the rows that
// fit the screen, so its cost follows the terminal height, not the fleet.
type fleetView struct {
	rows []hostRow
	tags map[string]map[string]string
	// order is every row index in sort order; view the ones the filter
	// keeps, in that order.
	order []int
	view  []int

	cursor, offset int
	sortCol        int
	sortDesc       bool
	filter         filter
	// selected holds the names of the hosts selected with space; it
	// outlives filters and refreshes.
	selected map[string]bool

	width, height int
	// shown are the columns that fit the width; widths their widths.
	shown  []int
	widths [numCols]int
}

func newFleetView() fleetView {
	return fleetView{selected: map[string]bool{}}
}

// setRows replaces the rows (a load or a refresh), keeping the sort, the
// filter, the selection and the cursor's host where it still exists.
func (f *fleetView) setRows(rows []hostRow, tags map[string]map[string]string) {
	keep := f.currentName()
	f.rows, f.tags = rows, tags
	f.order = make([]int, len(rows))
	for i := range f.order {
		f.order[i] = i
	}
	names := make(map[string]bool, len(rows))
	f.widths = [numCols]int{}
	for i := range rows {
		names[rows[i].h.Name] = true
		for c := range numCols {
			f.widths[c] = max(f.widths[c], len(rows[i].cells[c]))
		}
	}
	for n := range f.selected {
		if !names[n] {
			delete(f.selected, n)
		}
	}
	for c := range numCols {
		lo := len(columns[c].title) + 1
		if c == colName || c == colGroups {
			f.widths[c] = clamp(f.widths[c], lo, columns[c].width)
		} else {
			f.widths[c] = max(columns[c].width, lo)
		}
	}
	f.layout()
	f.sortRows(keep)
}

// SetSize sets the area the view renders in: width cells, height lines
// (the column header included).
func (f *fleetView) SetSize(w, h int) {
	f.width, f.height = w, h
	f.layout()
	f.scroll()
}

// layout picks the columns that fit the width, leaving out the ones
// with the lowest priority first.
func (f *fleetView) layout() {
	f.shown = f.shown[:0]
	for c := range numCols {
		f.shown = append(f.shown, c)
	}
	total := func() int {
		t := 2
		for _, c := range f.shown {
			t += f.widths[c] + 1
		}
		return t - 1
	}
	for d := 1; f.width > 0 && total() > f.width && d <= 5; d++ {
		f.shown = slices.DeleteFunc(f.shown, func(c int) bool { return columns[c].drop == d })
	}
}

// pageSize is the number of rows on screen.
func (f *fleetView) pageSize() int { return max(f.height-1, 1) }

func (f *fleetView) currentName() string {
	if r := f.current(); r != nil {
		return r.h.Name
	}
	return ""
}

// current is the row under the cursor, nil when no row is shown.
func (f *fleetView) current() *hostRow {
	if f.cursor < 0 || f.cursor >= len(f.view) {
		return nil
	}
	return &f.rows[f.view[f.cursor]]
}

// setSort sorts by a column; the same column again reverses it.
func (f *fleetView) setSort(col int) {
	if col == f.sortCol {
		f.sortDesc = !f.sortDesc
	} else {
		f.sortCol, f.sortDesc = col, columns[col].desc
	}
	f.sortRows(f.currentName())
}

// nextSort moves the sort to the next column (s).
func (f *fleetView) nextSort() {
	c := (f.sortCol + 1) % numCols
	f.sortCol, f.sortDesc = c, columns[c].desc
	f.sortRows(f.currentName())
}

// reverse reverses the sort (S).
func (f *fleetView) reverse() {
	f.sortDesc = !f.sortDesc
	f.sortRows(f.currentName())
}

func (f *fleetView) sortRows(keep string) {
	col, desc := f.sortCol, f.sortDesc
	slices.SortStableFunc(f.order, func(a, b int) int { return compareRows(&f.rows[a], &f.rows[b], col, desc) })
	f.applyFilter(keep)
}

// setFilter filters the rows, keeping the cursor on its host when the
// host is still shown.
func (f *fleetView) setFilter(flt filter) {
	keep := f.currentName()
	f.filter = flt
	f.applyFilter(keep)
}

func (f *fleetView) applyFilter(keep string) {
	f.view = f.view[:0]
	for _, i := range f.order {
		if f.filter.empty() || f.filter.match(&f.rows[i], f.tags) {
			f.view = append(f.view, i)
		}
	}
	f.cursor = 0
	if keep != "" {
		for vi, i := range f.view {
			if f.rows[i].h.Name == keep {
				f.cursor = vi
				break
			}
		}
	}
	f.scroll()
}

// move moves the cursor by delta rows, within the shown rows.
func (f *fleetView) move(delta int) {
	f.cursor = clamp(f.cursor+delta, 0, len(f.view)-1)
	f.scroll()
}

// jump puts the cursor on a host by name; false when it is not shown.
func (f *fleetView) jump(name string) bool {
	for vi, i := range f.view {
		if f.rows[i].h.Name == name {
			f.cursor = vi
			f.scroll()
			return true
		}
	}
	return false
}

// scroll keeps the cursor inside the window of shown rows.
func (f *fleetView) scroll() {
	page := f.pageSize()
	if f.cursor < f.offset {
		f.offset = f.cursor
	}
	if f.cursor >= f.offset+page {
		f.offset = f.cursor - page + 1
	}
	f.offset = clamp(f.offset, 0, max(len(f.view)-page, 0))
}

// toggleSelect selects or unselects the host under the cursor and moves
// down, as in a file manager.
func (f *fleetView) toggleSelect() {
	r := f.current()
	if r == nil {
		return
	}
	if f.selected[r.h.Name] {
		delete(f.selected, r.h.Name)
	} else {
		f.selected[r.h.Name] = true
	}
	f.move(1)
}

// View renders the column header and the visible rows, height lines at
// most.
func (f *fleetView) View(st *Styles, b *strings.Builder) {
	var line strings.Builder
	line.WriteString("  ")
	for i, c := range f.shown {
		if i > 0 {
			line.WriteByte(' ')
		}
		title := columns[c].title
		if c == f.sortCol {
			if f.sortDesc {
				title += st.SortDesc
			} else {
				title += st.SortAsc
			}
		}
		line.WriteString(fit(title, f.widths[c], columns[c].right, st.Tail))
	}
	b.WriteString(st.render(st.ColHeader, clip(line.String(), f.width)))
	if len(f.view) == 0 {
		b.WriteString("\n  no host matches the filter")
		return
	}
	end := min(f.offset+f.pageSize(), len(f.view))
	for vi := f.offset; vi < end; vi++ {
		b.WriteByte('\n')
		f.renderRow(st, b, vi)
	}
}

func (f *fleetView) renderRow(st *Styles, b *strings.Builder, vi int) {
	r := &f.rows[f.view[vi]]
	cur := vi == f.cursor
	var line strings.Builder
	line.Grow(f.width + 16)
	if cur {
		line.WriteByte('>')
	} else {
		line.WriteByte(' ')
	}
	if f.selected[r.h.Name] {
		line.WriteByte('*')
	} else {
		line.WriteByte(' ')
	}
	for i, c := range f.shown {
		if i > 0 {
			line.WriteByte(' ')
		}
		cell := fit(r.cells[c], f.widths[c], columns[c].right, st.Tail)
		if c == colResult && !cur {
			cell = st.result(r.h.Result, cell)
		}
		line.WriteString(cell)
	}
	s := line.String()
	if cur && st.Color {
		s = st.Cursor.Render(fit(s, f.width, false, ""))
	} else {
		s = clip(s, f.width)
	}
	b.WriteString(s)
}

// position says where the cursor is ("12/40"), for the status line.
func (f *fleetView) position() string {
	if len(f.view) == 0 {
		return "0/" + strconv.Itoa(len(f.rows))
	}
	s := strconv.Itoa(f.cursor+1) + "/" + strconv.Itoa(len(f.view))
	if len(f.view) != len(f.rows) {
		s += " of " + strconv.Itoa(len(f.rows))
	}
	return s
}
