package report

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/internal/facts"
)

// fleetRegions spread the simulator run's role groups (web, app, sql,
// smtp) over regions, so a large fleet has several groups per role.
var fleetRegions = []string{"eu", "us", "ap"}

// fleetReport is a report of n hosts made of the drift engine's real
// results on a simulated fleet (testdata/report.json: 40 hosts of every
// release and locale, every kind of drift, a host refusing connections,
// one whose output did not parse) against the 13 built-in policies and
// the cross-fact checks. Each copy of a host is renamed (web0003-0123),
// its role group carries a region (web-eu), every 40th copy is also in
// group canary, and some copies of the unreachable host time out or
// refuse the credentials instead, with their messages. The summary and
// the policies' counts are derived again from the verdicts.
func fleetReport(tb testing.TB, n int) *drift.Report {
	tb.Helper()
	data, err := os.ReadFile(simReportPath)
	if err != nil {
		tb.Fatalf("%v (the large report is made of the simulator run)", err)
	}
	src, err := decodeReport(data)
	if err != nil {
		tb.Fatalf("%s: %v", simReportPath, err)
	}
	r := *src
	r.Run = drift.RunInfo{ID: 318, Status: "complete", Started: src.Generated.Add(-90e9), Finished: src.Generated.Add(-10e9)}
	r.Provenance = &drift.Provenance{Fleetport: "v1.4.0", Run: r.Run.ID,
		Inventory: "sha256:9d4e0c7b1a2f3e4d5c6b7a8990a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d",
		Policies:  "sha256:47b2e1c0d9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2"}
	r.Changes = nil
	r.Hosts = make([]drift.HostReport, 0, n)
	for i := range n {
		base := src.Hosts[i%len(src.Hosts)]
		h := base
		h.Name = fmt.Sprintf("%s-%04d", base.Name, i)
		region := fleetRegions[(i/len(src.Hosts))%len(fleetRegions)]
		h.Groups = nil
		for _, g := range base.Groups {
			h.Groups = append(h.Groups, g+"-"+region)
		}
		if i%40 == 7 {
			h.Groups = append(h.Groups, "canary")
		}
		oldErr, newErr := base.Error, base.Error
		if base.Status == facts.StatusUnreachable {
			switch (i / len(src.Hosts)) % 4 {
			case 1:
				h.Status, newErr = facts.StatusTimeout, "winrm create: no answer within 30s"
			case 2:
				h.Status, newErr = facts.StatusAuth, "winrm create: 401 Unauthorized: the server refused the credentials"
			}
		}
		h.Error = newErr
		swap := func(s string) string {
			if oldErr != "" && oldErr != newErr {
				s = strings.ReplaceAll(s, oldErr, newErr)
				s = strings.ReplaceAll(s, base.Status.String(), h.Status.String())
			}
			return s
		}
		h.Verdicts = make([]drift.Verdict, len(base.Verdicts))
		for j, vd := range base.Verdicts {
			vd.Reason = swap(vd.Reason)
			h.Verdicts[j] = vd
		}
		h.Findings = make([]drift.Finding, len(base.Findings))
		for j, f := range base.Findings {
			f.Host = h.Name
			f.Actual = swap(f.Actual)
			f.Evidence = append([]drift.Evidence(nil), f.Evidence...)
			for k := range f.Evidence {
				f.Evidence[k].Text = swap(f.Evidence[k].Text)
			}
			h.Findings[j] = f
		}
		r.Hosts = append(r.Hosts, h)
	}
	r.Policies = append([]drift.PolicyInfo(nil), src.Policies...)
	finish(&r)
	return &r
}

// TestFleetReport checks the large report's make-up: 2,000 hosts, the
// built-in pack, several groups, drift, and hosts not reached for three
// reasons.
func TestFleetReport(t *testing.T) {
	r := fleetReport(t, 2000)
	builtin := 0
	for _, p := range r.Policies {
		if !p.CrossFact {
			builtin++
		}
	}
	groups := map[string]bool{}
	statuses := map[string]int{}
	for _, h := range r.Hosts {
		for _, g := range h.Groups {
			groups[g] = true
		}
		statuses[h.Status.String()]++
	}
	if len(r.Hosts) != 2000 || builtin != 13 || len(groups) < 10 {
		t.Errorf("%d hosts, %d built-in policies, %d groups; want 2000, 13 and at least 10", len(r.Hosts), builtin, len(groups))
	}
	if r.Summary.Results.Fail < 500 || statuses["unreachable"] == 0 || statuses["timeout"] == 0 || statuses["auth"] == 0 || statuses["parse-error"] == 0 {
		t.Errorf("results %+v, statuses %v: want drift on many hosts and hosts unreachable, timed out, refused and unparsed", r.Summary.Results, statuses)
	}
}
