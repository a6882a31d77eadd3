package drift

import (
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/policies"
)

// HostInput is one host to judge.
type HostInput struct {
	// Policy is the inventory's view of the host (groups, tags, vars,
	// management address). Evaluate sets its OS and OSBuild from Facts.
	Policy policies.Host
	// Facts is the host's document from the run; nil when the run has
	// no result for the host (it is judged unknown).
	Facts *facts.Host
	// Baseline is the first document a run read from the host after the
	// boot it is in now (its BootTime is the same as Facts'), nil when
	// none is known. A boot-time value that differs from it was changed
	// after the boot and is not in effect yet.
	Baseline *facts.Host
}

// Input is what Evaluate judges.
type Input struct {
	Run      RunInfo
	Policies *policies.Set
	Hosts    []HostInput
	// Now stamps the report; zero means time.Now.
	Now time.Time
	// CrossFact turns fleetport's cross-fact checks on (the default in
	// the CLI).
	CrossFact bool
	// WaiversAt is the time the policy set's waivers are judged at: a
	// waiver whose until is past then is expired. Zero means Now. A
	// stored run is judged at its own start, so that judging it again
	// gives the same answer whatever the day.
	WaiversAt time.Time
}

// Evaluate judges every host against every policy, and the cross-fact
// checks when asked. It never fails: what cannot be told is unknown.
// Hosts are judged in parallel; the report's order does not depend on it.
func Evaluate(in Input) *Report {
	now := in.Now
	if now.IsZero() {
		now = time.Now()
	}
	var pols []*policies.Policy
	if in.Policies != nil {
		pols = in.Policies.Policies
	}
	pols = slices.Clip(pols)
	r := &Report{Schema: SchemaID, Version: SchemaVersion, Generated: now.UTC(), Run: in.Run, Policies: []PolicyInfo{}}
	for _, p := range pols {
		r.Policies = append(r.Policies, PolicyInfo{Name: p.Name, Description: p.Description, Severity: p.Severity,
			References: p.References, Source: rangeString(p.DeclRange.Filename, p.DeclRange.Start.Line)})
	}
	if in.CrossFact {
		for _, c := range crossChecks {
			r.Policies = append(r.Policies, PolicyInfo{Name: c.name, Description: c.description, Severity: c.severity, CrossFact: true})
		}
	}
	r.Hosts = make([]HostReport, len(in.Hosts))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(in.Hosts)/64))
	var wg sync.WaitGroup
	next := make(chan int, len(in.Hosts))
	for i := range in.Hosts {
		next <- i
	}
	close(next)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r.Hosts[i] = judgeHost(in.Hosts[i], in.Policies, in.CrossFact)
			}
		}()
	}
	wg.Wait()
	sort.SliceStable(r.Hosts, func(i, j int) bool { return r.Hosts[i].Name < r.Hosts[j].Name })
	at := in.WaiversAt
	if at.IsZero() {
		at = now
	}
	applyWaivers(r, in.Policies, in.Hosts, at)
	r.summarise()
	return r
}

func rangeString(file string, line int) string {
	if file == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d", file, line)
}

// reachable reports whether collection got far enough to judge facts: a
// host that answered, even if one of its facts failed.
func reachable(s facts.Status) bool {
	return s == facts.StatusOK || s == facts.StatusParseError || s == facts.StatusCommandFailed
}

func judgeHost(in HostInput, set *policies.Set, cross bool) HostReport {
	ph := in.Policy
	h := in.Facts
	hr := HostReport{Name: ph.Name, Address: ph.Address, Groups: ph.Groups, Site: ph.Site, TimeWait: -1, WildcardBinds: -1, Verdicts: []Verdict{}, Findings: []Finding{}}
	if h == nil {
		h = facts.NewHost(ph.Name, ph.Address)
		h.Error = "the run has no result for this host"
	}
	if hr.Address == "" {
		hr.Address = h.Address
	}
	hr.Status, hr.Error, hr.Collected, hr.Locale = h.Status, h.Error, h.Finished, h.Locale
	if h.OS != nil {
		hr.OS, hr.Build = h.OS.Release, h.OS.Build
		ph.OS, ph.OSBuild = h.OS.Release, int(h.OS.Build)
		ph.Roles, ph.RolesKnown = h.Roles()
	}
	if h.Sockets != nil {
		hr.TimeWait = h.Sockets.Summary.States.Get(facts.StateTimeWait)
		hr.WildcardBinds = len(h.Sockets.Summary.WildcardBinds)
	}
	ok := reachable(h.Status)
	if set != nil {
		res, ds := set.ResolveAll(ph)
		for i, p := range set.Policies {
			var v Verdict
			var fs []Finding
			if ok {
				v, fs = judgePolicy(p, ph, h, res[i], ds[i])
			} else {
				v, fs = judgeUnreached(p, h, res[i])
			}
			hr.Verdicts = append(hr.Verdicts, v)
			hr.Findings = append(hr.Findings, fs...)
		}
	}
	if cross {
		for _, c := range crossChecks {
			var v Verdict
			var fs []Finding
			if !ok {
				v, fs = hostUnknown(c.name, c.severity, h)
			} else {
				v, fs = c.run(crossInput{host: ph, facts: h, prev: in.Baseline})
				for i := range fs {
					fs[i].Host, fs[i].Policy, fs[i].Severity = ph.Name, c.name, c.severity
					if fs[i].Evidence == nil {
						fs[i].Evidence = []Evidence{}
					}
				}
				v.Policy = c.name
			}
			hr.Verdicts = append(hr.Verdicts, v)
			hr.Findings = append(hr.Findings, fs...)
		}
	}
	hr.Result = NotApplicable
	for _, v := range hr.Verdicts {
		hr.Result = max(hr.Result, v.Result)
	}
	if !ok {
		hr.Result = Unknown
	}
	return hr
}

// hostUnknown is a policy on a host that could not be judged at all.
func hostUnknown(policy string, sev policies.Severity, h *facts.Host) (Verdict, []Finding) {
	why := "host " + h.Status.String()
	if h.Error != "" {
		why += ": " + h.Error
	}
	return Verdict{Policy: policy, Result: Unknown, Reason: why},
		[]Finding{{Host: h.Name, Policy: policy, Rule: "host", Severity: sev, Result: Unknown,
			Expected: "facts collected", Actual: "could not tell: " + why, Evidence: []Evidence{}, Fix: FixManual,
			FixDetail: "make the host reachable and collect again"}}
}

// judgeUnreached is a policy on a host that was not reached: unknown,
// unless the policy cannot apply to the host whatever it would have said.
func judgeUnreached(p *policies.Policy, h *facts.Host, res *policies.Resolved) (Verdict, []Finding) {
	if res != nil && res.Applies == policies.NotApplicable {
		return Verdict{Policy: p.Name, Result: NotApplicable, Reason: "applies_to is false"}, nil
	}
	return hostUnknown(p.Name, p.Severity, h)
}

func judgePolicy(p *policies.Policy, ph policies.Host, h *facts.Host, res *policies.Resolved, diags hcl.Diagnostics) (Verdict, []Finding) {
	v := Verdict{Policy: p.Name, Result: NotApplicable}
	// Every rule resolved: the errors are the remediation's (a fix that
	// would lock fleetport out on this host). Judge the checks; the fix is
	// for a person.
	remediationRefused := ""
	if res != nil && diags.HasErrors() && res.Applies == policies.Applies && len(res.Checks) == len(p.Rules) {
		remediationRefused = "the remediation is refused for this host: " + firstError(diags)
		diags = nil
	}
	if res == nil || diags.HasErrors() && res.Applies != policies.NotApplicable {
		why := "the policy could not be evaluated for this host"
		if diags.HasErrors() {
			why += ": " + firstError(diags)
		}
		v.Result, v.Reason = Unknown, why
		return v, []Finding{{Host: ph.Name, Policy: p.Name, Rule: "applies_to", Source: rangeString(p.DeclRange.Filename, p.DeclRange.Start.Line),
			Severity: p.Severity, Result: Unknown, Expected: "the policy evaluates", Actual: why, Evidence: []Evidence{}, Fix: FixManual}}
	}
	switch res.Applies {
	case policies.NotApplicable:
		v.Reason = "applies_to is false"
		return v, nil
	case policies.ApplicabilityUnknown:
		why := "could not tell whether the policy applies (its applies_to needs a value not known)"
		v.Result, v.Reason = Unknown, why
		return v, []Finding{{Host: ph.Name, Policy: p.Name, Rule: "applies_to", Source: rangeString(p.DeclRange.Filename, p.DeclRange.Start.Line),
			Severity: p.Severity, Result: Unknown, Expected: "applies_to decides", Actual: why, Evidence: []Evidence{}, Fix: FixManual}}
	}
	fix, detail := fixOf(res)
	if remediationRefused != "" {
		fix, detail = FixManual, remediationRefused
	}
	var out []Finding
	seen := map[string]int{}
	var reasons []string
	for _, c := range res.Checks {
		cc := c.Common()
		if cc.Applies == policies.NotApplicable {
			if cc.Reason != "" {
				reasons = append(reasons, cc.Reason)
			}
			continue
		}
		name := ruleName(c)
		if seen[name]++; seen[name] > 1 {
			name = fmt.Sprintf("%s #%d", name, seen[name])
		}
		var o outcome
		if cc.Applies == policies.ApplicabilityUnknown {
			why := cc.Reason
			if why == "" {
				why = "a value the check needs is not known"
			}
			o = unknownOutcome("", "could not tell: "+why)
		} else {
			o = judge(c, h)
			if cc.Incomplete != "" && o.result == Pass {
				// Resolved without a value the host does not declare: a
				// pass means nothing.
				o = unknownOutcome("", "could not tell: "+cc.Incomplete)
			}
		}
		v.Result = max(v.Result, o.result)
		if o.result == Pass {
			continue
		}
		if o.evidence == nil && o.lazy != nil {
			o.evidence = o.lazy()
		}
		if o.evidence == nil {
			o.evidence = []Evidence{}
		}
		f := Finding{Host: ph.Name, Policy: p.Name, Rule: name, Source: rangeString(cc.DeclRange.Filename, cc.DeclRange.Start.Line),
			Severity: p.Severity, Result: o.result, Expected: o.expected, Actual: o.actual, Evidence: o.evidence, Fix: fix, FixDetail: detail}
		if o.result == Unknown {
			f.Fix, f.FixDetail = FixManual, "collect again once the fact can be read"
			if v.Reason == "" {
				v.Reason = o.actual
			}
		}
		if cc.Incomplete != "" {
			// What the inventory lacks, with the host's own output.
			f.Evidence = append([]Evidence{{Command: "inventory", Text: cc.Incomplete}}, f.Evidence...)
			if o.result == Unknown {
				f.FixDetail = cc.Incomplete
			}
		}
		out = append(out, f)
	}
	if v.Result == NotApplicable && len(reasons) > 0 {
		v.Reason = strings.Join(reasons, "; ")
	}
	return v, out
}

// firstError is the first error of diags as a report says it (a missing
// inventory variable in plain words).
func firstError(diags hcl.Diagnostics) string {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			return policies.ReasonText(d)
		}
	}
	return ""
}

// fixOf is what the policy's remediation needs before it is in effect.
func fixOf(res *policies.Resolved) (Fix, string) {
	applicable := slices.ContainsFunc(res.Actions, func(a policies.Action) bool { return a.Common().Applies != policies.NotApplicable })
	if !applicable {
		return FixManual, "the policy declares no remediation for this host"
	}
	effs := res.Effects()
	if len(effs) == 0 {
		return FixNone, ""
	}
	fix := FixNone
	var detail []string
	for _, e := range effs {
		switch e := e.(type) {
		case policies.EffectReboot:
			return FixReboot, ""
		case policies.EffectServiceRestart:
			fix = FixServiceRestart
			d := "restart " + e.Service
			if e.WithDependants {
				d += " and its dependants"
			}
			detail = append(detail, d)
		case policies.EffectNewProcesses:
			if fix == FixNone {
				fix = FixNewProcesses
			}
			detail = append(detail, e.String())
		}
	}
	return fix, strings.Join(detail, "; ")
}

// summarise fills the per-policy counts and the summary.
func (r *Report) summarise() {
	s := Summary{Hosts: len(r.Hosts), ByStatus: map[string]int{}, BySeverity: map[string]int{}, ByFix: map[string]int{}}
	for _, h := range r.Hosts {
		s.ByStatus[h.Status.String()]++
		s.Results.Add(h.Result)
		for i, v := range h.Verdicts {
			if i < len(r.Policies) {
				r.Policies[i].Hosts.Add(v.Result)
			}
		}
		s.Findings += len(h.Findings)
		for _, f := range h.Findings {
			if f.Result == Waived {
				s.Waived++
			}
			if f.Result.IsDrift() {
				s.BySeverity[f.Severity.String()]++
				s.ByFix[string(f.Fix)]++
			}
		}
	}
	r.Summary = s
}
