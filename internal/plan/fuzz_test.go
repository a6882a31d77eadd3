package plan_test

import (
	"bytes"
	"testing"

	"github.com/fleetport/fleetport/internal/plan"
)

// FuzzRead: a plan file from outside is a plan or an error, never a
// panic; a plan Read accepts writes and reads back the same. The corpus
// under testdata/fuzz/FuzzRead starts from a real plan (samplePlan).
func FuzzRead(f *testing.F) {
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"version":2,"hosts":[{"host":"a","actions":[{"id":"a/p/0"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := plan.Read(bytes.NewReader(data))
		if err != nil {
			if p != nil {
				t.Fatal("Read returned a plan with its error")
			}
			return
		}
		var b bytes.Buffer
		if err := p.Write(&b); err != nil {
			t.Fatal(err)
		}
		if _, err := plan.Read(&b); err != nil {
			t.Fatalf("a plan Read accepted does not read back: %v", err)
		}
	})
}
