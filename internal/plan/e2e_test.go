package plan_test

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/plan"
	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/simtest"
	"github.com/fleetport/fleetport/policies"
)

const tcpip = `HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters`

// expected is what the plan must hold for a simulated host, from the
// drift kinds it carries (the table "Verdicts on the simulated fleet" in
// policies/doc.go).
type expected struct {
	actions  map[string][]string // policy → commands
	effect   plan.EffectKind
	services []string
	manual   []string // policies
}

func expect(p sim.HostPlan) expected {
	e := expected{actions: map[string][]string{}, effect: plan.EffectNone}
	listen := func(add bool, a netip.Addr) string {
		switch {
		case p.OS == "2003" && add:
			return "httpcfg set iplisten -i " + a.String()
		case p.OS == "2003":
			return "httpcfg delete iplisten -i " + a.String()
		case add:
			return "netsh http add iplisten ipaddress=" + a.String()
		}
		return "netsh http delete iplisten ipaddress=" + a.String()
	}
	lo := netip.MustParseAddr("127.0.0.1")
	reboot, http, smtp := false, false, false
	for _, d := range p.Drift {
		switch d {
		case sim.DriftListenListEmpty:
			// The management and loopback addresses first.
			e.actions["http_listen_list"] = []string{listen(true, p.Addr), listen(true, lo), listen(true, p.ServiceAddr)}
			http = true
		case sim.DriftListenListStale:
			e.actions["http_listen_list_stale"] = []string{listen(false, netip.MustParseAddr("192.168.33.1"))}
			http = true
		case sim.DriftListenListLockoutPending:
			// winrm_listen_list_access fails too; its change is the same
			// and is left out.
			e.actions["http_listen_list"] = []string{listen(true, p.Addr)}
			http = true
		case sim.DriftSMTPWildcard:
			e.actions["smtp_socket_pooling"] = []string{`cscript //nologo C:\Inetpub\AdminScripts\adsutil.vbs set smtpsvc/disablesocketpooling true`}
			smtp = true
		case sim.DriftMaxUserPortDefault:
			e.actions["max_user_port"] = []string{`reg add "` + tcpip + `" /v MaxUserPort /t REG_DWORD /d 65534 /f`}
			reboot = true
		case sim.DriftTimedWaitDelayDefault:
			e.actions["tcp_timed_wait_delay"] = []string{`reg add "` + tcpip + `" /v TcpTimedWaitDelay /t REG_DWORD /d 30 /f`}
			reboot = true
		case sim.DriftDynamicRangeDefault:
			e.actions["dynamic_port_range"] = []string{"netsh int ipv4 set dynamicport tcp start=10000 num=55535"}
		case sim.DriftW3SVCStopped:
			e.actions["w3svc_running"] = []string{"net start W3SVC"}
		case sim.DriftTimeWaitPile:
			e.manual = append(e.manual, "time_wait_pressure")
		case sim.DriftSiteBindingUnlisted:
			e.manual = append(e.manual, "fleetport.site_unreachable")
		}
	}
	switch {
	case reboot:
		e.effect = plan.EffectReboot
	case http || smtp:
		e.effect = plan.EffectServiceRestart
		if http {
			e.services = append(e.services, "HTTP")
		}
		if smtp {
			e.services = append(e.services, "SMTPSVC")
		}
	}
	return e
}

// scenario is a fleet with every drift kind, and one 2003 web server with
// an empty listen list besides (httpcfg).
func scenario(t *testing.T) (sim.Scenario, string) {
	sc := simtest.Scenario(40)
	sc.Drift = slices.Clone(sim.DefaultScenario().Drift)
	plans, err := sc.Plan()
	if err != nil {
		t.Fatal(err)
	}
	var old string
	for _, p := range plans {
		if p.OS == "2003" && p.Role == "web" && len(p.Drift) == 0 {
			old = p.Name
			break
		}
	}
	if old == "" {
		t.Fatal("the fleet has no 2003 web server without drift")
	}
	for i := range sc.Drift {
		if sc.Drift[i].Kind == sim.DriftListenListEmpty {
			sc.Drift[i].Hosts = []string{old}
		}
	}
	return sc, old
}

// TestPlanOnTheSimulatedFleet collects a simulated fleet carrying every
// kind of drift over WinRM, judges it, plans it, and checks each host's
// plan; then it runs the planned commands through WinRM and checks that
// Classify tells Before from After from the real output, and that the
// effect steps work on the simulator.
func TestPlanOnTheSimulatedFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	sc, old := scenario(t)
	f := simtest.Serve(t, sc)
	set := builtin(t)
	cur := collectFleet(t, f, set)
	_, hosts := judge(f, set, cur)
	p := plan.Build(set, 7, hosts, plan.Options{Now: testNow})

	kinds := map[string]bool{}
	for _, h := range f.Hosts() {
		for _, d := range h.Plan.Drift {
			kinds[d] = true
		}
	}
	for _, k := range sim.DriftKinds {
		if !kinds[k] {
			t.Errorf("the fleet carries no %s", k)
		}
	}
	if len(p.Refused) != 0 {
		t.Errorf("refusals on the simulated fleet: %+v", p.Refused)
	}
	if p.Run != 7 || p.Version != plan.SchemaVersion || !p.Created.Equal(testNow) {
		t.Errorf("plan header: run %d version %d created %s", p.Run, p.Version, p.Created)
	}

	for _, h := range f.Hosts() {
		hp := h.Plan
		want := expect(hp)
		got := hostPlan(p, hp.Name)
		if len(want.actions) == 0 && want.effect == plan.EffectNone {
			if got != nil {
				t.Errorf("%s (%v): planned %+v", hp.Name, hp.Drift, got)
			}
		} else if got == nil {
			t.Errorf("%s (%v): no plan", hp.Name, hp.Drift)
			continue
		}
		var manual []string
		for _, m := range p.Manual {
			if m.Host == hp.Name && !slices.Contains(manual, m.Policy) {
				manual = append(manual, m.Policy)
			}
		}
		for _, m := range want.manual {
			if !slices.Contains(manual, m) {
				t.Errorf("%s (%v): no manual item for %s: %v", hp.Name, hp.Drift, m, manual)
			}
		}
		for _, m := range manual {
			if !slices.Contains([]string{"time_wait_pressure", "fleetport.port_exhaustion", "fleetport.site_unreachable"}, m) {
				t.Errorf("%s (%v): manual %s", hp.Name, hp.Drift, m)
			}
		}
		if got == nil {
			continue
		}
		checkHostPlan(t, hp, got, want)
	}

	if h := hostPlan(p, lockoutHost(f)); h != nil {
		for _, v := range []string{"http_listen_list", "winrm_listen_list_access", "fleetport.listen_list_lockout", "fleetport.not_in_effect"} {
			if !slices.Contains(h.Verify, v) {
				t.Errorf("%s: verify %v lacks %s", h.Host, h.Verify, v)
			}
		}
	}

	t.Run("round trip", func(t *testing.T) { roundTrip(t, p) })
	t.Run("text", func(t *testing.T) { text(t, p) })
	t.Run("without addresses", func(t *testing.T) { withoutAddresses(t, f, set, cur) })
	t.Run("address the host lacks", func(t *testing.T) { lacksAddress(t, f, set, cur) })
	t.Run("classify", func(t *testing.T) { classify(t, f, p, old) })
	t.Run("effects", func(t *testing.T) { effects(t, f, p, old) })
}

func checkHostPlan(t *testing.T, hp sim.HostPlan, got *plan.HostPlan, want expected) {
	t.Helper()
	gotActions := map[string][]string{}
	for _, a := range got.Actions {
		if _, dup := gotActions[a.Policy]; dup {
			t.Errorf("%s: two actions of %s", hp.Name, a.Policy)
		}
		gotActions[a.Policy] = a.Commands
		if !strings.HasPrefix(a.ID, hp.Name+"/"+a.Policy+"/") || a.Probe == "" || len(a.Undo) == 0 || a.Summary == "" {
			t.Errorf("%s: action %+v", hp.Name, a)
		}
	}
	var pols []string
	for pol := range want.actions {
		pols = append(pols, pol)
	}
	for pol := range gotActions {
		if _, ok := want.actions[pol]; !ok {
			pols = append(pols, pol)
		}
	}
	sort.Strings(pols)
	for _, pol := range pols {
		if !slices.Equal(gotActions[pol], want.actions[pol]) {
			t.Errorf("%s (%s, %v) %s:\n got %q\nwant %q", hp.Name, hp.OS, hp.Drift, pol, gotActions[pol], want.actions[pol])
		}
		if !slices.Contains(got.Verify, pol) {
			t.Errorf("%s: verify %v lacks %s", hp.Name, got.Verify, pol)
		}
	}
	e := got.Effect
	if e.Kind != want.effect || !sameStrings(e.Services, want.services) {
		t.Errorf("%s (%v): effect %+v, want %s %v", hp.Name, hp.Drift, e, want.effect, want.services)
	}
	if e.Detached != (e.Kind == plan.EffectReboot || slices.Contains(e.Services, "HTTP")) {
		t.Errorf("%s: effect %+v detached %v", hp.Name, e, e.Detached)
	}
	if got.ManagementAddress != hp.Addr || got.Release != hp.OS || len(got.Fingerprint) != 64 {
		t.Errorf("%s: management %s release %s fingerprint %q", hp.Name, got.ManagementAddress, got.Release, got.Fingerprint)
	}
}

func sameStrings(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func lockoutHost(f *sim.Fleet) string {
	for _, h := range f.Hosts() {
		if h.Plan.Has(sim.DriftListenListLockoutPending) {
			return h.Plan.Name
		}
	}
	return ""
}

func roundTrip(t *testing.T, p *plan.Plan) {
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(buf.Bytes(), []byte("}\n")) || !bytes.Contains(buf.Bytes(), []byte("\n  \"hosts\": [")) {
		t.Errorf("not indented JSON with a trailing newline:\n%.300s", buf.String())
	}
	q, err := plan.Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := q.Write(&again); err != nil {
		t.Fatal(err)
	}
	if again.String() != buf.String() {
		t.Error("Write(Read(Write(p))) differs from Write(p)")
	}
}

func text(t *testing.T, p *plan.Plan) {
	var buf bytes.Buffer
	if err := plan.WriteText(&buf, p, false); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	hosts, actions, reboots, restarts := p.Counts()
	if want := fmt.Sprintf("\n%d hosts, %d actions: %d reboots, %d service restarts\n", hosts, actions, reboots, restarts); !strings.HasSuffix(out, want) {
		t.Errorf("text does not end with %q:\n%s", want, out)
	}
	if hosts == 0 || actions < hosts || reboots == 0 || restarts == 0 {
		t.Errorf("counts %d %d %d %d", hosts, actions, reboots, restarts)
	}
	for _, want := range []string{"schtasks /create /tn FleetportRestartHTTP", "shutdown /r /t 5", "manual time_wait_pressure connections:"} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("escape sequences without color")
	}
	buf.Reset()
	if err := plan.WriteText(&buf, p, true); err != nil || !strings.Contains(buf.String(), "\x1b[1m") {
		t.Errorf("no styles with color: %v", err)
	}
}

// withoutAddresses plans the same run as if the host's addresses had not
// been collected: every listen-list addition is refused, and the host
// whose configured list already lacks the management address gets neither
// the HTTP restart nor a reboot, which would put that list into effect.
func withoutAddresses(t *testing.T, f *sim.Fleet, set *policies.Set, cur map[string]*facts.Host) {
	bare := map[string]*facts.Host{}
	for n, h := range cur {
		c := *h
		c.Addresses = nil
		bare[n] = &c
	}
	_, hosts := judge(f, set, bare)
	p := plan.Build(set, 7, hosts, plan.Options{Now: testNow})
	refused := map[string][]plan.Refusal{}
	for _, r := range p.Refused {
		refused[r.Host] = append(refused[r.Host], r)
	}
	for _, h := range f.Hosts() {
		hp := h.Plan
		got := hostPlan(p, hp.Name)
		adds := hp.Has(sim.DriftListenListEmpty) || hp.Has(sim.DriftListenListLockoutPending)
		if !adds {
			continue
		}
		found := slices.ContainsFunc(refused[hp.Name], func(r plan.Refusal) bool {
			return r.Policy == "http_listen_list" && strings.Contains(r.Reason, "the host's addresses were not collected")
		})
		if !found {
			t.Errorf("%s: refusals %+v", hp.Name, refused[hp.Name])
		}
		if got != nil {
			for _, a := range got.Actions {
				if a.Kind == plan.KindListenList {
					t.Errorf("%s: listen-list action %s planned", hp.Name, a.Summary)
				}
			}
		}
		if hp.Has(sim.DriftListenListLockoutPending) && got != nil {
			if got.Effect.Kind == plan.EffectReboot || slices.Contains(got.Effect.Services, "HTTP") {
				t.Errorf("%s: effect %+v would put a list without %s into effect", hp.Name, got.Effect, hp.Addr)
			}
			for _, a := range got.Actions {
				if a.Kind == plan.KindRegistry {
					t.Errorf("%s: %s planned, which needs a reboot", hp.Name, a.Summary)
				}
			}
			if !slices.ContainsFunc(refused[hp.Name], func(r plan.Refusal) bool {
				return r.Policy == "fleetport.not_in_effect" && strings.Contains(r.Reason, hp.Addr.String())
			}) {
				t.Errorf("%s: the HTTP restart is not refused: %+v", hp.Name, refused[hp.Name])
			}
		}
	}
	// Not even the stale entry is removed: whether the address fleetport
	// connects to is the host's own cannot be checked.
	for _, h := range f.Hosts() {
		if h.Plan.Has(sim.DriftListenListStale) {
			if got := hostPlan(p, h.Plan.Name); got != nil && slices.ContainsFunc(got.Actions, func(a plan.Action) bool { return a.Kind == plan.KindListenList }) {
				t.Errorf("%s: the stale entry's removal is planned without the host's addresses: %+v", h.Plan.Name, got)
			}
		}
	}
}

// lacksAddress plans a host with an empty list whose facts lack its
// service address: the addition is refused, naming it.
func lacksAddress(t *testing.T, f *sim.Fleet, set *policies.Set, cur map[string]*facts.Host) {
	var target sim.HostPlan
	for _, h := range f.Hosts() {
		if h.Plan.Has(sim.DriftListenListEmpty) && h.Plan.OS != "2003" {
			target = h.Plan
			break
		}
	}
	c := *cur[target.Name]
	c.Addresses = []netip.Addr{target.Addr}
	mod := map[string]*facts.Host{}
	for n, h := range cur {
		mod[n] = h
	}
	mod[target.Name] = &c
	_, hosts := judge(f, set, mod)
	p := plan.Build(set, 7, hosts, plan.Options{Now: testNow})
	var rs []plan.Refusal
	for _, r := range p.Refused {
		if r.Host == target.Name {
			rs = append(rs, r)
		}
	}
	if len(rs) != 1 || rs[0].Policy != "http_listen_list" || !strings.Contains(rs[0].Reason, "has no address "+target.ServiceAddr.String()) {
		t.Errorf("%s: refusals %+v", target.Name, rs)
	}
	if got := hostPlan(p, target.Name); got != nil && slices.ContainsFunc(got.Actions, func(a plan.Action) bool { return a.Kind == plan.KindListenList }) {
		t.Errorf("%s: listen-list action planned", target.Name)
	}
}

// probe runs an action's probe and classifies the output.
func probe(t *testing.T, s *remote.Session, a plan.Action) (plan.State, string) {
	t.Helper()
	res := run(t, s, a.Probe)
	st, desc, err := a.Classify(plan.Output{Stdout: res.Stdout, Stderr: res.Stderr, ExitCode: res.ExitCode})
	if err != nil {
		t.Fatalf("%s: classify %s: %v", a.ID, a.Probe, err)
	}
	return st, desc
}

func runAll(t *testing.T, s *remote.Session, lines []string) {
	t.Helper()
	for _, l := range lines {
		if res := run(t, s, l); res.ExitCode != 0 {
			t.Fatalf("%s: exit %d: %s%s", l, res.ExitCode, res.Stdout, res.Stderr)
		}
	}
}

// classify runs one action of each kind on its host through WinRM: the
// probe reads Before, the commands lead to After, the undo back to Before;
// the reversed action reads the same states the other way round.
func classify(t *testing.T, f *sim.Fleet, p *plan.Plan, old string) {
	seen := map[string]bool{}
	for _, h := range p.Hosts {
		for _, a := range h.Actions {
			key := string(a.Kind)
			if a.ListenList != nil {
				key += "/" + a.ListenList.Tool
			}
			if seen[key] || f.Host(h.Host).Plan.Has(sim.DriftListenListEmpty) && h.Host != old {
				continue // keep the empty-list hosts for the effect test
			}
			seen[key] = true
			t.Run(key, func(t *testing.T) {
				s := session(t, f, f.Host(h.Host).Plan)
				rev := a.Reverse()
				check := func(step string, want plan.State) {
					t.Helper()
					st, desc := probe(t, s, a)
					rst, _ := probe(t, s, rev)
					wantRev := map[plan.State]plan.State{plan.StateBefore: plan.StateAfter, plan.StateAfter: plan.StateBefore}[want]
					if st != want || rst != wantRev || desc == "" {
						t.Errorf("%s %s: %s (%s), reversed %s; want %s", a.ID, step, st, desc, rst, want)
					}
				}
				check("before", plan.StateBefore)
				runAll(t, s, a.Commands)
				check("after the commands", plan.StateAfter)
				runAll(t, s, a.Undo)
				check("after the undo", plan.StateBefore)
			})
		}
	}
	for _, k := range []string{"registry", "listen_list/netsh", "listen_list/httpcfg", "dynamic_port_range", "service", "iis_socket_pooling"} {
		if !seen[k] {
			t.Errorf("no %s action was classified", k)
		}
	}
}

// effects applies a host's actions and its effect step through WinRM,
// as apply will: an HTTP restart in a scheduled task that brings WinRM
// back (on 2019 and on 2003), and a reboot.
func effects(t *testing.T, f *sim.Fleet, p *plan.Plan, old string) {
	var httpHosts []string
	var rebootHost string
	for _, h := range p.Hosts {
		hp := f.Host(h.Host).Plan
		switch {
		case h.Host == old:
			httpHosts = append(httpHosts, h.Host)
		case hp.Has(sim.DriftListenListEmpty) && h.Effect.Kind == plan.EffectServiceRestart && len(httpHosts) < 2 && hp.OS != "2003":
			httpHosts = append(httpHosts, h.Host)
		case h.Effect.Kind == plan.EffectReboot && rebootHost == "" && !hp.Has(sim.DriftListenListLockoutPending):
			rebootHost = h.Host
		}
	}
	if len(httpHosts) < 2 || rebootHost == "" {
		t.Fatalf("hosts for the effects: %v %q", httpHosts, rebootHost)
	}
	t.Run("smtp", func(t *testing.T) { smtpRestart(t, f, p) })
	for _, name := range append(httpHosts, rebootHost) {
		t.Run(name, func(t *testing.T) {
			h := hostPlan(p, name)
			hp := f.Host(name).Plan
			model := f.Host(name).Model
			s := session(t, f, hp)
			for _, a := range h.Actions {
				runAll(t, s, a.Commands)
			}
			cmds, detached, err := plan.EffectCommands(h.Effect, h.Release, []string{"W3SVC"})
			if err != nil || !detached {
				t.Fatalf("effect %+v: %q %v %v", h.Effect, cmds, detached, err)
			}
			boot := model.BootTime()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			for i, c := range cmds {
				res, err := s.Run(ctx, remote.Command{Line: c})
				if err != nil && i == len(cmds)-1 {
					// The last command starts what cuts the session (the
					// task restarting HTTP, the reboot): its answer may be
					// lost with the connection.
					break
				}
				if err != nil || res.ExitCode != 0 {
					t.Fatalf("%s: %v %d %s%s", c, err, res.ExitCode, res.Stdout, res.Stderr)
				}
			}
			s.Close()
			deadline := time.Now().Add(20 * time.Second)
			for {
				done := model.Up() && model.ServiceState("WinRM") == "RUNNING" && model.ServiceState("HTTP") == "RUNNING"
				if h.Effect.Kind == plan.EffectReboot {
					done = done && !model.BootTime().Equal(boot)
				} else {
					done = done && model.Restarts("HTTP") > 0 && model.ServiceState("W3SVC") == "RUNNING"
				}
				if done && model.Reachable(hp.Addr) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s did not come back: up %v WinRM %s HTTP %s W3SVC %s", name, model.Up(),
						model.ServiceState("WinRM"), model.ServiceState("HTTP"), model.ServiceState("W3SVC"))
				}
				time.Sleep(50 * time.Millisecond)
			}
			if h.Effect.Kind == plan.EffectReboot {
				if model.TcpTimedWaitDelayInEffect() != 30 {
					t.Errorf("TcpTimedWaitDelay in effect %d", model.TcpTimedWaitDelayInEffect())
				}
			} else {
				inEffect := model.ListenListInEffect()
				if !slices.Contains(inEffect, hp.Addr) || !slices.Contains(inEffect, hp.ServiceAddr) || len(inEffect) != 3 {
					t.Errorf("listen list in effect %v", inEffect)
				}
				// The stop ran in the task, never in a WinRM session.
				for _, e := range model.Audit() {
					if strings.HasPrefix(strings.ToLower(e.Line), "net stop http") && !e.Task {
						t.Errorf("net stop http ran in a session: %+v", e)
					}
				}
			}
			// fleetport reaches the host again.
			s2 := session(t, f, hp)
			if res := run(t, s2, "ver"); res.ExitCode != 0 {
				t.Errorf("ver after the effect: %d", res.ExitCode)
			}
		})
	}
}

// smtpRestart sets DisableSocketPooling on the SMTP server and restarts
// SMTPSVC with the commands of a service-restart effect, in the session:
// SMTP stops pooling (binds its address only) and WinRM stays up.
func smtpRestart(t *testing.T, f *sim.Fleet, p *plan.Plan) {
	var h *plan.HostPlan
	var a plan.Action
	for i := range p.Hosts {
		for _, x := range p.Hosts[i].Actions {
			if x.Kind == plan.KindSocketPooling {
				h, a = &p.Hosts[i], x
			}
		}
	}
	if h == nil {
		t.Fatal("no socket-pooling action")
	}
	model := f.Host(h.Host).Model
	if !model.SocketPoolingInEffect("SMTPSVC") {
		t.Fatal("SMTP does not pool sockets before the change")
	}
	s := session(t, f, f.Host(h.Host).Plan)
	runAll(t, s, a.Commands)
	cmds, detached, err := plan.EffectCommands(plan.Effect{Kind: plan.EffectServiceRestart, Services: []string{"SMTPSVC"}}, h.Release, nil)
	if err != nil || detached || !slices.Equal(cmds, []string{"net stop smtpsvc /y", "net start smtpsvc"}) {
		t.Fatalf("effect commands %q %v %v", cmds, detached, err)
	}
	runAll(t, s, cmds)
	if model.SocketPoolingInEffect("SMTPSVC") || model.Restarts("SMTPSVC") != 1 {
		t.Errorf("after the restart: pooling %v, %d restarts", model.SocketPoolingInEffect("SMTPSVC"), model.Restarts("SMTPSVC"))
	}
	st, desc := probe(t, s, a)
	if st != plan.StateAfter {
		t.Errorf("after the restart: %s (%s)", st, desc)
	}
}
