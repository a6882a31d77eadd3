package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/policies"
)

//go:embed report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Parse(htmlSource))

// The HTML page stays short on any fleet: every host is folded to one
// line, hosts come in folded sets by their worst severity, and only the
// first sets, up to openHosts hosts, are open when the page loads. The
// matrix has a column per inventory group, up to maxMatrixGroups (the
// groups with the most hosts failing first); the other groups share one
// column.
const (
	openHosts       = 60
	maxMatrixGroups = 24
	// summaryNames is how many host names a folded line shows before
	// "…"; the whole list is inside.
	summaryNames = 8
)

// noGroup is the matrix column of hosts in no inventory group.
const noGroup = "(no group)"

type htmlPage struct {
	Provenance *drift.Provenance
	Run        drift.RunInfo
	Generated  string
	Verdict    string
	VerdictCls string
	Statuses   []htmlStatus
	Cards      []htmlCard
	Donut      htmlDonut
	SevBars    htmlBars
	Breakdown  []htmlKV
	Matrix     htmlMatrix
	Policies   []htmlPolicy
	HostCount  int
	Buckets    []htmlBucket
	Unreached  []htmlUnreached
	Changes    *htmlChanges
}

// htmlStatus is a result as the page shows it: its name (also its CSS
// class, st-NAME), a symbol for the matrix and what it means.
type htmlStatus struct {
	Name, Class, Symbol, Meaning string
	N                            int // hosts whose roll-up it is
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

// htmlCount is one status's count in a matrix cell or a summary line.
type htmlCount struct {
	Class, Name, Symbol string
	N                   int
}

type htmlMatrix struct {
	Groups []htmlGroupCol
	Rows   []htmlMatrixRow
	// Other is the number of groups sharing the last column.
	Other int
}

type htmlGroupCol struct {
	Name           string
	Hosts, Failing int
}

type htmlMatrixRow struct {
	Policy, Severity, Anchor, Description string
	All                                   htmlCell
	Cells                                 []htmlCell
}

type htmlCell struct {
	Class, Title, Anchor string
	Counts               []htmlCount
}

// htmlPolicy is a policy's drill-down: what it checks, and the hosts it
// did not pass on, by matrix column.
type htmlPolicy struct {
	Name, Anchor, Severity, Description, Source string
	References                                  []string
	CrossFact                                   bool
	Counts                                      []htmlCount
	Total                                       int
	Groups                                      []htmlDrill
}

type htmlDrill struct {
	Anchor, Group string
	Lists         []htmlHostList
}

type htmlHostList struct {
	Class, Status string
	Hosts         []htmlHostRef
}

type htmlHostRef struct {
	Name, Anchor string
}

// htmlBucket is the hosts whose worst drift has one severity, worst
// host first.
type htmlBucket struct {
	Title, Class string
	Open         bool
	Hosts        []htmlHost
	First        string // the first names, for the folded line
}

type htmlHost struct {
	Name, Anchor, Address, OS, Locale, Site, Groups string
	Status, Error, Result, ResultCls, Worst         string
	StatusOK                                        bool
	Collected                                       string
	TimeWait, WildcardBinds                         int
	Counts                                          []htmlCount
	PolicyNames                                     string
	Search                                          string
	Findings                                        []htmlFinding
}

type htmlFinding struct {
	Policy, Severity, Result, ResultCls, Rule, Source string
	Expected, Actual, Fix                             string
	Waiver                                            string
	Evidence                                          []htmlEvidence
}

type htmlEvidence struct {
	Source, Text string
}

// htmlUnreached is one line for the hosts not reached with one status.
type htmlUnreached struct {
	Status, Anchor, Error, First string
	Hosts                        []htmlUnreachedHost
}

type htmlUnreachedHost struct {
	Name, Anchor, Search string
}

type htmlChanges struct {
	Since        drift.RunInfo
	SinceStarted string
	Text         string
	Open         bool
	Kinds        []htmlChangeKind
	NotCompared  []string
	NCFirst      string
}

type htmlChangeKind struct {
	Kind  string
	Items []htmlChange
}

type htmlChange struct {
	Kind, Host, Anchor, Policy, Rule, Result, Expected, Actual string
}

// statusMeanings say what each result means, for the legend.
var statusMeanings = map[drift.Result]string{
	drift.Fail:          "drift",
	drift.Pending:       "compliant once a restart or reboot puts it in effect",
	drift.Unknown:       "could not be told (not reached, output not read); never compliant",
	drift.Pass:          "compliant",
	drift.NotApplicable: "the policy does not apply to the host",
	drift.Waived:        "drift a live waiver accepts, with its reason and end; not drift for the exit code",
}

var resultSymbols = map[drift.Result]string{
	drift.Fail: "✗", drift.Pending: "↻", drift.Unknown: "?", drift.Waived: "≈", drift.Pass: "✓", drift.NotApplicable: "–",
}

// statusClass is the CSS class of a result: st-NAME, made of safe runes
// whatever the name.
func statusClass(r drift.Result) string { return "st-" + slug(r.String()) }

func symbolOf(r drift.Result) string {
	if s, ok := resultSymbols[r]; ok {
		return s
	}
	name := r.String()
	if name == "" {
		return "·"
	}
	c, _ := utf8.DecodeRuneInString(name)
	return strings.ToUpper(string(c))
}

// pageStatuses lists the results the page can show, in resultOrder
// (worst first), then any other result the report holds, in the order of
// their values, worst first.
func pageStatuses(r *drift.Report) []drift.Result {
	out := append([]drift.Result(nil), resultOrder...)
	if r.Summary.Results.Waived == 0 && r.Summary.Waived == 0 {
		// A report without waived drift reads as before.
		out = slices.DeleteFunc(out, func(res drift.Result) bool { return res == drift.Waived })
	}
	var extra []drift.Result
	add := func(res drift.Result) {
		if !slices.Contains(out, res) && !slices.Contains(extra, res) {
			extra = append(extra, res)
		}
	}
	for i := range r.Hosts {
		h := &r.Hosts[i]
		add(h.Result)
		for _, vd := range h.Verdicts {
			add(vd.Result)
		}
		for _, f := range h.Findings {
			add(f.Result)
		}
	}
	sort.Slice(extra, func(i, j int) bool { return extra[i] > extra[j] })
	return append(out, extra...)
}

// tally counts results, keyed by result.
type tally map[drift.Result]int

// counts lists the non-zero counts in the page's status order, leaving
// out the results in skip.
func (t tally) counts(order []drift.Result, skip ...drift.Result) []htmlCount {
	var out []htmlCount
	for _, res := range order {
		if n := t[res]; n > 0 && !slices.Contains(skip, res) {
			out = append(out, htmlCount{Class: statusClass(res), Name: res.String(), Symbol: symbolOf(res), N: n})
		}
	}
	return out
}

func (t tally) total() int {
	n := 0
	for _, c := range t {
		n += c
	}
	return n
}

func countWords(cs []htmlCount) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%d %s", c.N, c.Name)
	}
	return strings.Join(parts, ", ")
}

// listed reports whether hosts with this result are listed in a drill-down:
// every result but pass and not-applicable.
func listed(res drift.Result) bool { return res != drift.Pass && res != drift.NotApplicable }

func writeHTML(w io.Writer, r *drift.Report) error {
	v := newView(r)
	s := r.Summary
	order := pageStatuses(r)
	page := htmlPage{
		Provenance: r.Provenance,
		Run:        r.Run,
		Generated:  timeText(r.Generated),
		Verdict:    verdictWord(r),
		VerdictCls: map[int]string{0: statusClass(drift.Pass), 2: statusClass(drift.Fail), 3: statusClass(drift.Unknown)}[r.ExitCode()],
	}
	hostResults := tally{}
	for i := range r.Hosts {
		hostResults[r.Hosts[i].Result]++
	}
	for _, res := range order {
		page.Statuses = append(page.Statuses, htmlStatus{Name: res.String(), Class: statusClass(res), Symbol: symbolOf(res),
			Meaning: statusMeanings[res], N: hostResults[res]})
	}
	page.Cards = append(page.Cards, htmlCard{"hosts", s.Hosts, "total"})
	for _, st := range page.Statuses {
		page.Cards = append(page.Cards, htmlCard{st.Name, st.N, "st " + st.Class})
	}
	page.Cards = append(page.Cards, htmlCard{"findings", s.Findings, "total"})
	page.Donut = hostDonut(hostResults, order)
	page.SevBars = severityBars(s.BySeverity)
	for _, k := range sortedKeys(s.ByFix, nil) {
		page.Breakdown = append(page.Breakdown, htmlKV{fixWordsOf(k), fmt.Sprint(s.ByFix[k])})
	}
	for _, k := range sortedKeys(s.ByStatus, []string{"ok"}) {
		page.Breakdown = append(page.Breakdown, htmlKV{"hosts collected " + cleanText(k), fmt.Sprint(s.ByStatus[k])})
	}

	anchors := hostAnchors(r)
	page.Unreached = unreachedLines(v, anchors)
	page.Buckets, page.HostCount = hostBuckets(v, anchors, order)
	page.Matrix, page.Policies = matrixOf(v, anchors, order)

	if c := r.Changes; c != nil {
		// A change links to its host when the page shows the host.
		shown := map[string]bool{}
		for _, b := range page.Buckets {
			for _, h := range b.Hosts {
				shown[h.Anchor] = true
			}
		}
		for _, u := range page.Unreached {
			for _, h := range u.Hosts {
				shown[h.Anchor] = true
			}
		}
		page.Changes = htmlChangesOf(r, c, anchors, shown)
	}
	return htmlTemplate.Execute(w, page)
}

// breakdownFix names the drift of one kind of fix, for the breakdown.
var breakdownFix = map[drift.Fix]string{
	drift.FixNone:           "drift fixed at once",
	drift.FixServiceRestart: "drift fixed after a restart",
	drift.FixReboot:         "drift fixed after a reboot",
	drift.FixNewProcesses:   "drift fixed for new processes",
	drift.FixManual:         "drift needing a manual fix",
}

func fixWordsOf(k string) string {
	if w := breakdownFix[drift.Fix(k)]; w != "" {
		return w
	}
	return "drift fixed by " + cleanText(k)
}

func slug(s string) string {
	return strings.Map(func(c rune) rune {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
			return c
		case c >= 'A' && c <= 'Z':
			return c - 'A' + 'a'
		}
		return '-'
	}, s)
}

// hostAnchors gives each host a unique fragment id made of safe runes.
func hostAnchors(r *drift.Report) map[*drift.HostReport]string {
	out := map[*drift.HostReport]string{}
	used := map[string]bool{}
	for i := range r.Hosts {
		h := &r.Hosts[i]
		s := slug(h.Name)
		a := "host-" + s
		for n := 2; used[a]; n++ {
			a = fmt.Sprintf("host-%s-%d", s, n)
		}
		used[a] = true
		out[h] = a
	}
	return out
}

// firstNames is the first names of a list and "…" when there are more.
func firstNames(names []string) string {
	if len(names) <= summaryNames {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:summaryNames], ", ") + ", …"
}

// unreachedLines are the hosts not reached, one line per status, the
// largest group first.
func unreachedLines(v *view, anchors map[*drift.HostReport]string) []htmlUnreached {
	byName := map[string]*drift.HostReport{}
	for _, h := range v.NotReached {
		byName[h.Name] = h
	}
	var out []htmlUnreached
	for _, g := range v.notReachedByStatus() {
		u := htmlUnreached{Status: cleanText(g.Status), Anchor: "unreached-" + slug(g.Status), Error: cleanText(oneLine(g.Error))}
		names := make([]string, len(g.Hosts))
		for i, name := range g.Hosts {
			h := byName[name]
			names[i] = cleanText(name)
			u.Hosts = append(u.Hosts, htmlUnreachedHost{Name: names[i], Anchor: anchors[h],
				Search: cleanText(strings.ToLower(name + " " + strings.Join(h.Groups, " ") + " " + g.Status))})
		}
		u.First = firstNames(names)
		out = append(out, u)
	}
	return out
}

// hostRank orders hosts worst first: the severity of their worst drift,
// the drift findings at that severity, all drift findings, the other
// findings, then the name.
type hostRank struct {
	worst                policies.Severity
	drifting             bool
	atWorst, drift, rest int
}

func rankOf(rows []row) hostRank {
	var k hostRank
	for _, rw := range rows {
		if !rw.Result.IsDrift() {
			k.rest++
			continue
		}
		k.drift++
		switch {
		case !k.drifting || rw.Severity > k.worst:
			k.drifting, k.worst, k.atWorst = true, rw.Severity, 1
		case rw.Severity == k.worst:
			k.atWorst++
		}
	}
	return k
}

func (a hostRank) before(b hostRank) (less, decided bool) {
	switch {
	case a.drifting != b.drifting:
		return a.drifting, true
	case a.worst != b.worst:
		return a.worst > b.worst, true
	case a.atWorst != b.atWorst:
		return a.atWorst > b.atWorst, true
	case a.drift != b.drift:
		return a.drift > b.drift, true
	case a.rest != b.rest:
		return a.rest > b.rest, true
	}
	return false, false
}

// hostBuckets folds the reached hosts that have findings or a collection
// problem into sets by the severity of their worst drift, worst host
// first, and returns them with the number of hosts.
func hostBuckets(v *view, anchors map[*drift.HostReport]string, order []drift.Result) ([]htmlBucket, int) {
	type ranked struct {
		g group
		k hostRank
	}
	var hosts []ranked
	for _, g := range v.byHost() {
		if notReached(g.Host) {
			continue
		}
		hosts = append(hosts, ranked{g, rankOf(g.Rows)})
	}
	sort.SliceStable(hosts, func(i, j int) bool {
		if less, ok := hosts[i].k.before(hosts[j].k); ok {
			return less
		}
		return hosts[i].g.Host.Name < hosts[j].g.Host.Name
	})
	var out []htmlBucket
	for _, rh := range hosts {
		title, class := "without drift", "none"
		if rh.k.drifting {
			title, class = rh.k.worst.String(), rh.k.worst.String()
		}
		if len(out) == 0 || out[len(out)-1].Class != class {
			out = append(out, htmlBucket{Title: title, Class: class})
		}
		b := &out[len(out)-1]
		b.Hosts = append(b.Hosts, htmlHostOf(rh.g, anchors[rh.g.Host], order))
	}
	open := 0
	for i := range out {
		b := &out[i]
		names := make([]string, len(b.Hosts))
		for j, h := range b.Hosts {
			names[j] = h.Name
		}
		b.First = firstNames(names)
		if open+len(b.Hosts) <= openHosts && (i == 0 || out[i-1].Open) {
			b.Open = true
			open += len(b.Hosts)
		}
	}
	return out, len(hosts)
}

func htmlHostOf(g group, anchor string, order []drift.Result) htmlHost {
	h := g.Host
	hh := htmlHost{
		Name: cleanText(h.Name), Anchor: anchor, Address: cleanText(h.Address), Locale: cleanText(h.Locale), Site: cleanText(h.Site),
		Groups: cleanText(strings.Join(h.Groups, ", ")), Status: cleanText(h.Status.String()), Error: cleanText(h.Error),
		Result: h.Result.String(), ResultCls: statusClass(h.Result), StatusOK: h.Status.String() == "ok",
		TimeWait: h.TimeWait, WildcardBinds: h.WildcardBinds,
	}
	if k := rankOf(g.Rows); k.drifting {
		hh.Worst = k.worst.String()
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
	t := tally{}
	var names []string
	for _, rw := range g.Rows {
		t[rw.Result]++
		if !slices.Contains(names, rw.Policy) {
			names = append(names, rw.Policy)
		}
		f := htmlFinding{Policy: cleanText(rw.Policy), Severity: rw.Severity.String(), Result: rw.Result.String(), ResultCls: statusClass(rw.Result),
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
	hh.Counts = t.counts(order)
	hh.PolicyNames = cleanText(oneLine(strings.Join(names, ", ")))
	hh.Search = cleanText(strings.ToLower(oneLine(h.Name + " " + strings.Join(h.Groups, " ") + " " + strings.Join(names, " ") +
		" " + h.Result.String() + " " + h.Status.String())))
	return hh
}

// evidenceHTMLText is an evidence line as the HTML page shows it: capped,
// on one line, control characters replaced.
func evidenceHTMLText(s string) string {
	return strings.TrimRight(flat(cleanText(capRunes(s, maxEvidenceRunes))), " ")
}

// matrixOf builds the policy × group matrix and each policy's drill-down:
// per column, the hosts of the group that did not pass, by result.
func matrixOf(v *view, anchors map[*drift.HostReport]string, order []drift.Result) (htmlMatrix, []htmlPolicy) {
	r := v.R
	// The groups, the most hosts failing first, then the largest.
	type groupInfo struct {
		name           string
		hosts, failing int
	}
	idx := map[string]int{}
	var groups []groupInfo
	groupsOf := func(h *drift.HostReport) []string {
		if len(h.Groups) == 0 {
			return []string{noGroup}
		}
		return h.Groups
	}
	for i := range r.Hosts {
		h := &r.Hosts[i]
		seen := map[string]bool{}
		for _, g := range groupsOf(h) {
			if seen[g] {
				continue
			}
			seen[g] = true
			k, ok := idx[g]
			if !ok {
				k = len(groups)
				idx[g] = k
				groups = append(groups, groupInfo{name: g})
			}
			groups[k].hosts++
			if h.Result.IsDrift() {
				groups[k].failing++
			}
		}
	}
	sort.SliceStable(groups, func(i, j int) bool {
		a, b := groups[i], groups[j]
		if a.failing != b.failing {
			return a.failing > b.failing
		}
		if a.hosts != b.hosts {
			return a.hosts > b.hosts
		}
		return a.name < b.name
	})
	// Columns: the first groups, then one for the others.
	cols := len(groups)
	m := htmlMatrix{}
	if cols > maxMatrixGroups {
		cols = maxMatrixGroups
		m.Other = len(groups) - (maxMatrixGroups - 1)
	}
	col := map[string]int{}
	for i, g := range groups {
		c := min(i, cols-1)
		col[g.name] = c
		if c < len(m.Groups) {
			m.Groups[c].Hosts += g.hosts
			m.Groups[c].Failing += g.failing
			continue
		}
		m.Groups = append(m.Groups, htmlGroupCol{Name: cleanText(g.name), Hosts: g.hosts, Failing: g.failing})
	}
	if m.Other > 0 {
		m.Groups[cols-1].Name = fmt.Sprintf("%d other groups", m.Other)
	}
	// A host counts once in each column it has a group in.
	colsOf := make([][]int, len(r.Hosts))
	for i := range r.Hosts {
		for _, g := range groupsOf(&r.Hosts[i]) {
			if c := col[g]; !slices.Contains(colsOf[i], c) {
				colsOf[i] = append(colsOf[i], c)
			}
		}
	}

	var pols []htmlPolicy
	for pi, p := range v.Policies {
		anchor := fmt.Sprintf("policy-%d", pi+1)
		all := tally{}
		cells := make([]tally, len(m.Groups))
		lists := make([]map[drift.Result][]htmlHostRef, len(m.Groups))
		for c := range cells {
			cells[c] = tally{}
			lists[c] = map[drift.Result][]htmlHostRef{}
		}
		for i := range r.Hosts {
			h := &r.Hosts[i]
			vd, ok := verdictOf(h, p.Name)
			if !ok {
				continue
			}
			all[vd.Result]++
			for _, c := range colsOf[i] {
				cells[c][vd.Result]++
				if listed(vd.Result) {
					lists[c][vd.Result] = append(lists[c][vd.Result], htmlHostRef{Name: cleanText(h.Name), Anchor: anchors[h]})
				}
			}
		}
		refs := make([]string, len(p.References))
		for i, ref := range p.References {
			refs[i] = cleanText(ref)
		}
		hp := htmlPolicy{Name: cleanText(p.Name), Anchor: anchor, Severity: p.Severity.String(), Description: cleanText(p.Description),
			Source: cleanText(p.Source), References: refs, CrossFact: p.CrossFact, Counts: all.counts(order), Total: all.total()}
		row := htmlMatrixRow{Policy: hp.Name, Severity: hp.Severity, Anchor: anchor, Description: cleanText(oneLine(p.Description)),
			All: cellOf(all, order, p.Name, "all hosts", anchor)}
		for c, t := range cells {
			drillAnchor := ""
			var d htmlDrill
			for _, res := range order {
				if hs := lists[c][res]; len(hs) > 0 {
					d.Lists = append(d.Lists, htmlHostList{Class: statusClass(res), Status: res.String(), Hosts: hs})
				}
			}
			if len(d.Lists) > 0 {
				drillAnchor = fmt.Sprintf("%s-g%d", anchor, c+1)
				d.Anchor, d.Group = drillAnchor, m.Groups[c].Name
				hp.Groups = append(hp.Groups, d)
			}
			row.Cells = append(row.Cells, cellOf(t, order, p.Name, "group "+m.Groups[c].Name, drillAnchor))
		}
		m.Rows = append(m.Rows, row)
		pols = append(pols, hp)
	}
	return m, pols
}

// cellOf is a matrix cell: the counts but not-applicable, coloured by the
// worst result in it, with the counts in words as its title.
func cellOf(t tally, order []drift.Result, policy, where, anchor string) htmlCell {
	c := htmlCell{Anchor: anchor, Counts: t.counts(order, drift.NotApplicable), Class: "empty"}
	for _, res := range order {
		if t[res] > 0 && res != drift.NotApplicable {
			c.Class = statusClass(res)
			break
		}
	}
	words := countWords(t.counts(order))
	if words == "" {
		words = "no hosts"
	}
	c.Title = cleanText(oneLine(policy + " · " + where + ": " + words))
	return c
}

// hostDonut computes the donut of hosts by result. The template draws it
// on a circle of circumference 100 (r = 100/2π), so dash lengths are
// percentages and the first segment starts at the top (offset 25).
func hostDonut(t tally, order []drift.Result) htmlDonut {
	d := htmlDonut{Total: t.total()}
	var parts []string
	acc := 0.0
	for _, r := range order {
		n := t[r]
		if n == 0 && !slices.Contains(resultOrder, r) {
			continue
		}
		parts = append(parts, fmt.Sprintf("%d %s", n, r))
		if n == 0 || d.Total == 0 {
			continue
		}
		pct := 100 * float64(n) / float64(d.Total)
		d.Segments = append(d.Segments, htmlSegment{Class: statusClass(r), Label: r.String(), N: n,
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
		b.Bars = append(b.Bars, htmlBar{Label: cleanText(k), Class: "sev-" + slug(k), N: n, Y: y, TextY: y + 13, W: w, ValueX: barLeft + w + 6})
		parts = append(parts, fmt.Sprintf("%d %s", n, k))
	}
	b.Height = barTop*2 + len(names)*barStep
	b.Label = "Findings by severity: " + strings.Join(parts, ", ")
	return b
}

// maxOpenChanges is how many changes the page shows unfolded.
const maxOpenChanges = 30

func htmlChangesOf(r *drift.Report, c *drift.Changes, anchors map[*drift.HostReport]string, shown map[string]bool) *htmlChanges {
	hc := &htmlChanges{Since: c.Since, Text: c.Text(), Open: len(c.Items) <= maxOpenChanges}
	if !c.Since.Started.IsZero() {
		hc.SinceStarted = timeText(c.Since.Started)
	}
	byName := map[string]*drift.HostReport{}
	for i := range r.Hosts {
		byName[r.Hosts[i].Name] = &r.Hosts[i]
	}
	for _, ch := range c.Items {
		anchor := ""
		if h := byName[ch.Finding.Host]; h != nil && shown[anchors[h]] {
			anchor = anchors[h]
		}
		kind := cleanText(ch.Kind)
		if len(hc.Kinds) == 0 || hc.Kinds[len(hc.Kinds)-1].Kind != kind {
			hc.Kinds = append(hc.Kinds, htmlChangeKind{Kind: kind})
		}
		k := &hc.Kinds[len(hc.Kinds)-1]
		k.Items = append(k.Items, htmlChange{Kind: kind, Host: cleanText(ch.Finding.Host), Anchor: anchor,
			Policy: cleanText(ch.Finding.Policy), Rule: cleanText(ch.Finding.Rule), Result: changeResult(ch),
			Expected: cleanText(ch.Finding.Expected), Actual: cleanText(changeActual(ch))})
	}
	for _, n := range c.NotCompared {
		hc.NotCompared = append(hc.NotCompared, cleanText(n))
	}
	hc.NCFirst = firstNames(hc.NotCompared)
	return hc
}
