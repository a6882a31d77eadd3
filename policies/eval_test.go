package policies

import (
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

func parseExpr(t *testing.T, src string) hcl.Expression {
	t.Helper()
	e, diags := hclsyntax.ParseExpression([]byte(src), "expr.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return e
}

// mustParse parses src and fails the test on any diagnostic.
func mustParse(t *testing.T, src string) *Set {
	t.Helper()
	f, diags := Parse([]byte(src), "test.hcl")
	if len(diags) > 0 {
		t.Fatalf("parse: %s", diags.Error())
	}
	s, diags := NewSet(f)
	if len(diags) > 0 {
		t.Fatalf("set: %s", diags.Error())
	}
	return s
}

func webHost(os string) Host {
	return Host{
		Name: "web01", Address: "web01.corp.example", ManagementAddress: "127.20.0.1", Site: "fra",
		OS: os, Groups: []string{"web"}, Tags: map[string]string{"role": "web"},
		Vars: map[string]cty.Value{"service_address": cty.StringVal("10.20.0.1")},
	}
}

func TestAppliesToTriState(t *testing.T) {
	s := mustParse(t, `
policy "web_not_2003" {
  applies_to = contains(host.groups, "web") && host.os != "2003"
  service "W3SVC" { state = "running" }
}
policy "modern" {
  applies_to = host.os_version >= 6.1
  service "W3SVC" { state = "running" }
}
policy "exact_version" {
  applies_to = host.os_version == 5.2
  service "W3SVC" { state = "running" }
}
policy "build" {
  applies_to = host.os_build >= 17763
  service "W3SVC" { state = "running" }
}
policy "prefix" {
  applies_to = startswith(host.os, "2008")
  service "W3SVC" { state = "running" }
}
policy "always" {
  service "W3SVC" { state = "running" }
}
policy "old_stack_rule" {
  registry "MaxUserPort" { at_least = 65534 }
}
policy "var" {
  applies_to = host.vars.tier == "gold"
  service "W3SVC" { state = "running" }
}
`)
	cases := []struct {
		policy string
		host   Host
		want   Applicability
	}{
		{"web_not_2003", webHost("2019"), Applies},
		{"web_not_2003", webHost("2003"), NotApplicable},
		{"web_not_2003", webHost(""), ApplicabilityUnknown},
		// Not a web server: false whatever the release, even unknown.
		{"web_not_2003", Host{Name: "sql01", Address: "10.0.0.9"}, NotApplicable},
		{"modern", webHost("2008r2"), Applies},
		{"modern", webHost("2003"), NotApplicable},
		{"modern", webHost(""), ApplicabilityUnknown},
		{"exact_version", webHost("2003"), Applies},
		{"exact_version", webHost("2016"), NotApplicable},
		{"build", func() Host { h := webHost("2019"); h.OSBuild = 17763; return h }(), Applies},
		{"build", webHost("2019"), ApplicabilityUnknown}, // build not collected yet
		{"prefix", webHost("2008r2"), Applies},
		{"prefix", webHost("2012r2"), NotApplicable},
		{"prefix", webHost(""), ApplicabilityUnknown},
		{"always", webHost(""), Applies},
		// The rules' releases: MaxUserPort exists up to 2003 only.
		{"old_stack_rule", webHost("2003"), Applies},
		{"old_stack_rule", webHost("2022"), NotApplicable},
		{"old_stack_rule", webHost(""), ApplicabilityUnknown},
		{"var", func() Host { h := webHost("2019"); h.Vars["tier"] = cty.StringVal("gold"); return h }(), Applies},
		{"var", func() Host { h := webHost("2019"); h.Vars["tier"] = cty.UnknownVal(cty.String); return h }(), ApplicabilityUnknown},
	}
	for _, c := range cases {
		got, diags := s.Policy(c.policy).AppliesTo(c.host)
		if diags.HasErrors() {
			t.Errorf("%s on %q: %s", c.policy, c.host.OS, diags.Error())
		}
		if got != c.want {
			t.Errorf("%s on %s/%q: %v, want %v", c.policy, c.host.Name, c.host.OS, got, c.want)
		}
	}
}

func TestAppliesToErrorsNameTheHost(t *testing.T) {
	s := mustParse(t, `
policy "var" {
  applies_to = host.vars.tier == "gold"
  service "W3SVC" { state = "running" }
}
`)
	a, diags := s.Policy("var").AppliesTo(webHost("2019")) // no tier variable
	if a != ApplicabilityUnknown || !diags.HasErrors() {
		t.Fatalf("got %v %v, want unknown and an error", a, diags)
	}
	d := diags[0]
	if d.Subject == nil || d.Subject.Start.Line != 3 || !strings.Contains(d.Detail, `host "web01"`) {
		t.Errorf("diagnostic %v: want it at line 3 naming the host", d)
	}

	h := webHost("2019")
	h.OS = "2017"
	_, diags = s.Policy("var").AppliesTo(h)
	if !diags.HasErrors() || diags[0].Summary != "Invalid host release" {
		t.Errorf("an unknown release spelling: %v", diags)
	}
}

func TestResolveWithHostVars(t *testing.T) {
	s := mustParse(t, `
policy "listen" {
  listen_list {
    contains = [host.vars.service_address, host.management_address, "127.0.0.1"]
  }
  listener {
    port           = try(host.vars.smtp_port, 25)
    only_addresses = [host.vars.service_address]
  }
  registry "MaxUserPort" {
    at_least = try(host.vars.max_user_port, 65534)
  }
  remediation {
    listen_list { add = [host.vars.service_address, host.management_address, "127.0.0.1"] }
  }
}
`)
	p := s.Policy("listen")
	h := webHost("2003")
	h.Vars["smtp_port"] = cty.NumberIntVal(2525)
	r, diags := p.Resolve(h)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if r.Applies != Applies || len(r.Checks) != 3 || len(r.Actions) != 1 {
		t.Fatalf("resolved %+v", r)
	}
	ll := r.Checks[0].(*ListenListCheck)
	want := []netip.Addr{netip.MustParseAddr("10.20.0.1"), netip.MustParseAddr("127.20.0.1"), loopback}
	if !slices.Equal(ll.Contains, want) || ll.Tool != ListenListHttpcfg || ll.Applies != Applies {
		t.Errorf("listen list check %+v", ll)
	}
	lc := r.Checks[1].(*ListenerCheck)
	if lc.Port != 2525 || !lc.Restricted || !slices.Equal(lc.OnlyAddresses, want[:1]) {
		t.Errorf("listener check %+v", lc)
	}
	rc := r.Checks[2].(*RegistryCheck)
	if rc.AtLeast == nil || *rc.AtLeast != 65534 || rc.Default == nil || rc.Default.Num != 5000 {
		t.Errorf("registry check %+v", rc)
	}
	act := r.Actions[0].(*ListenListAction)
	if !slices.Equal(act.Add, want) || act.Tool != ListenListHttpcfg {
		t.Errorf("action %+v", act)
	}

	// The same policy on 2019: MaxUserPort is not applicable, the listen
	// list goes through netsh.
	r, _ = p.Resolve(webHost("2019"))
	if c := r.Checks[2].Common(); c.Applies != NotApplicable || !strings.Contains(c.Reason, "2003 and earlier") {
		t.Errorf("MaxUserPort on 2019: %+v", c)
	}
	if r.Checks[0].(*ListenListCheck).Tool != ListenListNetsh {
		t.Error("2019 lists with netsh")
	}

	// A bad per-host value is an error at the expression, naming the host.
	h = webHost("2019")
	h.Vars["service_address"] = cty.StringVal("10.20.0.999")
	_, diags = p.Resolve(h)
	if !diags.HasErrors() || diags[0].Summary != "Invalid IP address" || !strings.Contains(diags[0].Detail, "web01") {
		t.Errorf("bad address: %v", diags)
	}
	h.Vars["service_address"] = cty.NumberIntVal(7)
	h.Vars["max_user_port"] = cty.StringVal("lots")
	_, diags = p.Resolve(h)
	var sums []string
	for _, d := range diags {
		sums = append(sums, d.Summary)
	}
	if !slices.Contains(sums, "Type mismatch") || !slices.Contains(sums, "Invalid IP address") {
		t.Errorf("wrong types: %v", sums)
	}

	// An unknown variable makes the check unknown, not compliant.
	h = webHost("2019")
	h.Vars["service_address"] = cty.UnknownVal(cty.String)
	r, diags = p.Resolve(h)
	if diags.HasErrors() || r.Checks[0].Common().Applies != ApplicabilityUnknown {
		t.Errorf("unknown variable: %v %+v", diags, r.Checks[0].Common())
	}
}

func TestManagementAddressDefaultsToAddress(t *testing.T) {
	s := mustParse(t, `
policy "p" {
  listen_list { contains = [host.management_address] }
}
`)
	h := Host{Name: "h", Address: "10.1.2.3", OS: "2016"}
	r, _ := s.Policy("p").Resolve(h)
	if c := r.Checks[0].(*ListenListCheck); len(c.Contains) != 1 || c.Contains[0] != netip.MustParseAddr("10.1.2.3") {
		t.Errorf("%+v", c)
	}
	h = Host{Name: "h", Address: "h.corp.example", OS: "2016"}
	r, _ = s.Policy("p").Resolve(h)
	if c := r.Checks[0].Common(); c.Applies != ApplicabilityUnknown {
		t.Errorf("a DNS name: management address unknown, got %+v", c)
	}
	h.ManagementAddress = "not-an-ip"
	if _, diags := s.Policy("p").Resolve(h); !diags.HasErrors() || diags[0].Summary != "Invalid management address" {
		t.Errorf("got %v", diags)
	}
}

// TestRuleKindReleases: each rule kind's releases, as windows-semantics.md
// gives them.
func TestRuleKindReleases(t *testing.T) {
	s := mustParse(t, `
policy "p" {
  registry "MaxUserPort" { at_least = 65534 }
  registry "TcpTimedWaitDelay" { at_most = 30 }
  registry "EnableDynamicBacklog" { equals = 1 }
  registry "SynAttackProtect" { equals = 1 }
  registry "WinsockListenBacklog" { at_least = 6 }
  listen_list { contains = ["127.0.0.1"] }
  dynamic_port_range { min_size = 16384 }
  listener {
    port      = 80
    listening = true
  }
  connections { max_total = 100 }
  service "W3SVC" { state = "running" }
}
`)
	// One row per rule, in order: 2000, 2003, 2008, 2008r2, 2019.
	want := [][]Applicability{
		{Applies, Applies, NotApplicable, NotApplicable, NotApplicable}, // MaxUserPort
		{Applies, Applies, Applies, Applies, Applies},                   // TcpTimedWaitDelay
		{Applies, Applies, NotApplicable, NotApplicable, NotApplicable}, // EnableDynamicBacklog
		{Applies, Applies, NotApplicable, NotApplicable, NotApplicable}, // SynAttackProtect
		{Applies, Applies, NotApplicable, NotApplicable, NotApplicable}, // WinsockListenBacklog (SQL 2000)
		{NotApplicable, Applies, Applies, Applies, Applies},             // listen list: http.sys from 2003
		{NotApplicable, NotApplicable, Applies, Applies, Applies},       // dynamic port range from 2008
		{Applies, Applies, Applies, Applies, Applies},                   // listener
		{Applies, Applies, Applies, Applies, Applies},                   // connections
		{Applies, Applies, Applies, Applies, Applies},                   // service
	}
	for j, os := range []string{"2000", "2003", "2008", "2008r2", "2019"} {
		r, diags := s.Policy("p").Resolve(webHost(os))
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		for i, c := range r.Checks {
			if got := c.Common().Applies; got != want[i][j] {
				t.Errorf("%s rule %d (%s) on %s: %v, want %v", c.Common().Kind, i, c.Common().DeclRange, os, got, want[i][j])
			}
		}
	}
	r, _ := s.Policy("p").Resolve(webHost(""))
	for i, c := range r.Checks {
		all := want[i][0] == Applies && want[i][4] == Applies && want[i][1] == Applies
		if got := c.Common().Applies; all && got != Applies || !all && got != ApplicabilityUnknown {
			t.Errorf("rule %d with an unknown release: %v", i, got)
		}
	}
}

func TestFunctions(t *testing.T) {
	ev := newSchemaEvaluator()
	host, _ := newHostEvaluator(webHost("2019"), hcl.Range{})
	cases := []struct {
		expr string
		ev   *evaluator
		want cty.Value
	}{
		{`startswith("web01", "web")`, ev, cty.True},
		{`startswith("web01", "sql")`, ev, cty.False},
		{`endswith("web01-iis", "-iis")`, ev, cty.True},
		{`cidrcontains("10.20.0.0/16", "10.20.3.4")`, ev, cty.True},
		{`cidrcontains("10.20.0.0/16", "10.21.3.4")`, ev, cty.False},
		{`startswith(host.name, "web")`, ev, cty.UnknownVal(cty.Bool).RefineNotNull()},
		{`startswith(host.name, "web")`, host, cty.True},
		{`contains(host.groups, "web") && host.os == "2019"`, host, cty.True},
		{`host.os_version == 10.0`, host, cty.True},
		{`try(host.vars.nothing, "fallback")`, host, cty.StringVal("fallback")},
	}
	for _, c := range cases {
		expr := parseExpr(t, c.expr)
		got, diags := c.ev.value(expr)
		if diags.HasErrors() {
			t.Errorf("%s: %s", c.expr, diags.Error())
			continue
		}
		if !got.RawEquals(c.want) {
			t.Errorf("%s = %#v, want %#v", c.expr, got, c.want)
		}
	}
	if n := FunctionNames(); !slices.Contains(n, "startswith") || !slices.IsSorted(n) {
		t.Errorf("FunctionNames: %v", n)
	}
}

// TestConcurrentUse: a loaded set is read-only; many hosts may be
// evaluated at once (run under -race).
func TestConcurrentUse(t *testing.T) {
	s, _ := Builtin()
	done := make(chan struct{})
	for i := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			h := webHost(simOSes[i%len(simOSes)])
			for _, p := range s.Policies {
				p.AppliesTo(h)
				p.Resolve(h)
			}
			s.Needs(h)
		}()
	}
	for range 8 {
		<-done
	}
}

func TestResolveAllIsResolve(t *testing.T) {
	set, diags := Builtin()
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, rel := range []string{"2003", "2019", ""} {
		h := webHost(rel)
		all, ds := set.ResolveAll(h)
		for i, p := range set.Policies {
			one, d := p.Resolve(h)
			if !reflect.DeepEqual(all[i], one) || len(ds[i]) != len(d) {
				t.Errorf("%s on %q: ResolveAll differs from Resolve:\n%+v\n%+v", p.Name, rel, all[i], one)
			}
		}
	}
	bad := webHost("2019")
	bad.OS = "1995"
	_, ds := set.ResolveAll(bad)
	if !ds[0].HasErrors() || ds[0][0].Subject.Filename != set.Policies[0].DeclRange.Filename {
		t.Errorf("an invalid host: %v", ds[0])
	}
}
