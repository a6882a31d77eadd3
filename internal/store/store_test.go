package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestRunLifecycle(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "sub", "fleetport.db"))
	start := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	id, err := s.BeginRun(ctx, "collect", start, 3, map[string]string{"limit": "web*"})
	if err != nil {
		t.Fatal(err)
	}
	recs := []HostRecord{
		{Name: "web02", Status: "ok", Started: start, Duration: 2 * time.Second, Facts: json.RawMessage(`{"listen_list":["10.0.0.2"]}`)},
		{Name: "web01", Status: "timeout", Error: "web01: deadline exceeded", Started: start, Duration: time.Minute},
	}
	if err := s.PutHosts(ctx, id, recs); err != nil {
		t.Fatal(err)
	}
	r, err := s.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != RunRunning || r.Hosts != 2 || r.Selected != 3 || r.ByStatus["ok"] != 1 || r.Meta["limit"] != "web*" || !r.Started.Equal(start) {
		t.Errorf("run %+v", r)
	}
	if err := s.FinishRun(ctx, id, RunComplete, start.Add(time.Minute), ""); err != nil {
		t.Fatal(err)
	}
	hosts, err := s.Hosts(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(hosts) != 2 || hosts[0].Name != "web01" || hosts[0].Duration != time.Minute || string(hosts[1].Facts) != `{"listen_list":["10.0.0.2"]}` {
		t.Errorf("hosts %+v", hosts)
	}
	latest, err := s.Latest(ctx, "collect")
	if err != nil || latest.ID != id || latest.Status != RunComplete {
		t.Errorf("latest %+v %v", latest, err)
	}
	if _, err := s.Run(ctx, id+100); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing run: %v", err)
	}
	if err := s.FinishRun(ctx, id+100, RunComplete, start, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("finish missing run: %v", err)
	}
}

// TestCrashedRunIsInterrupted: a run left "running" (the writer died) is
// marked interrupted at the next Open, with its hosts kept.
func TestCrashedRunIsInterrupted(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "fleetport.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := s.BeginRun(ctx, "collect", time.Now(), 2, nil)
	if err := s.PutHosts(ctx, id, []HostRecord{{Name: "a", Status: "ok", Started: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	s.Close() // no FinishRun: as if the process died
	s2 := open(t, path)
	r, err := s2.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != RunInterrupted || r.Hosts != 1 || r.Interrupt == "" {
		t.Errorf("after reopen: %+v", r)
	}
}

func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "fleetport.db"))
	id, _ := s.BeginRun(ctx, "collect", time.Now(), 400, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for i := range 50 {
				rec := HostRecord{Name: fmt.Sprintf("h%d-%d", w, i), Status: "ok", Started: time.Now()}
				if err := s.PutHosts(ctx, id, []HostRecord{rec}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	r, _ := s.Run(ctx, id)
	if r.Hosts != 400 {
		t.Errorf("hosts %d", r.Hosts)
	}
	runs, err := s.Runs(ctx, 10)
	if err != nil || len(runs) != 1 {
		t.Errorf("runs %v %v", runs, err)
	}
}

func BenchmarkPutHosts10k(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "fleetport.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	facts := json.RawMessage(`{"listeners":[{"proto":"TCP","local":"0.0.0.0:80","state":"LISTEN","pid":4}],"registry":{"TcpTimedWaitDelay":30}}`)
	recs := make([]HostRecord, 10000)
	for i := range recs {
		recs[i] = HostRecord{Name: fmt.Sprintf("web%05d", i), Status: "ok", Started: time.Now(), Facts: facts}
	}
	b.ResetTimer()
	for range b.N {
		id, _ := s.BeginRun(ctx, "collect", time.Now(), len(recs), nil)
		if err := s.PutHosts(ctx, id, recs); err != nil {
			b.Fatal(err)
		}
	}
}

func TestAnnotateAndPrevious(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "runs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	a, _ := s.BeginRun(ctx, "collect", t0, 1, map[string]string{"inventory": "inv"})
	if err := s.FinishRun(ctx, a, RunComplete, t0.Add(time.Second), ""); err != nil {
		t.Fatal(err)
	}
	other, _ := s.BeginRun(ctx, "rollout", t0.Add(time.Minute), 1, nil)
	_ = s.FinishRun(ctx, other, RunComplete, t0.Add(2*time.Minute), "")
	failed, _ := s.BeginRun(ctx, "collect", t0.Add(2*time.Minute), 1, nil)
	_ = s.FinishRun(ctx, failed, RunFailed, t0.Add(3*time.Minute), "")
	b, _ := s.BeginRun(ctx, "collect", t0.Add(time.Hour), 1, nil)

	if _, err := s.Previous(ctx, a); !errors.Is(err, ErrNotFound) {
		t.Errorf("Previous(first run) = %v, want ErrNotFound", err)
	}
	p, err := s.Previous(ctx, b)
	if err != nil || p.ID != a {
		t.Fatalf("Previous(%d) = %d, %v; want %d (same kind, not failed)", b, p.ID, err, a)
	}
	if err := s.Annotate(ctx, a, "drift", `{"fail":2}`); err != nil {
		t.Fatal(err)
	}
	r, err := s.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if r.Meta["drift"] != `{"fail":2}` || r.Meta["inventory"] != "inv" {
		t.Errorf("meta after Annotate = %v", r.Meta)
	}
	if err := s.Annotate(ctx, 999, "drift", "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Annotate(missing run) = %v, want ErrNotFound", err)
	}
}

// TestRolloutJSONOptionsAreJSON: a rollout's options are a JSON object in
// rollout list --json and status --json, not a string holding JSON.
func TestRolloutJSONOptionsAreJSON(t *testing.T) {
	b, err := json.Marshal(Rollout{ID: 3, Kind: "apply", Status: RolloutComplete, Options: `{"stages":[{"count":1}],"wait":0}`})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		ID      int64
		Options map[string]any
	}
	if err := json.Unmarshal(b, &got); err != nil || got.ID != 3 || got.Options["stages"] == nil {
		t.Errorf("%s: %v %+v", b, err, got)
	}
	if b, _ := json.Marshal(Rollout{Options: "not json"}); !strings.Contains(string(b), `"options":"not json"`) {
		t.Errorf("%s", b)
	}
}
