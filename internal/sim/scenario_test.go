package sim

import (
	"math"
	"net/netip"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestExampleScenarioParses(t *testing.T) {
	src, err := os.ReadFile("../../examples/sim/demo.hcl")
	if err != nil {
		t.Fatal(err)
	}
	sc, diags := ParseScenario(src, "demo.hcl")
	if diags.HasErrors() {
		t.Fatalf("diagnostics: %v", diags)
	}
	if sc.Hosts != 300 || sc.Seed != 7 || sc.Domain != "corp.example" || sc.RebootTime != 5*time.Second {
		t.Errorf("fleet block: %+v", sc)
	}
	if len(sc.Roles) != 4 || len(sc.Drift) != 11 || len(sc.Faults) != 7 {
		t.Errorf("roles %d drift %d faults %d", len(sc.Roles), len(sc.Drift), len(sc.Faults))
	}
	if sc.Faults[0].Kind != FaultLatency || sc.Faults[0].Latency != 2*time.Millisecond || sc.Faults[0].Jitter != 3*time.Millisecond {
		t.Errorf("latency fault: %+v", sc.Faults[0])
	}
}

func TestScenarioDiagnosticsAreLocated(t *testing.T) {
	cases := []struct {
		name, src, summary string
		line               int
	}{
		{"unknown drift", "drift \"nope\" {\n  share = 5\n}\n", "Unknown drift kind", 1},
		{"unknown fault", "\n\nfault \"explode\" { share = 1 }\n", "Unknown fault kind", 3},
		{"bad duration", "fault \"slow\" {\n  duration = \"soon\"\n}\n", "Invalid duration", 1},
		{"unknown fleet argument", "fleet {\n  hots = 3\n}\n", "Unsupported argument", 2},
		{"network off loopback", "fleet {\n  network = \"10.0.0.0/8\"\n}\n", "Invalid network", 1},
		{"wrong type", "fleet {\n  hosts = \"many\"\n}\n", "Unsuitable value type", 2},
		{"syntax", "fleet {\n  hosts = \n}\n", "Invalid expression", 2},
		{"too many hosts", "fleet {\n  hosts = 300\n  network = \"127.9.9.0/24\"\n}\n", "Invalid scenario", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, diags := ParseScenario([]byte(c.src), "s.hcl")
			if !diags.HasErrors() {
				t.Fatal("no error")
			}
			d := diags[0]
			if d.Summary != c.summary {
				t.Errorf("summary %q, want %q (detail %q)", d.Summary, c.summary, d.Detail)
			}
			if d.Subject == nil || d.Subject.Filename != "s.hcl" || d.Subject.Start.Line != c.line {
				t.Errorf("subject %v, want line %d", d.Subject, c.line)
			}
		})
	}
}

func TestPlanIsDeterministicAndSharesAreExact(t *testing.T) {
	sc := DefaultScenario()
	sc.Hosts = 1000
	sc.Faults = []Fault{{Kind: FaultRefuse, Share: 2}, {Kind: FaultHang, Share: 1}, {Kind: FaultLatency, Share: 100, Latency: time.Millisecond}}
	a, err := sc.Plan()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := sc.Plan()
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same scenario gave two plans")
	}
	sc.Seed++
	c, _ := sc.Plan()
	if reflect.DeepEqual(a, c) {
		t.Fatal("another seed gave the same plan")
	}

	count := func(kind string, eligible func(HostPlan) bool) (n, pool int) {
		for _, p := range a {
			if eligible(p) {
				pool++
			}
			if p.Has(kind) {
				n++
			}
		}
		return
	}
	all := func(HostPlan) bool { return true }
	if n, _ := count(FaultRefuse, all); n != 20 {
		t.Errorf("refuse on %d hosts, want 20", n)
	}
	if n, _ := count(FaultLatency, all); n != 1000 {
		t.Errorf("latency on %d hosts", n)
	}
	// A host carries at most one status-deciding fault.
	for _, p := range a {
		if p.Has(FaultRefuse) && p.Has(FaultHang) {
			t.Errorf("%s has both refuse and hang", p.Name)
		}
	}
	n, pool := count(DriftSMTPWildcard, func(p HostPlan) bool { return p.Role == "smtp" })
	if want := int(math.Round(0.40 * float64(pool))); n != want || pool == 0 {
		t.Errorf("smtp_wildcard on %d of %d smtp hosts, want %d", n, pool, want)
	}
	n, pool = count(DriftMaxUserPortDefault, func(p HostPlan) bool { return p.OS == "2003" })
	if want := int(math.Round(0.5 * float64(pool))); n != want {
		t.Errorf("maxuserport_default on %d of %d 2003 hosts, want %d", n, pool, want)
	}
	seen := map[string]bool{}
	for _, p := range a {
		if seen[p.Name] || seen[p.Addr.String()] {
			t.Fatalf("duplicate name or address %s %s", p.Name, p.Addr)
		}
		seen[p.Name], seen[p.Addr.String()] = true, true
		if last := p.Addr.As4()[3]; last == 0 || last == 255 {
			t.Errorf("address %s", p.Addr)
		}
		if p.Has(DriftListenListEmpty) && p.Has(DriftListenListStale) {
			t.Errorf("%s has two listen-list drifts", p.Name)
		}
		if p.Has(DriftMaxUserPortDefault) && p.OS != "2003" {
			t.Errorf("%s: maxuserport_default on %s", p.Name, p.OS)
		}
	}
}

func TestNamedHostsGetTheirDrift(t *testing.T) {
	sc := DefaultScenario()
	sc.Hosts = 10
	sc.Drift = nil
	sc.Faults = []Fault{{Kind: FaultAuth, Hosts: []string{"web0001"}}}
	plans, err := sc.Plan()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plans {
		if p.Has(FaultAuth) != (p.Name == "web0001") {
			t.Errorf("%s: auth fault %v", p.Name, p.Has(FaultAuth))
		}
	}
	sc.Faults = []Fault{{Kind: FaultAuth, Hosts: []string{"nosuch"}}}
	if _, err := sc.Plan(); err == nil || !strings.Contains(err.Error(), `no host is named "nosuch"`) {
		t.Errorf("unknown host: %v", err)
	}
}

func TestSiteBindingUnlistedPlan(t *testing.T) {
	sc := DefaultScenario()
	sc.Hosts = 1000
	plans, err := sc.Plan()
	if err != nil {
		t.Fatal(err)
	}
	serviceNet := netip.MustParsePrefix("10.20.0.0/16") // the default network, 127.20.0.0/16, mirrored
	service := map[netip.Addr]bool{}
	for _, p := range plans {
		service[p.ServiceAddr] = true
	}
	n, pool := 0, 0
	sites := map[netip.Addr]string{}
	for _, p := range plans {
		if p.Uptime < 24*time.Hour || p.Uptime > 40*24*time.Hour {
			t.Errorf("%s: uptime %v outside 1 to 40 days", p.Name, p.Uptime)
		}
		if p.Role == "web" && p.OS != "2003" && !p.Has(DriftListenListEmpty) && !p.Has(DriftW3SVCStopped) {
			pool++
		}
		if !p.Has(DriftSiteBindingUnlisted) {
			if p.SiteAddr.IsValid() {
				t.Errorf("%s: a site address without the drift", p.Name)
			}
			continue
		}
		n++
		if p.Role != "web" || p.OS == "2003" || p.Has(DriftListenListEmpty) || p.Has(DriftW3SVCStopped) {
			t.Errorf("%s (%s %s %v): site_binding_unlisted where it cannot be seen", p.Name, p.Role, p.OS, p.Drift)
		}
		if s := p.SiteAddr.As4(); !serviceNet.Contains(p.SiteAddr) || service[p.SiteAddr] || s[3] == 0 || s[3] == 255 {
			t.Errorf("%s: site address %v is not a free address of %v", p.Name, p.SiteAddr, serviceNet)
		}
		if other, dup := sites[p.SiteAddr]; dup {
			t.Errorf("%s and %s share the site address %v", p.Name, other, p.SiteAddr)
		}
		sites[p.SiteAddr] = p.Name
	}
	if want := int(math.Round(0.05 * float64(pool))); n != want || n == 0 {
		t.Errorf("site_binding_unlisted on %d of %d eligible hosts, want %d", n, pool, want)
	}
	// listen_list_empty never joins it, whichever comes first.
	sc.Drift = []Drift{{Kind: DriftSiteBindingUnlisted, Share: 100}, {Kind: DriftListenListEmpty, Share: 100}, {Kind: DriftW3SVCStopped, Share: 100}}
	plans, _ = sc.Plan()
	for _, p := range plans {
		if p.Has(DriftSiteBindingUnlisted) && (p.Has(DriftListenListEmpty) || p.Has(DriftW3SVCStopped)) {
			t.Errorf("%s: %v", p.Name, p.Drift)
		}
	}
}

func TestHostSpecSitesAndBootTime(t *testing.T) {
	sc := DefaultScenario()
	sc.Hosts = 200
	sc.Drift = []Drift{{Kind: DriftSiteBindingUnlisted, Share: 50}}
	plans, err := sc.Plan()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)
	seen := map[string]bool{}
	for _, p := range plans {
		spec, err := hostSpec(p, sc, sqlEndpoint(plans), start)
		if err != nil {
			t.Fatal(err)
		}
		if !spec.BootTime.Equal(start.Add(-p.Uptime)) || !spec.WinRMHTTPS || spec.TimeZone == nil {
			t.Errorf("%s: boot %v zone %v https %v", p.Name, spec.BootTime, spec.TimeZone, spec.WinRMHTTPS)
		}
		key := p.Role
		if p.Has(DriftSiteBindingUnlisted) {
			key += "+site"
		}
		seen[key] = true
		switch {
		case p.Role != "web":
			if spec.Sites != nil {
				t.Errorf("%s: sites on a %s host: %+v", p.Name, p.Role, spec.Sites)
			}
		case !p.Has(DriftSiteBindingUnlisted):
			if len(spec.Sites) != 1 || spec.Sites[0].Name != "Default Web Site" || spec.Sites[0].Bindings[0] != "HTTP://"+p.ServiceAddr.String()+":80/" {
				t.Errorf("%s: sites %+v", p.Name, spec.Sites)
			}
		default:
			if len(spec.Sites) != 2 || spec.Sites[1].Name != "intranet" || spec.Sites[1].Bindings[0] != "HTTP://"+p.SiteAddr.String()+":80/" {
				t.Errorf("%s: sites %+v", p.Name, spec.Sites)
			}
			if !slices.Contains(spec.Interfaces[0].Addrs, p.SiteAddr) || slices.Contains(spec.ListenOnlyList, p.SiteAddr) || len(spec.ListenOnlyList) == 0 {
				t.Errorf("%s: site address %v: interface %v, listen list %v", p.Name, p.SiteAddr, spec.Interfaces[0].Addrs, spec.ListenOnlyList)
			}
		}
	}
	if !seen["web"] || !seen["web+site"] {
		t.Errorf("the fleet lacks a kind of web host: %v", seen)
	}
}

func TestSiteAddrsFillTheNetworkThenGoBeyond(t *testing.T) {
	network := netip.MustParsePrefix("127.41.7.0/24")
	plans := []HostPlan{{ServiceAddr: netip.MustParseAddr("10.41.7.254")}, {ServiceAddr: netip.MustParseAddr("10.41.7.252")}}
	next := siteAddrs(network, plans)
	var got []string
	for range 3 {
		got = append(got, next().String())
	}
	if strings.Join(got, " ") != "10.41.7.253 10.41.7.251 10.41.7.250" {
		t.Errorf("first site addresses %v", got)
	}
	for range 252 - 3 - 1 {
		next()
	}
	// The /24 has 254 usable addresses, two of them hosts': 252 sites fit,
	// the next goes above the network.
	if a, b := next().String(), next().String(); a != "10.41.7.1" || b != "10.41.8.1" {
		t.Errorf("the last in the network %s, the first beyond %s", a, b)
	}
}

func TestHostSpecSMTPSocketPooling(t *testing.T) {
	sc := DefaultScenario()
	sc.Hosts = 100
	sc.Roles = []Role{{Name: "smtp", Share: 1, Services: []string{"SMTPSVC"}}}
	sc.Drift = []Drift{{Kind: DriftSMTPWildcard, Share: 50}}
	plans, err := sc.Plan()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[bool]bool{}
	for _, p := range plans {
		spec, err := hostSpec(p, sc, sqlEndpoint(plans), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		// SMTP is always bound to the service address; socket pooling
		// (no DisableSocketPooling) turns that into 0.0.0.0:25.
		var bind netip.AddrPort
		for _, s := range spec.Services {
			if s.Name == "SMTPSVC" {
				bind = s.Listeners[0].Addr
			}
		}
		drift := p.Has(DriftSMTPWildcard)
		seen[drift] = true
		if bind != netip.AddrPortFrom(p.ServiceAddr, 25) || (spec.Metabase["smtpsvc/disablesocketpooling"] == "true") == drift {
			t.Errorf("%s (drift %v): SMTP bound to %v, metabase %v", p.Name, drift, bind, spec.Metabase)
		}
		if want := []int{16, 16}; !slices.Equal(spec.Interfaces[0].Bits, want) {
			t.Errorf("%s: prefix lengths %v", p.Name, spec.Interfaces[0].Bits)
		}
	}
	if !seen[true] || !seen[false] {
		t.Errorf("drift on all or none of the hosts: %v", seen)
	}
}

// TestScenarioDomainGroups: the fleet block names the domain users and
// groups joined hosts put into Administrators and Remote Management Users.
func TestScenarioDomainGroups(t *testing.T) {
	sc, diags := ParseScenario([]byte("fleet {\n  hosts = 2\n  administrators = [\"fleet-changers\"]\n  remote_management_users = [\"FLEET\\\\fleet-readers\", \"reader@fleet.test\"]\n}\n"), "s.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(sc.Administrators) != 1 || sc.Administrators[0] != "fleet-changers" ||
		len(sc.RemoteManagementUsers) != 2 || sc.RemoteManagementUsers[0] != `FLEET\fleet-readers` {
		t.Errorf("administrators %q, remote management users %q", sc.Administrators, sc.RemoteManagementUsers)
	}
}
