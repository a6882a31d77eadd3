package sim

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"
)

// HostPlan is what the generator decided for one host: identity, role and
// the drift and faults it carries. It is the ground truth tests compare a
// collection against.
type HostPlan struct {
	Name        string        `json:"name"`
	Addr        netip.Addr    `json:"address"`         // management address (what fleetport connects to)
	ServiceAddr netip.Addr    `json:"service_address"` // the address the host's services are meant to bind
	OS          string        `json:"os"`
	Locale      string        `json:"locale"`
	Role        string        `json:"role"`
	Services    []string      `json:"services,omitempty"`
	Drift       []string      `json:"drift,omitempty"`
	Faults      []string      `json:"faults,omitempty"`
	PileCount   int           `json:"pile_count,omitempty"` // TIME_WAIT sockets of a timewait_pile; 0 = 80 % of the range
	Latency     time.Duration `json:"latency,omitempty"`
	Jitter      time.Duration `json:"jitter,omitempty"`
	SlowBy      time.Duration `json:"slow_by,omitempty"`
	RebootAfter time.Duration `json:"reboot_after,omitempty"`
	// Uptime is how long the host had been up when the fleet was built:
	// its boot time (wmic os get LastBootUpTime) is the fleet's start
	// less this, until it reboots. 1 to 40 days, drawn from the seed.
	Uptime time.Duration `json:"uptime"`
	// SiteAddr is the address of the second site, "intranet", of a host
	// carrying site_binding_unlisted: a second address of the host, in
	// the fleet's service network, that its listen list does not name and
	// no other host has.
	SiteAddr netip.Addr `json:"site_address,omitzero"`
}

// Has reports whether the host carries a drift or fault kind.
func (p HostPlan) Has(kind string) bool {
	return slices.Contains(p.Drift, kind) || slices.Contains(p.Faults, kind)
}

// FQDN is the host's DNS name.
func (p HostPlan) FQDN(domain string) string {
	if domain == "" {
		return p.Name
	}
	return p.Name + "." + domain
}

// Plan lays out the fleet. The same scenario always gives the same plan:
// every random choice comes from generators seeded with Seed and a name.
func (sc Scenario) Plan() ([]HostPlan, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	roleRng := sc.rng("roles")
	osRng := sc.rng("os")
	locRng := sc.rng("locale")
	osKeys, locKeys := sortedKeys(sc.OSMix), sortedKeys(sc.LocaleMix)
	roleWeights := make(map[string]float64, len(sc.Roles))
	services := make(map[string][]string, len(sc.Roles))
	for _, r := range sc.Roles {
		roleWeights[r.Name] += r.Share
		services[r.Name] = r.Services
	}
	roleKeys := sortedKeys(roleWeights)
	perRole := map[string]int{}
	plans := make([]HostPlan, 0, sc.Hosts)
	addr := sc.Network.Addr()
	for range sc.Hosts {
		for last := addr.As4()[3]; last == 0 || last == 255; last = addr.As4()[3] {
			addr = addr.Next()
		}
		role := pick(roleRng, roleKeys, roleWeights)
		perRole[role]++
		a4 := addr.As4()
		p := HostPlan{
			Name:        fmt.Sprintf("%s%04d", role, perRole[role]),
			Addr:        addr,
			ServiceAddr: netip.AddrFrom4([4]byte{10, a4[1], a4[2], a4[3]}),
			OS:          pick(osRng, osKeys, sc.OSMix),
			Locale:      pick(locRng, locKeys, sc.LocaleMix),
			Role:        role,
			Services:    services[role],
		}
		plans = append(plans, p)
		addr = addr.Next()
	}
	upRng := sc.rng("uptime")
	for i := range plans {
		// 1 to 40 days, to the microsecond.
		plans[i].Uptime = 24*time.Hour + time.Duration(upRng.Int64N(int64(39*24*time.Hour/time.Microsecond)))*time.Microsecond
	}
	byName := make(map[string]int, len(plans))
	for i, p := range plans {
		byName[p.Name] = i
	}
	nextSiteAddr := siteAddrs(sc.Network, plans)
	for _, d := range sc.Drift {
		eligible := func(p *HostPlan) bool { return driftApplies(d, p) }
		idx, err := choose(sc.rng("drift/"+d.Kind), plans, byName, d.Share, d.Hosts, eligible)
		if err != nil {
			return nil, fmt.Errorf("drift %s: %w", d.Kind, err)
		}
		for _, i := range idx {
			plans[i].Drift = append(plans[i].Drift, d.Kind)
			switch d.Kind {
			case DriftTimeWaitPile:
				plans[i].PileCount = d.Count
			case DriftSiteBindingUnlisted:
				if !plans[i].SiteAddr.IsValid() {
					plans[i].SiteAddr = nextSiteAddr()
				}
			}
		}
	}
	for _, f := range sc.Faults {
		eligible := func(p *HostPlan) bool {
			// One host carries at most one of the faults that decide its
			// status, so that every host's expected status is plain.
			return !exclusiveFault(f.Kind) || !slices.ContainsFunc(p.Faults, exclusiveFault)
		}
		idx, err := choose(sc.rng("fault/"+f.Kind), plans, byName, f.Share, f.Hosts, eligible)
		if err != nil {
			return nil, fmt.Errorf("fault %s: %w", f.Kind, err)
		}
		for _, i := range idx {
			p := &plans[i]
			p.Faults = append(p.Faults, f.Kind)
			switch f.Kind {
			case FaultLatency:
				p.Latency, p.Jitter = f.Latency, f.Jitter
			case FaultSlow:
				p.SlowBy = f.Duration
			case FaultReboot:
				p.RebootAfter = f.Duration
			}
		}
	}
	return plans, nil
}

func exclusiveFault(kind string) bool {
	switch kind {
	case FaultRefuse, FaultHang, FaultAuth, FaultQuota, FaultGarble:
		return true
	}
	return false
}

// siteAddrs hands out the addresses of unlisted sites: free addresses of
// the fleet's service network (the management network mirrored into
// 10.0.0.0/8, where every host's service address lies), from its top
// down, skipping the last octets 0 and 255 and every host's service
// address, so that no address is two hosts'. Should the network have no
// free address left, it goes on above the network.
func siteAddrs(network netip.Prefix, plans []HostPlan) func() netip.Addr {
	taken := make(map[netip.Addr]bool, len(plans))
	for _, p := range plans {
		taken[p.ServiceAddr] = true
	}
	m := network.Masked().Addr().As4()
	m[0] = 10
	svc := netip.PrefixFrom(netip.AddrFrom4(m), max(network.Bits(), 8))
	top := svc.Addr()
	for n := svc.Addr(); svc.Contains(n); n = n.Next() {
		top = n
	}
	next, down := top, true
	return func() netip.Addr {
		for {
			a := next
			switch p := a.Prev(); {
			case !down:
				next = a.Next()
			case svc.Contains(p):
				next = p
			default:
				next, down = top.Next(), false
			}
			if last := a.As4()[3]; last != 0 && last != 255 && !taken[a] {
				taken[a] = true
				return a
			}
		}
	}
}

// driftApplies says whether a drift kind can be put on a host: the kind must
// make sense for its role and OS, and the listen-list kinds exclude each
// other. site_binding_unlisted needs a non-empty listen list (an empty one
// lets http.sys serve every address), a release that can show it (netsh
// http show servicestate, 2008 R2 and later) and W3SVC running (a stopped
// W3SVC registers no site).
func driftApplies(d Drift, p *HostPlan) bool {
	if len(d.Roles) > 0 && !slices.Contains(d.Roles, p.Role) {
		return false
	}
	has := func(k string) bool { return slices.Contains(p.Drift, k) }
	web := slices.Contains(p.Services, "W3SVC")
	switch d.Kind {
	case DriftListenListEmpty:
		return web && !has(DriftListenListEmpty) && !has(DriftListenListStale) && !has(DriftListenListLockoutPending) &&
			!has(DriftSiteBindingUnlisted)
	case DriftListenListStale, DriftListenListLockoutPending:
		return web && !has(DriftListenListEmpty) && !has(DriftListenListStale) && !has(DriftListenListLockoutPending)
	case DriftSiteBindingUnlisted:
		return web && p.OS != "2003" && !has(DriftListenListEmpty) && !has(DriftW3SVCStopped)
	case DriftW3SVCStopped:
		return web && !has(DriftSiteBindingUnlisted)
	case DriftSMTPWildcard:
		return slices.Contains(p.Services, "SMTPSVC")
	case DriftMaxUserPortDefault:
		return p.OS == "2003"
	case DriftDynamicRangeDefault:
		return p.OS != "2003"
	case DriftTimedWaitDelayDefault:
		return !has(DriftPendingReboot)
	case DriftPendingReboot:
		return !has(DriftTimedWaitDelayDefault)
	case DriftTimeWaitPile:
		return p.Role != "sql"
	}
	return true
}

// choose picks round(share % of the eligible hosts) at random, plus the
// named hosts, and returns their indexes in fleet order.
func choose(rng *rand.Rand, plans []HostPlan, byName map[string]int, share float64, names []string, eligible func(*HostPlan) bool) ([]int, error) {
	var pool []int
	for i := range plans {
		if eligible(&plans[i]) {
			pool = append(pool, i)
		}
	}
	n := int(math.Round(share / 100 * float64(len(pool))))
	rng.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	picked := slices.Clone(pool[:n])
	for _, name := range names {
		i, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("no host is named %q", name)
		}
		if !slices.Contains(picked, i) {
			picked = append(picked, i)
		}
	}
	slices.Sort(picked)
	return picked, nil
}

func (sc Scenario) rng(name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(sc.Seed, h.Sum64()))
}

// pick draws a key with probability proportional to its weight.
func pick(rng *rand.Rand, keys []string, weights map[string]float64) string {
	total := 0.0
	for _, k := range keys {
		total += weights[k]
	}
	x := rng.Float64() * total
	for _, k := range keys {
		x -= weights[k]
		if x < 0 && weights[k] > 0 {
			return k
		}
	}
	for i := len(keys) - 1; i >= 0; i-- {
		if weights[keys[i]] > 0 {
			return keys[i]
		}
	}
	return keys[0]
}
