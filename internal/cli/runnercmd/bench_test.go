package runnercmd_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/jobq/jobqtest"
	"github.com/fleetport/fleetport/internal/sim"
)

// TestSitesRunnersBench measures the figures of docs/SCALING.md: one site
// of FLEETPORT_SITES_BENCH hosts in its namespace, collected locally and
// then through 1, 2 and 3 runners in that namespace; the controller is the
// fleetport binary under /usr/bin/time. Every run must give every host the
// local run's status. Skipped unless FLEETPORT_SITES_BENCH is set.
func TestSitesRunnersBench(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("FLEETPORT_SITES_BENCH"))
	if n == 0 {
		t.Skip("set FLEETPORT_SITES_BENCH=3000 to measure")
	}
	needRoot(t)
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		t.Fatal("needs /usr/bin/time (Debian package time)")
	}
	bin := fleetportBin(t)
	sc := siteScenario(0, n, false)
	ns := newNetns(t)
	startSim(t, ns.name, sc)
	startSim(t, "", sc) // for the local run
	inv := writeInventory(t, []sim.Scenario{sc})
	srv := jobqtest.Start(t, jobqtest.Options{Host: "0.0.0.0"})
	p := srv.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()
	conc := "300"
	measure := func(name string, args ...string) (time.Duration, string, map[string]string) {
		db := filepath.Join(dir, name+".db")
		cmd := exec.Command("/usr/bin/time", append([]string{"-v", bin, "collect", "-i", inv, "--store", db, "--concurrency", conc}, args...)...)
		cmd.Env = append(os.Environ(), sim.EnvUser+"="+sim.DemoUser, sim.EnvPassword+"="+sim.DemoPassword)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		err := cmd.Run()
		took := time.Since(start)
		if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() > 3) {
			t.Fatalf("%s: %v\n%s", name, err, out.String())
		}
		rss := regexp.MustCompile(`Maximum resident set size \(kbytes\): (\d+)`).FindStringSubmatch(out.String())
		cpu := regexp.MustCompile(`User time \(seconds\): ([\d.]+)`).FindStringSubmatch(out.String())
		_, hosts := storedFacts(t, db)
		st := map[string]string{}
		for k, h := range hosts {
			st[k] = h.Status.String()
		}
		if len(rss) < 2 || len(cpu) < 2 {
			t.Fatalf("%s: no figures from /usr/bin/time:\n%s", name, out.String())
		}
		return took, fmt.Sprintf("controller peak RSS %s kB, user CPU %s s", rss[1], cpu[1]), st
	}
	took, figs, want := measure("local")
	t.Logf("%d hosts, local: %v, %s", n, took.Round(10*time.Millisecond), figs)
	for k := 1; k <= 3; k++ {
		var runners []*proc
		for range k {
			runners = append(runners, startRunner(t, ns, p, siteName(0), 300))
		}
		time.Sleep(time.Second)
		vz, _ := srv.Varz(nil)
		inMsgs, inBytes := vz.InMsgs, vz.InBytes
		took, figs, got := measure(fmt.Sprintf("runners%d", k), "--nats", fmt.Sprintf("nats://127.0.0.1:%d", p))
		vz, _ = srv.Varz(nil)
		t.Logf("%d hosts, %d runner(s): %v, %s; NATS: %d messages in, %d MB in", n, k, took.Round(10*time.Millisecond), figs,
			vz.InMsgs-inMsgs, (vz.InBytes-inBytes)>>20)
		for h, s := range want {
			if got[h] != s {
				t.Errorf("%d runners: %s: %s, local %s", k, h, got[h], s)
			}
		}
		for _, r := range runners {
			r.stop()
		}
	}
}
