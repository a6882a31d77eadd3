package tuicmd_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/simtest"
	"github.com/fleetport/fleetport/internal/tmuxtest"
)

// This file drives the real binary in a real terminal: fleetport sim in
// one process, fleetport tui in a tmux pane of 80x24, keys sent with
// send-keys and every screen read back with capture-pane.

// tmuxScenario is six 2019 web servers, web0001 with the default dynamic
// port range (a fix that needs no restart).
const tmuxScenario = `fleet {
  hosts        = 6
  seed         = 3
  network      = %q
  https_port   = 0
  service_step = "1ms"
  reboot_time  = "300ms"
  os_mix       = { "2019" = 1 }
  locale_mix   = { "en-US" = 1 }
}

role "web" {
  share    = 100
  services = ["W3SVC"]
}

drift "dynamic_range_default" {
  share = 0
  hosts = ["web0001"]
}
`

var (
	timeWaitRe = regexp.MustCompile(`(?m)^TIME_WAIT\s+(\d+)`)
	// sgr is a colour (foreground or background) set by an SGR sequence.
	sgr = regexp.MustCompile(`\x1b\[[0-9;]*(3[0-7]|9[0-7]|38;[0-9;]+)m`)
)

// TestTUIInTmux: the real binary against a fleetport sim process, in an
// 80x24 tmux pane. It opens the TUI, filters, drills into a host, watches
// it while a TIME_WAIT pile grows on it (started in the simulator with
// SIGUSR2 once the watch runs), plans and applies the host's fix with a
// confirmation, and checks each screen with capture-pane.
func TestTUIInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the real binary in tmux")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is needed (scripts/test installs it): ", err)
	}
	dir := t.TempDir()
	bin := tmuxtest.BuildBinary(t, dir)
	// The environment without NO_COLOR (even empty, it asks for no
	// colour): the first session is a colour terminal.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "NO_COLOR=") {
			env = append(env, kv)
		}
	}
	env = append(env, sim.EnvUser+"="+sim.DemoUser, sim.EnvPassword+"="+sim.DemoPassword, "XDG_STATE_HOME="+filepath.Join(dir, "state"))

	// The simulator, in a process of its own.
	scen := filepath.Join(dir, "scenario.hcl")
	if err := os.WriteFile(scen, fmt.Appendf(nil, tmuxScenario, simtest.Network().String()), 0o644); err != nil {
		t.Fatal(err)
	}
	inv := filepath.Join(dir, "sim.hcl")
	simCmd := exec.Command(bin, "sim", "--scenario", scen, "--dir", filepath.Join(dir, "sim"), "--inventory-out", inv,
		"--grow-pile", "web0001=400/1s start=signal")
	simCmd.Env = env
	simOut, err := simCmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var simErr strings.Builder
	simCmd.Stderr = &simErr
	if err := simCmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = simCmd.Process.Signal(os.Interrupt)
		_ = simCmd.Wait()
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(simOut)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "ready:") {
				ready <- sc.Text()
			}
		}
		close(ready)
	}()
	select {
	case line, ok := <-ready:
		if !ok {
			t.Fatalf("the simulator ended: %s", simErr.String())
		}
		t.Log(line)
	case <-time.After(60 * time.Second):
		t.Fatalf("the simulator is not ready: %s", simErr.String())
	}

	// A stored run to open.
	db := filepath.Join(dir, "fleetport.db")
	col := exec.Command(bin, "collect", "-i", inv, "--store", db)
	col.Env = env
	if out, err := col.CombinedOutput(); err != nil {
		t.Fatalf("collect: %v\n%s", err, out)
	}

	srv := tmuxtest.NewServer(t, env)
	tuiLine := fmt.Sprintf("%s tui -i %s --store %s --watch-every 1s --stages 1,100%% --poll 200ms", bin, inv, db)
	p := srv.Start("fp", 80, 24, tuiLine)

	// The fleet: six hosts, web0001 drifts.
	s := p.WaitText(30*time.Second, "fleetport | run 1 complete | 6 hosts: 1 fail, 5 pass", "HOST▲", "GROUPS", "web0006", "1/6 | sort HOST▲")
	if n := len(strings.Split(strings.TrimRight(s, "\n"), "\n")); n != 24 {
		t.Errorf("the screen has %d lines, want 24", n)
	}
	if raw := p.Capture(true); !sgr.MatchString(raw) {
		t.Errorf("no colour on a colour terminal:\n%q", raw)
	}
	// Filter, drill into the host, back.
	p.Keys(false, "/")
	p.Keys(true, "web0001")
	p.Keys(false, "Enter")
	p.WaitText(10*time.Second, "fleet [/web0001]", "1/1 of 6", `filter "web0001": 1 of 6 hosts`)
	p.Keys(false, "Enter")
	p.WaitText(10*time.Second, "web0001 > findings", "FINDINGS (", "dynamic_port_range")
	p.Keys(false, "Tab")
	p.WaitText(10*time.Second, "web0001 > facts", "sockets")
	p.Keys(false, "Escape")
	p.WaitText(10*time.Second, "> web0001", "1/1 of 6")

	// Watch web0001: quiet at first, then a pile grows from SIGUSR2 on.
	p.Keys(true, "w")
	s = p.WaitText(20*time.Second, "watch (1 host, every 1s)", "client ports 49152-65535", "2 samples")
	if m := timeWaitRe.FindStringSubmatch(s); m == nil || m[1] != "0" {
		t.Fatalf("TIME_WAIT before the incident: %v\n%s", m, s)
	}
	if err := simCmd.Process.Signal(syscall.SIGUSR2); err != nil {
		t.Fatal(err)
	}
	var seen []int
	p.WaitFor("a TIME_WAIT pile growing on web0001", 45*time.Second, func(s string) bool {
		m := timeWaitRe.FindStringSubmatch(s)
		if m == nil {
			return false
		}
		n, _ := strconv.Atoi(m[1])
		if len(seen) == 0 || seen[len(seen)-1] != n {
			seen = append(seen, n)
		}
		return len(seen) >= 4 && n >= 1200 && strings.Contains(s, "(+")
	})
	for i := 1; i < len(seen); i++ {
		if seen[i] <= seen[i-1] {
			t.Errorf("TIME_WAIT went from %d to %d: %v", seen[i-1], seen[i], seen)
		}
	}
	s = p.WaitText(5*time.Second, "top TIME_WAIT remotes:", "in use")
	if !regexp.MustCompile(`client ports 49152-65535: \d+ in use, \d+\.\d%`).MatchString(s) {
		t.Errorf("the share of the client range is not shown:\n%s", s)
	}

	// Plan web0001's fix, confirm it, follow it to the end.
	p.Keys(false, "Escape")
	p.WaitText(10*time.Second, "fleet [/web0001]", "| watching 1", "> web0001")
	p.Keys(true, "a")
	p.WaitText(20*time.Second, "plan (1 host)", "PLAN of run 1 for 1 host", "dynamic_port_range", "a applies this plan")
	p.Keys(true, "a")
	p.WaitText(10*time.Second, "Apply this plan?", "It changes 1 host in 1 stage (1,100%)", "y yes (confirm)", "n no (cancel)")
	p.Keys(true, "y")
	p.WaitText(60*time.Second, "rollout 1 complete", "1 fixed, 0 failed, 0 unreachable, 0 to go", "web0001 host fixed")
	p.WaitText(30*time.Second, "run 2: 1 host collected again, 0 failed")

	// The host as collected after its fix: the range drift is gone.
	p.Keys(true, ":")
	p.Keys(true, "host web0001")
	p.Keys(false, "Enter")
	s = p.WaitText(10*time.Second, "web0001 > findings", "run 2")
	if strings.Contains(s, "dynamic_port_range") {
		t.Errorf("web0001 still drifts on its port range after the fix:\n%s", s)
	}

	// q quits cleanly.
	p.Keys(true, "q")
	if code := p.Exit(10 * time.Second); code != "0" {
		t.Errorf("the TUI ended with status %q after q", code)
	}

	// NO_COLOR: the same run without a colour or an escape code; and
	// --read-only offers nothing that changes a host.
	plain := srv.Start("plain", 80, 24, fmt.Sprintf("NO_COLOR=1 %s tui -i %s --store %s --read-only", bin, inv, db))
	plain.WaitText(30*time.Second, "fleetport READ-ONLY | run 2", "HOST^", "1/6 | sort HOST^")
	if raw := plain.Capture(true); strings.Contains(raw, "\x1b[") {
		t.Errorf("escape codes with NO_COLOR:\n%q", raw)
	}
	plain.Keys(true, "a")
	plain.Keys(true, "?")
	s = plain.WaitText(10*time.Second, "fleet > help", "w watch selection", "c collect selection")
	for _, x := range []string{"plan a fix", "abort rollout", "pause/continue", "resume rollout"} {
		if strings.Contains(s, x) {
			t.Errorf("read-only help offers %q", x)
		}
	}
	plain.Keys(true, "q")

	// The rollout is in the store, as fleetport apply leaves one.
	st := exec.Command(bin, "rollout", "status", "1", "--store", db)
	st.Env = env
	out, err := st.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "rollout 1 (apply) complete") || !strings.Contains(string(out), "web0001 (stage 1): fixed") {
		t.Errorf("rollout status 1: %v\n%s", err, out)
	}
	if strings.Contains(strings.Join(srv.Screens(), "\n"), sim.DemoPassword) {
		t.Error("a screen showed the password")
	}
}
