package runnercmd_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/cli/root"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/jobq/jobqtest"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/store"
)

// run runs the fleetport command line in-process: the controller.
func run(ctx context.Context, args ...string) (int, string, string) {
	ios, _, out, errOut := cmdutil.Test()
	code := root.Run(ctx, &cmdutil.Factory{IO: ios, Now: time.Now}, args)
	return code, out.String(), errOut.String()
}

// siteName is the name of the i-th site (from 0).
func siteName(i int) string { return "s" + strconv.Itoa(i+1) }

// siteScenario is the fleet of the i-th site: its own seed and network,
// the default drift (with smaller TIME_WAIT piles) and 1 % each of the
// faults that decide a status.
func siteScenario(i, hosts int, drift bool) sim.Scenario {
	sc := sim.DefaultScenario()
	sc.Hosts = hosts
	sc.Seed = uint64(i + 1)
	sc.Network = netip.MustParsePrefix(fmt.Sprintf("127.%d.0.0/16", 60+i))
	sc.HTTPSPort = 0
	sc.ServiceStep = time.Millisecond
	sc.RebootTime = 300 * time.Millisecond
	for j := range sc.Drift {
		if sc.Drift[j].Kind == sim.DriftTimeWaitPile {
			sc.Drift[j].Count = 1500
		}
		if drift {
			sc.Drift[j].Share = max(sc.Drift[j].Share, 25)
		}
	}
	if !drift {
		sc.Faults = []sim.Fault{{Kind: sim.FaultRefuse, Share: 1}, {Kind: sim.FaultAuth, Share: 1},
			{Kind: sim.FaultGarble, Share: 1}, {Kind: sim.FaultQuota, Share: 1}}
		if i == 1 {
			// The second site is slower, so that killing its runner
			// finds jobs in flight.
			sc.Faults = append(sc.Faults, sim.Fault{Kind: sim.FaultSlow, Share: 100, Duration: 150 * time.Millisecond})
		}
	} else {
		sc.Faults = nil
	}
	return sc
}

// hostName is a host's name in the inventory: the site, then the
// simulator's name (every site's fleet names its hosts alike).
func hostName(site string, p sim.HostPlan) string { return site + "-" + p.Name }

// writeInventory writes one inventory of every site's hosts, each with
// its site.
func writeInventory(t *testing.T, scs []sim.Scenario) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(`defaults {
  port              = 5985
  auth              = "ntlm"
  user              = env("FLEETPORT_SIM_USER")
  password          = env("FLEETPORT_SIM_PASSWORD")
  timeout           = "90s"
  operation_timeout = "20s"
}
`)
	roles := map[string]bool{}
	for _, r := range sim.DefaultScenario().Roles {
		roles[r.Name] = true
	}
	names := make([]string, 0, len(roles))
	for r := range roles {
		names = append(names, r)
	}
	sort.Strings(names)
	for _, r := range names {
		fmt.Fprintf(&b, "group %q {\n  tags = { role = %q }\n}\n", r, r)
	}
	for i, sc := range scs {
		plans, err := sc.Plan()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range plans {
			fmt.Fprintf(&b, "host %q {\n  address = %q\n  site = %q\n  groups = [%q]\n  tags = { locale = %q, os = %q }\n  vars = { service_address = %q }\n}\n",
				hostName(siteName(i), p), p.Addr.String(), siteName(i), p.Role, p.Locale, p.OS, p.ServiceAddr.String())
		}
	}
	path := filepath.Join(t.TempDir(), "inventory.hcl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(sim.EnvUser, sim.DemoUser)
	t.Setenv(sim.EnvPassword, sim.DemoPassword)
	return path
}

// storedFacts reads the latest run of a store: each host's document.
func storedFacts(t *testing.T, db string) (store.Run, map[string]*facts.Host) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r, err := st.Latest(ctx, "collect")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := st.Hosts(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*facts.Host{}
	for _, rec := range recs {
		var h facts.Host
		if err := json.Unmarshal(rec.Facts, &h); err != nil {
			t.Fatalf("%s: %v", rec.Name, err)
		}
		out[rec.Name] = &h
	}
	return r, out
}

// hostsIn counts the host results of a store's latest run (0 before one
// exists).
func hostsIn(db string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := os.Stat(db); err != nil {
		return 0
	}
	st, err := store.Open(ctx, db)
	if err != nil {
		return 0
	}
	defer st.Close()
	r, err := st.Latest(ctx, "collect")
	if err != nil {
		return 0
	}
	return r.Hosts
}

// sites is a set of sites, each with its namespace and fleet, and a twin
// of each fleet in the test's namespace for the local run.
type sites struct {
	ns    []netns
	sims  []*helper
	twins []*helper
	scs   []sim.Scenario
	inv   string
	port  int
}

// newSites makes n sites of per hosts each, and the NATS server.
func newSites(t *testing.T, n, per int, drift, twins bool) *sites {
	t.Helper()
	needRoot(t)
	s := &sites{}
	for i := range n {
		s.scs = append(s.scs, siteScenario(i, per, drift))
	}
	var wg sync.WaitGroup
	s.sims = make([]*helper, n)
	for range n {
		s.ns = append(s.ns, newNetns(t))
	}
	errs := make(chan string, 2*n)
	start := func(ns string, sc sim.Scenario, into **helper) {
		defer wg.Done()
		defer func() {
			if r := recover(); r != nil {
				errs <- fmt.Sprint(r)
			}
		}()
		*into = startSim(t, ns, sc)
	}
	for i := range n {
		wg.Add(1)
		go start(s.ns[i].name, s.scs[i], &s.sims[i])
	}
	if twins {
		s.twins = make([]*helper, n)
		for i := range n {
			wg.Add(1)
			go start("", s.scs[i], &s.twins[i])
		}
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	s.inv = writeInventory(t, s.scs)
	srv := jobqtest.Start(t, jobqtest.Options{Host: "0.0.0.0"})
	s.port = srv.Addr().(*net.TCPAddr).Port
	return s
}

func (s *sites) natsURL() string { return fmt.Sprintf("nats://127.0.0.1:%d", s.port) }

// accepted sums the connections a set of fleets accepted, per host.
func accepted(t *testing.T, hs []*helper) map[string]int64 {
	out := map[string]int64{}
	for _, h := range hs {
		for name, d := range h.dump(t) {
			out[name] += d.Accepted
		}
	}
	return out
}

// TestSitesCollect is the acceptance run of the site runners: N hosts
// (FLEETPORT_SITES_SCALE, default 90) in three sites, each in its own
// network namespace with its own runner, collected through NATS with one
// runner killed (SIGKILL) and started again mid-run, match a local
// collection of the same fleets host for host. scripts/test runs it with
// 3,000 hosts outside the race detector.
func TestSitesCollect(t *testing.T) {
	n := 90
	if v, _ := strconv.Atoi(os.Getenv("FLEETPORT_SITES_SCALE")); v > 0 {
		n = v
	}
	per := n / 3
	s := newSites(t, 3, per, false, true)
	dir := t.TempDir()
	localDB, remoteDB := filepath.Join(dir, "local.db"), filepath.Join(dir, "remote.db")
	conc := strconv.Itoa(min(300, per))

	// The local run reaches the twins in this namespace.
	start := time.Now()
	code, out, errOut := run(context.Background(), "collect", "-i", s.inv, "--store", localDB, "--concurrency", conc)
	if code != 0 && code != 3 {
		t.Fatalf("local collect: exit %d\n%s\n%s", code, out, errOut)
	}
	localTook := time.Since(start)
	twinsBefore := accepted(t, s.twins)

	runners := make([]*proc, 3)
	for i := range 3 {
		runners[i] = startRunner(t, s.ns[i], s.port, siteName(i), min(300, per))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	type result struct {
		code        int
		out, errOut string
	}
	done := make(chan result, 1)
	start = time.Now()
	go func() {
		code, out, errOut := run(ctx, "collect", "-i", s.inv, "--store", remoteDB, "--nats", s.natsURL(),
			"--ack-wait", "3s", "--site-timeout", "60s", "--concurrency", conc)
		done <- result{code, out, errOut}
	}()
	// Kill site 2's runner once it reached its first hosts (they are
	// slow: it has jobs in flight), and start another in its place, as a
	// supervisor would.
	if err := waitFor(ctx, 20*time.Millisecond, func() bool {
		for _, d := range s.sims[1].dump(t) {
			if d.Accepted > 0 {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("the runner of %s reached no host", siteName(1))
	}
	runners[1].kill()
	t.Logf("killed the runner of %s with %d of %d hosts stored", siteName(1), hostsIn(remoteDB), n)
	time.Sleep(500 * time.Millisecond)
	runners[1] = startRunner(t, s.ns[1], s.port, siteName(1), min(300, per))
	r := <-done
	remoteTook := time.Since(start)
	if r.code != 0 && r.code != 3 {
		t.Fatalf("dispatched collect: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
	t.Logf("%d hosts: local %v, three sites %v (one runner killed and replaced)", n, localTook.Round(time.Millisecond), remoteTook.Round(time.Millisecond))

	// Host for host, the same facts.
	lr, local := storedFacts(t, localDB)
	rr, remote := storedFacts(t, remoteDB)
	if lr.Status != store.RunComplete || rr.Status != store.RunComplete {
		t.Errorf("runs %s and %s, want complete", lr.Status, rr.Status)
	}
	if len(local) != n || len(remote) != n {
		t.Fatalf("%d local and %d dispatched results for %d hosts", len(local), len(remote), n)
	}
	bad := 0
	for name, lh := range local {
		if d := (jobqtest.Compare{BootTime: true}).Diff(lh, remote[name]); d != "" {
			bad++
			if bad <= 10 {
				t.Errorf("%s: %s", name, d)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d hosts differ", bad, n)
	}
	// The summary is the local run's, but for its run's duration.
	if a, b := summaryRE.ReplaceAllString(out, "in D:"), summaryRE.ReplaceAllString(r.out, "in D:"); a != b {
		t.Errorf("summaries differ:\nlocal:  %s\nremote: %s", out, r.out)
	}
	// The drift reports of the two runs are the same, but for the run
	// they name and the times in them.
	reports := make([]map[string]any, 2)
	for i, db := range []string{localDB, remoteDB} {
		code, out, errOut := run(context.Background(), "drift", "--run", "1", "--store", db, "-i", s.inv, "--format", "json", "--no-compare")
		if code != 0 && code != 2 && code != 3 {
			t.Fatalf("drift: exit %d\n%s", code, errOut)
		}
		if err := json.Unmarshal([]byte(out), &reports[i]); err != nil {
			t.Fatalf("drift: %v", err)
		}
		delete(reports[i], "generated")
		delete(reports[i], "run")
		hs, _ := reports[i]["hosts"].([]any)
		for _, h := range hs {
			if hm, ok := h.(map[string]any); ok {
				delete(hm, "collected") // when it was collected: a timing
			}
		}
	}
	if d := jsonDiff("", reports[0], reports[1], 5); len(d) > 0 {
		t.Errorf("the drift reports differ:\n%s", strings.Join(d, "\n"))
	}
	// Each site's runner reached its own hosts, and only through its
	// namespace: the twins saw no connection during the dispatched run.
	for name, n := range accepted(t, s.twins) {
		if n != twinsBefore[name] {
			t.Errorf("%s: the twin in the test's namespace accepted %d connections during the dispatched run", name, n-twinsBefore[name])
		}
	}
	redone := 0
	for i, h := range s.sims {
		for name, d := range h.dump(t) {
			p := planOf(s.scs[i], name)
			if !p.Has(sim.FaultRefuse) && d.Accepted == 0 {
				t.Errorf("%s: no connection reached it in its namespace", hostName(siteName(i), p))
			}
			if i == 1 && d.Accepted > 1 {
				redone++
			}
		}
	}
	// The killed runner's jobs went to its replacement.
	if redone == 0 {
		t.Errorf("no host of %s was collected twice: the kill found no job in flight", siteName(1))
	}
	t.Logf("%d hosts of %s collected again after the kill", redone, siteName(1))
}

// jsonDiff lists up to max paths where two decoded JSON values differ.
func jsonDiff(path string, a, b any, max int) []string {
	if reflect.DeepEqual(a, b) {
		return nil
	}
	var out []string
	switch av := a.(type) {
	case map[string]any:
		if bv, ok := b.(map[string]any); ok {
			keys := map[string]bool{}
			for k := range av {
				keys[k] = true
			}
			for k := range bv {
				keys[k] = true
			}
			names := make([]string, 0, len(keys))
			for k := range keys {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, k := range names {
				out = append(out, jsonDiff(path+"."+k, av[k], bv[k], max-len(out))...)
				if len(out) >= max {
					return out
				}
			}
			return out
		}
	case []any:
		if bv, ok := b.([]any); ok && len(av) == len(bv) {
			for i := range av {
				out = append(out, jsonDiff(fmt.Sprintf("%s[%d]", path, i), av[i], bv[i], max-len(out))...)
				if len(out) >= max {
					return out
				}
			}
			return out
		}
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return []string{fmt.Sprintf("%s: %.200s != %.200s", path, ja, jb)}
}

var summaryRE = regexp.MustCompile(`in [0-9.a-zµ]+:`)

func planOf(sc sim.Scenario, name string) sim.HostPlan {
	plans, _ := sc.Plan()
	for _, p := range plans {
		if p.Name == name {
			return p
		}
	}
	return sim.HostPlan{}
}
