package driftcmd_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/cli/root"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/simtest"
)

// TestWaiversEndToEnd collects a simulated fleet whose web0001 and web0002
// lack TcpTimedWaitDelay (240 s), with waivers among the policies: the
// waived host shows as waived (with the waiver) and does not make the exit
// code 2; with both waived the run has no drift; an expired waiver waives
// nothing, the drift fails again, and drift warns once, naming the waiver
// and its file:line; a waiver of an unknown policy stops drift before any
// host is contacted.
func TestWaiversEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	f, sc := webFleet(t, 3)
	winrmRun(t, f, sc, "web0001", deleteTimedWaitDelay)
	winrmRun(t, f, sc, "web0002", deleteTimedWaitDelay)
	inv := simtest.Inventory(t, f, sim.InventoryOptions{})
	dir := t.TempDir()
	pol := filepath.Join(dir, "policies")
	if err := os.Mkdir(pol, 0o755); err != nil {
		t.Fatal(err)
	}
	waivers := filepath.Join(pol, "waivers.hcl")
	day := func(d int) string { return time.Now().UTC().AddDate(0, 0, d).Format("2006-01-02") }
	writeWaivers := func(blocks ...string) {
		t.Helper()
		if err := os.WriteFile(waivers, []byte(strings.Join(blocks, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	waiver := func(name, cover, until string) string {
		return fmt.Sprintf("waiver %q {\n  policy = \"tcp_timed_wait_delay\"\n  %s\n  reason = \"vendor default until CHG-%s\"\n  until  = %q\n}\n", name, cover, name, until)
	}
	common := []string{"-i", inv, "-p", pol, "--store", filepath.Join(dir, "fleetport.db"), "--timeout", "20s", "--no-color"}

	// One host waived: web0002 still fails.
	writeWaivers(waiver("w1", `hosts  = ["web0001"]`, day(30)))
	code, out, errOut := run(t, append([]string{"drift"}, common...)...)
	if code != 2 {
		t.Fatalf("run 1: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"web0001  waived",
		"web0002  fail",
		fmt.Sprintf(`≈ waived by "w1" until %s (%s:1): vendor default until CHG-w1`, day(30), waivers),
		"DRIFT: 1 of 3 hosts drift (1 fail, 0 pending), 0 unknown, 1 waived",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("run 1 lacks %q:\n%s", want, out)
		}
	}

	// Both waived (the second by a limit): no drift, exit 0; JSON counts
	// them apart; --only waived lists them.
	writeWaivers(waiver("w1", `hosts  = ["web0001"]`, day(30)), waiver("w2", `limit  = "web0002,web9*"`, day(0)))
	code, out, errOut = run(t, append([]string{"drift", "--run", "latest", "--json"}, common...)...)
	if code != 0 {
		t.Fatalf("run 1 judged again: exit %d\n%s\n%s", code, out, errOut)
	}
	rep := decodeReport(t, out)
	if rep.Summary.Waived != 2 || rep.Summary.Results.Waived != 2 || rep.Summary.Results.Fail != 0 || len(rep.Waivers) != 2 ||
		rep.Waivers[1].Waived != 1 || rep.Waivers[1].State != "active" {
		t.Errorf("json: %+v %+v", rep.Summary, rep.Waivers)
	}
	code, out, _ = run(t, append([]string{"drift", "--run", "latest", "--only", "waived"}, common...)...)
	if code != 0 || !strings.Contains(out, "web0001  waived") || !strings.Contains(out, "web0002  waived") || strings.Contains(out, "  fail  ") {
		t.Errorf("--only waived: exit %d\n%s", code, out)
	}
	// validate says which term of w2's limit selects no host.
	if code, _, errOut := run(t, append([]string{"validate"}, common[:4]...)...); code != 0 ||
		!strings.Contains(errOut, waivers+`:10:12: warning: Waiver limit term selects no host`) {
		t.Errorf("validate: exit %d\n%s", code, errOut)
	}

	// w1 expired yesterday: web0001 fails again, with one warning that
	// names the waiver and where it is.
	writeWaivers(waiver("w1", `hosts  = ["web0001"]`, day(-1)), waiver("w2", `limit  = "web0002"`, day(30)))
	code, out, errOut = run(t, append([]string{"drift"}, common...)...)
	if code != 2 || !strings.Contains(out, "web0001  fail") || !strings.Contains(out, "web0002  waived") {
		t.Errorf("run 2: exit %d\n%s", code, out)
	}
	warning := fmt.Sprintf(`fleetport: warning: waiver "w1" (%s:1) expired at the end of %s`, waivers, day(-1))
	if n := strings.Count(errOut, warning); n != 1 {
		t.Errorf("run 2: %d warnings %q:\n%s", n, warning, errOut)
	}
	if !strings.Contains(out, "w1      tcp_timed_wait_delay  expired  ") {
		t.Errorf("run 2: the waivers section lacks the expired one:\n%s", out)
	}
	code, _, errOut = run(t, append([]string{"validate"}, common[:4]...)...)
	if code != 0 || !strings.Contains(errOut, waivers+":5:12: warning: Waiver expired") {
		t.Errorf("validate: exit %d\n%s", code, errOut)
	}

	// A waiver of an unknown policy: exit 1, located, before any host is
	// contacted (no run 3 is stored).
	writeWaivers(waiver("w1", `hosts  = ["web0001"]`, day(30)) + strings.Replace(waiver("w3", `hosts = ["web0003"]`, day(30)), "tcp_timed_wait_delay", "tcp_timed_wait_dealy", 1))
	code, _, errOut = run(t, append([]string{"drift"}, common...)...)
	if code != 1 || !strings.Contains(errOut, "Waiver for an unknown policy") || !strings.Contains(errOut, `Did you mean "tcp_timed_wait_delay"?`) {
		t.Errorf("unknown policy: exit %d\n%s", code, errOut)
	}
	if _, out, _ := run(t, "history", "--store", common[5]); strings.Contains(out, "\n3 ") {
		t.Errorf("a run was stored:\n%s", out)
	}
}

// runAt runs fleetport with its clock set to now.
func runAt(t *testing.T, now time.Time, args ...string) (int, string, string) {
	t.Helper()
	ios, _, out, errOut := cmdutil.Test()
	f := &cmdutil.Factory{IO: ios, Now: func() time.Time { return now }}
	code := root.Run(context.Background(), f, args)
	return code, out.String(), errOut.String()
}

// TestWaiverExpiryBetweenRuns: a waiver that held at run 1 and had expired
// by run 2: run 2 compared with run 1 says "no longer waived", not new;
// diff from run 2 to run 1 says "waived", not fixed.
func TestWaiverExpiryBetweenRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	f, sc := webFleet(t, 2)
	winrmRun(t, f, sc, "web0001", deleteTimedWaitDelay)
	inv := simtest.Inventory(t, f, sim.InventoryOptions{})
	dir := t.TempDir()
	waivers := filepath.Join(dir, "waivers.hcl")
	if err := os.WriteFile(waivers, []byte(`waiver "w1" {
  policy = "tcp_timed_wait_delay"
  hosts  = ["web0001"]
  reason = "until the January window"
  until  = "2030-01-15"
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	common := []string{"-i", inv, "-p", waivers, "--store", filepath.Join(dir, "fleetport.db"), "--timeout", "20s", "--no-color"}
	day1 := time.Date(2030, 1, 15, 23, 0, 0, 0, time.UTC)
	code, out, errOut := runAt(t, day1, append([]string{"drift"}, common...)...)
	if code != 0 || !strings.Contains(out, "web0001  waived") {
		t.Fatalf("run 1: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runAt(t, day1.Add(2*time.Hour), append([]string{"drift"}, common...)...)
	if code != 2 || !strings.Contains(out, "Since run 1: 0 new, 0 fixed, 0 changed, 1 no longer waived") ||
		!strings.Contains(out, "unwaived  web0001") || !strings.Contains(errOut, `waiver "w1" (`+waivers+`:1) expired at the end of 2030-01-15`) {
		t.Errorf("run 2: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runAt(t, day1.Add(3*time.Hour), append([]string{"diff", "2", "1"}, common[:6]...)...)
	if code != 0 || !strings.Contains(out, "run 2 → run 1: 0 new, 0 fixed, 0 changed, 1 waived") || !strings.Contains(out, "fail → waived") {
		t.Errorf("diff 2 1: exit %d\n%s\n%s", code, out, errOut)
	}
}
