package rolloutcmd_test

import (
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/plan"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/simtest"
	"github.com/fleetport/fleetport/internal/store"
)

// effects counts a host's effect steps so far: reboots and restarts of
// HTTP and SMTP (an HTTP restart starts W3SVC again too, which is the
// same step).
func effects(f *sim.Fleet, host string) int {
	m := f.Host(host).Model
	return m.Reboots() + m.Restarts("HTTP") + m.Restarts("SMTPSVC")
}

// planOnce collects and plans the fleet into plan.json, which must change
// some hosts.
func planOnce(t *testing.T, inv, db, dir string, extra ...string) (string, *plan.Plan) {
	t.Helper()
	planFile := filepath.Join(dir, "plan.json")
	code, out, errOut := run(t, append([]string{"plan", "-i", inv, "--store", db, "--timeout", "30s", "--out", planFile}, extra...)...)
	if code != 2 {
		t.Fatalf("plan: exit %d\n%s\n%s", code, out, errOut)
	}
	p := readPlan(t, planFile)
	if len(p.Hosts) < 2 {
		t.Fatalf("the plan changes %d hosts", len(p.Hosts))
	}
	return planFile, p
}

// TestApplyPlanHonoursLimit: apply --plan --limit works on the hosts the
// limit names and on no other: the simulator's audit shows no command on
// any other host, and the hosts named are fixed.
func TestApplyPlanHonoursLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	f, inv := driftFleet(t, 10)
	dir := t.TempDir()
	db := filepath.Join(dir, "fleetport.db")
	planFile, p := planOnce(t, inv, db, dir)
	picked := []string{p.Hosts[0].Host, p.Hosts[len(p.Hosts)-1].Host}
	before := audit(f)
	code, out, errOut := run(t, "apply", "-i", inv, "--store", db, "--plan", planFile, "--limit", strings.Join(picked, ","),
		"--stages", "100%", "--yes", "--poll", "200ms", "--effect-timeout", "30s", "--timeout", "30s")
	if code != 0 || !strings.Contains(out, "2 fixed") {
		t.Fatalf("apply --limit: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, h := range f.Hosts() {
		ran := before.since(f, h.Plan.Name)
		if h.Plan.Name == picked[0] || h.Plan.Name == picked[1] {
			if len(ran) == 0 {
				t.Errorf("%s: named by --limit, ran nothing", h.Plan.Name)
			}
			continue
		}
		if len(ran) > 0 {
			t.Errorf("%s: not named by --limit, ran %q", h.Plan.Name, ran)
		}
	}
}

// TestNoEffectWithoutChange: the plan is applied, then applied again on
// the fleet it fixed. The second rollout skips every action, and runs no
// restart and no reboot: the boot times and the restart counts stay as
// they were.
func TestNoEffectWithoutChange(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	f, inv := driftFleet(t, 10)
	dir := t.TempDir()
	db := filepath.Join(dir, "fleetport.db")
	planFile, p := planOnce(t, inv, db, dir)
	apply := func() (int, string, string) {
		return run(t, "apply", "-i", inv, "--store", db, "--plan", planFile, "--stages", "100%", "--yes",
			"--poll", "200ms", "--effect-timeout", "30s", "--timeout", "30s")
	}
	if code, out, errOut := apply(); code != 0 {
		t.Fatalf("first apply: exit %d\n%s\n%s", code, out, errOut)
	}
	counts, boots := map[string]int{}, map[string]time.Time{}
	withEffect := 0
	for _, hp := range p.Hosts {
		counts[hp.Host] = effects(f, hp.Host)
		boots[hp.Host] = f.Host(hp.Host).Model.BootTime()
		if hp.Effect.Kind != plan.EffectNone {
			withEffect++
		}
	}
	if withEffect == 0 {
		t.Fatal("no host of the plan has an effect: the test proves nothing")
	}
	code, out, errOut := apply()
	if code != 0 {
		t.Fatalf("second apply: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, hp := range p.Hosts {
		if n := effects(f, hp.Host); n != counts[hp.Host] {
			t.Errorf("%s: %d restarts or reboots in the second apply, where nothing changed", hp.Host, n-counts[hp.Host])
		}
		if b := f.Host(hp.Host).Model.BootTime(); !b.Equal(boots[hp.Host]) {
			t.Errorf("%s: booted again (%s, was %s)", hp.Host, b, boots[hp.Host])
		}
	}
	// The journal of the second rollout says why each effect was skipped.
	_, js, _ := run(t, "rollout", "status", "2", "--store", db, "--json")
	var story struct{ Events []store.Event }
	if err := json.Unmarshal([]byte(js), &story); err != nil {
		t.Fatal(err)
	}
	skipped := map[string]string{}
	for _, e := range story.Events {
		if e.Step == "effect" {
			if e.State != "skip" {
				t.Errorf("%s: effect %s %s in the second apply", e.Host, e.State, e.Detail)
			}
			skipped[e.Host] = e.Detail
		}
	}
	for _, hp := range p.Hosts {
		if hp.Effect.Kind != plan.EffectNone && !strings.Contains(skipped[hp.Host], "nothing was changed on the host that needs it") &&
			!strings.Contains(skipped[hp.Host], "in effect") && !strings.Contains(skipped[hp.Host], "already listens") {
			t.Errorf("%s: the journal does not say why its %s was skipped: %q", hp.Host, hp.Effect.Kind, skipped[hp.Host])
		}
	}
}

// TestPlanFileTamperingIsRefused edits a saved plan consistently (its
// commands match its typed values, its effects agree, its fingerprint
// holds), so that plan.Read accepts it; apply derives every host again
// from the plan's run and refuses the plan before any host is touched.
func TestPlanFileTamperingIsRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	f, inv := driftFleet(t, 10)
	dir := t.TempDir()
	db := filepath.Join(dir, "fleetport.db")
	planFile, p := planOnce(t, inv, db, dir)
	data, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	var reg, reboot *plan.HostPlan
	for i := range p.Hosts {
		hp := &p.Hosts[i]
		for _, a := range hp.Actions {
			if a.Registry != nil && a.Registry.Name == "TcpTimedWaitDelay" && reg == nil {
				reg = hp
			}
		}
		if hp.Effect.Kind == plan.EffectReboot && reboot == nil && len(hp.Pending) == 0 {
			reboot = hp
		}
	}
	if reg == nil || reboot == nil {
		t.Fatalf("the plan lacks a TcpTimedWaitDelay change or a reboot")
	}
	other := p.Hosts[0].Host
	if other == reg.Host {
		other = p.Hosts[1].Host
	}
	otherAddr := f.Host(other).Plan.Addr.String()
	edit := func(host string, change func(hp *plan.HostPlan)) []byte {
		var q plan.Plan
		if err := json.Unmarshal(data, &q); err != nil {
			t.Fatal(err)
		}
		for i := range q.Hosts {
			if q.Hosts[i].Host == host {
				change(&q.Hosts[i])
			}
		}
		b, err := json.MarshalIndent(&q, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	setTimedWait := func(n uint64) func(hp *plan.HostPlan) {
		return func(hp *plan.HostPlan) {
			for i := range hp.Actions {
				a := &hp.Actions[i]
				if a.Registry != nil && a.Registry.Name == "TcpTimedWaitDelay" {
					a.Registry.After = &plan.RegValue{Num: &n}
					for j := range a.Commands {
						a.Commands[j] = strings.Replace(a.Commands[j], "/d 30 ", "/d "+json.Number(itoa(n)).String()+" ", 1)
					}
				}
			}
		}
	}
	for _, c := range []struct {
		name   string
		plan   []byte
		reason string
	}{
		{"value lowered", edit(reg.Host, setTimedWait(5)), "TcpTimedWaitDelay to 5, the policies give 30"},
		{"value raised", edit(reg.Host, setTimedWait(300)), "TcpTimedWaitDelay to 300, the policies give 30"},
		{"reboot removed", edit(reboot.Host, func(hp *plan.HostPlan) {
			none := plan.Effect{Kind: plan.EffectNone, Summary: "none"}
			hp.Effect = none
			for i := range hp.Actions {
				hp.Actions[i].Effect = none
			}
		}), "needs no restart or reboot, the policy says a reboot"},
		{"address of another host", edit(reg.Host, func(hp *plan.HostPlan) { hp.Address = otherAddr }), "its address is " + otherAddr},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "plan.json")
			if err := os.WriteFile(file, c.plan, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := plan.Read(strings.NewReader(string(c.plan))); err != nil {
				t.Fatalf("the edited plan is not consistent enough to reach apply's check: %v", err)
			}
			before := audit(f)
			code, out, errOut := run(t, "apply", "-i", inv, "--store", db, "--plan", file, "--stages", "100%", "--yes", "--timeout", "30s")
			if code != 1 || !strings.Contains(errOut, "refused, nothing changed") || !strings.Contains(errOut, c.reason) {
				t.Errorf("apply: exit %d, want 1 and %q\n%s\n%s", code, c.reason, out, errOut)
			}
			for _, h := range f.Hosts() {
				if ran := before.since(f, h.Plan.Name); len(ran) > 0 {
					t.Errorf("%s ran %q", h.Plan.Name, ran)
				}
			}
		})
	}
}

func itoa(n uint64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestLockoutThroughTheInventory: a host whose management_address is its
// service address, not the address fleetport connects to. validate and
// plan refuse the inventory, naming the argument; nothing is changed.
func TestLockoutThroughTheInventory(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	t.Setenv(sim.EnvUser, sim.DemoUser)
	t.Setenv(sim.EnvPassword, sim.DemoPassword)
	sc := simtest.Scenario(1)
	sc.HTTPSPort = 0
	fl := simtest.Serve(t, sc)
	h := fl.Hosts()[0]
	dir := t.TempDir()
	inv := filepath.Join(dir, "fleet.hcl")
	src := `defaults {
  auth     = "ntlm"
  port     = ` + itoa(uint64(fl.Scenario().HTTPPort)) + `
  user     = env("FLEETPORT_SIM_USER")
  password = env("FLEETPORT_SIM_PASSWORD")
}

host "frontend-a" {
  address            = "` + h.Plan.Addr.String() + `"
  management_address = "10.97.0.11"
}
`
	if err := os.WriteFile(inv, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, "validate", "-i", inv)
	if code != 1 || !strings.Contains(errOut, "Management address is not where fleetport connects") || !strings.Contains(errOut, "fleet.hcl line 10") {
		t.Errorf("validate: exit %d\n%s", code, errOut)
	}
	before := audit(fl)
	code, _, errOut = run(t, "plan", "-i", inv, "--store", filepath.Join(dir, "fp.db"), "--timeout", "30s")
	if code != 1 || !strings.Contains(errOut, "Management address is not where fleetport connects") {
		t.Errorf("plan: exit %d\n%s", code, errOut)
	}
	if ran := before.since(fl, h.Plan.Name); len(ran) > 0 {
		t.Errorf("the host ran %q", ran)
	}
}

// TestNATAddressIsRefusedFromPlan: fleetport reaches a host through a
// forwarder on another address (as through NAT). The host's own addresses
// lack the one fleetport connects to: the plan refuses its listen-list
// change with the reason, and plans no HTTP restart.
func TestNATAddressIsRefusedFromPlan(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	t.Setenv(sim.EnvUser, sim.DemoUser)
	t.Setenv(sim.EnvPassword, sim.DemoPassword)
	sc := simtest.Scenario(1)
	sc.HTTPSPort = 0
	fl := simtest.Serve(t, sc)
	h := fl.Hosts()[0]
	// The forwarder listens on the last address of the fleet's network.
	front := h.Plan.Addr.As4()
	front[3] = 250
	lis, err := net.Listen("tcp", net.JoinHostPort(net.IP(front[:]).String(), itoa(uint64(fl.Scenario().HTTPPort))))
	if err != nil {
		t.Fatal(err)
	}
	target := net.JoinHostPort(h.Plan.Addr.String(), itoa(uint64(fl.Scenario().HTTPPort)))
	var wg sync.WaitGroup
	t.Cleanup(func() { lis.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			d, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			wg.Add(2)
			go func() { defer wg.Done(); _, _ = io.Copy(d, c); d.Close() }()
			go func() { defer wg.Done(); _, _ = io.Copy(c, d); c.Close() }()
		}
	}()
	// The host's list is empty (http.sys on every address): the built-in
	// pack wants it narrowed to the management address and loopback.
	dir := t.TempDir()
	inv := filepath.Join(dir, "fleet.hcl")
	src := `defaults {
  auth     = "ntlm"
  port     = ` + itoa(uint64(fl.Scenario().HTTPPort)) + `
  user     = env("FLEETPORT_SIM_USER")
  password = env("FLEETPORT_SIM_PASSWORD")
}

host "edge-1" {
  address = "` + net.IP(front[:]).String() + `"
  groups  = ["web"]
  vars    = { service_address = "` + h.Plan.Addr.String() + `" }
}

group "web" {}
`
	if err := os.WriteFile(inv, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	winrmRun(t, fl, h.Plan.Name, "netsh http add iplisten ipaddress="+h.Plan.Addr.String())
	code, out, errOut := run(t, "plan", "-i", inv, "--store", filepath.Join(dir, "fp.db"), "--timeout", "30s", "--json")
	var p plan.Plan
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("plan: exit %d %v\n%s\n%s", code, err, out, errOut)
	}
	found := false
	for _, r := range p.Refused {
		found = found || strings.Contains(r.Reason, "which is not one of the host's own addresses") && strings.Contains(r.Reason, "NAT")
	}
	if !found {
		t.Errorf("no refusal names the NAT: %+v", p.Refused)
	}
	for _, hp := range p.Hosts {
		for _, a := range hp.Actions {
			if a.Kind == plan.KindListenList {
				t.Errorf("listen-list change planned through NAT: %s", a.Summary)
			}
		}
		if hp.Effect.Kind == plan.EffectReboot || plan.SameStep(hp.Effect, plan.Effect{Kind: plan.EffectServiceRestart, Services: []string{"HTTP"}, Detached: true}) {
			t.Errorf("HTTP restart planned through NAT: %+v", hp.Effect)
		}
	}
}

// TestPolicyFilter: plan --policy and apply --policy fix the named policy
// only; an unknown name is refused before anything is collected.
func TestPolicyFilter(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	f, inv := driftFleet(t, 8)
	dir := t.TempDir()
	db := filepath.Join(dir, "fleetport.db")
	code, _, errOut := run(t, "plan", "-i", inv, "--store", db, "--policy", "no_such_policy")
	if code != 1 || !strings.Contains(errOut, "--policy no_such_policy: no such policy") {
		t.Errorf("unknown policy: exit %d\n%s", code, errOut)
	}
	planFile, p := planOnce(t, inv, db, dir, "--policy", "tcp_timed_wait_delay")
	if !slices.Equal(p.Policies, []string{"tcp_timed_wait_delay"}) {
		t.Errorf("the plan does not record its filter: %v", p.Policies)
	}
	for _, hp := range p.Hosts {
		for _, a := range hp.Actions {
			if a.Policy != "tcp_timed_wait_delay" {
				t.Errorf("%s: %s planned under --policy tcp_timed_wait_delay", hp.Host, a.ID)
			}
		}
	}
	before := audit(f)
	code, out, errOut := run(t, "apply", "-i", inv, "--store", db, "--plan", planFile, "--stages", "100%", "--yes",
		"--poll", "200ms", "--effect-timeout", "30s", "--timeout", "30s")
	if code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, h := range f.Hosts() {
		for _, l := range before.since(f, h.Plan.Name) {
			if (strings.HasPrefix(l, "reg add") && !strings.Contains(l, "TcpTimedWaitDelay")) || strings.Contains(l, "iplisten") && !strings.Contains(l, "show") ||
				strings.Contains(l, "set dynamicport") || strings.Contains(l, "adsutil.vbs set") {
				t.Errorf("%s: %q ran under --policy tcp_timed_wait_delay", h.Plan.Name, l)
			}
		}
	}
}
