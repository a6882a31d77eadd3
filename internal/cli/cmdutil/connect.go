package cmdutil

import (
	"context"
	"net"
	"net/netip"
	"time"

	"github.com/fleetport/fleetport/inventory"
)

// resolveTimeout bounds the look-up of one host's address.
const resolveTimeout = 5 * time.Second

// ConnectAddrs are the addresses fleetport connects to for a host: its
// address when it is an IP, else what the name resolves to (nil when it
// does not resolve within 5 s). The planner keeps every one of them in a
// host's listen list and refuses hosts reached on an address they do not
// have.
func ConnectAddrs(ctx context.Context, h *inventory.Host) []netip.Addr {
	if a, err := netip.ParseAddr(h.Address); err == nil {
		if a.Zone() != "" {
			return nil
		}
		return []netip.Addr{a.Unmap()}
	}
	ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", h.Address)
	if err != nil {
		return nil
	}
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, a.Unmap())
	}
	return out
}
