package tuicmd_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"go.uber.org/goleak"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/cli/tuicmd"
	"github.com/fleetport/fleetport/internal/collect"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/jobq/jobqtest"
	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/internal/rollout"
	"github.com/fleetport/fleetport/internal/runner"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/simtest"
	"github.com/fleetport/fleetport/internal/store"
	"github.com/fleetport/fleetport/internal/tui"
)

// noLeaks checks, after every other cleanup of the test, that the
// goroutines the test started are gone: the source's controller and NATS
// connection, the runner, the server.
func noLeaks(t *testing.T) {
	t.Helper()
	opts := []goleak.Option{goleak.IgnoreCurrent(), goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop")}
	t.Cleanup(func() { goleak.VerifyNone(t, opts...) })
}

// siteFleet serves four 2019 web servers, web0001 and web0002 with the
// default dynamic port range (drift a plan fixes at once), and writes
// their inventory with web0001 and web0003 in site east; the others have
// no site.
func siteFleet(t *testing.T) (*sim.Fleet, string) {
	t.Helper()
	sc := simtest.Scenario(4)
	sc.OSMix = map[string]float64{"2019": 1}
	sc.LocaleMix = map[string]float64{"en-US": 1}
	sc.Roles = []sim.Role{{Name: "web", Share: 1, Services: []string{"W3SVC"}}}
	sc.Drift = []sim.Drift{{Kind: sim.DriftDynamicRangeDefault, Hosts: []string{"web0001", "web0002"}}}
	f := simtest.Serve(t, sc)
	inv := simtest.Inventory(t, f, sim.InventoryOptions{})
	b, err := os.ReadFile(inv)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, h := range []string{"web0001", "web0003"} {
		open := fmt.Sprintf("host %q {\n", h)
		if !strings.Contains(text, open) {
			t.Fatalf("no host block %q in the inventory:\n%s", h, text)
		}
		text = strings.Replace(text, open, open+"  site = \"east\"\n", 1)
	}
	if err := os.WriteFile(inv, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return f, inv
}

// siteRunner is a runner of one site in this process, with what it did:
// the addresses it opened collection sessions to and the hosts it
// applied rollout steps to (from its log).
type siteRunner struct {
	mu     sync.Mutex
	opened map[string]int
	log    bytes.Buffer
}

func (r *siteRunner) Write(b []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.log.Write(b)
}

// collected is the set of addresses the runner collected, since the last
// call.
func (r *siteRunner) collected() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.opened))
	for a := range r.opened {
		out = append(out, a)
	}
	sort.Strings(out)
	clear(r.opened)
	return out
}

// applied is the hosts the runner's log says it applied steps to.
func (r *siteRunner) applied(t *testing.T) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(r.log.Bytes()))
	for sc.Scan() {
		var line struct{ Msg, Host string }
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("runner log %q: %v", sc.Text(), err)
		}
		if line.Msg == "applying" && !slices.Contains(out, line.Host) {
			out = append(out, line.Host)
		}
	}
	sort.Strings(out)
	return out
}

// startRunner runs site's runner in this process until the test ends.
func startRunner(t *testing.T, s *server.Server, site string) *siteRunner {
	t.Helper()
	r := &siteRunner{opened: map[string]int{}}
	nc := jobqtest.Connect(t, s, "runner-"+site)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runner.Run(ctx, runner.Options{Conn: nc, Site: site, Concurrency: 4, Heartbeat: 200 * time.Millisecond,
			DrainTimeout: 5 * time.Second, Logger: slog.New(slog.NewJSONHandler(r, nil)),
			Open: func(ctx context.Context, ep remote.Endpoint, cred remote.Credentials, o remote.Options) (collect.Session, error) {
				r.mu.Lock()
				r.opened[ep.Host]++
				r.mu.Unlock()
				s, err := remote.Open(ctx, ep, cred, o)
				if err != nil {
					return nil, err
				}
				return s, nil
			}})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("runner %s: %v", site, err)
		}
		nc.Close()
	})
	return r
}

// clientsAfter waits until the server counts want client connections.
func clientsAfter(t *testing.T, s *server.Server, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for s.NumClients() != want && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := s.NumClients(); n != want {
		t.Errorf("%d NATS clients, want %d", n, want)
	}
}

// storedDocs is each host's facts document in a stored run.
func storedDocs(t *testing.T, db string, run int64) (store.Run, map[string]*facts.Host) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r, err := st.Run(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := st.Hosts(ctx, run)
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

// TestDispatchedCollectAndApply runs the TUI's engine with --nats against
// an embedded NATS server and a runner of site east: collecting the whole
// fleet again sends web0001 and web0003 (site east) to the runner and
// collects the others here, into a run whose documents are the local
// run's; a rollout over web0001 and web0002 applies web0001's steps on
// the runner and web0002's here, journals both as dispatched, and a
// source without --nats refuses to resume it. One NATS connection serves
// both, from the first action to the source's close.
func TestDispatchedCollectAndApply(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM and NATS")
	}
	noLeaks(t)
	t.Setenv(cmdutil.EnvNATS, "")
	f, inv := siteFleet(t)
	db := collectInto(t, inv)
	ns := jobqtest.Start(t, jobqtest.Options{})
	east := startRunner(t, ns, "east")
	clientsAfter(t, ns, 1)
	src, closeSrc := openSource(t, inv, db, "--nats", jobqtest.URL(ns, "127.0.0.1"), "--ack-wait", "2s", "--site-timeout", "30s")
	clientsAfter(t, ns, 1) // no connection before the first action
	ctx := context.Background()

	local := src.Run()
	_, want := storedDocs(t, db, local)
	all := []string{"web0001", "web0002", "web0003", "web0004"}
	var mu sync.Mutex
	var evs []tui.CollectEvent
	data, err := src.Collect(ctx, local, all, func(e tui.CollectEvent) {
		mu.Lock()
		evs = append(evs, e)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, wantAddrs := east.collected(), []string{f.Host("web0001").Plan.Addr.String(), f.Host("web0003").Plan.Addr.String()}; !slices.Equal(got, wantAddrs) {
		t.Errorf("the runner collected %v, want web0001 and web0003 %v", got, wantAddrs)
	}
	clientsAfter(t, ns, 2)
	rec, got := storedDocs(t, db, data.Report.Run.ID)
	if data.Report.Run.ID == local || rec.Status != store.RunComplete || rec.Hosts != 4 || rec.Meta["base"] != fmt.Sprint(local) || len(got) != 4 {
		t.Fatalf("the new run: %+v with %d documents", rec, len(got))
	}
	for _, h := range all {
		if got[h] == nil || got[h].Status != facts.StatusOK {
			t.Errorf("%s: %+v", h, got[h])
			continue
		}
		if d := (jobqtest.Compare{}).Diff(want[h], got[h]); d != "" {
			t.Errorf("%s differs from the local run: %s", h, d)
		}
		if !got[h].Finished.After(want[h].Finished) {
			t.Errorf("%s was not collected again", h)
		}
	}
	mu.Lock()
	starts, ends := 0, 0
	for _, e := range evs {
		switch {
		case !e.Done:
			starts++
		case e.Status == facts.StatusOK:
			ends++
		}
	}
	mu.Unlock()
	if starts != 4 || ends != 4 {
		t.Errorf("progress: %d starts, %d ends: %+v", starts, ends, evs)
	}

	// A rollout over a host of site east and one without a site.
	prop, err := src.Plan(ctx, src.Run(), []string{"web0001", "web0002"})
	if err != nil {
		t.Fatal(err)
	}
	if len(prop.Plan.Hosts) != 2 {
		t.Fatalf("plan hosts %+v", prop.Plan.Hosts)
	}
	var steps []string
	res, err := src.Apply(ctx, prop, tui.RolloutHooks{Progress: func(e tui.RolloutEvent) {
		mu.Lock()
		steps = append(steps, e.Host+" "+e.Step+" "+e.State)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if res.Status != "complete" || res.Fixed != 2 || !slices.Contains(steps, "web0001 host fixed") || !slices.Contains(steps, "web0002 host fixed") {
		t.Errorf("rollout %+v: %v", res, steps)
	}
	mu.Unlock()
	if got := east.applied(t); !slices.Equal(got, []string{"web0001"}) {
		t.Errorf("the runner applied steps to %v, want web0001 only", got)
	}
	for _, h := range []string{"web0001", "web0002"} {
		n := 0
		for _, a := range f.Host(h).Model.Audit() {
			if strings.Contains(a.Line, "set dynamicport") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s's range was set %d times", h, n)
		}
	}
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rr, err := st.Rollout(ctx, res.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ro rollout.Options
	if err := json.Unmarshal([]byte(rr.Options), &ro); err != nil || rr.Status != store.RolloutComplete || ro.Meta[cmdutil.MetaDispatched] != "true" {
		t.Errorf("stored rollout %d: %s, meta %v: %v", rr.ID, rr.Status, ro.Meta, err)
	}
	if strings.Contains(rr.Options, "127.0.0.1:") && strings.Contains(rr.Options, "nats://") {
		t.Errorf("the rollout's options hold the NATS URL: %s", rr.Options)
	}
	clientsAfter(t, ns, 2) // the same connection as the collection's

	// Without --nats, the dispatched rollout is not continued here.
	plain, _ := openSource(t, inv, db)
	if _, err := plain.Resume(ctx, res.ID, tui.RolloutHooks{Progress: func(tui.RolloutEvent) {}}); err == nil || !strings.Contains(err.Error(), "sent its hosts with a site to site runners") {
		t.Errorf("resuming a dispatched rollout without --nats: %v", err)
	}

	closeSrc()
	clientsAfter(t, ns, 1) // closing the source closed its connection
}

// TestDispatchErrors: a NATS server that does not answer is the action's
// error, named without the URL's credentials, after at most the connect
// timeout; it stores no run and journals no rollout; hosts without a
// site are collected without NATS. A malformed URL stops the command
// before the TUI starts.
func TestDispatchErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	noLeaks(t)
	t.Setenv(cmdutil.EnvNATS, "")
	_, inv := siteFleet(t)
	db := collectInto(t, inv)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := l.Addr().String()
	l.Close()
	src, _ := openSource(t, inv, db, "--nats", "nats://fleet:s3cret@"+down)
	ctx := context.Background()
	base := src.Run()

	start := time.Now()
	_, err = src.Collect(ctx, base, []string{"web0001", "web0002"}, func(tui.CollectEvent) {})
	if err == nil {
		t.Fatal("collecting through a NATS server that is down worked")
	}
	msg := err.Error()
	if !strings.Contains(msg, "site runners: connect to NATS at nats://"+down) || !strings.Contains(msg, "nats-server -js") || strings.Contains(msg, "s3cret") {
		t.Errorf("error %q", msg)
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("the error took %s", took)
	}
	if src.Run() != base {
		t.Errorf("the source moved to run %d", src.Run())
	}

	prop, err := src.Plan(ctx, base, []string{"web0001"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Apply(ctx, prop, tui.RolloutHooks{Progress: func(tui.RolloutEvent) {}}); err == nil || !strings.Contains(err.Error(), "connect to NATS") {
		t.Errorf("applying through a NATS server that is down: %v", err)
	}

	// Hosts without a site need no NATS.
	data, err := src.Collect(ctx, base, []string{"web0002", "web0004"}, func(tui.CollectEvent) {})
	if err != nil {
		t.Fatalf("collecting hosts without a site: %v", err)
	}
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.Runs(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || data.Report.Run.ID != runs[0].ID {
		t.Errorf("runs %+v: the failed collection stored one", runs)
	}
	if rs, err := st.Rollouts(ctx, 0); err != nil || len(rs) != 0 {
		t.Errorf("rollouts %+v %v: the failed apply journaled one", rs, err)
	}

	// A malformed URL, from the flag or the environment, is a usage error.
	for _, env := range []bool{false, true} {
		ios, _, _, errOut := cmdutil.Test()
		cmd := tuicmd.NewCmdTUI(&cmdutil.Factory{IO: ios, Now: time.Now}, func(context.Context, *tuicmd.Options) error {
			t.Error("the command ran with a malformed --nats")
			return nil
		})
		args := []string{"-i", inv, "--store", db}
		if env {
			t.Setenv(cmdutil.EnvNATS, "nats//fleet:s3cret@nowhere")
		} else {
			args = append(args, "--nats", "nats//fleet:s3cret@nowhere")
		}
		cmd.SetArgs(args)
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		err := cmd.Execute()
		var fe *cmdutil.FlagError
		if err == nil || !regexp.MustCompile(`^--nats: NATS URL .*: the scheme must be`).MatchString(err.Error()) || !errors.As(err, &fe) || strings.Contains(err.Error()+errOut.String(), "s3cret") {
			t.Errorf("env %v: %v", env, err)
		}
	}
}
