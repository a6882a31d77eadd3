package tui

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/policies"
)

// The fleet view's columns, in display order. The number keys 1..9 pick
// them in this order.
const (
	colName = iota
	colGroups
	colOS
	colStatus
	colFindings
	colResult
	colWild
	colTimeWait
	colCollected
	numCols
)

// column describes one column of the fleet view.
type column struct {
	title string
	// width is the widest the column gets; the name and groups columns
	// shrink to their widest value.
	width int
	right bool
	// desc is the direction the column sorts in first: worst or most
	// first for counts and results, A to Z for names.
	desc bool
	// drop orders the columns a narrow terminal leaves out (1 first);
	// 0 is never left out.
	drop int
	cmp  func(a, b *hostRow) int
}

var columns = [numCols]column{
	colName:      {title: "HOST", width: 24, cmp: func(a, b *hostRow) int { return 0 }},
	colGroups:    {title: "GROUPS", width: 12, drop: 2, cmp: func(a, b *hostRow) int { return strings.Compare(a.cells[colGroups], b.cells[colGroups]) }},
	colOS:        {title: "OS", width: 6, drop: 3, cmp: func(a, b *hostRow) int { return strings.Compare(a.h.OS, b.h.OS) }},
	colStatus:    {title: "STATUS", width: 11, drop: 5, cmp: func(a, b *hostRow) int { return strings.Compare(a.cells[colStatus], b.cells[colStatus]) }},
	colFindings:  {title: "C/H/M/L", width: 9, right: true, desc: true, cmp: func(a, b *hostRow) int { return slices.Compare(a.sev[:], b.sev[:]) }},
	colResult:    {title: "RESULT", width: 7, desc: true, cmp: func(a, b *hostRow) int { return cmp.Compare(a.h.Result, b.h.Result) }},
	colWild:      {title: "WILD", width: 4, right: true, desc: true, drop: 4, cmp: func(a, b *hostRow) int { return cmp.Compare(a.h.WildcardBinds, b.h.WildcardBinds) }},
	colTimeWait:  {title: "TW", width: 6, right: true, desc: true, cmp: func(a, b *hostRow) int { return cmp.Compare(a.h.TimeWait, b.h.TimeWait) }},
	colCollected: {title: "COLLECTED", width: 9, drop: 1, cmp: func(a, b *hostRow) int { return a.h.Collected.Compare(b.h.Collected) }},
}

// hostRow is one host of the fleet view with everything the view shows
// and sorts by computed once per load, so that rendering a row is string
// padding only.
type hostRow struct {
	h *drift.HostReport
	// lname is the lower-case name, for the substring filter.
	lname string
	// sev counts the host's drift (failed and pending findings) by
	// severity: critical, high, medium, low. Info findings are not
	// counted.
	sev   [4]int
	cells [numCols]string
}

func newHostRow(h *drift.HostReport) hostRow {
	r := hostRow{h: h, lname: strings.ToLower(h.Name)}
	for i := range h.Findings {
		f := &h.Findings[i]
		if !f.Result.IsDrift() {
			continue
		}
		switch f.Severity {
		case policies.SeverityCritical:
			r.sev[0]++
		case policies.SeverityHigh:
			r.sev[1]++
		case policies.SeverityMedium:
			r.sev[2]++
		case policies.SeverityLow:
			r.sev[3]++
		}
	}
	r.cells[colName] = h.Name
	r.cells[colGroups] = strings.Join(h.Groups, ",")
	r.cells[colOS] = h.OS
	if r.cells[colOS] == "" {
		r.cells[colOS] = "-"
	}
	r.cells[colStatus] = h.Status.String()
	if r.sev == [4]int{} {
		r.cells[colFindings] = "-"
	} else {
		r.cells[colFindings] = strconv.Itoa(r.sev[0]) + "/" + strconv.Itoa(r.sev[1]) + "/" + strconv.Itoa(r.sev[2]) + "/" + strconv.Itoa(r.sev[3])
	}
	r.cells[colResult] = resultLabel(h.Result)
	r.cells[colWild] = count(h.WildcardBinds)
	r.cells[colTimeWait] = count(h.TimeWait)
	r.cells[colCollected] = "-"
	if !h.Collected.IsZero() {
		r.cells[colCollected] = h.Collected.UTC().Format("15:04:05")
	}
	return r
}

// count shows a socket count; -1 (not collected) is "-".
func count(n int) string {
	if n < 0 {
		return "-"
	}
	return strconv.Itoa(n)
}

// resultLabel is a result as the views spell it ("n/a" for
// not-applicable, to fit a column).
func resultLabel(r drift.Result) string {
	if r == drift.NotApplicable {
		return "n/a"
	}
	return r.String()
}

// compareRows orders two rows by a column, then by name.
func compareRows(a, b *hostRow, col int, desc bool) int {
	c := columns[col].cmp(a, b)
	if desc {
		c = -c
	}
	if c != 0 {
		return c
	}
	c = strings.Compare(a.h.Name, b.h.Name)
	if desc && col == colName {
		c = -c
	}
	return c
}
