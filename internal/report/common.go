package report

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/policies"
)

// row is one line of the human formats: a finding, or a verdict that did
// not pass and has no finding behind it (a policy unknown on a host).
type row struct {
	Host     *drift.HostReport
	Finding  *drift.Finding // nil for a verdict row
	Policy   string
	Severity policies.Severity
	Result   drift.Result
	Rule     string
	Source   string
	Expected string
	Actual   string
	Fix      string
	Evidence []drift.Evidence
	// Waiver accepts the drift of a waived row.
	Waiver *drift.WaiverRef
}

// group is the rows of one policy (grouped by policy) or one host (grouped
// by host).
type group struct {
	Policy *drift.PolicyInfo   // set when grouped by policy
	Host   *drift.HostReport   // set when grouped by host
	Rows   []row               // fail, pending and unknown rows
	Absent []*drift.HostReport // by policy: hosts not reached, unknown here
}

// view is a report prepared for the human formats: the policies (with any
// a finding names but Policies lacks), the rows by policy and by host.
type view struct {
	R        *drift.Report
	Policies []*drift.PolicyInfo // worst first
	// InReportOrder are the policies in the report's order (JUnit).
	InReportOrder []*drift.PolicyInfo
	policyIdx     map[string]int
	hostRows      map[*drift.HostReport][]row
	NotReached    []*drift.HostReport // collection failed as a whole
	Problems      []*drift.HostReport // status not ok
}

// filter drops the rows the options' filters leave out, and with
// Summary every row.
func (v *view) filter(o Options) {
	for h, rows := range v.hostRows {
		kept := rows[:0:0]
		for _, rw := range rows {
			if !o.Summary && o.keep(rw) {
				kept = append(kept, rw)
			}
		}
		v.hostRows[h] = kept
	}
}

func newView(r *drift.Report) *view {
	v := &view{R: r, policyIdx: map[string]int{}, hostRows: map[*drift.HostReport][]row{}}
	for i := range r.Policies {
		p := &r.Policies[i]
		if _, dup := v.policyIdx[p.Name]; dup {
			continue
		}
		v.policyIdx[p.Name] = len(v.Policies)
		v.Policies = append(v.Policies, p)
	}
	// Findings of a policy the report does not list still show, under a
	// policy of their own.
	for i := range r.Hosts {
		for j := range r.Hosts[i].Findings {
			f := &r.Hosts[i].Findings[j]
			if _, ok := v.policyIdx[f.Policy]; !ok {
				v.policyIdx[f.Policy] = len(v.Policies)
				v.Policies = append(v.Policies, &drift.PolicyInfo{Name: f.Policy, Severity: f.Severity})
			}
		}
	}
	v.InReportOrder = append([]*drift.PolicyInfo(nil), v.Policies...)
	// Worst first: by severity, then by the hosts the policy fails (or
	// has pending), then by the hosts it could not judge; the report's
	// order breaks ties.
	sort.SliceStable(v.Policies, func(i, j int) bool {
		a, b := v.Policies[i], v.Policies[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if da, db := a.Hosts.Fail+a.Hosts.Pending, b.Hosts.Fail+b.Hosts.Pending; da != db {
			return da > db
		}
		return a.Hosts.Unknown > b.Hosts.Unknown
	})
	for i, p := range v.Policies {
		v.policyIdx[p.Name] = i
	}
	for i := range r.Hosts {
		h := &r.Hosts[i]
		v.hostRows[h] = v.rowsOf(h)
		if h.Status != facts.StatusOK {
			v.Problems = append(v.Problems, h)
		}
		if notReached(h) {
			v.NotReached = append(v.NotReached, h)
		}
	}
	return v
}

// statusGroup is the hosts not reached with one status, and the error
// of the first of them.
type statusGroup struct {
	Status string
	Hosts  []string
	Error  string
}

// notReachedByStatus groups the hosts not reached by status, the largest
// group first.
func (v *view) notReachedByStatus() []statusGroup {
	idx := map[string]int{}
	var out []statusGroup
	for _, h := range v.NotReached {
		st := h.Status.String()
		i, ok := idx[st]
		if !ok {
			i = len(out)
			idx[st] = i
			out = append(out, statusGroup{Status: st, Error: h.Error})
		}
		out[i].Hosts = append(out[i].Hosts, h.Name)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if len(out[i].Hosts) != len(out[j].Hosts) {
			return len(out[i].Hosts) > len(out[j].Hosts)
		}
		return out[i].Status < out[j].Status
	})
	return out
}

// reachedProblems are the hosts whose collection did not end well but
// that were reached (a command failed, an output did not parse).
func (v *view) reachedProblems() []*drift.HostReport {
	var out []*drift.HostReport
	for _, h := range v.Problems {
		if !notReached(h) {
			out = append(out, h)
		}
	}
	return out
}

// notReached reports whether a host's collection failed as a whole (no
// facts at all), so every policy is unknown on it for the same reason.
// Hosts whose commands failed or whose output did not parse keep their
// other facts and their findings show one by one.
func notReached(h *drift.HostReport) bool {
	switch h.Status {
	case facts.StatusOK, facts.StatusCommandFailed, facts.StatusParseError:
		return false
	}
	return !h.Result.IsDrift()
}

// rowsOf returns a host's rows in policy order: its findings, then a row
// for each verdict that did not pass and has no finding.
func (v *view) rowsOf(h *drift.HostReport) []row {
	covered := map[string]bool{}
	byPolicy := make([][]row, len(v.Policies))
	for j := range h.Findings {
		f := &h.Findings[j]
		covered[f.Policy] = true
		i := v.policyIdx[f.Policy]
		byPolicy[i] = append(byPolicy[i], row{
			Host: h, Finding: f, Policy: f.Policy, Severity: f.Severity, Result: f.Result,
			Rule: f.Rule, Source: f.Source, Expected: f.Expected, Actual: f.Actual,
			Fix: fixText(f.Fix, f.FixDetail), Evidence: f.Evidence, Waiver: f.Waiver,
		})
	}
	for _, vd := range h.Verdicts {
		if covered[vd.Policy] || vd.Result == drift.Pass || vd.Result == drift.NotApplicable {
			continue
		}
		i, ok := v.policyIdx[vd.Policy]
		if !ok {
			continue
		}
		actual := vd.Reason
		if actual == "" {
			actual = vd.Result.String()
		}
		byPolicy[i] = append(byPolicy[i], row{
			Host: h, Policy: vd.Policy, Severity: v.Policies[i].Severity, Result: vd.Result,
			Actual: actual,
		})
	}
	var rows []row
	for _, rs := range byPolicy {
		rows = append(rows, rs...)
	}
	return rows
}

// byPolicy groups the rows by policy, in policy order. Hosts not reached do
// not get rows; they are listed in Absent of each policy they are unknown
// for.
func (v *view) byPolicy() []group {
	groups := make([]group, len(v.Policies))
	for i, p := range v.Policies {
		groups[i].Policy = p
	}
	for i := range v.R.Hosts {
		h := &v.R.Hosts[i]
		if notReached(h) {
			seen := map[int]bool{}
			for _, rw := range v.hostRows[h] {
				k := v.policyIdx[rw.Policy]
				if !seen[k] {
					seen[k] = true
					groups[k].Absent = append(groups[k].Absent, h)
				}
			}
			continue
		}
		for _, rw := range v.hostRows[h] {
			k := v.policyIdx[rw.Policy]
			groups[k].Rows = append(groups[k].Rows, rw)
		}
	}
	return groups
}

// byHost groups the rows by host, for the hosts that have rows or a
// collection problem.
func (v *view) byHost() []group {
	var groups []group
	for i := range v.R.Hosts {
		h := &v.R.Hosts[i]
		rows := v.hostRows[h]
		if len(rows) == 0 && h.Status == facts.StatusOK && !h.Result.IsDrift() && h.Result != drift.Unknown {
			continue
		}
		groups = append(groups, group{Host: h, Rows: rows})
	}
	return groups
}

// fixWords say when a fix is in effect (the IN EFFECT column), in words:
// the JSON's "none" read as "no fix" where it means "no restart needed".
var fixWords = map[drift.Fix]string{
	drift.FixNone:           "at once",
	drift.FixServiceRestart: "after restart",
	drift.FixReboot:         "after reboot",
	drift.FixNewProcesses:   "new processes",
	drift.FixManual:         "manual fix",
}

// fixText says when a fix is in effect: "at once", "after reboot",
// "after restart (W3SVC)", "manual fix (...)".
func fixText(f drift.Fix, detail string) string {
	w := fixWords[f]
	if w == "" {
		w = string(f)
	}
	switch {
	case w == "" && detail == "":
		return ""
	case w == "":
		return detail
	case detail == "":
		return w
	}
	return w + " (" + detail + ")"
}

// hostError is a host's status with its error: "timeout: no answer in 30s".
func hostError(h *drift.HostReport) string {
	if h.Error == "" {
		return h.Status.String()
	}
	return h.Status.String() + ": " + h.Error
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func evidenceSource(e drift.Evidence) string {
	switch {
	case e.Command != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d", e.Command, e.Line)
	case e.Command != "":
		return e.Command
	case e.Line > 0:
		return fmt.Sprintf("line %d", e.Line)
	}
	return ""
}

// severities lists the severity names, highest first.
var severities = []policies.Severity{policies.SeverityCritical, policies.SeverityHigh, policies.SeverityMedium, policies.SeverityLow, policies.SeverityInfo}

// resultOrder lists the results a host can roll up to, worst first.
var resultOrder = []drift.Result{drift.Fail, drift.Pending, drift.Unknown, drift.Waived, drift.Pass, drift.NotApplicable}

func countOf(c drift.Counts, r drift.Result) int {
	switch r {
	case drift.Fail:
		return c.Fail
	case drift.Pending:
		return c.Pending
	case drift.Unknown:
		return c.Unknown
	case drift.Pass:
		return c.Pass
	case drift.Waived:
		return c.Waived
	}
	return c.NotApplicable
}

// countsText is "3 fail, 1 pending, 20 pass" (zero counts left out; "none"
// when all are zero).
func countsText(c drift.Counts) string {
	var parts []string
	for _, r := range resultOrder {
		if n := countOf(c, r); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, r))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// sortedKeys returns m's keys in order, ordered by the given list first
// (in its order), then the rest alphabetically.
func sortedKeys(m map[string]int, first []string) []string {
	var keys []string
	done := map[string]bool{}
	for _, k := range first {
		if _, ok := m[k]; ok {
			keys = append(keys, k)
			done[k] = true
		}
	}
	var rest []string
	for k := range m {
		if !done[k] {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	return append(keys, rest...)
}

func severityNames() []string {
	out := make([]string, len(severities))
	for i, s := range severities {
		out[i] = s.String()
	}
	return out
}

func changeResult(c drift.Change) string {
	if (c.Kind == drift.ChangeChanged || c.Kind == drift.ChangeNowKnown) && c.BeforeResult != c.Finding.Result {
		return c.BeforeResult.String() + " -> " + c.Finding.Result.String()
	}
	return c.Finding.Result.String()
}

func changeActual(c drift.Change) string {
	if (c.Kind == drift.ChangeChanged || c.Kind == drift.ChangeNowKnown) && c.BeforeActual != "" && c.BeforeActual != c.Finding.Actual {
		return c.BeforeActual + " -> " + c.Finding.Actual
	}
	return c.Finding.Actual
}
