package drift

import (
	"fmt"
	"sort"
)

// The kinds of a Change.
const (
	// ChangeNew is drift (or an unknown) on a host checked in both runs
	// that the earlier run did not have.
	ChangeNew = "new"
	// ChangeFixed is drift the earlier run had on a host checked in both
	// runs, which the later one does not have.
	ChangeFixed = "fixed"
	// ChangeChanged is drift in both runs with another result or actual
	// value.
	ChangeChanged = "changed"
	// ChangeNowKnown is a finding that could not be told in the earlier
	// run (the host was not reached, or the check was unknown) and can
	// now: the later result, drift or pass. It is neither new nor fixed.
	ChangeNowKnown = "now-known"
	// ChangeNowUnknown is drift the earlier run had on a host the later
	// run could not judge (not reached): not fixed, only unknown now.
	ChangeNowUnknown = "now-unknown"
	// ChangeWaived is drift that a waiver accepts now and did not before
	// (or new drift a waiver accepts at once): neither new nor fixed.
	ChangeWaived = "waived"
	// ChangeUnwaived is drift that was waived before and is not now: its
	// waiver expired, or was removed, or no longer covers the host.
	ChangeUnwaived = "unwaived"
)

var changeOrder = map[string]int{ChangeNew: 0, ChangeUnwaived: 1, ChangeChanged: 2, ChangeFixed: 3, ChangeWaived: 4, ChangeNowKnown: 5, ChangeNowUnknown: 6}

// Compare says what changed between an earlier report and a later one of
// the same fleet, and sets later.Changes. Only findings (drift and
// unknowns) are compared, and only on hosts both reports have: a host
// missing from either is listed in Changes.NotCompared and contributes
// nothing new or fixed. A finding that was unknown and is now told (pass,
// fail or pending) is "now-known", never fixed or new; drift on a host the
// later run could not reach is "now-unknown", never fixed. Judge both runs
// with the same policy set, so that a change means the hosts changed, not
// the policies.
func Compare(earlier, later *Report) *Changes {
	ch := &Changes{Since: earlier.Run, Items: []Change{}, NotCompared: []string{}}
	before := make(map[string]*HostReport, len(earlier.Hosts))
	for i := range earlier.Hosts {
		before[earlier.Hosts[i].Name] = &earlier.Hosts[i]
	}
	seen := make(map[string]bool, len(later.Hosts))
	for i := range later.Hosts {
		b := &later.Hosts[i]
		seen[b.Name] = true
		a, ok := before[b.Name]
		if !ok {
			ch.NotCompared = append(ch.NotCompared, b.Name)
			continue
		}
		compareHost(ch, a, b)
	}
	for i := range earlier.Hosts {
		if !seen[earlier.Hosts[i].Name] {
			ch.NotCompared = append(ch.NotCompared, earlier.Hosts[i].Name)
		}
	}
	sort.Strings(ch.NotCompared)
	sort.SliceStable(ch.Items, func(i, j int) bool {
		a, b := ch.Items[i], ch.Items[j]
		if a.Kind != b.Kind {
			return changeOrder[a.Kind] < changeOrder[b.Kind]
		}
		if a.Finding.Host != b.Finding.Host {
			return a.Finding.Host < b.Finding.Host
		}
		if a.Finding.Policy != b.Finding.Policy {
			return a.Finding.Policy < b.Finding.Policy
		}
		return a.Finding.Rule < b.Finding.Rule
	})
	for _, c := range ch.Items {
		switch c.Kind {
		case ChangeNew:
			ch.New++
		case ChangeChanged:
			ch.Changed++
		case ChangeFixed:
			ch.Fixed++
		case ChangeNowKnown:
			ch.NowKnown++
		case ChangeNowUnknown:
			ch.NowUnknown++
		case ChangeWaived:
			ch.Waived++
		case ChangeUnwaived:
			ch.Unwaived++
		}
	}
	later.Changes = ch
	return ch
}

// compareHost compares one host's findings in two runs.
func compareHost(ch *Changes, a, b *HostReport) {
	checkedA, checkedB := reachable(a.Status), reachable(b.Status)
	if !checkedB {
		// Not reached now: its drift is unknown, not fixed; its unknowns
		// are not new.
		if checkedA {
			for _, f := range a.Findings {
				if f.Result != Unknown {
					ch.Items = append(ch.Items, Change{Kind: ChangeNowUnknown, Finding: f, BeforeResult: f.Result, BeforeActual: f.Actual})
				}
			}
		}
		return
	}
	prev := make(map[string]*Finding, len(a.Findings))
	for j := range a.Findings {
		prev[a.Findings[j].Key()] = &a.Findings[j]
	}
	seen := make(map[string]bool, len(b.Findings))
	withFindings := map[string]bool{}
	for _, f := range b.Findings {
		k := f.Key()
		seen[k], withFindings[f.Policy] = true, true
		p, ok := prev[k]
		switch {
		case !ok && !checkedA:
			// Told for the first time: known now, not new.
			ch.Items = append(ch.Items, Change{Kind: ChangeNowKnown, Finding: f, BeforeResult: Unknown})
		case !ok && f.Result == Waived:
			ch.Items = append(ch.Items, Change{Kind: ChangeWaived, Finding: f})
		case !ok:
			ch.Items = append(ch.Items, Change{Kind: ChangeNew, Finding: f})
		case p.Result == Unknown && f.Result != Unknown:
			ch.Items = append(ch.Items, Change{Kind: ChangeNowKnown, Finding: f, BeforeResult: p.Result, BeforeActual: p.Actual})
		case p.Result != Waived && f.Result == Waived:
			ch.Items = append(ch.Items, Change{Kind: ChangeWaived, Finding: f, BeforeResult: p.Result, BeforeActual: p.Actual})
		case p.Result == Waived && f.Result.IsDrift():
			ch.Items = append(ch.Items, Change{Kind: ChangeUnwaived, Finding: f, BeforeResult: p.Result, BeforeActual: p.Actual})
		case p.Result != f.Result || p.Actual != f.Actual:
			ch.Items = append(ch.Items, Change{Kind: ChangeChanged, Finding: f, BeforeResult: p.Result, BeforeActual: p.Actual})
		}
	}
	for _, f := range a.Findings {
		if seen[f.Key()] {
			continue
		}
		switch {
		case f.Result != Unknown:
			ch.Items = append(ch.Items, Change{Kind: ChangeFixed, Finding: f})
		case !withFindings[f.Policy]:
			// It could not be told before and passes (or does not apply)
			// now.
			ch.Items = append(ch.Items, Change{Kind: ChangeNowKnown, Finding: told(f, verdictOf(b, f.Policy)), BeforeResult: Unknown, BeforeActual: f.Actual})
		}
	}
}

// verdictOf is a host's verdict on a policy; pass when it has none.
func verdictOf(h *HostReport, policy string) Result {
	for _, v := range h.Verdicts {
		if v.Policy == policy {
			return v.Result
		}
	}
	return Pass
}

// told is an earlier unknown finding as the later run tells it: pass,
// or not applicable.
func told(f Finding, r Result) Finding {
	f.Result, f.Actual, f.Evidence, f.Fix, f.FixDetail = r, "compliant", []Evidence{}, FixNone, ""
	if r == NotApplicable {
		f.Actual = "does not apply"
	}
	return f
}

// Text is the changes in one line: "2 new, 1 fixed, 0 changed", then the
// now-known and now-unknown counts and the hosts not compared when there
// are any.
func (c *Changes) Text() string {
	s := fmt.Sprintf("%d new, %d fixed, %d changed", c.New, c.Fixed, c.Changed)
	if c.NowKnown > 0 {
		s += fmt.Sprintf(", %d now known", c.NowKnown)
	}
	if c.NowUnknown > 0 {
		s += fmt.Sprintf(", %d now unknown", c.NowUnknown)
	}
	if c.Waived > 0 {
		s += fmt.Sprintf(", %d waived", c.Waived)
	}
	if c.Unwaived > 0 {
		s += fmt.Sprintf(", %d no longer waived", c.Unwaived)
	}
	if n := len(c.NotCompared); n > 0 {
		s += fmt.Sprintf("; %d %s not compared (in one run only)", n, plural(n, "host", "hosts"))
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
