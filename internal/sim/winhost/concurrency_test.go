package winhost

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// TestConcurrentCommands runs many shells' commands at once (run it with
// -race): state stays consistent and reachability events alternate.
func TestConcurrentCommands(t *testing.T) {
	var mu sync.Mutex
	var events []bool
	var h *Host
	h = newHost(t, baseSpec(Server2019), Options{ServiceStepDelay: time.Millisecond, OnReachability: func(up bool) {
		// A callback may call back into the host: no lock is held.
		_ = h.Reachable(mgmt)
		mu.Lock()
		events = append(events, up)
		mu.Unlock()
	}})
	lines := []string{
		"netstat -ano", "netstat -anob", "sc query", "net stop w3svc", "net start w3svc",
		`reg add HKLM\SOFTWARE\Fleet /v n /t REG_DWORD /d 1 /f`, `reg query HKLM\SOFTWARE\Fleet`,
		"netsh http add iplisten ipaddress=10.1.2.3", "netsh http delete iplisten ipaddress=10.1.2.3",
		"netsh http show iplisten", "netsh int ipv4 set dynamicport tcp start=10000 num=1000",
		"netsh http show servicestate", "wmic os get LastBootUpTime /value",
		"netsh int ipv4 show dynamicport tcp", "net stop http /y", "net start winrm", "net start w3svc",
		"schtasks /create /tn t /tr hostname /sc once /st 00:00 /f", "schtasks /run /tn t", "schtasks /query",
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 40; i++ {
				line := lines[(g*7+i)%len(lines)]
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				h.Exec(ctx, Command{Line: line})
				cancel()
				h.AddPile(Pile{Remote: netip.MustParseAddrPort(fmt.Sprintf("10.0.0.%d:1433", g+1)), Count: 10})
				_ = h.Reachable(mgmt)
				_ = h.Audit()
				if i%10 == 0 {
					h.RemovePiles(netip.MustParseAddrPort(fmt.Sprintf("10.0.0.%d:1433", g+1)))
				}
			}
		}()
	}
	wg.Wait()
	h.Close()
	mu.Lock()
	defer mu.Unlock()
	for i := 1; i < len(events); i++ {
		if events[i] == events[i-1] {
			t.Fatalf("events do not alternate: %v", events)
		}
	}
	if len(events) > 0 && events[len(events)-1] != h.Reachable(mgmt) {
		t.Errorf("last event %v, host reachable %v", events[len(events)-1], h.Reachable(mgmt))
	}
	if n := len(h.Audit()); n != auditCap {
		t.Errorf("audit holds %d entries, want the cap %d", n, auditCap)
	}
}
