package winhost

import (
	"fmt"
	"io"
	"net/netip"
	"runtime"
	"testing"
)

// BenchmarkIdleHostMemory reports the heap a fleet of idle hosts takes,
// per host, for 10,000 hosts (the largest fleet fleetport simulates).
func BenchmarkIdleHostMemory(b *testing.B) {
	const n = 10000
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		hosts := make([]*Host, n)
		for j := range hosts {
			spec := Spec{
				Name: fmt.Sprintf("WEB%05d", j), Domain: "corp.example", OS: Server2019,
				Interfaces: []Interface{{Name: "Ethernet", Addrs: []netip.Addr{
					netip.AddrFrom4([4]byte{127, 1, byte(j >> 8), byte(j)}), netip.AddrFrom4([4]byte{10, 1, byte(j >> 8), byte(j)}),
				}}},
			}
			h, err := New(spec, Options{})
			if err != nil {
				b.Fatal(err)
			}
			hosts[j] = h
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/host")
		runtime.KeepAlive(hosts)
	}
}

// BenchmarkNetstatTimeWaitPile renders netstat -ano with a pile of 16,000
// TIME_WAIT sockets (a host close to exhausting the default range).
func BenchmarkNetstatTimeWaitPile(b *testing.B) {
	spec := baseSpec(Server2019)
	spec.Piles = []Pile{{Remote: netip.MustParseAddrPort("10.0.0.9:1433"), Count: 16000}}
	h, err := New(spec, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.Exec(b.Context(), Command{Line: "netstat -ano", Stdout: io.Discard})
	}
}

// TestIdleHostMemoryBudget keeps the per-host footprint from creeping up.
func TestIdleHostMemoryBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 1,000 hosts")
	}
	const n = 1000
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	hosts := make([]*Host, n)
	for j := range hosts {
		spec := baseSpec(Server2019)
		spec.Name = fmt.Sprintf("WEB%04d", j)
		h, err := New(spec, Options{})
		if err != nil {
			t.Fatal(err)
		}
		hosts[j] = h
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := float64(after.HeapAlloc-before.HeapAlloc) / n
	runtime.KeepAlive(hosts)
	if per > 4096 {
		t.Errorf("an idle host takes %.0f bytes; budget 4096", per)
	}
	t.Logf("%.0f bytes per idle host", per)
}
