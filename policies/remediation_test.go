package policies

import (
	"errors"
	"net/netip"
	"slices"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func addrs(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

func TestRemediationEffects(t *testing.T) {
	s := mustParse(t, `
policy "p" {
  registry "TcpTimedWaitDelay" { at_most = 30 }
  remediation {
    registry "TcpTimedWaitDelay" { value = 30 }
    registry "MaxUserPort" { value = 65534 }
    registry "WinsockListenBacklog" { value = 100 }
    registry "MaxConnectionsPerServer" { value = 8 }
    registry "EnablePMTUDiscovery" {
      key   = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters"
      type  = "REG_DWORD"
      value = 1
    }
    listen_list { add = [host.management_address, "127.0.0.1"] }
    dynamic_port_range {
      start = 10000
      size  = 55535
    }
    service "W3SVC" { state = "running" }
    command "iis_socket_pooling" { service = "smtpsvc" }
    command "iis_socket_pooling" {
      service  = "w3svc"
      instance = 1
    }
  }
}
`)
	r, diags := s.Policy("p").Resolve(webHost("2003"))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	want := []struct {
		kind    ActionKind
		effect  Effect
		applies Applicability
	}{
		{ActionRegistry, EffectReboot{}, Applies},                                                     // TcpTimedWaitDelay
		{ActionRegistry, EffectReboot{}, Applies},                                                     // MaxUserPort on 2003
		{ActionRegistry, EffectServiceRestart{Service: "MSSQLSERVER", WithDependants: true}, Applies}, // WinsockListenBacklog
		{ActionRegistry, EffectNewProcesses{}, Applies},                                               // WinInet
		{ActionRegistry, EffectReboot{}, Applies},                                                     // a value the table lacks
		{ActionListenList, EffectServiceRestart{Service: "HTTP", WithDependants: true}, Applies},
		{ActionDynamicPortRange, EffectNone{}, NotApplicable}, // no dynamic range on 2003
		{ActionService, EffectNone{}, Applies},
		{ActionCommand, EffectServiceRestart{Service: "SMTPSVC"}, Applies},
		{ActionCommand, EffectServiceRestart{Service: "IISADMIN", WithDependants: true}, NotApplicable}, // IIS 6 ignores it
	}
	if len(r.Actions) != len(want) {
		t.Fatalf("%d actions, want %d", len(r.Actions), len(want))
	}
	for i, w := range want {
		c := r.Actions[i].Common()
		if c.Kind != w.kind || c.Effect != w.effect || c.Applies != w.applies {
			t.Errorf("action %d: %v %v %v, want %v %v %v", i, c.Kind, c.Effect, c.Applies, w.kind, w.effect, w.applies)
		}
	}
	if got := r.Effects(); !slices.Equal(got, []Effect{EffectReboot{}}) {
		t.Errorf("a reboot stands for everything: %v", got)
	}
	cmd := r.Actions[8].(*CommandAction).Params.(IISSocketPooling)
	if cmd.MetabasePath() != "smtpsvc/disablesocketpooling" || !cmd.Disable {
		t.Errorf("command params %+v", cmd)
	}
	if p := r.Actions[9].(*CommandAction).Params.(IISSocketPooling); p.MetabasePath() != "w3svc/1/disablesocketpooling" {
		t.Errorf("instance path %s", p.MetabasePath())
	}

	// On 2019 the dynamic range applies at once, MaxUserPort is skipped.
	r, _ = s.Policy("p").Resolve(webHost("2019"))
	if c := r.Actions[1].Common(); c.Applies != NotApplicable {
		t.Errorf("MaxUserPort on 2019: %+v", c)
	}
	if c := r.Actions[6].Common(); c.Applies != Applies || c.Effect != (EffectNone{}) {
		t.Errorf("dynamic range on 2019: %+v", c)
	}
}

func TestCombineEffects(t *testing.T) {
	http := EffectServiceRestart{Service: "HTTP", WithDependants: true}
	smtp := EffectServiceRestart{Service: "SMTPSVC"}
	cases := []struct {
		in, want []Effect
	}{
		{nil, []Effect{}},
		{[]Effect{EffectNone{}}, []Effect{}},
		{[]Effect{smtp, http, smtp, EffectNone{}}, []Effect{http, smtp}},
		{[]Effect{http, EffectReboot{}, smtp}, []Effect{EffectReboot{}}},
		{[]Effect{EffectNewProcesses{}, http}, []Effect{EffectNewProcesses{}, http}},
	}
	for _, c := range cases {
		if got := CombineEffects(c.in...); !slices.Equal(got, c.want) {
			t.Errorf("CombineEffects(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestCheckListenListChange(t *testing.T) {
	mgmt := netip.MustParseAddr("127.20.0.1")
	cases := []struct {
		name    string
		before  []netip.Addr
		action  *ListenListAction
		after   []netip.Addr
		missing []netip.Addr // nil: allowed
	}{
		{"add to an empty list", nil,
			&ListenListAction{Add: addrs("10.20.0.1", "127.20.0.1", "127.0.0.1")},
			addrs("10.20.0.1", "127.20.0.1", "127.0.0.1"), nil},
		{"add only the service address to an empty list", nil,
			&ListenListAction{Add: addrs("10.20.0.1")},
			addrs("10.20.0.1"), addrs("127.20.0.1", "127.0.0.1")},
		{"add to a list that keeps access", addrs("127.20.0.1", "127.0.0.1"),
			&ListenListAction{Add: addrs("10.20.0.1")},
			addrs("127.20.0.1", "127.0.0.1", "10.20.0.1"), nil},
		{"remove the stale entry", addrs("10.20.0.1", "127.20.0.1", "127.0.0.1", "192.168.33.1"),
			&ListenListAction{Remove: addrs("192.168.33.1")},
			addrs("10.20.0.1", "127.20.0.1", "127.0.0.1"), nil},
		{"remove the management address", addrs("10.20.0.1", "127.20.0.1", "127.0.0.1"),
			&ListenListAction{Remove: addrs("127.20.0.1")},
			addrs("10.20.0.1", "127.0.0.1"), addrs("127.20.0.1")},
		{"remove everything: every address again", addrs("10.20.0.1"),
			&ListenListAction{Remove: addrs("10.20.0.1")}, nil, nil},
		{"replace", addrs("192.168.33.1", "127.0.0.1"),
			&ListenListAction{Replace: true, Exactly: addrs("10.20.0.1", "127.20.0.1", "127.0.0.1")},
			addrs("127.0.0.1", "10.20.0.1", "127.20.0.1"), nil},
		{"a wildcard entry reaches every IPv4 address", nil,
			&ListenListAction{Add: addrs("0.0.0.0")}, addrs("0.0.0.0"), nil},
		{"the check after the change: the list read back", addrs("10.20.0.1", "127.0.0.1"),
			nil, addrs("10.20.0.1", "127.0.0.1"), addrs("127.20.0.1")},
	}
	for _, c := range cases {
		after, err := CheckListenListChange(c.before, c.action, mgmt)
		if !slices.Equal(after, c.after) {
			t.Errorf("%s: after %v, want %v", c.name, after, c.after)
		}
		var lock *LockoutError
		switch {
		case c.missing == nil && err != nil:
			t.Errorf("%s: refused: %v", c.name, err)
		case c.missing != nil && !errors.As(err, &lock):
			t.Errorf("%s: allowed, want a lockout error", c.name)
		case c.missing != nil && !slices.Equal(lock.Missing, c.missing):
			t.Errorf("%s: missing %v, want %v", c.name, lock.Missing, c.missing)
		}
	}
	if _, err := CheckListenListChange(nil, &ListenListAction{}, netip.Addr{}); err == nil {
		t.Error("an unknown management address must not pass")
	}
}

// TestResolveLockoutPerHost: what the source cannot show (a host variable
// that holds the management address) is caught when the policy is
// resolved for the host.
func TestResolveLockoutPerHost(t *testing.T) {
	s := mustParse(t, `
policy "p" {
  listen_list { excludes = host.vars.retired }
  remediation {
    listen_list { remove = host.vars.retired }
  }
}
`)
	h := webHost("2019")
	h.Vars["retired"] = cty.TupleVal([]cty.Value{cty.StringVal("192.168.33.1")})
	if _, diags := s.Policy("p").Resolve(h); diags.HasErrors() {
		t.Fatalf("a harmless removal: %s", diags.Error())
	}
	h.Vars["retired"] = cty.TupleVal([]cty.Value{cty.StringVal("192.168.33.1"), cty.StringVal("127.20.0.1")})
	_, diags := s.Policy("p").Resolve(h)
	if !diags.HasErrors() || diags[len(diags)-1].Summary != "Listen list would lock fleetport out" {
		t.Errorf("removing the management address: %v", diags)
	}
}

func TestRemediationNeedsAndServices(t *testing.T) {
	s, _ := Builtin()
	h := webHost("2019")
	n := s.Needs(h)
	var http *ServiceNeed
	for i := range n.Services {
		if n.Services[i].Name == "HTTP" {
			http = &n.Services[i]
		}
	}
	if http == nil || !http.Dependants {
		t.Errorf("a listen-list fix restarts HTTP with its dependants: needs %+v", n.Services)
	}
}
