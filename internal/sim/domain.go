package sim

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/fleetport/fleetport/internal/sim/adjoin"
	"github.com/fleetport/fleetport/internal/sim/endpoint"
	"github.com/fleetport/fleetport/internal/sim/winhost"
)

// The faults of a domain member's Kerberos (and of its NTLM policy).
const (
	// FaultNTLMRefused: the policy "Restrict NTLM: Incoming NTLM traffic"
	// is Deny all; NTLM logons fail as bad credentials do.
	FaultNTLMRefused = "ntlm_refused"
	// FaultClockSkew: the host's clock is ClockSkew ahead of the domain's;
	// it refuses Kerberos authenticators (KRB_AP_ERR_SKEW).
	FaultClockSkew = "clock_skew"
	// FaultStaleKeys: the computer account's password changed in the
	// directory after the host took its keys; it cannot open the tickets
	// the KDC issues now (KRB_AP_ERR_BADKEYVER).
	FaultStaleKeys = "stale_keys"
	// FaultRC4Only: the computer account offers RC4 only
	// (msDS-SupportedEncryptionTypes = 4).
	FaultRC4Only = "rc4_only"
)

// ClockSkew is how far a clock_skew host's clock is ahead.
const ClockSkew = 10 * time.Minute

// joinDomain makes every host of plans a member of the domain: one computer
// account each (hosts with stale_keys are joined twice and keep the keys of
// the first join), with Domain Admins and admins in its Administrators and
// remoteMgmt in its Remote Management Users, resolved in the directory. It
// returns each host's Kerberos settings by name.
func joinDomain(ctx context.Context, dir adjoin.Directory, plans []HostPlan, admins, remoteMgmt []string) (map[string]*endpoint.Kerberos, error) {
	groups, err := adjoin.LocalGroups(ctx, dir, admins, remoteMgmt)
	if err != nil {
		return nil, fmt.Errorf("join the domain %s: %w", dir.Realm, err)
	}
	machines := make([]adjoin.Machine, len(plans))
	var stale []adjoin.Machine
	for i, p := range plans {
		m := adjoin.Machine{Name: p.Name}
		if os, err := winhost.ParseOS(p.OS); err == nil {
			m.OperatingSystem = os.ProductName()
			if b := os.DefaultBuild(); b != "" {
				// "10.0.17763" -> "10.0 (17763)", as Windows writes it.
				if i := strings.LastIndexByte(b, '.'); i > 0 {
					m.OperatingSystemVersion = b[:i] + " (" + b[i+1:] + ")"
				}
			}
		}
		if p.Has(FaultRC4Only) {
			m.EncTypes = adjoin.EncRC4
		}
		machines[i] = m
		if p.Has(FaultStaleKeys) {
			stale = append(stale, m)
		}
	}
	accts, err := adjoin.Join(ctx, dir, machines)
	if err != nil {
		return nil, fmt.Errorf("join the domain %s: %w", dir.Realm, err)
	}
	if len(stale) > 0 {
		if _, err := adjoin.Join(ctx, dir, stale); err != nil {
			return nil, fmt.Errorf("join the domain %s: %w", dir.Realm, err)
		}
	}
	out := make(map[string]*endpoint.Kerberos, len(plans))
	for i, p := range plans {
		a := accts[i]
		k := &endpoint.Kerberos{Keytab: a.Keytab(), Account: a.Name + "$", Realm: a.Realm,
			Administrators: groups.Administrators, RemoteManagementUsers: groups.RemoteManagementUsers}
		if p.Has(FaultClockSkew) {
			k.Clock = func() time.Time { return time.Now().Add(ClockSkew) }
		}
		out[p.Name] = k
	}
	return out, nil
}
