package rolloutcmd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/cli/root"
	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/internal/plan"
	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/internal/sim"
	simendpoint "github.com/fleetport/fleetport/internal/sim/endpoint"
	"github.com/fleetport/fleetport/internal/sim/simtest"
	"github.com/fleetport/fleetport/internal/store"
)

// run runs the fleetport command line in-process.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ios, _, out, errOut := cmdutil.Test()
	code := root.Run(context.Background(), &cmdutil.Factory{IO: ios, Now: time.Now}, args)
	return code, out.String(), errOut.String()
}

// driftFleet serves a fleet where every remediable kind of drift lands on
// some host, with the simulator's credentials in the environment.
func driftFleet(t *testing.T, n int) (*sim.Fleet, string) {
	t.Helper()
	return driftFleetWith(t, n, nil)
}

// driftFleetWith is driftFleet with the scenario changed by change.
func driftFleetWith(t *testing.T, n int, change func(*sim.Scenario)) (*sim.Fleet, string) {
	t.Helper()
	t.Setenv(sim.EnvUser, sim.DemoUser)
	t.Setenv(sim.EnvPassword, sim.DemoPassword)
	sc := simtest.Scenario(n)
	sc.HTTPSPort = 0
	sc.Drift = slices.Clone(sim.DefaultScenario().Drift)
	for i := range sc.Drift {
		sc.Drift[i].Share = max(sc.Drift[i].Share, 25)
	}
	if change != nil {
		change(&sc)
	}
	f := simtest.Serve(t, sc)
	return f, simtest.Inventory(t, f, sim.InventoryOptions{})
}

type snapshot map[string][]string // host -> audit lines so far

func audit(f *sim.Fleet) snapshot {
	s := snapshot{}
	for _, h := range f.Hosts() {
		for _, e := range h.Model.Audit() {
			line := e.Line
			if e.Task {
				line = "task: " + line
			}
			s[h.Plan.Name] = append(s[h.Plan.Name], line)
		}
	}
	return s
}

// since is what a host ran after the snapshot.
func (s snapshot) since(f *sim.Fleet, host string) []string {
	now := audit(f)[host]
	return now[min(len(s[host]), len(now)):]
}

func readPlan(t *testing.T, path string) *plan.Plan {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// winrmRun runs commands on a host through WinRM, as an administrator would.
func winrmRun(t *testing.T, f *sim.Fleet, host string, lines ...string) {
	t.Helper()
	h := f.Host(host)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := remote.Open(ctx, remote.Endpoint{Host: h.Plan.Addr.String(), Port: f.Scenario().HTTPPort, Auth: remote.AuthNTLM},
		remote.Credentials{User: sim.DemoUser, Password: sim.DemoPassword}, remote.Options{})
	if err != nil {
		t.Fatalf("%s: %v", host, err)
	}
	defer s.Close()
	for _, l := range lines {
		res, err := s.Run(ctx, remote.Command{Line: l})
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("%s: %s: %v %d %s%s", host, l, err, res.ExitCode, res.Stdout, res.Stderr)
		}
	}
}

// probe runs an action's probe over WinRM and classifies the answer.
func probe(t *testing.T, f *sim.Fleet, host string, a plan.Action) plan.State {
	t.Helper()
	h := f.Host(host)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := remote.Open(ctx, remote.Endpoint{Host: h.Plan.Addr.String(), Port: f.Scenario().HTTPPort, Auth: remote.AuthNTLM},
		remote.Credentials{User: sim.DemoUser, Password: sim.DemoPassword}, remote.Options{})
	if err != nil {
		t.Fatalf("%s: %v", host, err)
	}
	defer s.Close()
	res, err := s.Run(ctx, remote.Command{Line: a.Probe})
	if err != nil {
		t.Fatalf("%s: %s: %v", host, a.Probe, err)
	}
	st, desc, err := a.Classify(plan.Output{Stdout: res.Stdout, Stderr: res.Stderr, ExitCode: res.ExitCode})
	if err != nil {
		t.Fatalf("%s: classify %s: %v", host, a.ID, err)
	}
	t.Logf("%s %s: %s (%s)", host, a.ID, st, desc)
	return st
}

// checkApplied asserts what a rollout did on the hosts: no change command
// ran twice, one restart or reboot at most per host, and HTTP was never
// stopped from a WinRM session.
func checkApplied(t *testing.T, f *sim.Fleet, before snapshot, p *plan.Plan) {
	t.Helper()
	for _, hp := range p.Hosts {
		ran := before.since(f, hp.Host)
		for _, a := range hp.Actions {
			for _, c := range a.Commands {
				if n := count(ran, c); n > 1 {
					t.Errorf("%s: %q ran %d times", hp.Host, c, n)
				}
			}
		}
		for _, l := range ran {
			if strings.HasPrefix(strings.ToLower(l), "net stop http") {
				t.Errorf("%s: HTTP was stopped inside a WinRM session: %q", hp.Host, l)
			}
		}
		m := f.Host(hp.Host).Model
		effects := m.Reboots() + m.Restarts("HTTP") + m.Restarts("SMTPSVC")
		if effects > 1 {
			t.Errorf("%s: %d reboots, %d HTTP and %d SMTP restarts: more than one effect step", hp.Host, m.Reboots(), m.Restarts("HTTP"), m.Restarts("SMTPSVC"))
		}
	}
}

func count(lines []string, s string) int {
	n := 0
	for _, l := range lines {
		if strings.TrimPrefix(l, "task: ") == s {
			n++
		}
	}
	return n
}

// TestApplyConvergesAndRollsBack plans a fleet with drift in every
// built-in policy the simulator can drift, applies it in three stages,
// checks that a fresh drift finds nothing remediable, and rolls it back.
func TestApplyConvergesAndRollsBack(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	f, inv := driftFleet(t, 24)
	// The built-in policies the simulator's drift kinds do not cover,
	// drifted by hand through WinRM: AFD's backlog and the TCP limits on a
	// 2003 host, WinInet's connections per server on a later one.
	var old2003, later string
	for _, h := range f.Hosts() {
		if h.Plan.OS == "2003" && old2003 == "" {
			old2003 = h.Plan.Name
		} else if h.Plan.OS != "2003" && later == "" {
			later = h.Plan.Name
		}
	}
	if old2003 == "" || later == "" {
		t.Fatalf("the fleet lacks a 2003 host (%q) or a later one (%q)", old2003, later)
	}
	winrmRun(t, f, old2003,
		`reg add "HKLM\SYSTEM\CurrentControlSet\Services\AFD\Parameters" /v DynamicBacklogGrowthDelta /t REG_DWORD /d 100 /f`,
		`reg add "HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters" /v MaxFreeTcbs /t REG_DWORD /d 100 /f`)
	winrmRun(t, f, later, `reg add "HKLM\Software\Microsoft\Windows\CurrentVersion\Internet Settings" /v MaxConnectionsPerServer /t REG_DWORD /d 1 /f`)
	dir := t.TempDir()
	db := filepath.Join(dir, "fleetport.db")
	common := []string{"-i", inv, "--store", db, "--timeout", "30s"}
	planFile := filepath.Join(dir, "plan.json")

	code, out, errOut := run(t, append([]string{"plan", "--out", planFile}, common...)...)
	if code != 2 {
		t.Fatalf("plan: exit %d\n%s\n%s", code, out, errOut)
	}
	p := readPlan(t, planFile)
	kinds := map[plan.ActionKind]bool{}
	effects := map[plan.EffectKind]bool{}
	for _, hp := range p.Hosts {
		for _, a := range hp.Actions {
			kinds[a.Kind] = true
		}
		effects[hp.Effect.Kind] = true
	}
	for _, k := range []plan.ActionKind{plan.KindRegistry, plan.KindListenList, plan.KindPortRange, plan.KindService, plan.KindSocketPooling} {
		if !kinds[k] {
			t.Errorf("the plan has no %s action:\n%s", k, out)
		}
	}
	if !effects[plan.EffectReboot] || !effects[plan.EffectServiceRestart] {
		t.Errorf("the plan lacks a reboot or a service restart: %v", effects)
	}
	if len(p.Refused) != 0 {
		t.Errorf("refused: %+v", p.Refused)
	}
	// Every built-in policy with a remediation is fixed by the plan (an
	// action of its own, or one it shares: the lockout's fix is the listen
	// list's).
	planned := map[string]bool{}
	for _, hp := range p.Hosts {
		for _, v := range hp.Verify {
			planned[v] = true
		}
	}
	for _, pol := range []string{"http_listen_list", "http_listen_list_stale", "winrm_listen_list_access", "smtp_socket_pooling", "max_user_port",
		"tcp_timed_wait_delay", "dynamic_port_range", "afd_dynamic_backlog", "tcp_connection_limits", "wininet_connections_per_server", "w3svc_running"} {
		if !planned[pol] {
			t.Errorf("no action of policy %s in the plan", pol)
		}
	}

	before := audit(f)
	code, out, errOut = run(t, append([]string{"apply", "--plan", planFile, "--stages", "1,25%,100%", "--yes", "--poll", "200ms", "--effect-timeout", "30s"}, common...)...)
	if code != 0 || !strings.Contains(out, "complete") {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	checkApplied(t, f, before, p)
	if !strings.Contains(errOut, "stage 1 start: 1 hosts") || !strings.Contains(errOut, "stage 3 done") {
		t.Errorf("apply's progress lacks the stages:\n%s", errOut)
	}

	// A fresh drift finds nothing remediable: a new plan is empty.
	code, out, errOut = run(t, append([]string{"plan", "--json"}, common...)...)
	var again plan.Plan
	if err := json.Unmarshal([]byte(out), &again); err != nil {
		t.Fatalf("plan --json after apply: exit %d %v\n%s", code, err, errOut)
	}
	if len(again.Hosts) != 0 {
		t.Errorf("after apply the plan still changes %d hosts: %+v", len(again.Hosts), again.Hosts)
	}
	code, out, errOut = run(t, append([]string{"drift", "--json"}, common...)...)
	var rep drift.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code == 1 {
		t.Errorf("drift after apply: exit %d %v\n%s", code, err, errOut)
	} else {
		for _, h := range rep.Hosts {
			for _, fd := range h.Findings {
				if fd.Result.IsDrift() && fd.Fix != drift.FixManual {
					t.Errorf("after apply %s still drifts on %s %s (fix %s): %s", h.Name, fd.Policy, fd.Rule, fd.Fix, fd.Actual)
				}
			}
		}
	}

	// status tells the story.
	code, out, _ = run(t, "rollout", "status", "1", "--store", db)
	if code != 0 || !strings.Contains(out, "rollout 1 (apply) complete") || !strings.Contains(out, "verify") {
		t.Errorf("status: %d\n%s", code, out)
	}

	// Roll back: every value the apply changed is back, as reg query and
	// the other probes read it through WinRM.
	beforeRollback := audit(f)
	code, out, errOut = run(t, "rollout", "rollback", "1", "--store", db, "--yes", "--poll", "200ms", "--effect-timeout", "30s")
	if code != 0 || !strings.Contains(out, "is back") {
		t.Fatalf("rollback: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, h := range f.Hosts() {
		for _, l := range beforeRollback.since(f, h.Plan.Name) {
			if strings.Contains(strings.ToLower(l), "net stop w3svc") {
				t.Errorf("%s: the rollback stopped W3SVC: %q", h.Plan.Name, l)
			}
		}
	}
	// The actions the apply ran (an action found already done, such as a
	// service a reboot started, was not the apply's change to undo).
	_, js, _ := run(t, "rollout", "status", "1", "--store", db, "--json")
	var story struct{ Events []store.Event }
	if err := json.Unmarshal([]byte(js), &story); err != nil {
		t.Fatal(err)
	}
	ran := map[string]bool{}
	for _, e := range story.Events {
		if id, ok := strings.CutPrefix(e.Step, "action:"); ok && e.State == "done" {
			ran[id] = true
		}
	}
	if len(ran) == 0 {
		t.Fatal("the journal of rollout 1 has no action done")
	}
	for _, hp := range p.Hosts {
		for _, a := range hp.Actions {
			if !ran[a.ID] {
				continue
			}
			if a.ListenList != nil && !slices.Contains(a.ListenList.Before, hp.ManagementAddress) && len(a.ListenList.Before) > 0 {
				// The list before lacked the management address: putting it
				// back is refused, it would lock fleetport out.
				if !strings.Contains(errOut, hp.Host) || !strings.Contains(errOut, "would lock fleetport out") {
					t.Errorf("%s: the rollback does not say it keeps the fixed listen list", hp.Host)
				}
				if st := probe(t, f, hp.Host, a); st != plan.StateAfter {
					t.Errorf("%s %s after the rollback: %s, want the fixed list kept", hp.Host, a.ID, st)
				}
				continue
			}
			if a.Kind == plan.KindService {
				// A rollback restores values, not run states: the service
				// the apply started keeps running, and is not stopped.
				if st := probe(t, f, hp.Host, a); st != plan.StateAfter {
					t.Errorf("%s %s after the rollback: %s, want the service left as the apply set it", hp.Host, a.ID, st)
				}
				if !strings.Contains(errOut, a.Service.Name+" stays "+a.Service.After) {
					t.Errorf("%s: the rollback does not say %s stays %s:\n%s", hp.Host, a.Service.Name, a.Service.After, errOut)
				}
				continue
			}
			if st := probe(t, f, hp.Host, a); st != plan.StateBefore {
				t.Errorf("%s %s after the rollback: %s, want the value before the apply", hp.Host, a.ID, st)
				_, story, _ := run(t, "rollout", "status", "2", "--store", db)
				t.Log(story)
			}
		}
	}
}

// TestCanaryFailureStopsTheRollout gives every host a fix that does not
// satisfy its own policy: the canary fails verification, the rollout stops
// at stage one with exit 2, and no other host is touched.
func TestCanaryFailureStopsTheRollout(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	t.Setenv(sim.EnvUser, sim.DemoUser)
	t.Setenv(sim.EnvPassword, sim.DemoPassword)
	sc := simtest.Scenario(6)
	sc.HTTPSPort = 0
	sc.OSMix = map[string]float64{"2019": 100}
	f := simtest.Serve(t, sc)
	inv := simtest.Inventory(t, f, sim.InventoryOptions{})
	dir := t.TempDir()
	pol := filepath.Join(dir, "bad.hcl")
	if err := os.WriteFile(pol, []byte(`policy "short_time_wait" {
  description = "TcpTimedWaitDelay at least 120"
  registry "TcpTimedWaitDelay" {
    at_least = 120
  }
  remediation {
    registry "TcpTimedWaitDelay" { value = 60 }
  }
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "fleetport.db")
	before := audit(f)
	code, out, errOut := run(t, "apply", "-i", inv, "-p", pol, "--store", db, "--timeout", "30s", "--stages", "1,50%,100%", "--yes", "--poll", "200ms")
	if code != 2 {
		t.Fatalf("apply: exit %d, want 2\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "stage 1: 1 hosts failed") {
		t.Errorf("apply's result: %s", out)
	}
	touched := 0
	for _, h := range f.Hosts() {
		for _, l := range before.since(f, h.Plan.Name) {
			if strings.HasPrefix(l, "reg add") || strings.HasPrefix(l, "shutdown") {
				touched++
				break
			}
		}
	}
	if touched != 1 {
		t.Errorf("%d hosts changed, want the canary only", touched)
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r, err := st.Rollout(context.Background(), 1)
	if err != nil || r.Status != store.RolloutStopped {
		t.Errorf("rollout 1: %+v %v", r, err)
	}
}

// TestPlanRefusesALockout: a policy whose per-host remediation would take
// the management address out of the listen list is refused at plan time,
// naming the address, and apply changes nothing.
func TestPlanRefusesALockout(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	t.Setenv(sim.EnvUser, sim.DemoUser)
	t.Setenv(sim.EnvPassword, sim.DemoPassword)
	sc := simtest.Scenario(2)
	sc.HTTPSPort = 0
	sc.OSMix = map[string]float64{"2022": 100}
	sc.Roles = []sim.Role{{Name: "web", Share: 100, Services: []string{"W3SVC"}}}
	f := simtest.Serve(t, sc)
	inv := simtest.Inventory(t, f, sim.InventoryOptions{})
	dir := t.TempDir()
	pol := filepath.Join(dir, "lockout.hcl")
	if err := os.WriteFile(pol, []byte(`policy "no_address_binding" {
  description = "http.sys must not listen on the inventory address"
  listen_list {
    excludes = [host.address]
  }
  remediation {
    listen_list { remove = [host.address] }
  }
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "fleetport.db")
	code, out, errOut := run(t, "plan", "-i", inv, "-p", pol, "--store", db, "--timeout", "30s", "--json")
	if code != 2 {
		t.Fatalf("plan: exit %d\n%s", code, errOut)
	}
	var p plan.Plan
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	for _, h := range f.Hosts() {
		found := false
		for _, r := range p.Refused {
			if r.Host == h.Plan.Name && r.Policy == "no_address_binding" && strings.Contains(r.Reason, h.Plan.Addr.String()) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no refusal naming %s in %+v", h.Plan.Name, h.Plan.Addr, p.Refused)
		}
		for _, hp := range p.Hosts {
			for _, a := range hp.Actions {
				if a.Kind == plan.KindListenList {
					t.Errorf("%s: a listen-list action was planned: %s", hp.Host, a.Summary)
				}
			}
		}
	}
	before := audit(f)
	code, _, errOut = run(t, "apply", "-i", inv, "-p", pol, "--store", db, "--timeout", "30s", "--yes")
	if code != 0 && code != 2 {
		t.Errorf("apply: exit %d\n%s", code, errOut)
	}
	for _, h := range f.Hosts() {
		for _, l := range before.since(f, h.Plan.Name) {
			if strings.Contains(l, "iplisten") && !strings.Contains(l, "show") {
				t.Errorf("%s: the listen list was changed: %q", h.Plan.Name, l)
			}
		}
	}
}

// TestCrashSafety kills the apply process (SIGKILL) after every step of
// its journal, resumes it each time (killing each resume after its next
// step), and checks that the last resume converges, that no change command
// ran twice on any host and that no host restarted or rebooted more than
// once. Then it does the same to a rollback of the rollout.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM, with a built binary")
	}
	// A kill in the instant between a shell's creation and its journal
	// entry leaks that shell until its idle timeout (10 minutes): a kill
	// after every step does that now and then, and five leaks would spend
	// a Server 2008 R2 user's shells. The shells' own cleanup is
	// TestResumeDeletesTheShellsAKilledApplyLeft's; here the hosts allow
	// 30 shells per user, as Group Policy often sets it.
	f, inv := driftFleetWith(t, 8, func(sc *sim.Scenario) { sc.MaxShellsPerUser = 30 })
	dir := t.TempDir()
	bin := buildFleetport(t, dir)
	db := filepath.Join(dir, "fleetport.db")
	planFile := filepath.Join(dir, "plan.json")
	if code, _, errOut := run(t, "plan", "-i", inv, "--store", db, "--timeout", "30s", "--out", planFile); code != 2 {
		t.Fatalf("plan: exit %d\n%s", code, errOut)
	}
	p := readPlan(t, planFile)
	kinds := map[plan.EffectKind]bool{}
	for _, hp := range p.Hosts {
		kinds[hp.Effect.Kind] = true
	}
	if !kinds[plan.EffectReboot] || !kinds[plan.EffectServiceRestart] {
		t.Fatalf("the plan lacks a reboot or a restart: %v", kinds)
	}
	before := audit(f)

	common := []string{"--store", db, "--yes", "--poll", "200ms", "--effect-timeout", "30s"}
	kills := crashLoop(t, bin, db, 1, append([]string{"apply", "-i", inv, "--plan", planFile, "--stages", "1,25%,100%", "--timeout", "30s"}, common...), common)
	if !journalComplete(t, db, 1, p) {
		_, story, _ := run(t, "rollout", "status", "1", "--store", db)
		t.Fatalf("the apply did not converge:\n%s", story)
	}
	t.Logf("apply: killed %d times before the rollout completed", kills)
	// On a loaded machine the journal may take several steps between two
	// looks at it, so fewer kills land; still, many points must be hit.
	if kills < 10 {
		t.Errorf("only %d kills: the test did not exercise many points", kills)
	}
	checkApplied(t, f, before, p)
	if t.Failed() {
		_, story, _ := run(t, "rollout", "status", "1", "--store", db)
		t.Fatalf("the apply's story:\n%s\naudit %q", story, audit(f))
	}

	// Converged: nothing remediable is left.
	code, out, errOut := run(t, "plan", "-i", inv, "--store", db, "--timeout", "30s", "--json")
	var again plan.Plan
	if err := json.Unmarshal([]byte(out), &again); err != nil || len(again.Hosts) != 0 {
		t.Errorf("plan after the resumed apply: exit %d, %v, %d hosts\n%s", code, err, len(again.Hosts), errOut)
		for _, hp := range again.Hosts {
			t.Errorf("%s still needs %+v", hp.Host, hp)
		}
	}

	// The rollback, killed after every step too.
	effectsBefore := map[string]int{}
	for _, hp := range p.Hosts {
		effectsBefore[hp.Host] = effects(f, hp.Host)
	}
	rb := rolloutCount(t, db) + 1
	kills = crashLoop(t, bin, db, rb, append([]string{"rollout", "rollback", "1"}, common...), common)
	t.Logf("rollback: killed %d times before it completed", kills)
	rbPlan := storedPlan(t, db, rb)
	if !journalComplete(t, db, rb, rbPlan) {
		_, story, _ := run(t, "rollout", "status", itoa(uint64(rb)), "--store", db)
		t.Fatalf("the rollback did not converge:\n%s", story)
	}
	for _, hp := range rbPlan.Hosts {
		if n := effects(f, hp.Host) - effectsBefore[hp.Host]; n > 1 {
			_, story, _ := run(t, "rollout", "status", itoa(uint64(rb)), "--store", db)
			t.Errorf("%s: %d restarts or reboots in the rollback, at most one wanted; audit %q\n%s", hp.Host, n, audit(f)[hp.Host], story)
		}
		for _, a := range hp.Actions {
			if st := probe(t, f, hp.Host, a); st != plan.StateAfter {
				t.Errorf("%s %s after the rollback: %s", hp.Host, a.ID, st)
			}
		}
	}
}

// crashLoop runs fleetport with args and kills it after the next step of
// rollout id's journal, then resumes it the same way, until a run ends by
// itself; it returns the number of kills. A resume killed after it
// journaled the rollout complete leaves nothing to resume: the next one
// says so, and the journal decides.
func crashLoop(t *testing.T, bin, db string, id int64, args, common []string) int {
	t.Helper()
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// events counts the distinct steps of the journal (host, step,
	// state). The entries of WinRM shells (opened, closed, and deleted
	// after a kill), the rollout's own (resumed) and a host's start are
	// left out, and so is a step written again (a resume reads an action
	// it did already and journals it skipped): none of them is progress.
	events := func() int {
		evs, _ := st.Events(context.Background(), id)
		seen := map[[3]string]bool{}
		for _, e := range evs {
			if e.Step != "shell" && e.Step != "rollout" && (e.Step != "host" || e.State != "start") {
				seen[[3]string{e.Host, e.Step, e.State}] = true
			}
		}
		return len(seen)
	}
	// start runs fleetport and kills it once the journal holds at least
	// killAt steps; it reports whether the process ended by itself.
	start := func(killAt int, args ...string) (finished bool, code int, output string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), sim.EnvUser+"="+sim.DemoUser, sim.EnvPassword+"="+sim.DemoPassword)
		var buf bytes.Buffer
		cmd.Stdout, cmd.Stderr = &buf, &buf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		deadline := time.After(2 * time.Minute)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case err := <-done:
				code := 0
				if ee, ok := err.(*exec.ExitError); ok {
					code = ee.ExitCode()
				}
				return true, code, buf.String()
			case <-deadline:
				_ = cmd.Process.Kill()
				<-done
				t.Fatalf("fleetport %v did not finish:\n%s", args, buf.String())
			case <-tick.C:
				if events() >= killAt {
					_ = cmd.Process.Signal(syscall.SIGKILL)
					<-done
					return false, -1, buf.String()
				}
			}
		}
	}
	finished, code, out := start(events()+1, args...)
	kills := 0
	for !finished {
		kills++
		if kills > 400 {
			_, story, _ := run(t, "rollout", "status", itoa(uint64(id)), "--store", db)
			t.Fatalf("the rollout never finished after %d kills:\n%s", kills, story)
		}
		finished, code, out = start(events()+1, append([]string{"rollout", "resume", itoa(uint64(id))}, common...)...)
	}
	lateKill := code == 1 && strings.Contains(out, "is complete: nothing to resume")
	if code != 0 && !lateKill {
		t.Errorf("the last run: exit %d\n%s", code, out)
	}
	if strings.Contains(out, "effect failed") || strings.Contains(out, "is not in effect") {
		t.Errorf("a false effect failure:\n%s", out)
	}
	return kills
}

// rolloutCount is the number of rollouts in the store.
func rolloutCount(t *testing.T, db string) int64 {
	t.Helper()
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rs, err := st.Rollouts(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	return int64(len(rs))
}

// storedPlan is the plan a rollout stored.
func storedPlan(t *testing.T, db string, id int64) *plan.Plan {
	t.Helper()
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r, err := st.Rollout(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Read(bytes.NewReader(r.Plan))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// buildFleetport builds the fleetport binary into dir.
func buildFleetport(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "fleetport")
	build := exec.Command("go", "build", "-o", bin, "github.com/fleetport/fleetport/cmd/fleetport")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// journalComplete reports whether the store says rollout id is complete
// with every host of p fixed, and logs why not.
func journalComplete(t *testing.T, db string, id int64, p *plan.Plan) bool {
	t.Helper()
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Log(err)
		return false
	}
	defer st.Close()
	r, err := st.Rollout(context.Background(), id)
	if err != nil {
		t.Log(err)
		return false
	}
	evs, err := st.Events(context.Background(), id)
	if err != nil {
		t.Log(err)
		return false
	}
	if r.Status != store.RolloutComplete {
		t.Logf("rollout %d: %s %s", id, r.Status, r.Reason)
		for _, e := range evs {
			if e.Step == "host" && e.State != "start" && e.State != "fixed" {
				t.Logf("%s: %s: %s", e.Host, e.State, e.Detail)
			}
		}
		return false
	}
	outcome, detail := map[string]string{}, map[string]string{}
	for _, e := range evs {
		if e.Step == "host" && e.State != "start" {
			outcome[e.Host], detail[e.Host] = e.State, e.Detail
		}
	}
	ok := true
	for _, hp := range p.Hosts {
		if outcome[hp.Host] != "fixed" {
			t.Logf("%s: %q (%s) in the journal, want fixed", hp.Host, outcome[hp.Host], detail[hp.Host])
			ok = false
		}
	}
	return ok
}

// TestResumeDeletesTheShellsAKilledApplyLeft: an apply is killed in a
// Server 2008 R2 host's work with its session's shell open, and sessions of
// the same user (another tool's) take the other four of the five shells the
// host allows: no new session gets a shell. The resume deletes the shell
// the killed apply journaled, and only that one, and fixes the host; the
// other sessions keep their shells.
func TestResumeDeletesTheShellsAKilledApplyLeft(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM, with a built binary")
	}
	t.Setenv(sim.EnvUser, sim.DemoUser)
	t.Setenv(sim.EnvPassword, sim.DemoPassword)
	sc := simtest.Scenario(1)
	sc.HTTPSPort = 0
	sc.OSMix = map[string]float64{"2008r2": 100}
	sc.Roles = []sim.Role{{Name: "app", Share: 100}}
	sc.Drift = []sim.Drift{{Kind: sim.DriftDynamicRangeDefault, Share: 100}}
	f := simtest.Serve(t, sc)
	inv := simtest.Inventory(t, f, sim.InventoryOptions{})
	h := f.Hosts()[0]
	dir := t.TempDir()
	bin := buildFleetport(t, dir)
	db, planFile := filepath.Join(dir, "fleetport.db"), filepath.Join(dir, "plan.json")
	if code, _, errOut := run(t, "plan", "-i", inv, "--store", db, "--timeout", "30s", "--out", planFile); code != 2 {
		t.Fatalf("plan: exit %d\n%s", code, errOut)
	}
	journal := func() []store.Event {
		st, err := store.Open(context.Background(), db)
		if err != nil {
			return nil
		}
		defer st.Close()
		evs, _ := st.Events(context.Background(), 1)
		return evs
	}
	shellEntries := func() []string {
		var out []string
		for _, e := range journal() {
			if e.Step == "shell" {
				out = append(out, e.State+" "+e.Detail)
			}
		}
		return out
	}

	// Every request takes 200 ms; once the apply's shell is journaled the
	// host stops answering, and the apply is killed in its work.
	h.Endpoint.SetFaults(simendpoint.Faults{Latency: 200 * time.Millisecond})
	apply := exec.Command(bin, "apply", "-i", inv, "--store", db, "--plan", planFile, "--stages", "100%", "--yes", "--timeout", "30s")
	apply.Env = append(os.Environ(), sim.EnvUser+"="+sim.DemoUser, sim.EnvPassword+"="+sim.DemoPassword)
	var applyOut bytes.Buffer
	apply.Stdout, apply.Stderr = &applyOut, &applyOut
	if err := apply.Start(); err != nil {
		t.Fatal(err)
	}
	orphan := ""
	for deadline := time.Now().Add(30 * time.Second); orphan == ""; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			_ = apply.Process.Kill()
			_ = apply.Wait()
			t.Fatalf("the apply journaled no shell:\n%s", applyOut.String())
		}
		for _, e := range shellEntries() {
			if id, ok := strings.CutPrefix(e, "open "); ok {
				orphan = id
			}
		}
	}
	h.Endpoint.SetFaults(simendpoint.Faults{Hang: true})
	_ = apply.Process.Signal(syscall.SIGKILL)
	_ = apply.Wait()
	h.Endpoint.SetFaults(simendpoint.Faults{})
	if got := shellEntries(); !slices.Equal(got, []string{"open " + orphan}) || h.Counters().ShellsOpen != 1 {
		t.Fatalf("after the kill: journal %q, %d shells open on the host; want the apply's shell left", got, h.Counters().ShellsOpen)
	}

	// Another tool's sessions as the same user take the other four shells.
	ep := remote.Endpoint{Host: h.Plan.Addr.String(), Port: f.Scenario().HTTPPort, Auth: remote.AuthNTLM}
	cred := remote.Credentials{User: sim.DemoUser, Password: sim.DemoPassword}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var others []*remote.Session
	for range 4 {
		s, err := remote.Open(ctx, ep, cred, remote.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Run(ctx, remote.Command{Line: "hostname"}); err != nil {
			t.Fatal(err)
		}
		others = append(others, s)
	}
	_, err := remote.Open(ctx, ep, cred, remote.Options{Retry: remote.Retry{Attempts: 2, BaseDelay: 10 * time.Millisecond}})
	if e := (*remote.Error)(nil); !errors.As(err, &e) || e.Class != remote.ClassQuota || e.Code != remote.CodeQuotaShells {
		t.Fatalf("the host is not locked out: %v", err)
	}
	refused := h.Counters().Faults["2150859173"]

	code, out, errOut := run(t, "rollout", "resume", "1", "--store", db, "--yes", "--poll", "100ms", "--effect-timeout", "30s")
	if code != 0 || !strings.Contains(out, "complete: 1 fixed") {
		_, story, _ := run(t, "rollout", "status", "1", "--store", db)
		t.Fatalf("resume: exit %d\n%s\n%s\n%s", code, out, errOut, story)
	}
	var cleanup []string
	for _, e := range shellEntries() {
		if !strings.HasPrefix(e, "open ") && !strings.HasPrefix(e, "closed ") {
			cleanup = append(cleanup, e)
		}
	}
	if !slices.Equal(cleanup, []string{"deleted " + orphan}) {
		t.Errorf("the resume's cleanup %q, want the killed apply's shell deleted", cleanup)
	}
	c := h.Counters()
	if c.ShellsOpen != 4 || c.Faults["2150859173"] != refused {
		t.Errorf("after the resume: %d shells open, %d shell quota faults (%d before): want the other four and no refusal", c.ShellsOpen, c.Faults["2150859173"], refused)
	}
	for i, s := range others {
		if _, err := s.Run(ctx, remote.Command{Line: "hostname"}); err != nil || s.Stats().Shells != 1 {
			t.Errorf("the other tool's session %d lost its shell: %v %+v", i, err, s.Stats())
		}
	}
	if start, num := h.Model.DynamicPortRange(); start == 49152 && num == 16384 {
		t.Errorf("the dynamic port range is still the default")
	}
}

// TestAbortAndResume takes its stages and wait from the policies' rollout
// block, aborts the apply (from another command) while it waits after the
// canary, and resumes it to completion.
func TestAbortAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	f, inv := driftFleet(t, 8)
	dir := t.TempDir()
	pol := filepath.Join(dir, "policies")
	if err := os.Mkdir(pol, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pol, "rollout.hcl"), []byte(`rollout {
  stages = ["1", "100%"]
  wait   = "5s"
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "fleetport.db")
	type result struct {
		code     int
		out, err string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errOut := run(t, "apply", "-i", inv, "-p", pol, "--store", db, "--timeout", "30s", "--yes", "--poll", "100ms", "--effect-timeout", "30s")
		done <- result{code, out, errOut}
	}()
	// Abort once the canary stage is done and the wait begins.
	deadline := time.Now().Add(90 * time.Second)
	for {
		if time.Now().After(deadline) {
			t.Fatal("the apply never reached its wait between stages")
		}
		st, err := store.Open(context.Background(), db)
		if err == nil {
			evs, _ := st.Events(context.Background(), 1)
			st.Close()
			if len(evs) > 0 && evs[len(evs)-1].Step == "stage" && evs[len(evs)-1].State == "wait" {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, out, errOut := run(t, "rollout", "abort", "1", "--store", db); code != 0 || !strings.Contains(out, "asked to stop") {
		t.Fatalf("abort: %d %s %s", code, out, errOut)
	}
	r := <-done
	if r.code != 1 || !strings.Contains(r.out, "aborted") {
		t.Fatalf("the aborted apply: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	before := audit(f)
	code, out, errOut := run(t, "rollout", "resume", "1", "--store", db, "--yes", "--poll", "100ms", "--effect-timeout", "30s")
	if code != 0 || !strings.Contains(out, "complete") {
		t.Fatalf("resume: exit %d\n%s\n%s", code, out, errOut)
	}
	// The canary was not changed again.
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	evs, _ := st.Events(context.Background(), 1)
	canary := ""
	for _, e := range evs {
		if e.Stage == 1 && e.Host != "" {
			canary = e.Host
			break
		}
	}
	for _, l := range before.since(f, canary) {
		if !strings.HasPrefix(l, "ver") && !strings.Contains(l, "query") && !strings.Contains(l, "show") {
			t.Errorf("the resume ran %q on the canary %s, which stage 1 had finished", l, canary)
		}
	}
}

// TestApplyPlanRefusesAChangedHost: a host whose value changed after the
// plan was saved is refused by apply --plan (nothing is written over the
// newer value); the other hosts are fixed.
func TestApplyPlanRefusesAChangedHost(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	t.Setenv(sim.EnvUser, sim.DemoUser)
	t.Setenv(sim.EnvPassword, sim.DemoPassword)
	sc := simtest.Scenario(3)
	sc.HTTPSPort = 0
	sc.OSMix = map[string]float64{"2019": 100}
	sc.Roles = []sim.Role{{Name: "app", Share: 100}}
	sc.Drift = []sim.Drift{{Kind: sim.DriftDynamicRangeDefault, Share: 100}}
	f := simtest.Serve(t, sc)
	inv := simtest.Inventory(t, f, sim.InventoryOptions{})
	dir := t.TempDir()
	db, planFile := filepath.Join(dir, "fleetport.db"), filepath.Join(dir, "plan.json")
	if code, _, errOut := run(t, "plan", "-i", inv, "--store", db, "--timeout", "30s", "--out", planFile); code != 2 {
		t.Fatalf("plan: exit %d\n%s", code, errOut)
	}
	p := readPlan(t, planFile)
	if len(p.Hosts) != 3 {
		t.Fatalf("plan: %d hosts", len(p.Hosts))
	}
	changed := p.Hosts[1].Host
	winrmRun(t, f, changed, "netsh int ipv4 set dynamicport tcp start=20000 num=30000")
	code, out, errOut := run(t, "apply", "-i", inv, "--store", db, "--timeout", "30s", "--plan", planFile,
		"--stages", "100%", "--max-failures", "1", "--yes", "--poll", "200ms")
	if code != 0 || !strings.Contains(out, "2 fixed, 1 failed") {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, changed) || !strings.Contains(errOut, "changed since the plan") {
		t.Errorf("apply does not say %s changed since the plan:\n%s", changed, errOut)
	}
	if start, num := f.Host(changed).Model.DynamicPortRange(); start != 20000 || num != 30000 {
		t.Errorf("%s: the range is %d+%d, want the newer 20000+30000 kept", changed, start, num)
	}
}
