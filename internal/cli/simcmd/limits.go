package simcmd

import (
	"fmt"
	"net/netip"
	"syscall"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/sim"
)

// raiseFileLimit makes sure the process may open a listener per host and
// transport plus room for the clients' connections (a connection per host,
// or at least a thousand at once), raising RLIMIT_NOFILE as far as it is
// allowed to.
func raiseFileLimit(sc sim.Scenario) error {
	listeners := 0
	if sc.HTTPPort != 0 {
		listeners += sc.Hosts
	}
	if sc.HTTPSPort != 0 {
		listeners += sc.Hosts
	}
	need := uint64(listeners + min(sc.Hosts, 1024) + 64)
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return nil // not knowable here; listening will say what is wrong
	}
	if lim.Cur >= need {
		return nil
	}
	want := lim
	want.Cur = need
	if want.Max < need {
		want.Max = need // allowed for root (CAP_SYS_RESOURCE) only
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err == nil {
		return nil
	}
	if lim.Max > lim.Cur {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	if uint64(listeners)+64 < lim.Cur {
		// Enough for the listeners; clients beyond the rest wait for a
		// free descriptor (net/http retries the accept).
		return nil
	}
	return cmdutil.WithHint(
		fmt.Errorf("%d hosts need about %d open files, and this process may open only %d", sc.Hosts, need, lim.Cur),
		"raise the limit (ulimit -n), serve one transport (--https-port 0), or simulate fewer hosts")
}

func parsePrefix(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return p, fmt.Errorf("--network %q is not a prefix such as 127.20.0.0/16", s)
	}
	if !p.Addr().Is4() || !p.Addr().IsLoopback() {
		return p, fmt.Errorf("--network %s is not inside 127.0.0.0/8: simulated hosts live on loopback addresses", s)
	}
	return p.Masked(), nil
}
