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

// BenchmarkWriteHTMLFleet renders the HTML page of a 2,000-host fleet made
// of the drift engine's results on a simulated fleet (fleetReport), and
// reports the page's size.
func BenchmarkWriteHTMLFleet(b *testing.B) {
	r := fleetReport(b, 2000)
	var n countWriter
	for b.Loop() {
		n = 0
		if err := Write(&n, HTML, r, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n), "page-bytes")
}

type countWriter int

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}
