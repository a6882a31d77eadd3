package jobqtest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"

	"github.com/fleetport/fleetport/internal/facts"
)

// Compare options.
type Compare struct {
	// BootTime leaves out the boot time and the output it was read from:
	// two simulated fleets built from one scenario at different moments
	// boot their hosts at different times.
	BootTime bool
}

// Diff compares two facts documents of one host, leaving out the timing
// of the collection (started, finished), and returns the fields that
// differ ("" when none do).
func (c Compare) Diff(a, b *facts.Host) string {
	na, nb := c.normal(a), c.normal(b)
	var diffs []string
	keys := map[string]bool{}
	for k := range na {
		keys[k] = true
	}
	for k := range nb {
		keys[k] = true
	}
	for k := range keys {
		if !reflect.DeepEqual(na[k], nb[k]) {
			ja, _ := json.Marshal(na[k])
			jb, _ := json.Marshal(nb[k])
			if len(ja) > 300 {
				ja = append(ja[:300], "..."...)
			}
			if len(jb) > 300 {
				jb = append(jb[:300], "..."...)
			}
			diffs = append(diffs, fmt.Sprintf("%s: %s != %s", k, ja, jb))
		}
	}
	sort.Strings(diffs)
	if len(diffs) == 0 {
		return ""
	}
	return fmt.Sprint(diffs)
}

func (c Compare) normal(h *facts.Host) map[string]any {
	if h == nil {
		return map[string]any{"missing": true}
	}
	b, _ := json.Marshal(h)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	delete(m, "started")
	delete(m, "finished")
	if c.BootTime {
		delete(m, "boot_time")
		if outs, ok := m["outputs"].([]any); ok {
			kept := outs[:0]
			for _, o := range outs {
				if om, ok := o.(map[string]any); ok && om["fact"] == facts.FactBootTime {
					continue
				}
				kept = append(kept, o)
			}
			m["outputs"] = kept
		}
	}
	return m
}
