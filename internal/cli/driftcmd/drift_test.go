package driftcmd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/cli/root"
	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/simtest"
)

// run runs the fleetport command line in-process and returns the exit
// code, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ios, _, out, errOut := cmdutil.Test()
	f := &cmdutil.Factory{IO: ios, Now: time.Now}
	code := root.Run(context.Background(), f, args)
	return code, out.String(), errOut.String()
}

// TestDriftHistoryDiff runs `fleetport drift` against the simulator (which
// collects and stores run 1), changes a host through WinRM, runs drift
// again (run 2), and reads both back with drift --run, history and diff:
// exit codes, every report format on disk, the changes, and no password
// anywhere.
func TestDriftHistoryDiff(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	sc := simtest.Scenario(8)
	sc.OSMix = map[string]float64{"2022": 100}
	sc.Roles = []sim.Role{{Name: "web", Share: 100, Services: []string{"W3SVC"}}}
	sc.HTTPSPort = 0
	sc.Faults = []sim.Fault{{Kind: sim.FaultRefuse, Hosts: []string{"web0008"}}}
	f := simtest.Serve(t, sc)
	inv := simtest.Inventory(t, f, sim.InventoryOptions{})
	dir := t.TempDir()
	db := filepath.Join(dir, "fleetport.db")
	none := filepath.Join(dir, "no-policies")
	common := []string{"-i", inv, "-p", none, "--store", db, "--timeout", "20s"}
	if err := os.Mkdir(none, 0o755); err != nil {
		t.Fatal(err)
	}

	// Run 1: a compliant fleet but for one host that refuses connections:
	// no drift, some hosts unknown: exit 3.
	code, out, errOut := run(t, append([]string{"drift", "--json"}, common...)...)
	if code != 3 {
		t.Fatalf("drift run 1: exit %d, want 3\n%s\n%s", code, out, errOut)
	}
	var rep1 drift.Report
	if err := json.Unmarshal([]byte(out), &rep1); err != nil {
		t.Fatalf("drift --json: %v\n%s", err, out)
	}
	if rep1.Run.ID != 1 || rep1.Summary.Hosts != 8 || rep1.Summary.Results.Unknown != 1 || rep1.Summary.Results.Pass != 7 || rep1.Changes != nil {
		t.Errorf("run 1: %+v", rep1.Summary)
	}

	// Drift on web0001: TcpTimedWaitDelay back at its default.
	ep := remote.Endpoint{Host: f.Host("web0001").Plan.Addr.String(), Port: sc.HTTPPort, Auth: remote.AuthNTLM}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := remote.Open(ctx, ep, remote.Credentials{User: sim.DemoUser, Password: sim.DemoPassword}, remote.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Run(ctx, remote.Command{Line: `reg delete "HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters" /v TcpTimedWaitDelay /f`})
	s.Close()
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("reg delete: %v %d %s", err, res.ExitCode, res.Stdout)
	}

	// Run 2: drift found, exit 2; the table says what is new.
	code, out, errOut = run(t, append([]string{"drift", "--no-color"}, common...)...)
	if code != 2 {
		t.Fatalf("drift run 2: exit %d, want 2\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"tcp_timed_wait_delay", "web0001", "fleetport.not_in_effect", "absent (default 240)"} {
		if !strings.Contains(out, want) {
			t.Errorf("drift table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("--no-color output has escape codes")
	}

	// drift --run 2 writes every format; the JSON has the changes.
	reports := filepath.Join(dir, "reports")
	code, _, errOut = run(t, append([]string{"drift", "--run", "2", "--format", "table,json,markdown,html,junit", "--out", reports}, common...)...)
	if code != 2 {
		t.Fatalf("drift --run 2: exit %d\n%s", code, errOut)
	}
	for _, ext := range []string{".txt", ".json", ".md", ".html", ".xml"} {
		p := filepath.Join(reports, "drift-run2"+ext)
		b, err := os.ReadFile(p)
		if err != nil || len(b) == 0 {
			t.Errorf("%s: %v", p, err)
		}
		if bytes.Contains(b, []byte(sim.DemoPassword)) {
			t.Errorf("%s holds the password", p)
		}
	}
	var rep2 drift.Report
	b, _ := os.ReadFile(filepath.Join(reports, "drift-run2.json"))
	if err := json.Unmarshal(b, &rep2); err != nil {
		t.Fatal(err)
	}
	if rep2.Changes == nil || rep2.Changes.Since.ID != 1 || rep2.Changes.New != 2 || rep2.Changes.Fixed != 0 {
		t.Fatalf("changes since run 1: %+v", rep2.Changes)
	}
	// Every format says what made it: the fleetport, the run, and the
	// digests of the run's hosts and of the policies.
	pv := rep2.Provenance
	if pv == nil || pv.Run != 2 || pv.Fleetport == "" || !strings.HasPrefix(pv.Inventory, "sha256:") || !strings.HasPrefix(pv.Policies, "sha256:") {
		t.Fatalf("provenance: %+v", pv)
	}
	for _, ext := range []string{".txt", ".md", ".html", ".xml"} {
		b, _ := os.ReadFile(filepath.Join(reports, "drift-run2"+ext))
		if !bytes.Contains(b, []byte(pv.Fleetport)) || !bytes.Contains(b, []byte(pv.Inventory[:len("sha256:")+12])) || !bytes.Contains(b, []byte(pv.Policies[:len("sha256:")+12])) {
			t.Errorf("drift-run2%s lacks the provenance %s", ext, pv.Short())
		}
	}
	b, _ = os.ReadFile(filepath.Join(reports, "drift-run2.html"))
	for _, want := range []string{"fleetport " + pv.Fleetport, "run 2", pv.Inventory, pv.Policies} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("the HTML report lacks %q in its provenance", want)
		}
	}
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	b, _ = os.ReadFile(filepath.Join(reports, "drift-run2.xml"))
	if err := xml.Unmarshal(b, &suites); err != nil || suites.Failures != 2 {
		t.Errorf("junit: %v %+v", err, suites)
	}

	// history lists both runs, newest first, with their drift.
	code, out, errOut = run(t, "history", "--store", db, "--json")
	if code != 0 {
		t.Fatalf("history: exit %d\n%s", code, errOut)
	}
	var hist []struct {
		ID    int64 `json:"id"`
		Drift *struct {
			Findings int `json:"findings"`
		} `json:"drift"`
	}
	if err := json.Unmarshal([]byte(out), &hist); err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].ID != 2 || hist[0].Drift == nil || hist[0].Drift.Findings != 2 || hist[1].Drift == nil || hist[1].Drift.Findings != 0 {
		t.Errorf("history: %s", out)
	}
	code, out, _ = run(t, "history", "--store", db)
	if code != 0 || !strings.Contains(out, "2 findings") {
		t.Errorf("history table: %d\n%s", code, out)
	}

	// diff 1 2: the two new findings of web0001; diff 2 1 sees them fixed.
	code, out, errOut = run(t, append([]string{"diff", "1", "2", "--store", db}, common[:4]...)...)
	if code != 0 || !strings.Contains(out, "run 1 → run 2: 2 new, 0 fixed, 0 changed") || !strings.Contains(out, "web0001") {
		t.Errorf("diff 1 2: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = run(t, append([]string{"diff", "2", "1", "--json", "--store", db}, common[:4]...)...)
	var ch drift.Changes
	if err := json.Unmarshal([]byte(out), &ch); code != 0 || err != nil || ch.Fixed != 2 || ch.New != 0 {
		t.Errorf("diff 2 1: exit %d %v %+v", code, err, ch)
	}

	// Errors: a run that does not exist, a bad format.
	if code, _, errOut := run(t, append([]string{"drift", "--run", "99"}, common...)...); code != 1 || !strings.Contains(errOut, "no such run") {
		t.Errorf("drift --run 99: exit %d %s", code, errOut)
	}
	if code, _, errOut := run(t, append([]string{"drift", "--format", "pdf"}, common...)...); code != 1 || !strings.Contains(errOut, "pdf") {
		t.Errorf("drift --format pdf: exit %d %s", code, errOut)
	}
	if code, _, errOut := run(t, append([]string{"drift", "--run", "2", "--format", "json,html"}, common...)...); code != 1 || !strings.Contains(errOut, "--out") {
		t.Errorf("two formats to stdout: exit %d %s", code, errOut)
	}
}
