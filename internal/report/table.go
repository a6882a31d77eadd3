package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/policies"
)

// ANSI SGR parameters.
const (
	sgrBold    = "1"
	sgrDim     = "2"
	sgrRed     = "31"
	sgrBoldRed = "1;31"
	sgrGreen   = "32"
	sgrYellow  = "33"
	sgrMagenta = "35"
	sgrCyan    = "36"
	sgrGrey    = "90"
)

func severityColor(s policies.Severity) string {
	switch s {
	case policies.SeverityCritical:
		return sgrBoldRed
	case policies.SeverityHigh:
		return sgrRed
	case policies.SeverityMedium:
		return sgrYellow
	case policies.SeverityLow:
		return sgrCyan
	}
	return sgrDim
}

func resultColor(r drift.Result) string {
	switch r {
	case drift.Fail:
		return sgrRed
	case drift.Pending:
		return sgrMagenta
	case drift.Unknown:
		return sgrGrey
	case drift.Pass:
		return sgrGreen
	case drift.Waived:
		return sgrCyan
	}
	return sgrDim
}

// seg is a piece of a terminal line with its colour ("" for none).
type seg struct{ text, sgr string }

// termWriter writes lines that never exceed the width, coloured only when
// asked.
type termWriter struct {
	buf   bytes.Buffer
	width int
	color bool
}

// line writes the segments as one line, cut to the width.
func (t *termWriter) line(segs ...seg) {
	left := t.width
	for _, s := range segs {
		if left <= 0 {
			break
		}
		text := truncate(flat(s.text), left)
		left -= textWidth(text)
		if t.color && s.sgr != "" && strings.TrimSpace(text) != "" {
			trimmed := strings.TrimRight(text, " ")
			t.buf.WriteString("\x1b[" + s.sgr + "m" + trimmed + "\x1b[0m" + text[len(trimmed):])
		} else {
			t.buf.WriteString(text)
		}
	}
	// No trailing blanks.
	b := t.buf.Bytes()
	i := len(b)
	for i > 0 && b[i-1] == ' ' {
		i--
	}
	t.buf.Truncate(i)
	t.buf.WriteByte('\n')
}

func (t *termWriter) blank() { t.buf.WriteByte('\n') }

// column is one column of a sub-table.
type column struct {
	head string
	min  int
}

// fitWidths returns the column widths: each column's widest cell, the
// widest columns cut down (never below their minimum) until the columns
// and their two-space gaps fit avail.
func fitWidths(cols []column, cells [][]string, avail int) []int {
	w := make([]int, len(cols))
	for i, c := range cols {
		w[i] = textWidth(c.head)
	}
	for _, r := range cells {
		for i := range cols {
			if n := textWidth(oneLine(r[i])); n > w[i] {
				w[i] = n
			}
		}
	}
	avail -= 2 * (len(cols) - 1)
	for {
		sum, widest := 0, -1
		for i := range w {
			sum += w[i]
			if w[i] > cols[i].min && (widest < 0 || w[i] > w[widest]) {
				widest = i
			}
		}
		if sum <= avail || widest < 0 {
			return w
		}
		w[widest]--
	}
}

// subTable writes a header and rows, indented, fitted to the width.
// colorOf gives the colour of a cell ("" for none). after, when set, is
// called after each row (for evidence lines).
func (t *termWriter) subTable(indent int, cols []column, cells [][]string, colorOf func(r, c int) string, after func(r int)) {
	w := fitWidths(cols, cells, t.width-indent)
	prefix := strings.Repeat(" ", indent)
	head := []seg{{prefix, ""}}
	for i, c := range cols {
		head = append(head, seg{pad(c.head, w[i]) + gap(i, len(cols)), sgrBold})
	}
	t.line(head...)
	for r, cells := range cells {
		segs := []seg{{prefix, ""}}
		for i := range cols {
			segs = append(segs, seg{pad(oneLine(cells[i]), w[i]) + gap(i, len(cols)), colorOf(r, i)})
		}
		t.line(segs...)
		if after != nil {
			after(r)
		}
	}
}

func gap(i, n int) string {
	if i < n-1 {
		return "  "
	}
	return ""
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

func writeTable(w io.Writer, r *drift.Report, opts Options) error {
	byHost, _ := opts.byHost()
	t := &termWriter{width: opts.width(), color: opts.Color}
	v := newView(r)
	v.filter(opts)
	s := r.Summary

	// Header.
	t.line(seg{"fleetport drift report", sgrBold}, seg{fmt.Sprintf(" · run %d · %s", r.Run.ID, timeText(r.Generated)), ""})
	if p := r.Provenance; p != nil {
		t.line(seg{p.Short(), sgrDim})
	}
	hosts := []seg{{fmt.Sprintf("hosts %d: ", s.Hosts), ""}}
	for _, res := range resultOrder {
		if res == drift.Waived && s.Results.Waived == 0 {
			continue // a fleet without waivers reads as before
		}
		if len(hosts) > 1 {
			hosts = append(hosts, seg{", ", ""})
		}
		hosts = append(hosts, seg{fmt.Sprintf("%d %s", countOf(s.Results, res), res), resultColor(res)})
	}
	hosts = append(hosts, seg{" · " + findingsText(s), ""})
	t.line(hosts...)
	if len(s.BySeverity) > 0 {
		segs := []seg{{"drift by severity: ", ""}}
		for i, k := range sortedKeys(s.BySeverity, severityNames()) {
			if i > 0 {
				segs = append(segs, seg{", ", ""})
			}
			sev, _ := policies.ParseSeverity(k)
			segs = append(segs, seg{fmt.Sprintf("%d %s", s.BySeverity[k], k), severityColor(sev)})
		}
		t.line(segs...)
	}
	if len(s.ByStatus) > 0 {
		var parts []string
		for _, k := range sortedKeys(s.ByStatus, []string{"ok"}) {
			parts = append(parts, fmt.Sprintf("%d %s", s.ByStatus[k], k))
		}
		t.line(seg{"collection: " + strings.Join(parts, ", "), ""})
	}

	// Findings.
	shown := 0
	switch {
	case opts.Summary:
	case byHost:
		shown = tableByHost(t, v, opts.Verbose)
	default:
		shown = tableByPolicy(t, v, opts.Verbose)
	}
	if shown == 0 && !opts.Summary {
		t.blank()
		t.line(seg{"No findings.", sgrGreen})
	}

	// Hosts not reached: unknown for every policy, one line per status.
	if len(v.NotReached) > 0 {
		t.blank()
		t.line(seg{fmt.Sprintf("Not reached, unknown for every policy (%d %s)", len(v.NotReached), plural(len(v.NotReached), "host", "hosts")), sgrBold})
		for _, st := range v.notReachedByStatus() {
			t.line(seg{"  " + st.Status, sgrGrey}, seg{fmt.Sprintf("  %d: %s", len(st.Hosts), strings.Join(st.Hosts, ", ")), ""})
			if st.Error != "" {
				t.line(seg{"    " + st.Error, sgrDim})
			}
		}
	}

	// Hosts reached whose collection did not end well.
	if problems := v.reachedProblems(); len(problems) > 0 {
		t.blank()
		t.line(seg{fmt.Sprintf("Collection problems (%d hosts)", len(problems)), sgrBold})
		var cells [][]string
		for _, h := range problems {
			cells = append(cells, []string{h.Name, h.Status.String(), h.Result.String(), orDash(h.Error)})
		}
		t.subTable(2, []column{{"HOST", 8}, {"STATUS", 7}, {"RESULT", 7}, {"ERROR", 10}}, cells, func(r, c int) string {
			if c == 2 {
				return resultColor(problems[r].Result)
			}
			return ""
		}, nil)
	}

	// The waivers: what each accepted, and the expired ones.
	tableWaivers(t, r)

	// Changes since an earlier run.
	if c := r.Changes; c != nil {
		t.blank()
		t.line(seg{fmt.Sprintf("Since run %d: %s", c.Since.ID, c.Text()), sgrBold})
		if len(c.Items) > 0 && !opts.Summary {
			var cells [][]string
			for _, ch := range c.Items {
				cells = append(cells, []string{ch.Kind, ch.Finding.Host, ch.Finding.Policy, ch.Finding.Rule, changeResult(ch), changeActual(ch)})
			}
			t.subTable(2, []column{{"KIND", 5}, {"HOST", 8}, {"POLICY", 10}, {"RULE", 10}, {"RESULT", 7}, {"ACTUAL", 10}}, cells, func(r, col int) string {
				switch col {
				case 0:
					switch c.Items[r].Kind {
					case drift.ChangeNew, drift.ChangeUnwaived:
						return sgrRed
					case drift.ChangeFixed:
						return sgrGreen
					case drift.ChangeWaived:
						return sgrCyan
					}
					return sgrYellow
				case 4:
					return resultColor(c.Items[r].Finding.Result)
				}
				return ""
			}, nil)
		}
	}

	// The one-line summary.
	t.blank()
	t.line(summaryLine(r)...)
	if _, err := w.Write(t.buf.Bytes()); err != nil {
		return err
	}
	return nil
}

func summaryLine(r *drift.Report) []seg {
	s := r.Summary
	c := s.Results
	var head seg
	switch r.ExitCode() {
	case 2:
		head = seg{"DRIFT", sgrBoldRed}
	case 3:
		head = seg{"UNKNOWN", sgrGrey}
	default:
		head = seg{"OK", sgrGreen}
	}
	waived := ""
	if c.Waived > 0 {
		waived = fmt.Sprintf(", %d waived", c.Waived)
	}
	return []seg{head, {fmt.Sprintf(": %d of %d hosts drift (%d fail, %d pending), %d unknown%s, %d pass, %d not applicable; %s",
		c.Fail+c.Pending, s.Hosts, c.Fail, c.Pending, c.Unknown, waived, c.Pass, c.NotApplicable, findingsText(s)), ""}}
}

// tableWaivers lists the report's waivers: state, date, what each waived,
// where it is declared and why.
func tableWaivers(t *termWriter, r *drift.Report) {
	if len(r.Waivers) == 0 {
		return
	}
	n := map[string]int{}
	for _, w := range r.Waivers {
		n[w.State]++
	}
	var parts []string
	for _, st := range []string{drift.WaiverActive, drift.WaiverExpired, drift.WaiverInvalid} {
		if n[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[st], st))
		}
	}
	t.blank()
	t.line(seg{fmt.Sprintf("Waivers (%s)", strings.Join(parts, ", ")), sgrBold})
	cells := make([][]string, len(r.Waivers))
	for i, w := range r.Waivers {
		reason := w.Reason
		if w.Error != "" {
			reason = w.Error
		}
		cells[i] = []string{w.Name, w.Policy, w.State, w.Until, fmt.Sprint(w.Waived), w.Source, reason}
	}
	t.subTable(2, []column{{"WAIVER", 8}, {"POLICY", 10}, {"STATE", 6}, {"UNTIL", 10}, {"WAIVED", 6}, {"SOURCE", 10}, {"REASON", 10}}, cells,
		func(row, c int) string {
			if c == 2 && r.Waivers[row].State != drift.WaiverActive {
				return sgrRed
			}
			return ""
		}, nil)
}

// findingsText counts the findings as drift and unknown: a host not
// reached makes unknowns, not drift.
func findingsText(s drift.Summary) string {
	n := 0
	for _, v := range s.BySeverity {
		n += v
	}
	out := fmt.Sprintf("%d drift findings", n)
	if s.Waived > 0 {
		out += fmt.Sprintf(", %d waived", s.Waived)
	}
	if u := s.Findings - n - s.Waived; u > 0 {
		out += fmt.Sprintf(", %d unknown", u)
	}
	return out
}

func tableByPolicy(t *termWriter, v *view, verbose bool) int {
	shown := 0
	for _, g := range v.byPolicy() {
		// Hosts not reached are listed once, by status (see
		// writeTable), not under every policy.
		if len(g.Rows) == 0 {
			continue
		}
		shown++
		p := g.Policy
		t.blank()
		t.line(seg{strings.ToUpper(p.Severity.String()), severityColor(p.Severity)}, seg{"  " + p.Name, sgrBold},
			seg{"  " + countsText(p.Hosts), ""})
		if p.Description != "" {
			t.line(seg{"  " + p.Description, sgrDim})
		}
		if len(g.Rows) > 0 {
			cells := make([][]string, len(g.Rows))
			for i, rw := range g.Rows {
				cells[i] = []string{rw.Host.Name, rw.Result.String(), orDash(rw.Rule), orDash(rw.Expected), orDash(rw.Actual), orDash(rw.Fix)}
			}
			t.subTable(2, []column{{"HOST", 8}, {"RESULT", 7}, {"RULE", 10}, {"EXPECTED", 10}, {"ACTUAL", 10}, {"IN EFFECT", 9}}, cells,
				func(r, c int) string {
					if c == 1 {
						return resultColor(g.Rows[r].Result)
					}
					return ""
				}, evidenceLines(t, g.Rows, verbose))
		}
	}
	return shown
}

func tableByHost(t *termWriter, v *view, verbose bool) int {
	groups := v.byHost()
	for _, g := range groups {
		h := g.Host
		t.blank()
		head := []seg{{h.Name, sgrBold}, {"  " + h.Address, ""}}
		if h.OS != "" {
			head = append(head, seg{"  Windows " + h.OS, ""})
		}
		head = append(head, seg{"  ", ""}, seg{strings.ToUpper(h.Result.String()), resultColor(h.Result)})
		t.line(head...)
		if h.Status.String() != "ok" {
			t.line(seg{"  collection " + hostError(h), sgrGrey})
		}
		if notReached(h) {
			if n := len(g.Rows); n > 0 {
				t.line(seg{fmt.Sprintf("  %d %s unknown", n, plural(n, "policy", "policies")), sgrGrey})
			}
			continue
		}
		if len(g.Rows) == 0 {
			continue
		}
		cells := make([][]string, len(g.Rows))
		for i, rw := range g.Rows {
			cells[i] = []string{rw.Policy, rw.Severity.String(), rw.Result.String(), orDash(rw.Rule), orDash(rw.Expected), orDash(rw.Actual), orDash(rw.Fix)}
		}
		t.subTable(2, []column{{"POLICY", 10}, {"SEVERITY", 4}, {"RESULT", 7}, {"RULE", 10}, {"EXPECTED", 8}, {"ACTUAL", 8}, {"IN EFFECT", 9}}, cells,
			func(r, c int) string {
				switch c {
				case 1:
					return severityColor(g.Rows[r].Severity)
				case 2:
					return resultColor(g.Rows[r].Result)
				}
				return ""
			}, evidenceLines(t, g.Rows, verbose))
	}
	return len(groups)
}

// evidenceLines writes, under a row, the waiver of a waived one and, when
// verbose, the evidence.
func evidenceLines(t *termWriter, rows []row, verbose bool) func(int) {
	return func(r int) {
		if w := rows[r].Waiver; w != nil {
			t.line(seg{"      ≈ ", sgrCyan}, seg{w.Text(), sgrDim})
		}
		if !verbose {
			return
		}
		for _, e := range rows[r].Evidence {
			src := evidenceSource(e)
			if src != "" {
				src += "  "
			}
			t.line(seg{"      > ", sgrDim}, seg{src, sgrDim}, seg{strings.TrimSpace(capRunes(e.Text, maxEvidenceRunes)), ""})
		}
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
