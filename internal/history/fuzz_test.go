package history

import (
	"os"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/internal/store"
	"github.com/fleetport/fleetport/policies"
)

// FuzzStoredFacts decodes arbitrary bytes as a host's stored facts
// document, as drift --run reads it back from the store, and judges it
// with the built-in policies, as document and as its boot's baseline: the
// host is judged (unknown when its document cannot be read), never a
// panic. (The store itself is left out: its SQLite engine makes each run
// of the fuzzer too slow to find anything.)
func FuzzStoredFacts(f *testing.F) {
	if golden, err := os.ReadFile("../facts/testdata/host.golden.json"); err == nil {
		f.Add(golden)
	}
	f.Add([]byte(`{"version":1,"name":"web01","status":"ok","registry":[{"path":"HKLM\\x","name":"TcpTimedWaitDelay","type":"REG_DWORD","number":30}]}`))
	f.Add([]byte(`{"name":"web01","sockets":{"summary":{"states":{"TIME_WAIT":99999999999}}}}`))
	f.Add([]byte(`null`))
	set, diags := policies.Builtin()
	if diags.HasErrors() {
		f.Fatal(diags)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		h := decodeRecord(store.HostRecord{Name: "web01", Status: "ok", Facts: doc})
		if h == nil || h.Name != "web01" {
			t.Fatalf("decoded %+v", h)
		}
		hi := drift.HostInput{Policy: policies.Host{Name: "web01", Address: h.Address}, Facts: h}
		if !h.BootTime.IsZero() {
			hi.Baseline = BaselineOf(decodeRecord(store.HostRecord{Name: "web01", Status: "ok", Facts: doc}))
		}
		rep := drift.Evaluate(drift.Input{Policies: set, CrossFact: true, Now: time.Unix(1e9, 0), Hosts: []drift.HostInput{hi}})
		if rep.Summary.Hosts != 1 {
			t.Fatalf("%d hosts judged, want 1", rep.Summary.Hosts)
		}
	})
}
