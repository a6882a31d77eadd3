package dispatch

import (
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/fleetport/fleetport/policies"
)

// FuzzDecodeMessages feeds every message type arbitrary bytes, as a NATS
// subject would: each decodes or fails, never panics, and a job's policy
// view of its host (typed cty values on the wire) converts back or fails.
func FuzzDecodeMessages(f *testing.F) {
	j := validJob()
	ph, err := NewPolicyHost(policies.Host{Name: "web01", Address: "10.0.0.1", Groups: []string{"web"},
		Tags: map[string]string{"os": "2019"},
		Vars: map[string]cty.Value{"ports": cty.ListVal([]cty.Value{cty.NumberIntVal(80)}), "m": cty.MapVal(map[string]cty.Value{"a": cty.StringVal("b")})}})
	if err != nil {
		f.Fatal(err)
	}
	j.Host.Policy = ph
	for _, m := range []any{&j, &Result{V: Version, Job: "c1.1", Host: "web01", Runner: "r1", Facts: []byte(`{"name":"web01"}`)},
		&Spec{V: Version, Policies: []PolicyFile{{Name: "a.hcl", Source: []byte(`policy "p" {}`)}}},
		&Heartbeat{V: Version}, &Claim{V: Version}, &Reply{V: Version}} {
		b, err := Encode(m)
		if err != nil {
			f.Fatal(err)
		}
		for kind := range 10 {
			f.Add(uint8(kind), b)
		}
	}
	f.Add(uint8(0), []byte(`{"v":1,"host":{"policy":{"vars":{"x":{"type":["list",["list",["list","string"]]],"value":[[["a"]]]}}}}}`))
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		msgs := []versioned{&Job{}, &Spec{}, &SpecRequest{}, &Started{}, &Result{}, &Claim{}, &JournalEntry{}, &Renew{}, &Reply{}, &Heartbeat{}}
		m := msgs[int(kind)%len(msgs)]
		if err := Decode(data, MaxJobBytes, m); err != nil {
			return
		}
		if j, ok := m.(*Job); ok {
			if j.Host.Password.Value != "" {
				t.Fatalf("a job with a password value decoded")
			}
			_, _ = j.Host.Policy.Host()
		}
	})
}
