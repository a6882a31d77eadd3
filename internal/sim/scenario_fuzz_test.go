package sim

import (
	"os"
	"testing"
)

// FuzzParseScenario feeds the scenario loader arbitrary bytes: it must
// return diagnostics, never panic, and any scenario it accepts must be
// valid and plannable.
func FuzzParseScenario(f *testing.F) {
	if src, err := os.ReadFile("../../examples/sim/demo.hcl"); err == nil {
		f.Add(src)
	}
	for _, s := range []string{
		"fleet {\n  hosts = 3\n}\n",
		"drift \"timewait_pile\" {\n  share = 50\n  count = 100\n}\n",
		"fault \"latency\" {\n  share = 100\n  latency = \"5ms\"\n}\nrole \"web\" {\n  share = 1\n  services = [\"W3SVC\"]\n}\n",
		"fleet {\n  os_mix = { \"2003\" = 1 }\n  network = \"127.9.0.0/30\"\n  hosts = 2\n}\n",
		"fleet { hosts = -1 }",
		"fault \"refuse\" { hosts = [\"web0001\"] }",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		sc, diags := ParseScenario(src, "fuzz.hcl")
		if diags.HasErrors() {
			for _, d := range diags {
				if d.Summary == "" {
					t.Fatalf("a diagnostic without a summary: %#v", d)
				}
			}
			return
		}
		if err := sc.Validate(); err != nil {
			t.Fatalf("accepted an invalid scenario: %v", err)
		}
		if sc.Hosts > 2000 {
			return // planning is linear; keep the fuzzer fast
		}
		if _, err := sc.Plan(); err != nil {
			// Only named hosts that do not exist may fail a plan.
			t.Logf("plan: %v", err)
		}
	})
}
