package plan

import (
	"net/netip"
	"testing"
)

// TestUndoSummary: a rollback's action says what it does from where the
// host is now: the arrow points from the value the apply set to the one
// the rollback restores.
func TestUndoSummary(t *testing.T) {
	n30, n240 := uint64(30), uint64(240)
	mgmt, lo := netip.MustParseAddr("10.97.0.11"), netip.MustParseAddr("127.0.0.1")
	for _, c := range []struct {
		a    Action
		want string
	}{
		{Action{Summary: "TcpTimedWaitDelay 240 (absent) → 30", Registry: &RegistryChange{Name: "TcpTimedWaitDelay", Type: "REG_DWORD", After: &RegValue{Num: &n30}}},
			"undo TcpTimedWaitDelay 30 → absent"},
		{Action{Summary: "TcpTimedWaitDelay 240 → 30", Registry: &RegistryChange{Name: "TcpTimedWaitDelay", Type: "REG_DWORD", Before: &RegValue{Num: &n240}, After: &RegValue{Num: &n30}}},
			"undo TcpTimedWaitDelay 30 → 240"},
		{Action{Summary: "listen list empty (every address) → ...", ListenList: &ListenListChange{Tool: "netsh", After: []netip.Addr{mgmt, lo}, Add: []netip.Addr{mgmt, lo}}},
			"undo listen list 10.97.0.11, 127.0.0.1 → empty (every address) (remove 10.97.0.11, 127.0.0.1)"},
		{Action{Summary: "ipv4 tcp dynamic port range ...", PortRange: &PortRangeChange{Family: "ipv4", Protocol: "tcp", Before: PortRange{Start: 1025, Num: 3976}, After: PortRange{Start: 49152, Num: 16384}}},
			"undo ipv4 tcp dynamic port range 49152-65535 (16384 ports) → 1025-5000 (3976 ports)"},
		{Action{Summary: "W3SVC stopped → running", Service: &ServiceChange{Name: "W3SVC", Before: "stopped", After: "running"}},
			"undo W3SVC running → stopped"},
		{Action{Summary: "...", SocketPooling: &SocketPoolingChange{Service: "w3svc", Instance: 1, After: true}},
			"undo w3svc/1/disablesocketpooling true → false"},
	} {
		got := c.a.Reverse().Summary
		if got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.a.Summary, got, c.want)
		}
	}
}
