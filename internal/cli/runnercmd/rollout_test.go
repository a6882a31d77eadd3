package runnercmd_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/plan"
	"github.com/fleetport/fleetport/internal/rollout"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/store"
)

// journal reads a rollout's journal (nil while the store is not there).
func journal(db string, id int64) []store.Event {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := os.Stat(db); err != nil {
		return nil
	}
	st, err := store.Open(ctx, db)
	if err != nil {
		return nil
	}
	defer st.Close()
	evs, _ := st.Events(ctx, id)
	return evs
}

// TestSitesRollout applies a plan through three sites' runners, each in
// its own network namespace, kills one runner (SIGKILL) right after it
// started changing a host and starts another in its place: every host of
// the plan ends with an outcome, and the simulators' audits show that no
// change ran twice on any host.
func TestSitesRollout(t *testing.T) {
	s := newSites(t, 3, 4, true, false)
	runners := make([]*proc, 3)
	for i := range 3 {
		runners[i] = startRunner(t, s.ns[i], s.port, siteName(i), 8)
	}
	dir := t.TempDir()
	db, planFile := filepath.Join(dir, "fleetport.db"), filepath.Join(dir, "plan.json")
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	dispatch := []string{"--nats", s.natsURL(), "--ack-wait", "3s", "--site-timeout", "60s"}
	code, _, errOut := run(ctx, append([]string{"plan", "-i", s.inv, "--store", db, "--timeout", "30s", "--out", planFile}, dispatch...)...)
	if code != 2 {
		t.Fatalf("plan: exit %d, want 2 (drift to fix)\n%s", code, errOut)
	}
	b, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	victim := siteName(1) + "-"
	planned := 0
	for _, hp := range p.Hosts {
		if strings.HasPrefix(hp.Host, victim) {
			planned++
		}
	}
	if planned == 0 || len(p.Hosts) < 3 {
		t.Fatalf("the plan has %d hosts, %d of them in %s: too few to test", len(p.Hosts), planned, siteName(1))
	}
	before := map[string][]string{}
	for i, h := range s.sims {
		for name, d := range h.dump(t) {
			before[siteName(i)+"-"+name] = d.Audit
		}
	}

	type result struct {
		code        int
		out, errOut string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errOut := run(ctx, append([]string{"apply", "-i", s.inv, "--plan", planFile, "--store", db, "--yes",
			"--stages", "1,50%,100%", "--max-failures", "100%", "--parallel", "6", "--poll", "200ms", "--effect-timeout", "30s", "--timeout", "30s"}, dispatch...)...)
		done <- result{code, out, errOut}
	}()
	// Kill the second site's runner right after it started changing one of
	// its hosts (the journal says an action runs), then start another.
	var killedAt string
	err = waitFor(ctx, 10*time.Millisecond, func() bool {
		for _, e := range journal(db, 1) {
			if strings.HasPrefix(e.Host, victim) && strings.HasPrefix(e.Step, "action:") && e.State == "run" {
				killedAt = e.Host + " " + e.Step
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("no action of %s ran", siteName(1))
	}
	runners[1].kill()
	t.Logf("killed the runner of %s after %s started", siteName(1), killedAt)
	time.Sleep(time.Second)
	replacement := startRunner(t, s.ns[1], s.port, siteName(1), 8)
	r := <-done
	if r.code != 0 {
		t.Errorf("apply: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}

	// Every host of the plan has its outcome, once.
	outcome := map[string]string{}
	outcomes := map[string]int{}
	for _, e := range journal(db, 1) {
		if e.Step == "host" && e.State != "start" {
			outcome[e.Host] = e.State
			outcomes[e.Host]++
		}
	}
	for _, hp := range p.Hosts {
		if outcomes[hp.Host] > 1 {
			t.Errorf("%s has %d outcomes", hp.Host, outcomes[hp.Host])
		}
		if outcome[hp.Host] == "" {
			t.Errorf("%s has no outcome", hp.Host)
		} else if outcome[hp.Host] != "fixed" {
			t.Logf("%s: %s", hp.Host, outcome[hp.Host])
		}
	}
	// No change command ran twice on a host; at most one restart or reboot.
	after := map[string][]string{}
	for i, h := range s.sims {
		for name, d := range h.dump(t) {
			after[siteName(i)+"-"+name] = d.Audit
		}
	}
	for _, hp := range p.Hosts {
		ran := after[hp.Host][min(len(before[hp.Host]), len(after[hp.Host])):]
		for _, a := range hp.Actions {
			for _, c := range a.Commands {
				if n := count(ran, c); n > 1 {
					t.Errorf("%s: %q ran %d times", hp.Host, c, n)
				}
			}
		}
		effects := 0
		for _, l := range ran {
			if strings.HasPrefix(l, "shutdown /r") || strings.HasPrefix(l, "schtasks /create") {
				effects++
			}
		}
		if effects > 1 {
			t.Errorf("%s: %d restarts or reboots:\n%s", hp.Host, effects, strings.Join(ran, "\n"))
		}
	}
	// The host the killed runner was changing was taken over: its job was
	// delivered again to the replacement, which started from the journal.
	if !regexp.MustCompile(`delivery=([2-9]|\d\d)`).MatchString(replacement.log.String()) {
		t.Errorf("the replacement runner took no job delivered a second time:\n%s", replacement.log.String())
	}
	// The runners journal their sessions' shells through the controller
	// (every host's work opens one at least). The replacement deletes the
	// shells the killed runner left open on the hosts it takes over; which
	// hosts had one open at the kill depends on timing (a host waiting for
	// its reboot has none), so that is only logged.
	var opened, cleaned []string
	for _, e := range journal(db, 1) {
		switch {
		case e.Step == "shell" && e.State == "open":
			opened = append(opened, e.Host)
		case e.Step == "shell" && strings.HasPrefix(e.Host, victim) && !slices.Contains([]string{"open", "closed", "left"}, e.State):
			cleaned = append(cleaned, e.Host+" "+e.State+" "+e.Detail)
		}
	}
	if len(opened) < len(p.Hosts) {
		t.Errorf("%d shells journaled for %d hosts", len(opened), len(p.Hosts))
	}
	t.Logf("shells the killed runner left, as the replacement found them: %v", cleaned)
}

func count(lines []string, c string) int {
	n := 0
	for _, l := range lines {
		if l == c {
			n++
		}
	}
	return n
}

// TestSitesResume kills the controller (the fleetport binary, SIGKILL)
// while the runners change hosts, then resumes the rollout from the store
// with --nats: the rollout completes, and no change ran twice on a host.
func TestSitesResume(t *testing.T) {
	s := newSites(t, 2, 4, true, false)
	for i := range 2 {
		startRunner(t, s.ns[i], s.port, siteName(i), 8)
	}
	dir := t.TempDir()
	db, planFile := filepath.Join(dir, "fleetport.db"), filepath.Join(dir, "plan.json")
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	dispatch := []string{"--nats", s.natsURL(), "--ack-wait", "3s", "--site-timeout", "60s"}
	code, _, errOut := run(ctx, append([]string{"plan", "-i", s.inv, "--store", db, "--timeout", "30s", "--out", planFile}, dispatch...)...)
	if code != 2 {
		t.Fatalf("plan: exit %d, want 2 (drift to fix)\n%s", code, errOut)
	}
	b, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	before := map[string][]string{}
	for i, h := range s.sims {
		for name, d := range h.dump(t) {
			before[siteName(i)+"-"+name] = d.Audit
		}
	}
	common := append([]string{"--store", db, "--yes", "--poll", "200ms", "--effect-timeout", "30s", "--parallel", "6"}, dispatch...)
	cmd := exec.Command(fleetportBin(t), append([]string{"apply", "-i", s.inv, "--plan", planFile, "--stages", "1,100%",
		"--max-failures", "100%", "--timeout", "30s"}, common...)...)
	cmd.Env = append(os.Environ(), sim.EnvUser+"="+sim.DemoUser, sim.EnvPassword+"="+sim.DemoPassword)
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	// Kill it once a host of the second stage is being changed.
	err = waitFor(ctx, 10*time.Millisecond, func() bool {
		for _, e := range journal(db, 1) {
			if e.Stage == 2 && strings.HasPrefix(e.Step, "action:") && e.State == "run" {
				return true
			}
		}
		select {
		case <-exited:
			return true
		default:
			return false
		}
	})
	select {
	case <-exited:
		t.Fatalf("apply ended before it could be killed:\n%s", out.String())
	default:
	}
	if err != nil {
		t.Fatalf("no second-stage action started:\n%s", out.String())
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-exited
	// Without --nats, resume refuses: the hosts are the runners'.
	if code, _, rerr := run(ctx, "rollout", "resume", "1", "--store", db, "--yes"); code != 1 || !strings.Contains(rerr, "--nats") {
		t.Errorf("resume without --nats: exit %d\n%s", code, rerr)
	}
	code, rout, rerr := run(ctx, append([]string{"rollout", "resume", "1"}, common...)...)
	if code != 0 || !strings.Contains(rout, "complete") {
		t.Errorf("resume: exit %d\n%s\n%s", code, rout, rerr)
	}
	outcome := map[string]string{}
	for _, e := range journal(db, 1) {
		if e.Step == "host" && e.State != "start" {
			outcome[e.Host] = e.State
		}
	}
	after := map[string][]string{}
	for i, h := range s.sims {
		for name, d := range h.dump(t) {
			after[siteName(i)+"-"+name] = d.Audit
		}
	}
	for _, hp := range p.Hosts {
		if outcome[hp.Host] == "" {
			t.Errorf("%s has no outcome", hp.Host)
		}
		ran := after[hp.Host][min(len(before[hp.Host]), len(after[hp.Host])):]
		for _, a := range hp.Actions {
			for _, c := range a.Commands {
				if n := count(ran, c); n > 1 {
					t.Errorf("%s: %q ran %d times", hp.Host, c, n)
				}
			}
		}
	}
}

// TestSitesCrashEveryStep kills the controller of a dispatched apply
// (SIGKILL) after every new step of its journal while the site's runner
// keeps running, and resumes it each time; then the same for its rollback.
// Every host ends fixed, no change command ran twice, and no host
// restarted or rebooted more than once in each rollout.
func TestSitesCrashEveryStep(t *testing.T) {
	s := newSites(t, 1, 6, true, false)
	startRunner(t, s.ns[0], s.port, siteName(0), 8)
	dir := t.TempDir()
	db, planFile := filepath.Join(dir, "fleetport.db"), filepath.Join(dir, "plan.json")
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	dispatch := []string{"--nats", s.natsURL(), "--ack-wait", "3s", "--site-timeout", "60s"}
	if code, _, errOut := run(ctx, append([]string{"plan", "-i", s.inv, "--store", db, "--timeout", "30s", "--out", planFile}, dispatch...)...); code != 2 {
		t.Fatalf("plan: exit %d, want 2 (drift to fix)\n%s", code, errOut)
	}
	b, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	common := append([]string{"--store", db, "--yes", "--poll", "200ms", "--effect-timeout", "30s", "--parallel", "6"}, dispatch...)
	// progress counts a rollout's distinct journal steps, as
	// TestCrashSafety does: what a resume writes again is no progress.
	progress := func(id int64) int {
		seen := map[[3]string]bool{}
		for _, e := range journal(db, id) {
			if e.Step != "shell" && e.Step != "rollout" && (e.Step != "host" || e.State != "start") {
				seen[[3]string{e.Host, e.Step, e.State}] = true
			}
		}
		return len(seen)
	}
	start := func(id int64, killAt int, args ...string) (bool, int, string) {
		cmd := exec.Command(fleetportBin(t), args...)
		cmd.Env = append(os.Environ(), sim.EnvUser+"="+sim.DemoUser, sim.EnvPassword+"="+sim.DemoPassword)
		var out lockedBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case err := <-done:
				code := 0
				if ee, ok := err.(*exec.ExitError); ok {
					code = ee.ExitCode()
				}
				return true, code, out.String()
			case <-ctx.Done():
				_ = cmd.Process.Kill()
				<-done
				t.Fatalf("fleetport %v did not finish:\n%s", args, out.String())
			case <-tick.C:
				if progress(id) >= killAt {
					_ = cmd.Process.Signal(syscall.SIGKILL)
					<-done
					return false, -1, out.String()
				}
			}
		}
	}
	// crash runs args as rollout id, killed after every new step and
	// resumed, and checks the journal: every host of hosts fixed, no
	// effect failed, and on each host no change command twice and at most
	// one restart or reboot.
	crash := func(id int64, args []string, hosts []plan.HostPlan) {
		before := s.sims[0].dump(t)
		finished, code, out := start(id, progress(id)+1, args...)
		kills := 0
		for !finished {
			kills++
			if kills > 300 {
				t.Fatalf("rollout %d never finished after %d kills", id, kills)
			}
			finished, code, out = start(id, progress(id)+1, append([]string{"rollout", "resume", strconv.FormatInt(id, 10)}, common...)...)
		}
		t.Logf("rollout %d: killed the controller %d times", id, kills)
		if code != 0 && !(code == 1 && strings.Contains(out, "is complete: nothing to resume")) {
			t.Errorf("rollout %d, the last run: exit %d\n%s", id, code, out)
		}
		// A loaded machine lets several steps pass between two looks at
		// the journal: 6 kills still cross the stages, the effects and
		// the verification.
		if kills < 6 {
			t.Errorf("rollout %d: only %d kills: the test did not exercise many points", id, kills)
		}
		outcome := map[string]string{}
		for _, e := range journal(db, id) {
			if e.Step == "host" && e.State != "start" {
				outcome[e.Host] = e.State
			}
			if e.Step == "effect" && e.State == "failed" {
				t.Errorf("rollout %d %s: effect failed: %s", id, e.Host, e.Detail)
			}
		}
		after := s.sims[0].dump(t)
		for _, hp := range hosts {
			name := strings.TrimPrefix(hp.Host, siteName(0)+"-")
			if outcome[hp.Host] != "fixed" {
				t.Errorf("rollout %d %s: %q, want fixed", id, hp.Host, outcome[hp.Host])
			}
			if n := after[name].Effects - before[name].Effects; n > 1 {
				t.Errorf("rollout %d %s: %d restarts or reboots, at most one wanted", id, hp.Host, n)
			}
			ran := after[name].Audit[min(len(before[name].Audit), len(after[name].Audit)):]
			for _, a := range hp.Actions {
				for _, c := range a.Commands {
					if n := count(ran, c); n > 1 {
						t.Errorf("rollout %d %s: %q ran %d times", id, hp.Host, c, n)
					}
				}
			}
		}
	}
	crash(1, append([]string{"apply", "-i", s.inv, "--plan", planFile, "--stages", "1,100%", "--max-failures", "100%", "--timeout", "30s"}, common...), p.Hosts)

	// The rollback of it, through the same runner.
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	rbPlan, err := rollout.RollbackPlan(ctx, st, 1, rollout.RollbackOptions{})
	st.Close()
	if err != nil || len(rbPlan.Hosts) == 0 {
		t.Fatalf("the rollback's plan: %v, %d hosts", err, len(rbPlan.Hosts))
	}
	crash(2, append([]string{"rollout", "rollback", "1"}, common...), rbPlan.Hosts)
}
