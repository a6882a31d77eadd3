package root

import (
	"os"
	"runtime/debug"
)

// tuneGC sets the garbage collector's target to 200 % unless GOGC is set:
// a collection allocates mostly short-lived buffers (SOAP envelopes,
// decoded output), and at the default 100 % the collector spent a quarter
// of its CPU in the GC (docs/BENCHMARKS.md). GOGC and GOMEMLIMIT in the
// environment still rule.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
}
