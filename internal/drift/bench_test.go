package drift_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/simtest"
	"github.com/fleetport/fleetport/policies"
)

var writeFixture = flag.Bool("write-report-fixture", false, "write internal/report/testdata/report.json from a simulated fleet")

// simulatedFleet collects the default scenario's fleet (every release,
// three locales, every drift kind, a few faulty hosts) over WinRM.
func simulatedFleet(tb testing.TB, n int) (*sim.Fleet, map[string]*facts.Host, *policies.Set) {
	sc := simtest.Scenario(n)
	def := sim.DefaultScenario()
	sc.Drift = def.Drift
	sc.Faults = []sim.Fault{{Kind: sim.FaultRefuse, Share: 3}, {Kind: sim.FaultGarble, Share: 3}}
	f := simtest.Serve(tb, sc)
	set, diags := policies.Builtin()
	if diags.HasErrors() {
		tb.Fatal(diags)
	}
	return f, collectFleet(tb, f, set), set
}

// TestWriteReportFixture writes the report the report package's golden
// tests render: a real collection of a simulated fleet, judged. Run it
// with -write-report-fixture after a change to what drift reports.
func TestWriteReportFixture(t *testing.T) {
	if !*writeFixture {
		t.Skip("run with -write-report-fixture to regenerate internal/report/testdata/report.json")
	}
	f, got, set := simulatedFleet(t, 40)
	in := drift.Input{Run: drift.RunInfo{ID: 7, Status: "complete"}, Policies: set, CrossFact: true,
		Now: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	for _, h := range f.Hosts() {
		in.Hosts = append(in.Hosts, drift.HostInput{Policy: policyHost(h.Plan), Facts: got[h.Plan.Name]})
	}
	rep := drift.Evaluate(in)
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "report", "testdata", "report.json")
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s: %d hosts, %d findings", path, len(rep.Hosts), rep.Summary.Findings)
}

// BenchmarkEvaluate10k judges 10,000 hosts against the built-in pack and
// the cross-fact checks. The hosts are copies (renamed) of a real
// collection of 60 simulated hosts, so each carries real facts: socket
// tables with TIME_WAIT piles, registry values, listen lists, outputs.
func BenchmarkEvaluate10k(b *testing.B) { benchEvaluate10k(b, nil) }

// BenchmarkEvaluate10kWaivers is BenchmarkEvaluate10k with 40 waivers:
// 20 that name 50 hosts each, 20 that select hosts by a limit pattern.
func BenchmarkEvaluate10kWaivers(b *testing.B) {
	benchEvaluate10k(b, func(hosts []drift.HostInput) []byte {
		var src strings.Builder
		for i := range 40 {
			pol := []string{"tcp_timed_wait_delay", "http_listen_list", "time_wait_pressure", "fleetport.port_exhaustion"}[i%4]
			cover := fmt.Sprintf("limit = \"*-%03d*,&group:web,!smtp*\"", i)
			if i%2 == 0 {
				var names []string
				for j := range 50 {
					names = append(names, fmt.Sprintf("%q", hosts[(i*50+j)%len(hosts)].Policy.Name))
				}
				cover = "hosts = [" + strings.Join(names, ", ") + "]"
			}
			fmt.Fprintf(&src, "waiver \"w%02d\" {\n  policy = %q\n  %s\n  reason = \"benchmark\"\n  until  = \"2099-12-31\"\n}\n", i, pol, cover)
		}
		return []byte(src.String())
	})
}

func benchEvaluate10k(b *testing.B, waivers func([]drift.HostInput) []byte) {
	f, got, set := simulatedFleet(b, 60)
	hosts := f.Hosts()
	in := drift.Input{Policies: set, CrossFact: true}
	for i := range 10000 {
		h := hosts[i%len(hosts)]
		ph := policyHost(h.Plan)
		ph.Name = fmt.Sprintf("%s-%05d", h.Plan.Name, i)
		var fc *facts.Host
		if src := got[h.Plan.Name]; src != nil {
			c := *src
			c.Name = ph.Name
			fc = &c
		}
		in.Hosts = append(in.Hosts, drift.HostInput{Policy: ph, Facts: fc, Baseline: fc})
	}
	if waivers != nil {
		wf, diags := policies.Parse(waivers(in.Hosts), "waivers.hcl")
		s, d := policies.NewSet(append(append([]*policies.File{}, set.Files...), wf)...)
		if diags = append(append(diags, d...), s.CheckWaivers()...); diags.HasErrors() {
			b.Fatal(diags)
		}
		in.Policies = s
	}
	b.ReportAllocs()
	b.ResetTimer()
	var sum drift.Summary
	for range b.N {
		sum = drift.Evaluate(in).Summary
	}
	b.ReportMetric(float64(sum.Findings), "findings")
	if waivers != nil {
		b.ReportMetric(float64(sum.Waived), "waived")
	}
}
