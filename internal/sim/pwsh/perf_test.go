package pwsh

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// A host in a TIME_WAIT storm: tens of thousands of connections must still
// serialise within the work limits, quickly.
func TestManyConnections(t *testing.T) {
	h := server2016()
	h.conns = nil
	for i := range 60000 {
		h.conns = append(h.conns, Conn{LocalAddress: netip.MustParseAddr("10.0.0.5"), RemoteAddress: netip.MustParseAddr("10.0.0.9"),
			LocalPort: uint16(1024 + i%60000), RemotePort: 443, State: StateTimeWait})
	}
	start := time.Now()
	got := runEncoded(t, h, `Get-NetTCPConnection -State TimeWait | Select-Object LocalPort,@{n='State';e={"$($_.State)"}} | ConvertTo-Json -Compress`)
	if got.code != 0 || strings.Count(got.stdout, `"State":"TimeWait"`) != 60000 {
		t.Fatalf("code %d stderr %q", got.code, got.stderr)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %v", d)
	}
	t.Logf("60000 connections in %v", time.Since(start))
}
