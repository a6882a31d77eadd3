package report

import (
	"fmt"
	"io"
	"testing"

	"github.com/fleetport/fleetport/internal/drift"
)

// bigReport is the hand report's hosts repeated to n hosts.
func bigReport(n int) *drift.Report {
	r := handReport()
	base := r.Hosts
	r.Hosts = nil
	for i := 0; i < n; i++ {
		h := base[i%len(base)]
		h.Name = fmt.Sprintf("%s-%04d", h.Name, i)
		h.Findings = append([]drift.Finding(nil), h.Findings...)
		for j := range h.Findings {
			h.Findings[j].Host = h.Name
		}
		r.Hosts = append(r.Hosts, h)
	}
	finish(r)
	return r
}

func BenchmarkWrite(b *testing.B) {
	r := bigReport(2000)
	for _, f := range Formats() {
		b.Run(string(f), func(b *testing.B) {
			for b.Loop() {
				if err := Write(io.Discard, f, r, Options{Verbose: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
