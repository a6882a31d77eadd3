package rolloutcmd_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/plan"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/simtest"
	"github.com/fleetport/fleetport/internal/store"
)

// shortWaitPolicy sets TcpTimedWaitDelay to 60 on every host (30 on the
// simulator's hosts without drift), put into effect by a reboot.
const shortWaitPolicy = `policy "short_time_wait" {
  description = "TcpTimedWaitDelay 60"
  registry "TcpTimedWaitDelay" {
    equals = 60
  }
  remediation {
    registry "TcpTimedWaitDelay" { value = 60 }
  }
}
`

func shortWaitFleet(t *testing.T, n int, rollout string) (*sim.Fleet, string, string, string) {
	t.Helper()
	t.Setenv(sim.EnvUser, sim.DemoUser)
	t.Setenv(sim.EnvPassword, sim.DemoPassword)
	sc := simtest.Scenario(n)
	sc.HTTPSPort = 0
	sc.OSMix = map[string]float64{"2019": 100}
	sc.Drift = nil
	f := simtest.Serve(t, sc)
	inv := simtest.Inventory(t, f, sim.InventoryOptions{})
	dir := t.TempDir()
	pol := filepath.Join(dir, "short.hcl")
	if err := os.WriteFile(pol, []byte(shortWaitPolicy+rollout), 0o644); err != nil {
		t.Fatal(err)
	}
	return f, inv, pol, filepath.Join(dir, "fleetport.db")
}

var planTitle = regexp.MustCompile(`^plan of run \d+, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$`)

// TestApplyEndsWithUnreachableHosts: a rollout that completes with a host
// it could not reach exits 3, not 0, and says so; the rollout's id comes
// first, before any host is touched; latest names it; its rollback's
// plan says whose rollback it is and points from the values set to the
// ones restored.
func TestApplyEndsWithUnreachableHosts(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	f, inv, pol, db := shortWaitFleet(t, 3, "")
	dir := filepath.Dir(db)
	planFile := filepath.Join(dir, "plan.json")
	common := []string{"-i", inv, "-p", pol, "--store", db, "--timeout", "20s"}
	if code, _, errOut := run(t, append([]string{"plan", "--out", planFile}, common...)...); code != 2 {
		t.Fatalf("plan: exit %d\n%s", code, errOut)
	}
	p := readPlan(t, planFile)
	if len(p.Hosts) != 3 {
		t.Fatalf("planned %d hosts, want 3", len(p.Hosts))
	}
	gone := p.Hosts[2].Host
	f.Host(gone).Endpoint.SetDown()

	code, out, errOut := run(t, append([]string{"apply", "--plan", planFile, "--stages", "100%", "--yes", "--poll", "100ms", "--effect-timeout", "1m"}, common...)...)
	if code != 3 {
		t.Fatalf("apply: exit %d, want 3\n%s\n%s", code, out, errOut)
	}
	if want := "rollout 1 complete: 2 fixed, 0 failed, 1 unreachable, 0 not done\n"; out != want {
		t.Errorf("apply's result:\n%q\nwant\n%q", out, want)
	}
	lines := strings.Split(errOut, "\n")
	if !planTitle.MatchString(lines[0]) {
		t.Errorf("apply's first line %q is not the plan's title", lines[0])
	}
	// The id comes right after the plan, before the first progress line.
	first := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "[") {
			first = i
			break
		}
	}
	if first < 1 || lines[first-1] != "rollout 1 started: fleetport rollout abort 1 stops it" {
		t.Errorf("the line before the progress is %q, want the rollout's id\n%s", lines[max(first-1, 0)], errOut)
	}
	if want := "fleetport: rollout 1 completed, but 1 hosts could not be reached: fleetport rollout status 1 says which and why"; lines[len(lines)-2] != want {
		t.Errorf("apply's last line %q, want %q", lines[len(lines)-2], want)
	}
	for _, l := range lines {
		if regexp.MustCompile(`\[\d+m[\d.]+s\]|stage 0|aborted aborted`).MatchString(l) {
			t.Errorf("progress line %q", l)
		}
	}

	code, out, errOut = run(t, "rollout", "status", "latest", "--store", db)
	if code != 0 || !strings.HasPrefix(out, "rollout 1 (apply) complete\n") {
		t.Errorf("status latest: exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out, "stage 0") {
		t.Errorf("status says stage 0:\n%s", out)
	}

	code, out, errOut = run(t, "rollout", "rollback", "latest", "--store", db, "--stages", "100%", "--yes", "--poll", "100ms", "--effect-timeout", "1m")
	if code != 0 {
		t.Fatalf("rollback latest: exit %d\n%s\n%s", code, out, errOut)
	}
	lines = strings.Split(errOut, "\n")
	if !regexp.MustCompile(`^rollback of rollout 1, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$`).MatchString(lines[0]) {
		t.Errorf("rollback's first line %q", lines[0])
	}
	var undo []string
	for _, l := range lines {
		if strings.HasPrefix(l, "  short_time_wait: ") {
			undo = append(undo, l)
		}
	}
	if len(undo) != 2 || undo[0] != "  short_time_wait: undo TcpTimedWaitDelay 60 → 30" || undo[1] != undo[0] {
		t.Errorf("the rollback's actions: %q", undo)
	}
	if want := "rollout 2 started: fleetport rollout abort 2 stops it"; !strings.Contains(errOut, "\n"+want+"\n") {
		t.Errorf("rollback does not name itself first:\n%s", errOut)
	}
}

// TestStatusShowsInterrupted: a rollout recorded running whose process is
// gone reads "interrupted" in list and status; latest names the newest.
func TestStatusShowsInterrupted(t *testing.T) {
	db := filepath.Join(t.TempDir(), "fleetport.db")
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	p := &plan.Plan{Version: plan.SchemaVersion, Hosts: []plan.HostPlan{}, Refused: []plan.Refusal{}, Manual: []plan.Manual{}}
	if err := p.Write(&buf); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := st.CreateRollout(context.Background(), "apply", []byte(buf.String()), "{}", 0, os.Getpid(), now); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateRollout(context.Background(), "apply", []byte(buf.String()), "{}", 0, dead.Process.Pid, now); err != nil {
		t.Fatal(err)
	}
	st.Close()

	code, out, errOut := run(t, "rollout", "list", "--store", db)
	rows := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(rows) != 3 || strings.Fields(rows[1])[4] != "interrupted" || strings.Fields(rows[2])[4] != "running" {
		t.Errorf("list: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = run(t, "rollout", "status", "latest", "--store", db)
	if code != 0 || !strings.HasPrefix(out, "rollout 2 (apply) interrupted\n") {
		t.Errorf("status latest: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, "rollout", "status", "1", "--store", db)
	if code != 0 || !strings.HasPrefix(out, "rollout 1 (apply) running\n") {
		t.Errorf("status 1: exit %d\n%s", code, out)
	}
	if code, _, errOut := run(t, "rollout", "status", "newest", "--store", db); code != 1 || !strings.Contains(errOut, `"newest" is not a rollout id or latest`) {
		t.Errorf("status newest: exit %d\n%s", code, errOut)
	}

	// Aborted while no process runs it: the status is said once.
	if code, out, errOut := run(t, "rollout", "abort", "latest", "--store", db); code != 0 || out != "rollout 2: aborted (no process was running it)\n" {
		t.Errorf("abort latest: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = run(t, "rollout", "status", "2", "--store", db)
	lines := strings.Split(out, "\n")
	if code != 0 || lines[0] != "rollout 2 (apply) aborted: no process was running it" || !regexp.MustCompile(`^\d\d:\d\d:\d\d  rollout aborted: no process was running it$`).MatchString(lines[2]) {
		t.Errorf("status 2: exit %d\n%s", code, out)
	}
}

// TestApplyRefusesOutsideTheWindow: with outside_window = "refuse" and a
// window that is not open now, apply stops before it stores a rollout or
// touches a host, and says when the window opens.
func TestApplyRefusesOutsideTheWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	// A one-minute window twelve hours away is closed now.
	opens := time.Now().UTC().Add(12 * time.Hour)
	rollout := `rollout {
  window {
    from      = "` + opens.Format("15:04") + `"
    to        = "` + opens.Add(time.Minute).Format("15:04") + `"
    time_zone = "UTC"
  }
  outside_window = "refuse"
}
`
	f, inv, pol, db := shortWaitFleet(t, 2, rollout)
	before := audit(f)
	code, out, errOut := run(t, "apply", "-i", inv, "-p", pol, "--store", db, "--timeout", "20s", "--yes")
	if code != 1 {
		t.Fatalf("apply: exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	want := regexp.MustCompile(`fleetport: error: refused: outside the maintenance window: it opens \w{3} ` + opens.Format("15:04") + ` UTC \(in 1[12]h\d+m\); nothing changed\nhint: --outside-window wait waits for it\n`)
	if !want.MatchString(errOut) {
		t.Errorf("apply's refusal:\n%s", errOut)
	}
	for _, h := range f.Hosts() {
		for _, l := range before.since(f, h.Plan.Name) {
			if strings.HasPrefix(l, "reg add") || strings.HasPrefix(l, "shutdown") {
				t.Errorf("%s: %s", h.Plan.Name, l)
			}
		}
	}
	if code, out, _ := run(t, "rollout", "list", "--store", db); code != 0 || strings.TrimSpace(out) != "ROLLOUT  KIND  CREATED  STATUS  REASON" {
		t.Errorf("a rollout was stored:\n%s", out)
	}
}

// TestApplyCapsReboots: with --max-disruptive 1, the hosts of a stage
// reboot one at a time, and the ones that wait say so in the progress.
func TestApplyCapsReboots(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	f, inv, pol, db := shortWaitFleet(t, 3, "")
	code, out, errOut := run(t, "apply", "-i", inv, "-p", pol, "--store", db, "--timeout", "20s", "--stages", "100%", "--yes", "--poll", "100ms", "--max-disruptive", "1")
	if code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	if !regexp.MustCompile(`\] stage 1 \S+ +effect +wait +1 hosts restarting or rebooting, the most at once: \S+\n`).MatchString(errOut) {
		t.Errorf("no wait in the progress:\n%s", errOut)
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	evs, err := st.Events(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	at, most := 0, 0
	for _, e := range evs {
		if e.Step == "effect" && e.State == "start" {
			at++
		}
		if e.Step == "effect" && (e.State == "done" || e.State == "failed") {
			at--
		}
		most = max(most, at)
	}
	if most != 1 {
		t.Errorf("%d hosts rebooted at once, want 1", most)
	}
	for _, h := range f.Hosts() {
		if n := count(audit(f)[h.Plan.Name], plan.RebootCommand); n > 1 {
			t.Errorf("%s rebooted %d times", h.Plan.Name, n)
		}
	}
}
