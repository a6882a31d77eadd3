package sim

import (
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestExampleScenarioParses(t *testing.T) {
	src, err := os.ReadFile("../../examples/sim/demo.hcl")
	if err != nil {
		t.Fatal(err)
	}
	sc, diags := ParseScenario(src, "demo.hcl")
	if diags.HasErrors() {
		t.Fatalf("diagnostics: %v", diags)
	}
	if sc.Hosts != 300 || sc.Seed != 7 || sc.Domain != "corp.example" || sc.RebootTime != 5*time.Second {
		t.Errorf("fleet block: %+v", sc)
	}
	if len(sc.Roles) != 4 || len(sc.Drift) != 10 || len(sc.Faults) != 7 {
		t.Errorf("roles %d drift %d faults %d", len(sc.Roles), len(sc.Drift), len(sc.Faults))
	}
	if sc.Faults[0].Kind != FaultLatency || sc.Faults[0].Latency != 2*time.Millisecond || sc.Faults[0].Jitter != 3*time.Millisecond {
		t.Errorf("latency fault: %+v", sc.Faults[0])
	}
}

func TestScenarioDiagnosticsAreLocated(t *testing.T) {
	cases := []struct {
		name, src, summary string
		line               int
	}{
		{"unknown drift", "drift \"nope\" {\n  share = 5\n}\n", "Unknown drift kind", 1},
		{"unknown fault", "\n\nfault \"explode\" { share = 1 }\n", "Unknown fault kind", 3},
		{"bad duration", "fault \"slow\" {\n  duration = \"soon\"\n}\n", "Invalid duration", 1},
		{"unknown fleet argument", "fleet {\n  hots = 3\n}\n", "Unsupported argument", 2},
		{"network off loopback", "fleet {\n  network = \"10.0.0.0/8\"\n}\n", "Invalid network", 1},
		{"wrong type", "fleet {\n  hosts = \"many\"\n}\n", "Unsuitable value type", 2},
		{"syntax", "fleet {\n  hosts = \n}\n", "Invalid expression", 2},
		{"too many hosts", "fleet {\n  hosts = 300\n  network = \"127.9.9.0/24\"\n}\n", "Invalid scenario", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, diags := ParseScenario([]byte(c.src), "s.hcl")
			if !diags.HasErrors() {
				t.Fatal("no error")
			}
			d := diags[0]
			if d.Summary != c.summary {
				t.Errorf("summary %q, want %q (detail %q)", d.Summary, c.summary, d.Detail)
			}
			if d.Subject == nil || d.Subject.Filename != "s.hcl" || d.Subject.Start.Line != c.line {
				t.Errorf("subject %v, want line %d", d.Subject, c.line)
			}
		})
	}
}

func TestPlanIsDeterministicAndSharesAreExact(t *testing.T) {
	sc := DefaultScenario()
	sc.Hosts = 1000
	sc.Faults = []Fault{{Kind: FaultRefuse, Share: 2}, {Kind: FaultHang, Share: 1}, {Kind: FaultLatency, Share: 100, Latency: time.Millisecond}}
	a, err := sc.Plan()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := sc.Plan()
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same scenario gave two plans")
	}
	sc.Seed++
	c, _ := sc.Plan()
	if reflect.DeepEqual(a, c) {
		t.Fatal("another seed gave the same plan")
	}

	count := func(kind string, eligible func(HostPlan) bool) (n, pool int) {
		for _, p := range a {
			if eligible(p) {
				pool++
			}
			if p.Has(kind) {
				n++
			}
		}
		return
	}
	all := func(HostPlan) bool { return true }
	if n, _ := count(FaultRefuse, all); n != 20 {
		t.Errorf("refuse on %d hosts, want 20", n)
	}
	if n, _ := count(FaultLatency, all); n != 1000 {
		t.Errorf("latency on %d hosts", n)
	}
	// A host carries at most one status-deciding fault.
	for _, p := range a {
		if p.Has(FaultRefuse) && p.Has(FaultHang) {
			t.Errorf("%s has both refuse and hang", p.Name)
		}
	}
	n, pool := count(DriftSMTPWildcard, func(p HostPlan) bool { return p.Role == "smtp" })
	if want := int(math.Round(0.40 * float64(pool))); n != want || pool == 0 {
		t.Errorf("smtp_wildcard on %d of %d smtp hosts, want %d", n, pool, want)
	}
	n, pool = count(DriftMaxUserPortDefault, func(p HostPlan) bool { return p.OS == "2003" })
	if want := int(math.Round(0.5 * float64(pool))); n != want {
		t.Errorf("maxuserport_default on %d of %d 2003 hosts, want %d", n, pool, want)
	}
	seen := map[string]bool{}
	for _, p := range a {
		if seen[p.Name] || seen[p.Addr.String()] {
			t.Fatalf("duplicate name or address %s %s", p.Name, p.Addr)
		}
		seen[p.Name], seen[p.Addr.String()] = true, true
		if last := p.Addr.As4()[3]; last == 0 || last == 255 {
			t.Errorf("address %s", p.Addr)
		}
		if p.Has(DriftListenListEmpty) && p.Has(DriftListenListStale) {
			t.Errorf("%s has two listen-list drifts", p.Name)
		}
		if p.Has(DriftMaxUserPortDefault) && p.OS != "2003" {
			t.Errorf("%s: maxuserport_default on %s", p.Name, p.OS)
		}
	}
}

func TestNamedHostsGetTheirDrift(t *testing.T) {
	sc := DefaultScenario()
	sc.Hosts = 10
	sc.Drift = nil
	sc.Faults = []Fault{{Kind: FaultAuth, Hosts: []string{"web0001"}}}
	plans, err := sc.Plan()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plans {
		if p.Has(FaultAuth) != (p.Name == "web0001") {
			t.Errorf("%s: auth fault %v", p.Name, p.Has(FaultAuth))
		}
	}
	sc.Faults = []Fault{{Kind: FaultAuth, Hosts: []string{"nosuch"}}}
	if _, err := sc.Plan(); err == nil || !strings.Contains(err.Error(), `no host is named "nosuch"`) {
		t.Errorf("unknown host: %v", err)
	}
}
