package parse_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/parse"
)

// timeWaitPile is `netstat -ano` of a client host out of ephemeral ports:
// the usual listeners, then n TIME_WAIT sockets toward one SQL server,
// local ports from 49152 (the layout of the corpus capture).
func timeWaitPile(n int) []byte {
	var b bytes.Buffer
	b.WriteString("\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n")
	for _, p := range []int{80, 135, 443, 445, 3389, 5985, 47001} {
		fmt.Fprintf(&b, "  TCP    %-21s  %-21s  %-16s%d\r\n", fmt.Sprintf("0.0.0.0:%d", p), "0.0.0.0:0", "LISTENING", 4)
	}
	for i := range n {
		fmt.Fprintf(&b, "  TCP    %-21s  %-21s  %-16s%d\r\n", fmt.Sprintf("10.0.0.5:%d", 49152+i%16384), "10.0.0.20:1433", "TIME_WAIT", 0)
	}
	fmt.Fprintf(&b, "  UDP    %-21s  %-21s  %-16s%d\r\n", "0.0.0.0:123", "*:*", "", 1200)
	return b.Bytes()
}

// BenchmarkNetstatTimeWaitPile parses a 16,000-row TIME_WAIT pile.
func BenchmarkNetstatTimeWaitPile(b *testing.B) {
	for _, keep := range []facts.Keep{facts.KeepAll, facts.KeepListeners} {
		b.Run(keep.String(), func(b *testing.B) {
			in := timeWaitPile(16000)
			opts := parse.Options{Sockets: facts.SocketOptions{Keep: keep}}
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				s, err := parse.ParseNetstat(bytes.NewReader(in), opts)
				if err != nil || s.Summary.States.Get(facts.StateTimeWait) != 16000 {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/16000, "ns/row")
		})
	}
}

// BenchmarkNetstatGerman is the same pile from a German host, decoded
// from CP850 (detected).
func BenchmarkNetstatGerman(b *testing.B) {
	in := bytes.ReplaceAll(timeWaitPile(16000), []byte("TIME_WAIT"), []byte("WARTEND  "))
	in = bytes.ReplaceAll(in, []byte("LISTENING"), []byte("ABH\x99REN  "))
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		s, err := parse.ParseNetstat(bytes.NewReader(in), parse.Options{})
		if err != nil || s.Summary.States.Get(facts.StateTimeWait) != 16000 || s.Encoding != "cp850" {
			b.Fatal(err, s.Encoding)
		}
	}
}

// TestPileMemory checks the memory the kept table holds per row.
func TestPileMemory(t *testing.T) {
	in := timeWaitPile(16000)
	for _, c := range []struct {
		keep  facts.Keep
		limit float64 // bytes allocated per row, whole parse
	}{{facts.KeepAll, 400}, {facts.KeepListeners, 250}} {
		res := testing.Benchmark(func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := parse.ParseNetstat(bytes.NewReader(in), parse.Options{Sockets: facts.SocketOptions{Keep: c.keep}}); err != nil {
					b.Fatal(err)
				}
			}
		})
		perRow := float64(res.AllocedBytesPerOp()) / 16000
		allocs := float64(res.AllocsPerOp()) / 16000
		t.Logf("%v: %.0f bytes and %.4f allocations per row, %v per parse", c.keep, perRow, allocs, res.T/time.Duration(res.N))
		if perRow > c.limit || allocs > 0.01 {
			t.Errorf("%v: %.0f bytes / %.4f allocs per row", c.keep, perRow, allocs)
		}
	}
}

// TestTCPConnectionJSONLargeCompressed: -Compress puts a whole pile on
// one line, longer than the line cap of the line-based parsers.
func TestTCPConnectionJSONLargeCompressed(t *testing.T) {
	var b bytes.Buffer
	b.WriteByte('[')
	for i := range 16000 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"LocalAddress":"10.0.0.5","LocalPort":%d,"RemoteAddress":"10.0.0.20","RemotePort":1433,"State":11,"OwningProcess":0}`, 49152+i%16384)
	}
	b.WriteByte(']')
	s, err := parse.ParseTCPConnectionJSON(bytes.NewReader(b.Bytes()), parse.Options{})
	if err != nil || s.Summary.States.Get(facts.StateTimeWait) != 16000 || b.Len() < parse.DefaultMaxLineBytes {
		t.Fatalf("%v, %d TIME_WAIT from %d bytes", err, s.Summary.States.Get(facts.StateTimeWait), b.Len())
	}
	if _, err := parse.ParseTCPConnectionJSON(bytes.NewReader(b.Bytes()), parse.Options{MaxBytes: 1 << 20}); !errors.Is(err, parse.ErrTooLarge) {
		t.Errorf("MaxBytes: %v", err)
	}
}
