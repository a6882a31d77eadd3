package driftcmd_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/simtest"
)

// webFleet serves n Windows 2022 web servers without drift.
func webFleet(t *testing.T, n int) (*sim.Fleet, sim.Scenario) {
	t.Helper()
	sc := simtest.Scenario(n)
	sc.OSMix = map[string]float64{"2022": 100}
	sc.Roles = []sim.Role{{Name: "web", Share: 100, Services: []string{"W3SVC"}}}
	sc.HTTPSPort = 0
	return simtest.Serve(t, sc), sc
}

// winrmRun runs one command on a simulated host over WinRM.
func winrmRun(t *testing.T, f *sim.Fleet, sc sim.Scenario, host, line string) {
	t.Helper()
	ep := remote.Endpoint{Host: f.Host(host).Plan.Addr.String(), Port: sc.HTTPPort, Auth: remote.AuthNTLM}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := remote.Open(ctx, ep, remote.Credentials{User: sim.DemoUser, Password: sim.DemoPassword}, remote.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	res, err := s.Run(ctx, remote.Command{Line: line})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%s on %s: %v %d %s", line, host, err, res.ExitCode, res.Stdout)
	}
}

const deleteTimedWaitDelay = `reg delete "HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters" /v TcpTimedWaitDelay /f`

// handInventory writes an inventory of the fleet's hosts by hand, with the
// groups given per host (names the simulator does not use), and returns
// its path.
func handInventory(t *testing.T, dir, name string, f *sim.Fleet, sc sim.Scenario, groups map[string][]string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "defaults {\n  port = %d\n  auth = \"ntlm\"\n  user = env(%q)\n  password = env(%q)\n}\n", sc.HTTPPort, sim.EnvUser, sim.EnvPassword)
	declared := map[string]bool{}
	for _, gs := range groups {
		for _, g := range gs {
			if !declared[g] {
				declared[g] = true
				fmt.Fprintf(&b, "group %q {}\n", g)
			}
		}
	}
	for _, h := range f.Hosts() {
		gs := groups[h.Plan.Name]
		q := make([]string, len(gs))
		for i, g := range gs {
			q[i] = fmt.Sprintf("%q", g)
		}
		fmt.Fprintf(&b, "host %q {\n  address = %q\n  groups = [%s]\n  vars = { service_address = %q }\n}\n",
			h.Plan.Name, h.Plan.Addr, strings.Join(q, ", "), h.Plan.ServiceAddr)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(sim.EnvUser, sim.DemoUser)
	t.Setenv(sim.EnvPassword, sim.DemoPassword)
	return p
}

func decodeReport(t *testing.T, out string) drift.Report {
	t.Helper()
	var rep drift.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	return rep
}

// TestSinceComparesOnlyHostsCheckedInBoth: a run limited to one host,
// right after a full run, fixes nothing; the full run after it finds
// nothing new: the hosts only one run checked are "not compared".
func TestSinceComparesOnlyHostsCheckedInBoth(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	f, sc := webFleet(t, 4)
	winrmRun(t, f, sc, "web0001", deleteTimedWaitDelay)
	winrmRun(t, f, sc, "web0002", deleteTimedWaitDelay)
	inv := simtest.Inventory(t, f, sim.InventoryOptions{})
	dir := t.TempDir()
	common := []string{"-i", inv, "-p", dir, "--store", filepath.Join(dir, "fleetport.db"), "--timeout", "20s", "--json"}

	code, out, errOut := run(t, append([]string{"drift"}, common...)...)
	if code != 2 {
		t.Fatalf("run 1: exit %d\n%s", code, errOut)
	}
	if rep := decodeReport(t, out); rep.Summary.Results.Fail != 2 {
		t.Fatalf("run 1: %+v", rep.Summary)
	}
	code, out, errOut = run(t, append([]string{"drift", "--limit", "web0003"}, common...)...)
	if code != 0 {
		t.Fatalf("run 2 (web0003): exit %d\n%s", code, errOut)
	}
	ch := decodeReport(t, out).Changes
	if ch == nil || ch.Fixed != 0 || ch.New != 0 || len(ch.Items) != 0 {
		t.Errorf("run 2 since run 1: %+v, want nothing new or fixed", ch)
	}
	code, out, errOut = run(t, append([]string{"drift"}, common...)...)
	if code != 2 {
		t.Fatalf("run 3: exit %d\n%s", code, errOut)
	}
	ch = decodeReport(t, out).Changes
	if ch == nil || ch.New != 0 || ch.Fixed != 0 || !slices.Equal(ch.NotCompared, []string{"web0001", "web0002", "web0004"}) {
		t.Errorf("run 3 since run 2: %+v, want 0 new, 0 fixed, 3 hosts not compared", ch)
	}
	// The table says so.
	code, out, _ = run(t, "drift", "--run", "3", "--no-color", "--store", common[5])
	if code != 2 || !strings.Contains(out, "Since run 2: 0 new, 0 fixed, 0 changed; 3 hosts not compared") {
		t.Errorf("drift --run 3: exit %d\n%s", code, out)
	}
}

// TestUnknownToPassIsNowKnown: a run where every host refused the
// credentials, then one that reached them all: diff counts nothing fixed,
// only findings now known; drift's comparison says the same.
func TestUnknownToPassIsNowKnown(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	f, sc := webFleet(t, 3)
	winrmRun(t, f, sc, "web0001", deleteTimedWaitDelay)
	inv := simtest.Inventory(t, f, sim.InventoryOptions{})
	dir := t.TempDir()
	db := filepath.Join(dir, "fleetport.db")
	common := []string{"-i", inv, "-p", dir, "--store", db, "--timeout", "20s"}
	t.Setenv(sim.EnvPassword, "not-the-password")
	if code, _, errOut := run(t, append([]string{"collect"}, common...)...); code != 3 {
		t.Fatalf("collect with a wrong password: exit %d\n%s", code, errOut)
	}
	t.Setenv(sim.EnvPassword, sim.DemoPassword)
	code, out, errOut := run(t, append([]string{"drift", "--json"}, common...)...)
	if code != 2 {
		t.Fatalf("drift: exit %d\n%s", code, errOut)
	}
	ch := decodeReport(t, out).Changes
	if ch == nil || ch.Fixed != 0 || ch.New != 0 || ch.NowKnown == 0 {
		t.Errorf("drift since run 1: %+v, want only now-known", ch)
	}
	code, out, errOut = run(t, "diff", "1", "2", "--json", "--store", db, "-p", dir)
	var d drift.Changes
	if err := json.Unmarshal([]byte(out), &d); code != 0 || err != nil {
		t.Fatalf("diff 1 2: exit %d %v\n%s", code, err, errOut)
	}
	if d.Fixed != 0 || d.New != 0 || d.NowKnown != ch.NowKnown {
		t.Errorf("diff 1 2: %d new, %d fixed, %d now known; want 0, 0, %d", d.New, d.Fixed, d.NowKnown, ch.NowKnown)
	}
	var drifted bool
	for _, it := range d.Items {
		if it.Kind != drift.ChangeNowKnown || it.BeforeResult != drift.Unknown {
			t.Errorf("diff item %s %s %s: %s (before %s)", it.Kind, it.Finding.Host, it.Finding.Policy, it.Finding.Result, it.BeforeResult)
		}
		drifted = drifted || it.Finding.Host == "web0001" && it.Finding.Result == drift.Fail
	}
	if !drifted {
		t.Error("diff 1 2 does not show web0001's drift as now known")
	}
	code, out, _ = run(t, "diff", "1", "2", "--store", db, "-p", dir)
	if code != 0 || !strings.Contains(out, "0 new, 0 fixed, 0 changed, "+fmt.Sprint(d.NowKnown)+" now known") {
		t.Errorf("diff 1 2 table: exit %d\n%s", code, out)
	}
}

// TestLimitAppliesToStoredRuns: drift --run and plan --run judge only the
// hosts --limit selects among the run's hosts.
func TestLimitAppliesToStoredRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	f, sc := webFleet(t, 4)
	winrmRun(t, f, sc, "web0001", deleteTimedWaitDelay)
	inv := simtest.Inventory(t, f, sim.InventoryOptions{})
	dir := t.TempDir()
	common := []string{"-i", inv, "-p", dir, "--store", filepath.Join(dir, "fleetport.db"), "--timeout", "20s"}
	if code, _, errOut := run(t, append([]string{"collect"}, common...)...); code != 0 {
		t.Fatalf("collect: exit %d\n%s", code, errOut)
	}
	code, out, errOut := run(t, append([]string{"drift", "--run", "1", "--limit", "web0003", "--json"}, common...)...)
	if code != 0 {
		t.Errorf("drift --run 1 --limit web0003: exit %d, want 0 (web0003 has no drift)\n%s", code, errOut)
	}
	if rep := decodeReport(t, out); rep.Summary.Hosts != 1 || len(rep.Hosts) != 1 || rep.Hosts[0].Name != "web0003" {
		t.Errorf("drift --run 1 --limit web0003 judged %d hosts", rep.Summary.Hosts)
	}
	code, out, errOut = run(t, append([]string{"plan", "--run", "1", "--limit", "web0003"}, common...)...)
	if code != 0 || !strings.Contains(out, "0 hosts") {
		t.Errorf("plan --run 1 --limit web0003: exit %d, want 0 (nothing to do)\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = run(t, append([]string{"plan", "--run", "1", "--limit", "web0001"}, common...)...)
	if code != 2 || !strings.Contains(out, "web0001") {
		t.Errorf("plan --run 1 --limit web0001: exit %d, want 2\n%s\n%s", code, out, errOut)
	}
	// latest is the newest collect run, wherever a run id is taken.
	code, out, errOut = run(t, append([]string{"drift", "--run", "latest", "--limit", "web0003", "--json"}, common...)...)
	if rep := decodeReport(t, out); code != 0 || rep.Run.ID != 1 {
		t.Errorf("drift --run latest: exit %d, run %d\n%s", code, rep.Run.ID, errOut)
	}
	code, out, errOut = run(t, append([]string{"plan", "--run", "latest", "--limit", "web0001"}, common...)...)
	if code != 2 || !strings.Contains(out, "plan of run 1") {
		t.Errorf("plan --run latest: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = run(t, "diff", "1", "latest", "--store", common[5], "-p", dir)
	if code != 0 || !strings.Contains(out, "run 1 → run 1:") {
		t.Errorf("diff 1 latest: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := run(t, append([]string{"drift", "--run", "newest"}, common...)...); code != 1 || !strings.Contains(errOut, "not a run id or latest") {
		t.Errorf("drift --run newest: exit %d\n%s", code, errOut)
	}
	// Shell completion: run ids from the store, hosts and groups from the
	// inventory.
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "drift", "--store", common[5], "--run", ""}, []string{"latest\t", "1\tcollect complete"}},
		{[]string{"__complete", "diff", "--store", common[5], ""}, []string{"latest\t", "1\tcollect complete"}},
		{[]string{"__complete", "drift", "-i", inv, "--limit", "web0001,"}, []string{"web0001,web0003\thost", "web0001,group:web\tgroup"}},
	} {
		_, out, _ := run(t, c.args...)
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: no %q in\n%s", c.args, w, out)
			}
		}
	}
}

// specialPolicy fails on the hosts of the group "special" only.
const specialPolicy = `policy "special_time_wait" {
  description = "hosts of the group special keep TIME_WAIT short"
  severity    = "high"
  applies_to  = contains(host.groups, "special")
  registry "TcpTimedWaitDelay" {
    at_least = 300
  }
}
`

// TestStoredRunIsJudgedAsItWas: a run carries its inventory's view of its
// hosts, so drift --run and diff judge it the same without -i, with
// another inventory, and from another folder; judging it again does not
// change the summary history shows unless --update-history.
func TestStoredRunIsJudgedAsItWas(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	f, sc := webFleet(t, 3)
	dir := t.TempDir()
	pol := filepath.Join(dir, "policies")
	if err := os.Mkdir(pol, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pol, "special.hcl"), []byte(specialPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	then := handInventory(t, dir, "then.hcl", f, sc, map[string][]string{"web0001": {"special"}, "web0002": {"special"}, "web0003": {"iis"}})
	now := handInventory(t, dir, "now.hcl", f, sc, map[string][]string{"web0001": {"iis"}, "web0002": {"iis"}, "web0003": {"iis"}})
	db := filepath.Join(dir, "fleetport.db")
	code, out, errOut := run(t, "drift", "-i", then, "-p", pol, "--store", db, "--json")
	if code != 2 {
		t.Fatalf("drift: exit %d\n%s", code, errOut)
	}
	if rep := decodeReport(t, out); rep.Summary.Results.Fail != 2 {
		t.Fatalf("drift: %+v, want web0001 and web0002 failing", rep.Summary.Results)
	}
	code, _, errOut = run(t, "drift", "-i", then, "-p", pol, "--store", db)
	if code != 2 {
		t.Fatalf("drift run 2: exit %d\n%s", code, errOut)
	}
	for _, args := range [][]string{
		{"drift", "--run", "1", "-p", pol, "--store", db, "--json", "-i", filepath.Join(dir, "absent.hcl")},
		{"drift", "--run", "1", "-p", pol, "--store", db, "--json", "-i", now},
		{"drift", "--run", "1", "-p", pol, "--store", db, "--json"},
	} {
		code, out, errOut := run(t, args...)
		if strings.Contains(args[len(args)-1], "absent") {
			// An inventory named and missing is an error, as everywhere.
			if code != 1 {
				t.Errorf("%v: exit %d", args, code)
			}
			continue
		}
		if code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, errOut)
			continue
		}
		if rep := decodeReport(t, out); rep.Summary.Results.Fail != 2 {
			t.Errorf("%v: %+v, want the two hosts of group special failing, as when the run was made", args, rep.Summary.Results)
		}
	}
	code, out, errOut = run(t, "diff", "1", "2", "-p", pol, "--store", db, "-i", now)
	if code != 0 || !strings.Contains(out, "0 new, 0 fixed, 0 changed") {
		t.Errorf("diff 1 2 with today's inventory: exit %d\n%s\n%s", code, out, errOut)
	}

	// history keeps the summary of the run's own judgement: judging run 1
	// against no user policy does not rewrite it, unless asked.
	findings := func() int {
		_, out, _ := run(t, "history", "--store", db, "--json")
		var hist []struct {
			ID    int64 `json:"id"`
			Drift *struct {
				Findings int `json:"findings"`
			} `json:"drift"`
			Meta map[string]any `json:"meta"`
		}
		if err := json.Unmarshal([]byte(out), &hist); err != nil || len(hist) != 2 || hist[1].Drift == nil {
			t.Fatalf("history: %v\n%s", err, out)
		}
		if _, ok := hist[1].Meta["drift"]; ok {
			t.Errorf("history --json: meta.drift holds JSON in a string:\n%s", out)
		}
		return hist[1].Drift.Findings
	}
	if n := findings(); n != 2 {
		t.Fatalf("history of run 1: %d findings, want 2", n)
	}
	if code, _, errOut := run(t, "drift", "--run", "1", "-p", empty, "--store", db); code != 0 {
		t.Fatalf("drift --run 1 without the user policy: exit %d\n%s", code, errOut)
	}
	if n := findings(); n != 2 {
		t.Errorf("judging run 1 again rewrote its history: %d findings, want 2", n)
	}
	if code, _, errOut := run(t, "drift", "--run", "1", "-p", empty, "--store", db, "--update-history"); code != 0 {
		t.Fatalf("drift --run 1 --update-history: exit %d\n%s", code, errOut)
	}
	if n := findings(); n != 0 {
		t.Errorf("--update-history: history of run 1 has %d findings, want 0", n)
	}
}

// TestBuiltinPackFollowsFactsNotGroupNames: with a hand-written inventory
// whose groups are called iis, mail and db, the built-in pack's web and
// SMTP policies still apply where the facts show IIS and SMTP: an empty
// listen list and SMTP on 0.0.0.0:25 are found, and the SQL host is judged
// by neither.
func TestBuiltinPackFollowsFactsNotGroupNames(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	sc := simtest.Scenario(6)
	sc.OSMix = map[string]float64{"2019": 100}
	sc.HTTPSPort = 0
	sc.Roles = []sim.Role{
		{Name: "web", Share: 34, Services: []string{"W3SVC"}},
		{Name: "smtp", Share: 33, Services: []string{"SMTPSVC"}},
		{Name: "sql", Share: 33, Services: []string{"MSSQLSERVER"}},
	}
	f := simtest.Serve(t, sc)
	names := map[string]string{}
	for _, h := range f.Hosts() {
		names[h.Plan.Role] = h.Plan.Name
	}
	if len(names) != 3 {
		t.Fatalf("roles %v, want web, smtp and sql", names)
	}
	sc.Drift = []sim.Drift{{Kind: sim.DriftListenListEmpty, Hosts: []string{names["web"]}}, {Kind: sim.DriftSMTPWildcard, Hosts: []string{names["smtp"]}}}
	f = simtest.Serve(t, sc)
	dir := t.TempDir()
	inv := handInventory(t, dir, "hand.hcl", f, sc, map[string][]string{names["web"]: {"iis"}, names["smtp"]: {"mail"}, names["sql"]: {"db"}})
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "drift", "-i", inv, "-p", empty, "--store", filepath.Join(dir, "fleetport.db"), "--json")
	if code != 2 {
		t.Fatalf("drift: exit %d\n%s", code, errOut)
	}
	rep := decodeReport(t, out)
	verdict := func(host, policy string) drift.Result {
		for _, h := range rep.Hosts {
			if h.Name != host {
				continue
			}
			for _, v := range h.Verdicts {
				if v.Policy == policy {
					return v.Result
				}
			}
		}
		t.Fatalf("no verdict of %s on %s", policy, host)
		return 0
	}
	for _, c := range []struct {
		host, policy string
		want         drift.Result
	}{
		{names["web"], "http_listen_list", drift.Fail},
		{names["web"], "w3svc_running", drift.Pass},
		{names["smtp"], "smtp_socket_pooling", drift.Fail},
		{names["sql"], "http_listen_list", drift.NotApplicable},
		{names["sql"], "smtp_socket_pooling", drift.NotApplicable},
		{names["sql"], "w3svc_running", drift.NotApplicable},
	} {
		if got := verdict(c.host, c.policy); got != c.want {
			t.Errorf("%s on %s: %s, want %s", c.policy, c.host, got, c.want)
		}
	}
}

// TestReportForAPipe: the table on a pipe is not cut, worst first, the
// hosts not reached are one line per status, the provenance is there, and
// the filters narrow it.
func TestReportForAPipe(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	sc := simtest.Scenario(4)
	sc.OSMix = map[string]float64{"2019": 100}
	sc.HTTPSPort = 0
	sc.Roles = []sim.Role{{Name: "web", Share: 100, Services: []string{"W3SVC"}}}
	sc.Drift = []sim.Drift{{Kind: sim.DriftListenListEmpty, Hosts: []string{"web0001"}}, {Kind: sim.DriftTimedWaitDelayDefault, Hosts: []string{"web0002"}}}
	sc.Faults = []sim.Fault{{Kind: sim.FaultRefuse, Hosts: []string{"web0004"}}}
	f := simtest.Serve(t, sc)
	inv := simtest.Inventory(t, f, sim.InventoryOptions{})
	dir := t.TempDir()
	common := []string{"-i", inv, "-p", dir, "--store", filepath.Join(dir, "fleetport.db"), "--timeout", "20s"}
	code, out, errOut := run(t, append([]string{"drift"}, common...)...)
	if code != 2 {
		t.Fatalf("drift: exit %d\n%s", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for i, l := range lines {
		if strings.Contains(l, "…") {
			t.Errorf("line %d is cut on a pipe: %q", i+1, l)
		}
	}
	if !strings.Contains(lines[1], "fleetport ") || !strings.Contains(lines[1], "· run 1 · inventory sha256:") || !strings.Contains(lines[1], "· policies sha256:") {
		t.Errorf("no provenance under the title: %q", lines[1])
	}
	// Worst first: the high listen-list drift before the medium TIME_WAIT
	// delay, whatever the policy files' order.
	hi, med := strings.Index(out, "HIGH  http_listen_list"), strings.Index(out, "MEDIUM  tcp_timed_wait_delay")
	if hi < 0 || med < 0 || hi > med {
		t.Errorf("not worst first (high at %d, medium at %d):\n%s", hi, med, out)
	}
	if n := strings.Count(out, "web0004"); n != 1 || !strings.Contains(out, "  unreachable  1: web0004") {
		t.Errorf("the host not reached shows %d times, want once in its status line:\n%s", n, out)
	}
	if !strings.Contains(out, "IN EFFECT") || strings.Contains(out, "FIX ") {
		t.Errorf("fix column:\n%s", out)
	}
	_, out, _ = run(t, append([]string{"drift", "--run", "1", "--severity", "high", "--only", "fail"}, common...)...)
	if strings.Contains(out, "tcp_timed_wait_delay") || !strings.Contains(out, "http_listen_list") {
		t.Errorf("--severity high --only fail:\n%s", out)
	}
	_, out, _ = run(t, append([]string{"drift", "--run", "1", "--summary"}, common...)...)
	if strings.Contains(out, "http_listen_list") || !strings.Contains(out, "DRIFT: ") {
		t.Errorf("--summary:\n%s", out)
	}
	if code, _, _ := run(t, append([]string{"drift", "--run", "1", "--only", "sometimes"}, common...)...); code != 1 {
		t.Errorf("--only sometimes: exit %d", code)
	}
}
