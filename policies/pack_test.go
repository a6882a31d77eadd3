package policies

// The built-in pack against the simulator: a model of what the simulated
// fleet's hosts look like (internal/sim/hostspec.go, docs/SIMULATOR.md "The
// baseline" and "Drift kinds"), judged with the reference evaluator. The
// table here is the one in the package documentation ("The built-in
// pack"); TestPackTableDocumented keeps the two together.

import (
	"net/netip"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// packExpectations: for each simulator drift kind, where the simulator can
// put it, and which built-in policies must fail on such a host (every other
// policy passes or is not applicable).
var packExpectations = []struct {
	drift string
	roles []string // nil: every role
	oses  []string // nil: every release
	fail  []string
}{
	{drift: "", fail: nil}, // the baseline
	{drift: "listen_list_empty", roles: []string{"web"}, fail: []string{"http_listen_list"}},
	{drift: "listen_list_stale", roles: []string{"web"}, fail: []string{"http_listen_list_stale"}},
	{drift: "listen_list_lockout_pending", roles: []string{"web"}, fail: []string{"http_listen_list", "winrm_listen_list_access"}},
	{drift: "smtp_wildcard", roles: []string{"smtp"}, fail: []string{"smtp_socket_pooling"}},
	{drift: "maxuserport_default", oses: []string{"2003"}, fail: []string{"max_user_port"}},
	{drift: "timedwaitdelay_default", fail: []string{"tcp_timed_wait_delay"}},
	{drift: "dynamic_range_default", oses: []string{"2008r2", "2012r2", "2016", "2019", "2022"}, fail: []string{"dynamic_port_range"}},
	{drift: "pending_reboot", fail: nil}, // the configured value is compliant; see the package doc
	{drift: "timewait_pile", roles: []string{"web", "app"}, fail: []string{"time_wait_pressure"}},
	{drift: "w3svc_stopped", roles: []string{"web"}, fail: []string{"w3svc_running"}},
	// A second site bound to an address of the host that the (non-empty)
	// listen list lacks: no built-in policy sees it; drift finds it by
	// comparing the registered URLs with the listen list.
	{drift: "site_binding_unlisted", roles: []string{"web"}, oses: []string{"2008r2", "2012r2", "2016", "2019", "2022"}, fail: nil},
}

var (
	simRoles = []string{"web", "smtp", "sql", "app"}
	simOSes  = []string{"2003", "2008r2", "2012r2", "2016", "2019", "2022"}
)

const (
	simMgmt    = "127.20.0.5"
	simService = "10.20.0.5"
	simSQL     = "10.20.0.9:1433"
	simStale   = "192.168.33.1"
)

// simHost models one simulated host of a role and release carrying the
// given drift kinds, as the simulator's hostspec builds it.
func simHost(role, osName string, drift ...string) (Host, *refFacts) {
	has := func(k string) bool { return slices.Contains(drift, k) }
	rel, _ := ParseRelease(osName)
	mgmt, svc := netip.MustParseAddr(simMgmt), netip.MustParseAddr(simService)
	sql := netip.MustParseAddrPort(simSQL)
	// Groups named unlike the roles: the pack tells roles by the facts
	// (host.roles), which collection learns with the release.
	group := map[string]string{"web": "iis", "smtp": "mail", "sql": "db", "app": "apps"}[role]
	roles := []string{}
	if role != "app" {
		roles = []string{role}
	}
	h := Host{
		Roles: roles, RolesKnown: osName != "",
		Name: role + "0005", Address: simMgmt, OS: osName, Groups: []string{group},
		Tags: map[string]string{"os": osName, "locale": "en-US"},
		Vars: map[string]cty.Value{"service_address": cty.StringVal(simService)},
	}
	f := &refFacts{
		registry: map[string]RegData{}, ranges: map[PortRangeRef][2]int{},
		services: map[string]ServiceState{"http": ServiceRunning, "winrm": ServiceRunning}, release: rel,
	}
	reg := func(name string, n uint32) {
		f.registry[strings.ToLower(string(KeyTcpipParameters)+`\`+name)] = DWORD(n)
	}
	// TcpTimedWaitDelay = 30 in the baseline; pending_reboot writes 30
	// too (not in effect until a reboot); the default drift leaves it out.
	if !has("timedwaitdelay_default") {
		reg("TcpTimedWaitDelay", 30)
	}
	if rel == Release2003 {
		reg("MaxUserPort", 5000) // the release's default registry
		if !has("maxuserport_default") {
			reg("MaxUserPort", 65534)
		}
	} else {
		f.ranges[PortRangeRef{TCP, IPv4}] = [2]int{10000, 55535}
		if has("dynamic_range_default") {
			f.ranges[PortRangeRef{TCP, IPv4}] = [2]int{49152, 16384}
		}
		f.ranges[PortRangeRef{TCP, IPv6}] = [2]int{49152, 16384}
	}
	switch role {
	case "web":
		f.services["w3svc"] = ServiceRunning
		if has("w3svc_stopped") {
			f.services["w3svc"] = ServiceStopped
		}
		if !has("listen_list_empty") {
			f.listenList = []netip.Addr{svc, mgmt, loopback}
		}
		if has("listen_list_stale") {
			f.listenList = append(f.listenList, netip.MustParseAddr(simStale))
		}
		if has("listen_list_lockout_pending") {
			f.listenList = slices.DeleteFunc(f.listenList, func(a netip.Addr) bool { return a == mgmt })
		}
		// site_binding_unlisted changes no fact a policy reads: the site's
		// address is not in the list, so http.sys opens no socket on it,
		// and the interface addresses and registered URLs are not
		// policy inputs.
	case "smtp":
		f.services["smtpsvc"] = ServiceRunning
		bind := netip.AddrPortFrom(svc, 25)
		if has("smtp_wildcard") {
			bind = netip.MustParseAddrPort("0.0.0.0:25")
		}
		f.listeners = append(f.listeners, refSocket{TCP, bind})
	case "sql":
		f.services["mssqlserver"] = ServiceRunning
		if rel == Release2003 {
			// SQL Server 2000's listen backlog, raised.
			f.registry[strings.ToLower(string(KeyMSSQLServer)+`\WinsockListenBacklog`)] = DWORD(64)
		}
		f.listeners = append(f.listeners, refSocket{TCP, netip.MustParseAddrPort("0.0.0.0:1433")},
			refSocket{TCP, netip.MustParseAddrPort("[::]:1433")})
	}
	// The default sockets every server has (RPC, SMB, RDP) and WinRM.
	for _, p := range []uint16{135, 445, 3389, 5985, 47001} {
		f.listeners = append(f.listeners, refSocket{TCP, netip.AddrPortFrom(netip.IPv4Unspecified(), p)})
	}
	if role == "web" || role == "app" {
		for i := range 4 {
			f.conns = append(f.conns, refConn{local: netip.AddrPortFrom(svc, uint16(50100+i)), remote: sql, state: StateEstablished})
		}
	}
	if has("timewait_pile") {
		n := 12000
		size, _ := clientRange(f, sql.Addr())
		f.conns = append(f.conns, refConn{local: netip.AddrPortFrom(svc, 0), remote: sql, state: StateTimeWait, count: min(n, size)})
	}
	return h, f
}

// eligible mirrors the simulator's driftApplies.
func eligible(drift, role, osName string) bool {
	switch drift {
	case "listen_list_empty", "listen_list_stale", "listen_list_lockout_pending", "w3svc_stopped":
		return role == "web"
	case "smtp_wildcard":
		return role == "smtp"
	case "maxuserport_default":
		return osName == "2003"
	case "dynamic_range_default":
		return osName != "2003"
	case "timewait_pile":
		return role == "web" || role == "app"
	case "site_binding_unlisted":
		return role == "web" && osName != "2003"
	}
	return true
}

// failing judges every policy of the set on the host and returns the
// failing ones, sorted; unknown verdicts are errors.
func failing(t *testing.T, s *Set, h Host, f *refFacts) []string {
	t.Helper()
	var out []string
	for _, p := range s.Policies {
		r, diags := p.Resolve(h)
		if diags.HasErrors() {
			t.Fatalf("%s: %s", p.Name, diags.Error())
		}
		v, _ := judge(r, f)
		switch v {
		case vFail:
			out = append(out, p.Name)
		case vUnknown:
			t.Errorf("%s on %s/%s: unknown verdict with a known release", p.Name, h.Groups[0], h.OS)
		}
	}
	sort.Strings(out)
	return out
}

func TestPackMatchesSimulator(t *testing.T) {
	s, diags := Builtin()
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	for _, e := range packExpectations {
		applied := 0
		for _, role := range simRoles {
			if e.roles != nil && !slices.Contains(e.roles, role) {
				continue
			}
			for _, osName := range simOSes {
				if e.oses != nil && !slices.Contains(e.oses, osName) || e.drift != "" && !eligible(e.drift, role, osName) {
					continue
				}
				applied++
				var kinds []string
				if e.drift != "" {
					kinds = []string{e.drift}
				}
				h, f := simHost(role, osName, kinds...)
				got := failing(t, s, h, f)
				want := slices.Clone(e.fail)
				sort.Strings(want)
				if !slices.Equal(got, want) {
					t.Errorf("drift %q on %s/%s: failing policies %v, want %v", e.drift, role, osName, got, want)
				}
			}
		}
		if applied == 0 {
			t.Errorf("drift %q: no host of the model carries it", e.drift)
		}
	}
}

// TestPackDriftCombinations: a pile on a host whose client port range is
// also at its default is caught by both policies; on 2003 with MaxUserPort
// at 5000 the pile fills the whole range (the simulator caps it there), and
// only the share of the range catches it.
func TestPackDriftCombinations(t *testing.T) {
	s, _ := Builtin()
	cases := []struct {
		role, os string
		drift    []string
		want     []string
	}{
		{"web", "2019", []string{"timewait_pile", "dynamic_range_default"}, []string{"dynamic_port_range", "time_wait_pressure"}},
		{"app", "2003", []string{"timewait_pile", "maxuserport_default"}, []string{"max_user_port", "time_wait_pressure"}},
		{"web", "2003", []string{"listen_list_empty", "timedwaitdelay_default", "w3svc_stopped"},
			[]string{"http_listen_list", "tcp_timed_wait_delay", "w3svc_running"}},
	}
	for _, c := range cases {
		h, f := simHost(c.role, c.os, c.drift...)
		if got := failing(t, s, h, f); !slices.Equal(got, c.want) {
			t.Errorf("%s/%s %v: failing %v, want %v", c.role, c.os, c.drift, got, c.want)
		}
	}
}

// TestPackUnknownRelease: before the release is collected, the
// release-bound policies answer unknown, never pass.
func TestPackUnknownRelease(t *testing.T) {
	s, _ := Builtin()
	h, _ := simHost("web", "")
	for _, name := range []string{"max_user_port", "dynamic_port_range", "http_listen_list", "afd_dynamic_backlog"} {
		a, diags := s.Policy(name).AppliesTo(h)
		if diags.HasErrors() || a != ApplicabilityUnknown {
			t.Errorf("%s: %v %v, want unknown", name, a, diags)
		}
	}
}

// TestPackTableDocumented keeps the doc's table in step with
// packExpectations: each drift kind's row names exactly its failing
// policies.
func TestPackTableDocumented(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(src), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(line, "//"))
		if !strings.HasPrefix(line, "|") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 4 {
			continue
		}
		kind := strings.Trim(strings.TrimSpace(cells[1]), "`")
		rows[kind] = cells[3]
	}
	s, _ := Builtin()
	for _, e := range packExpectations {
		kind := e.drift
		if kind == "" {
			kind = "baseline"
		}
		row, ok := rows[kind]
		if !ok {
			t.Errorf("doc.go's table has no row for %s", kind)
			continue
		}
		for _, p := range s.Policies {
			mentioned := strings.Contains(row, "`"+p.Name+"`")
			if mentioned != slices.Contains(e.fail, p.Name) {
				t.Errorf("doc.go's row for %s: mentions %s = %v, but it fails = %v", kind, p.Name, mentioned, !mentioned)
			}
		}
	}
}
