package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/fleetport/fleetport/internal/drift"
)

// mdEscaper escapes what would break a table cell or turn text into
// markup. Backslash escapes work for every ASCII punctuation character in
// GitHub-flavoured Markdown, and "\|" is a pipe even inside a table.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "|", `\|`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", `\<`, ">", `\>`, "&", `\&`, "~", `\~`, "#", `\#`,
)

// mdCell is s as Markdown text on one line.
func mdCell(s string) string {
	s = oneLine(cleanText(s))
	if s == "" {
		return "-"
	}
	return mdEscaper.Replace(s)
}

// mdCode is s as a code span, the fence longer than any run of backticks
// in s. It is not for table cells.
func mdCode(s string) string {
	s = oneLine(cleanText(s))
	fence := "`" + strings.Repeat("`", longestRun(s, '`'))
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

func longestRun(s string, c rune) int {
	best, n := 0, 0
	for _, r := range s {
		if r == c {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}

type mdWriter struct{ bytes.Buffer }

func (m *mdWriter) f(format string, args ...any) { fmt.Fprintf(&m.Buffer, format, args...) }

func (m *mdWriter) table(head []string, align []string, rows [][]string) {
	m.WriteString("| " + strings.Join(head, " | ") + " |\n|")
	for _, a := range align {
		m.WriteString(a + "|")
	}
	m.WriteByte('\n')
	for _, r := range rows {
		m.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	m.WriteByte('\n')
}

func writeMarkdown(w io.Writer, r *drift.Report, opts Options) error {
	byHost, _ := opts.byHost()
	v := newView(r)
	v.filter(opts)
	s := r.Summary
	m := &mdWriter{}

	m.f("# Drift report\n\n")
	m.f("Run %d, generated %s. **%s**: %d of %d hosts drift.\n\n", r.Run.ID, timeText(r.Generated), verdictWord(r), s.Results.Fail+s.Results.Pending, s.Hosts)
	if p := r.Provenance; p != nil {
		m.f("Made by fleetport %s from run %d; inventory %s; policies %s.\n\n", mdCell(p.Fleetport), p.Run, mdCode(orDash(p.Inventory)), mdCode(p.Policies))
	}

	m.f("## Summary\n\n")
	m.table([]string{"Hosts", "Fail", "Pending", "Unknown", "Waived", "Pass", "Not applicable", "Findings"},
		[]string{"---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"},
		[][]string{{fmt.Sprint(s.Hosts), fmt.Sprint(s.Results.Fail), fmt.Sprint(s.Results.Pending), fmt.Sprint(s.Results.Unknown),
			fmt.Sprint(s.Results.Waived), fmt.Sprint(s.Results.Pass), fmt.Sprint(s.Results.NotApplicable), fmt.Sprint(s.Findings)}})
	if len(s.BySeverity) > 0 || len(s.ByFix) > 0 || len(s.ByStatus) > 0 {
		var rows [][]string
		for _, k := range sortedKeys(s.BySeverity, severityNames()) {
			rows = append(rows, []string{"drift by severity", mdCell(k), fmt.Sprint(s.BySeverity[k])})
		}
		for _, k := range sortedKeys(s.ByFix, nil) {
			rows = append(rows, []string{"drift by fix", mdCell(k), fmt.Sprint(s.ByFix[k])})
		}
		for _, k := range sortedKeys(s.ByStatus, []string{"ok"}) {
			rows = append(rows, []string{"hosts by collection status", mdCell(k), fmt.Sprint(s.ByStatus[k])})
		}
		m.table([]string{"Breakdown", "Value", "Count"}, []string{"---", "---", "---:"}, rows)
	}

	if len(v.Policies) > 0 {
		var rows [][]string
		for _, p := range v.Policies {
			c := p.Hosts
			rows = append(rows, []string{mdCell(p.Name), mdCell(p.Severity.String()), fmt.Sprint(c.Fail), fmt.Sprint(c.Pending),
				fmt.Sprint(c.Unknown), fmt.Sprint(c.Waived), fmt.Sprint(c.Pass), fmt.Sprint(c.NotApplicable), mdCell(p.Description)})
		}
		m.f("## Policies\n\n")
		m.table([]string{"Policy", "Severity", "Fail", "Pending", "Unknown", "Waived", "Pass", "N/A", "Description"},
			[]string{"---", "---", "---:", "---:", "---:", "---:", "---:", "---:", "---"}, rows)
	}

	if byHost {
		mdByHost(m, v)
	} else {
		mdByPolicy(m, v)
	}

	if len(v.NotReached) > 0 {
		m.f("## Not reached, unknown for every policy\n\n")
		var rows [][]string
		for _, st := range v.notReachedByStatus() {
			names := make([]string, len(st.Hosts))
			for i, n := range st.Hosts {
				names[i] = mdCell(n)
			}
			rows = append(rows, []string{mdCell(st.Status), fmt.Sprint(len(st.Hosts)), strings.Join(names, ", "), mdCell(st.Error)})
		}
		m.table([]string{"Status", "Hosts", "Names", "Error (first host)"}, []string{"---", "---:", "---", "---"}, rows)
	}

	if problems := v.reachedProblems(); len(problems) > 0 {
		m.f("## Collection problems\n\n")
		var rows [][]string
		for _, h := range problems {
			rows = append(rows, []string{mdCell(h.Name), mdCell(h.Address), mdCell(h.Status.String()), mdCell(h.Result.String()), mdCell(h.Error)})
		}
		m.table([]string{"Host", "Address", "Status", "Result", "Error"}, []string{"---", "---", "---", "---", "---"}, rows)
	}

	if len(r.Waivers) > 0 {
		m.f("## Waivers\n\n")
		var rows [][]string
		for _, w := range r.Waivers {
			state := mdCell(w.State)
			if w.State != drift.WaiverActive {
				state = "**" + state + "**"
			}
			reason := w.Reason
			if w.Error != "" {
				reason = w.Error
			}
			rows = append(rows, []string{mdCell(w.Name), mdCell(w.Policy), state, mdCell(w.Until), fmt.Sprint(w.Waived), mdCell(w.Source), mdCell(reason)})
		}
		m.table([]string{"Waiver", "Policy", "State", "Until", "Waived", "Source", "Reason"}, []string{"---", "---", "---", "---", "---:", "---", "---"}, rows)
	}

	if c := r.Changes; c != nil {
		m.f("## Changes since run %d\n\n%s", c.Since.ID, c.Text())
		if !c.Since.Started.IsZero() {
			m.f(" (run %d started %s)", c.Since.ID, timeText(c.Since.Started))
		}
		m.f(".\n\n")
		if len(c.Items) > 0 {
			var rows [][]string
			for _, ch := range c.Items {
				rows = append(rows, []string{mdCell(ch.Kind), mdCell(ch.Finding.Host), mdCell(ch.Finding.Policy), mdCell(ch.Finding.Rule),
					mdCell(changeResult(ch)), mdCell(ch.Finding.Expected), mdCell(changeActual(ch))})
			}
			m.table([]string{"Change", "Host", "Policy", "Rule", "Result", "Expected", "Actual"},
				[]string{"---", "---", "---", "---", "---", "---", "---"}, rows)
		}
	}
	_, err := w.Write(m.Bytes())
	return err
}

func verdictWord(r *drift.Report) string {
	switch r.ExitCode() {
	case 2:
		return "Drift"
	case 3:
		return "Unknown"
	}
	return "OK"
}

func mdByPolicy(m *mdWriter, v *view) {
	m.f("## Findings by policy\n\n")
	shown := 0
	for _, g := range v.byPolicy() {
		// Hosts not reached are listed once, by status.
		if len(g.Rows) == 0 {
			continue
		}
		shown++
		p := g.Policy
		m.f("### %s (%s)\n\n", mdCode(p.Name), mdCell(p.Severity.String()))
		if p.Description != "" {
			m.f("%s\n\n", mdCell(p.Description))
		}
		if len(p.References) > 0 {
			refs := make([]string, len(p.References))
			for i, ref := range p.References {
				refs[i] = mdCell(ref)
			}
			m.f("References: %s\n\n", strings.Join(refs, "; "))
		}
		if len(g.Rows) > 0 {
			var rows [][]string
			for _, rw := range g.Rows {
				rows = append(rows, []string{mdCell(rw.Host.Name), mdRowResult(rw), mdCell(rw.Rule), mdCell(rw.Expected), mdCell(rw.Actual), mdCell(rw.Fix)})
			}
			m.table([]string{"Host", "Result", "Rule", "Expected", "Actual", "In effect"}, []string{"---", "---", "---", "---", "---", "---"}, rows)
		}
		mdEvidence(m, g.Rows, true)
	}
	if shown == 0 {
		m.f("No findings.\n\n")
	}
}

func mdByHost(m *mdWriter, v *view) {
	m.f("## Findings by host\n\n")
	groups := v.byHost()
	for _, g := range groups {
		h := g.Host
		m.f("### %s (%s)\n\n", mdCode(h.Name), mdCell(h.Result.String()))
		var facts []string
		facts = append(facts, "address "+mdCell(h.Address))
		if h.OS != "" {
			os := "Windows " + h.OS
			if h.Build > 0 {
				os += fmt.Sprintf(" (build %d)", h.Build)
			}
			facts = append(facts, mdCell(os))
		}
		if h.Locale != "" {
			facts = append(facts, "locale "+mdCell(h.Locale))
		}
		if h.Site != "" {
			facts = append(facts, "site "+mdCell(h.Site))
		}
		if len(h.Groups) > 0 {
			facts = append(facts, "groups "+mdCell(strings.Join(h.Groups, ", ")))
		}
		facts = append(facts, "collection "+mdCell(hostError(h)))
		m.f("%s.\n\n", strings.Join(facts, ", "))
		if len(g.Rows) > 0 {
			var rows [][]string
			for _, rw := range g.Rows {
				rows = append(rows, []string{mdCell(rw.Policy), mdCell(rw.Severity.String()), mdRowResult(rw), mdCell(rw.Rule),
					mdCell(rw.Expected), mdCell(rw.Actual), mdCell(rw.Fix)})
			}
			m.table([]string{"Policy", "Severity", "Result", "Rule", "Expected", "Actual", "In effect"},
				[]string{"---", "---", "---", "---", "---", "---", "---"}, rows)
		}
		mdEvidence(m, g.Rows, false)
	}
	if len(groups) == 0 {
		m.f("No findings.\n\n")
	}
}

// mdRowResult is a row's result, naming the waiver of a waived one.
func mdRowResult(rw row) string {
	if rw.Waiver != nil {
		return mdCell(rw.Result.String() + " (" + rw.Waiver.Name + " until " + rw.Waiver.Until + ")")
	}
	return mdResult(rw.Result)
}

func mdResult(r drift.Result) string {
	if r.IsDrift() {
		return "**" + r.String() + "**"
	}
	return r.String()
}

// mdEvidence writes the rows' evidence in a collapsed details section, a
// fenced code block per finding.
func mdEvidence(m *mdWriter, rows []row, withHost bool) {
	n := 0
	for _, rw := range rows {
		n += len(rw.Evidence)
	}
	if n == 0 {
		return
	}
	m.f("<details><summary>Evidence (%d %s)</summary>\n\n", n, plural(n, "line", "lines"))
	for _, rw := range rows {
		if len(rw.Evidence) == 0 {
			continue
		}
		if withHost {
			m.f("%s, %s:\n\n", mdCode(rw.Host.Name), mdCode(rw.Rule))
		} else {
			m.f("%s, %s:\n\n", mdCode(rw.Policy), mdCode(rw.Rule))
		}
		var body strings.Builder
		for _, e := range rw.Evidence {
			src := evidenceSource(e)
			if src != "" {
				src += ": "
			}
			body.WriteString(strings.TrimRight(flat(cleanText(src+capRunes(e.Text, maxEvidenceRunes))), " "))
			body.WriteByte('\n')
		}
		fence := strings.Repeat("`", max(3, longestRun(body.String(), '`')+1))
		m.f("%stext\n%s%s\n\n", fence, body.String(), fence)
	}
	m.f("</details>\n\n")
}
