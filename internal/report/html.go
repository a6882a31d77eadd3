package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"

	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/policies"
)

//go:embed report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Parse(htmlSource))

// maxMatrixHosts caps the columns of the policy × host matrix: hosts that
// are not compliant come first, then the others, up to the cap.
const maxMatrixHosts = 500

type htmlPage struct {
	Provenance string
	Run        drift.RunInfo
	Generated  string
	Verdict    string
	VerdictCls string
	Summary    drift.Summary
	Cards      []htmlCard
	Donut      htmlDonut
	SevBars    htmlBars
	Breakdown  []htmlKV
	Policies   []htmlPolicy
	Matrix     htmlMatrix
	Hosts      []htmlHost
	Changes    *htmlChanges
}

type htmlCard struct {
	Label string
	N     int
	Class string
}

type htmlKV struct {
	Key, Value string
}

type htmlDonut struct {
	Total    int
	Segments []htmlSegment
	Label    string
}

type htmlSegment struct {
	Class, Label string
	N            int
	Dash, Offset string
}

type htmlBars struct {
	Height int
	Max    int
	Bars   []htmlBar
	Label  string
}

type htmlBar struct {
	Label, Class string
	N            int
	Y, TextY, W  int
	ValueX       int
}

type htmlPolicy struct {
	Name, Severity, Description, Source string
	References                          []string
	CrossFact                           bool
	Hosts                               drift.Counts
}

type htmlMatrix struct {
	Hosts   []htmlMatrixHost
	Rows    []htmlMatrixRow
	Omitted int
	Total   int
}

type htmlMatrixHost struct {
	Name, Anchor string
}

type htmlMatrixRow struct {
	Policy, Severity string
	Cells            []htmlCell
}

type htmlCell struct {
	Class, Symbol, Title, Anchor string
}

type htmlHost struct {
	Name, Anchor, Address, OS, Locale, Site, Groups string
	Status, Error, Result                           string
	StatusOK, NotReached                            bool
	Collected                                       string
	TimeWait, WildcardBinds                         int
	Findings                                        []htmlFinding
	Unknown                                         int
}

type htmlFinding struct {
	Policy, Severity, Result, Rule, Source string
	Expected, Actual, Fix                  string
	Waiver                                 string
	Evidence                               []htmlEvidence
}

type htmlEvidence struct {
	Source, Text string
}

type htmlChanges struct {
	Since        drift.RunInfo
	SinceStarted string
	Text         string
	Items        []htmlChange
}

type htmlChange struct {
	Kind, Host, Anchor, Policy, Rule, Result, Expected, Actual string
}

func writeHTML(w io.Writer, r *drift.Report) error {
	v := newView(r)
	s := r.Summary
	page := htmlPage{
		Provenance: provenanceText(r),
		Run:        r.Run,
		Generated:  timeText(r.Generated),
		Verdict:    verdictWord(r),
		VerdictCls: map[int]string{0: "pass", 2: "fail", 3: "unknown"}[r.ExitCode()],
		Summary:    s,
	}
	page.Cards = append(page.Cards, htmlCard{"hosts", s.Hosts, "hosts"})
	for _, res := range resultOrder {
		if res == drift.Waived && s.Results.Waived == 0 {
			continue
		}
		page.Cards = append(page.Cards, htmlCard{res.String(), countOf(s.Results, res), res.String()})
	}
	page.Cards = append(page.Cards, htmlCard{"findings", s.Findings, "findings"})
	page.Donut = hostDonut(s.Results)
	page.SevBars = severityBars(s.BySeverity)
	for _, k := range sortedKeys(s.ByFix, nil) {
		page.Breakdown = append(page.Breakdown, htmlKV{"drift fixed by " + cleanText(k), fmt.Sprint(s.ByFix[k])})
	}
	for _, k := range sortedKeys(s.ByStatus, []string{"ok"}) {
		page.Breakdown = append(page.Breakdown, htmlKV{"hosts collected " + cleanText(k), fmt.Sprint(s.ByStatus[k])})
	}
	for _, p := range v.Policies {
		refs := make([]string, len(p.References))
		for i, ref := range p.References {
			refs[i] = cleanText(ref)
		}
		page.Policies = append(page.Policies, htmlPolicy{Name: cleanText(p.Name), Severity: p.Severity.String(),
			Description: cleanText(p.Description), Source: cleanText(p.Source), References: refs, CrossFact: p.CrossFact, Hosts: p.Hosts})
	}

	anchors := hostAnchors(r)
	groups := v.byHost()
	detailed := map[*drift.HostReport]bool{}
	for _, g := range groups {
		detailed[g.Host] = true
		page.Hosts = append(page.Hosts, htmlHostOf(g, anchors[g.Host]))
	}
	page.Matrix = matrixOf(v, anchors, detailed)

	if c := r.Changes; c != nil {
		hc := &htmlChanges{Since: c.Since, Text: c.Text()}
		if !c.Since.Started.IsZero() {
			hc.SinceStarted = timeText(c.Since.Started)
		}
		byName := map[string]*drift.HostReport{}
		for i := range r.Hosts {
			byName[r.Hosts[i].Name] = &r.Hosts[i]
		}
		for _, ch := range c.Items {
			anchor := ""
			if h := byName[ch.Finding.Host]; h != nil && detailed[h] {
				anchor = anchors[h]
			}
			hc.Items = append(hc.Items, htmlChange{Kind: cleanText(ch.Kind), Host: cleanText(ch.Finding.Host), Anchor: anchor,
				Policy: cleanText(ch.Finding.Policy), Rule: cleanText(ch.Finding.Rule), Result: changeResult(ch),
				Expected: cleanText(ch.Finding.Expected), Actual: cleanText(changeActual(ch))})
		}
		page.Changes = hc
	}
	return htmlTemplate.Execute(w, page)
}

// hostAnchors gives each host a unique fragment id made of safe runes.
func hostAnchors(r *drift.Report) map[*drift.HostReport]string {
	out := map[*drift.HostReport]string{}
	used := map[string]bool{}
	for i := range r.Hosts {
		h := &r.Hosts[i]
		slug := strings.Map(func(c rune) rune {
			switch {
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
				return c
			case c >= 'A' && c <= 'Z':
				return c - 'A' + 'a'
			}
			return '-'
		}, h.Name)
		a := "host-" + slug
		for n := 2; used[a]; n++ {
			a = fmt.Sprintf("host-%s-%d", slug, n)
		}
		used[a] = true
		out[h] = a
	}
	return out
}

func htmlHostOf(g group, anchor string) htmlHost {
	h := g.Host
	hh := htmlHost{
		Name: cleanText(h.Name), Anchor: anchor, Address: cleanText(h.Address), Locale: cleanText(h.Locale), Site: cleanText(h.Site),
		Groups: cleanText(strings.Join(h.Groups, ", ")), Status: h.Status.String(), Error: cleanText(h.Error),
		Result: h.Result.String(), StatusOK: h.Status.String() == "ok", NotReached: notReached(h),
		TimeWait: h.TimeWait, WildcardBinds: h.WildcardBinds,
	}
	if h.OS != "" {
		hh.OS = "Windows " + cleanText(h.OS)
		if h.Build > 0 {
			hh.OS += fmt.Sprintf(" (build %d)", h.Build)
		}
	}
	if !h.Collected.IsZero() {
		hh.Collected = timeText(h.Collected)
	}
	if hh.NotReached {
		hh.Unknown = len(g.Rows)
		return hh
	}
	for _, rw := range g.Rows {
		f := htmlFinding{Policy: cleanText(rw.Policy), Severity: rw.Severity.String(), Result: rw.Result.String(),
			Rule: cleanText(rw.Rule), Source: cleanText(rw.Source), Expected: cleanText(rw.Expected), Actual: cleanText(rw.Actual), Fix: cleanText(rw.Fix)}
		if rw.Waiver != nil {
			f.Waiver = cleanText(rw.Waiver.Text())
		}
		for _, e := range rw.Evidence {
			src := evidenceSource(e)
			f.Evidence = append(f.Evidence, htmlEvidence{Source: cleanText(flat(src)), Text: evidenceHTMLText(e.Text)})
		}
		hh.Findings = append(hh.Findings, f)
	}
	return hh
}

// evidenceHTMLText is an evidence line as the HTML page shows it: capped,
// on one line, control characters replaced.
func evidenceHTMLText(s string) string {
	return strings.TrimRight(flat(cleanText(capRunes(s, maxEvidenceRunes))), " ")
}

var resultSymbols = map[drift.Result]string{
	drift.Fail: "✗", drift.Pending: "↻", drift.Unknown: "?", drift.Waived: "≈", drift.Pass: "✓", drift.NotApplicable: "–",
}

func matrixOf(v *view, anchors map[*drift.HostReport]string, detailed map[*drift.HostReport]bool) htmlMatrix {
	r := v.R
	m := htmlMatrix{Total: len(r.Hosts)}
	// Pick the hosts: not compliant first, then the others, up to the cap;
	// show them in report order.
	picked := make([]bool, len(r.Hosts))
	n := 0
	for pass := 0; pass < 2; pass++ {
		for i := range r.Hosts {
			bad := r.Hosts[i].Result != drift.Pass && r.Hosts[i].Result != drift.NotApplicable
			if n < maxMatrixHosts && !picked[i] && (pass == 1 || bad) {
				picked[i] = true
				n++
			}
		}
	}
	m.Omitted = len(r.Hosts) - n
	var hosts []*drift.HostReport
	for i := range r.Hosts {
		if picked[i] {
			h := &r.Hosts[i]
			hosts = append(hosts, h)
			a := ""
			if detailed[h] {
				a = anchors[h]
			}
			m.Hosts = append(m.Hosts, htmlMatrixHost{Name: cleanText(h.Name), Anchor: a})
		}
	}
	for _, p := range v.Policies {
		row := htmlMatrixRow{Policy: cleanText(p.Name), Severity: p.Severity.String()}
		for k, h := range hosts {
			vd, ok := verdictOf(h, p.Name)
			if !ok {
				row.Cells = append(row.Cells, htmlCell{Class: "none", Title: cleanText(h.Name + " · " + p.Name + ": no verdict")})
				continue
			}
			title := h.Name + " · " + p.Name + ": " + vd.Result.String()
			if vd.Reason != "" {
				title += " (" + vd.Reason + ")"
			}
			row.Cells = append(row.Cells, htmlCell{Class: vd.Result.String(), Symbol: resultSymbols[vd.Result],
				Title: cleanText(oneLine(title)), Anchor: m.Hosts[k].Anchor})
		}
		m.Rows = append(m.Rows, row)
	}
	return m
}

// hostDonut computes the donut of hosts by result. The template draws it
// on a circle of circumference 100 (r = 100/2π), so dash lengths are
// percentages and the first segment starts at the top (offset 25).
func hostDonut(c drift.Counts) htmlDonut {
	d := htmlDonut{}
	for _, r := range resultOrder {
		d.Total += countOf(c, r)
	}
	var parts []string
	acc := 0.0
	for _, r := range resultOrder {
		n := countOf(c, r)
		if r == drift.Waived && n == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%d %s", n, r))
		if n == 0 || d.Total == 0 {
			continue
		}
		pct := 100 * float64(n) / float64(d.Total)
		d.Segments = append(d.Segments, htmlSegment{Class: r.String(), Label: r.String(), N: n,
			Dash:   fmt.Sprintf("%.3f %.3f", pct, 100-pct),
			Offset: fmt.Sprintf("%.3f", 25-acc)})
		acc += pct
	}
	d.Label = fmt.Sprintf("Hosts by result: %s", strings.Join(parts, ", "))
	return d
}

// Bar chart geometry.
const (
	barTop    = 4
	barStep   = 26
	barHeight = 18
	barLeft   = 70
	barMaxW   = 210
)

func severityBars(by map[string]int) htmlBars {
	b := htmlBars{}
	keys := sortedKeys(by, nil)
	// Every severity, highest first, then any other key.
	var names []string
	for _, s := range severities {
		names = append(names, s.String())
	}
	for _, k := range keys {
		if _, err := policies.ParseSeverity(k); err != nil {
			names = append(names, k)
		}
	}
	for _, k := range names {
		b.Max = max(b.Max, by[k])
	}
	var parts []string
	for i, k := range names {
		n := by[k]
		w := 0
		if b.Max > 0 {
			w = int(math.Round(float64(barMaxW) * float64(n) / float64(b.Max)))
		}
		if n > 0 && w < 2 {
			w = 2
		}
		y := barTop + i*barStep
		b.Bars = append(b.Bars, htmlBar{Label: cleanText(k), Class: "sev-" + cleanText(k), N: n, Y: y, TextY: y + 13, W: w, ValueX: barLeft + w + 6})
		parts = append(parts, fmt.Sprintf("%d %s", n, k))
	}
	b.Height = barTop*2 + len(names)*barStep
	b.Label = "Findings by severity: " + strings.Join(parts, ", ")
	return b
}

// provenanceText is the report's provenance in one line, digests whole,
// or "" when it has none.
func provenanceText(r *drift.Report) string {
	p := r.Provenance
	if p == nil {
		return ""
	}
	s := fmt.Sprintf("fleetport %s · run %d", p.Fleetport, p.Run)
	if p.Inventory != "" {
		s += " · inventory " + p.Inventory
	}
	return cleanText(s + " · policies " + p.Policies)
}
