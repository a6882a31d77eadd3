package pwsh

import (
	"io"
	"strings"
	"unicode/utf8"
)

// formatter is Out-Default: it turns pipeline objects into console text.
// Consecutive objects of one shape share a table or list, as the format
// engine groups them; the group is closed when another shape arrives or
// output ends.
type formatter struct {
	sh      *shell
	out     io.Writer // nil: the shell's stdout
	group   string
	pending []*object
}

func (f *formatter) w(text string) {
	if f.out != nil {
		_, _ = io.WriteString(f.out, text)
		return
	}
	f.sh.writeOut(text)
}

func (f *formatter) write(vs []value) {
	for _, v := range vs {
		f.writeOne(v, 0)
	}
}

func (f *formatter) writeOne(v value, depth int) {
	if f.sh.outXML && f.out == nil {
		f.sh.writeXMLObject(v)
		return
	}
	switch x := v.(type) {
	case nil:
		return
	case []value:
		if depth > 2 {
			f.flush()
			f.w(toStr(x) + "\r\n")
			return
		}
		for _, e := range x {
			f.writeOne(e, depth+1)
		}
	case *object:
		key := "tcp"
		if x.kind != kindTCP {
			names := make([]string, len(x.props))
			for i, p := range x.props {
				names[i] = strings.ToLower(p.name)
			}
			key = "custom:" + strings.Join(names, "\x00")
		}
		if f.group != key {
			f.flush()
			f.group = key
		}
		f.pending = append(f.pending, x)
	case *hashtable:
		f.flush()
		f.writeHashtable(x)
	case *errorRecord:
		f.flush()
		f.w(strings.Join(renderError(x, f.sh.psVersion, f.sh.width), "\r\n") + "\r\n")
	default:
		f.flush()
		lines := strings.Split(toStr(v), "\n")
		for i := range lines {
			lines[i] = strings.TrimSuffix(lines[i], "\r")
		}
		f.w(strings.Join(lines, "\r\n") + "\r\n")
	}
}

// flush writes the pending group.
func (f *formatter) flush() {
	objs := f.pending
	group := f.group
	f.pending, f.group = nil, ""
	if len(objs) == 0 {
		return
	}
	if group == "tcp" {
		f.writeTCPTable(objs)
		return
	}
	if len(objs[0].props) <= 4 {
		f.writeCustomTable(objs)
		return
	}
	f.writeList(objs)
}

// column is one table column.
type column struct {
	header string
	width  int
	right  bool
}

// tcpColumns is the table view of MSFT_NetTCPConnection in the NetTCPIP
// module's format file, with the widths Windows PowerShell 5.1 prints (corpus
// Get-NetTCPConnection-table-localport-askai.txt).
var tcpColumns = []column{
	{header: "LocalAddress", width: 35},
	{header: "LocalPort", width: 9},
	{header: "RemoteAddress", width: 35},
	{header: "RemotePort", width: 10},
	{header: "State", width: 11},
	{header: "AppliedSetting", width: 14},
	{header: "OwningProcess", width: 13},
}

func (f *formatter) writeTCPTable(objs []*object) {
	cols := append([]column(nil), tcpColumns...)
	rows := make([][]string, len(objs))
	for i, o := range objs {
		for _, c := range cols {
			v, _ := o.get(c.header)
			rows[i] = append(rows[i], toStr(v))
		}
	}
	f.w(renderTable(cols, rows, f.sh.width-1))
}

func (f *formatter) writeCustomTable(objs []*object) {
	cols := make([]column, len(objs[0].props))
	for i, p := range objs[0].props {
		cols[i] = column{header: p.name, width: utf8.RuneCountInString(p.name)}
	}
	rows := make([][]string, len(objs))
	for r, o := range objs {
		for i := range cols {
			var v value
			if i < len(o.props) {
				v = o.props[i].v
			}
			if r == 0 {
				cols[i].right = isNumeric(v)
			}
			s := toStr(v)
			rows[r] = append(rows[r], s)
			cols[i].width = max(cols[i].width, utf8.RuneCountInString(s))
		}
	}
	f.w(renderTable(cols, rows, f.sh.width-1))
}

func (f *formatter) writeList(objs []*object) {
	var b strings.Builder
	b.WriteString("\r\n")
	for _, o := range objs {
		w := 0
		for _, p := range o.props {
			w = max(w, utf8.RuneCountInString(p.name))
		}
		for _, p := range o.props {
			b.WriteString(p.name)
			b.WriteString(strings.Repeat(" ", w-utf8.RuneCountInString(p.name)))
			b.WriteString(" : ")
			b.WriteString(toStr(p.v))
			b.WriteString("\r\n")
		}
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	f.w(b.String())
}

// writeHashtable is the Name/Value table of a hashtable (the Name column of
// the DictionaryEntry view is 30 characters wide).
func (f *formatter) writeHashtable(h *hashtable) {
	cols := []column{{header: "Name", width: 30}, {header: "Value", width: 0}}
	var rows [][]string
	for i, k := range h.keys {
		rows = append(rows, []string{k, toStr(h.vals[i])})
	}
	f.w(renderTable(cols, rows, f.sh.width-1))
}

// renderTable lays a table out the way the 5.1 TableWriter does: column
// widths trimmed from the right to fit the screen (ColumnWidthManager,
// PowerShell repository), a dash line as long as each header, values cut
// with "..." when too long, the last column not padded, one blank line
// before and two after.
func renderTable(cols []column, rows [][]string, tableWidth int) string {
	widths := make([]int, len(cols))
	for i, c := range cols {
		widths[i] = c.width
	}
	fitColumns(widths, tableWidth)
	last := -1
	for i, w := range widths {
		if w > 0 {
			last = i
		}
	}
	line := func(cells []string, dashes bool) string {
		var b strings.Builder
		first := true
		for i, w := range widths {
			if w <= 0 {
				continue
			}
			if !first {
				b.WriteByte(' ')
			}
			first = false
			cell := ""
			if i < len(cells) {
				cell = cells[i]
			}
			if dashes {
				cell = strings.Repeat("-", utf8.RuneCountInString(cols[i].header))
			}
			b.WriteString(fitCell(cell, w, cols[i].right, i == last))
		}
		return b.String()
	}
	var b strings.Builder
	b.WriteString("\r\n")
	headers := make([]string, len(cols))
	for i, c := range cols {
		headers[i] = c.header
	}
	b.WriteString(line(headers, false))
	b.WriteString("\r\n")
	b.WriteString(line(nil, true))
	b.WriteString("\r\n")
	for _, r := range rows {
		b.WriteString(line(r, false))
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n\r\n")
	return b.String()
}

func fitCell(s string, w int, right, last bool) string {
	rs := []rune(strings.ReplaceAll(strings.ReplaceAll(s, "\r", ""), "\n", " "))
	if len(rs) > w {
		if w > 3 {
			rs = append(rs[:w-3], []rune("...")...)
		} else {
			rs = rs[:w]
		}
	}
	pad := strings.Repeat(" ", w-len(rs))
	if right {
		return pad + string(rs)
	}
	if last {
		return string(rs)
	}
	return string(rs) + pad
}

// fitColumns is ColumnWidthManager.CalculateColumnWidths with a separator
// of one and a minimum column width of one: unspecified (0) widths share the
// free space, then columns are shrunk or hidden (-1) from the right until
// the table fits.
func fitColumns(widths []int, tableWidth int) {
	total := func() int {
		sum, n := 0, 0
		for _, w := range widths {
			if w > 0 {
				sum += w
				n++
			}
		}
		return sum + max(n-1, 0)
	}
	var free []int
	for i, w := range widths {
		if w == 0 {
			widths[i] = 1
			free = append(free, i)
		}
	}
	if len(free) > 0 {
		avail := tableWidth - total()
		for avail > 0 {
			for _, i := range free {
				widths[i]++
				avail--
				if avail == 0 {
					break
				}
			}
		}
	}
	for {
		excess := total() - tableWidth
		if excess <= 0 {
			return
		}
		lastVisible := -1
		for i, w := range widths {
			if w < 0 {
				break
			}
			lastVisible = i
		}
		if lastVisible < 0 {
			return
		}
		if nw := widths[lastVisible] - excess; nw < 1 {
			widths[lastVisible] = -1
		} else {
			widths[lastVisible] = nw
		}
	}
}

// writeXMLObject writes one output object for -OutputFormat XML: the
// primitive CLIXML elements (S, I32, I64, Db, B, Nil); other objects are
// written as their string form [simplification: real PowerShell serialises
// them as <Obj> property bags].
func (s *shell) writeXMLObject(v value) {
	if !s.outXMLOn {
		s.outXMLOn = true
		s.writeOut(clixmlMarker + clixmlOpen)
	}
	switch x := v.(type) {
	case nil:
		s.writeOut("<Nil />")
	case int64:
		if x >= -1<<31 && x < 1<<31 {
			s.writeOut("<I32>" + toStr(x) + "</I32>")
		} else {
			s.writeOut("<I64>" + toStr(x) + "</I64>")
		}
	case float64:
		s.writeOut("<Db>" + toStr(x) + "</Db>")
	case bool:
		if x {
			s.writeOut("<B>true</B>")
		} else {
			s.writeOut("<B>false</B>")
		}
	case []value:
		for _, e := range x {
			s.writeXMLObject(e)
		}
	default:
		s.writeOut("<S>" + clixmlString(toStr(v)) + "</S>")
	}
}
