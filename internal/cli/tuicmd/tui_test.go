package tuicmd

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/store"
)

func TestFlags(t *testing.T) {
	t.Setenv(cmdutil.EnvNATS, "")
	// dispatch are the defaults of the dispatch flags.
	dispatch := cmdutil.Dispatch{AckWait: 30 * time.Second, MaxDeliver: 5, SiteTimeout: time.Minute}
	cases := []struct {
		args    []string
		want    Options
		wantErr string
	}{
		{args: nil, want: Options{Shared: cmdutil.Shared{Inventory: "inventory", Policies: "policies", Store: cmdutil.DefaultStore(), Dispatch: dispatch}}},
		{args: []string{"--run", "42", "-i", "inv.hcl", "-p", "pol", "--store", "x.db", "--read-only", "--limit", "group:web"},
			want: Options{Run: 42, ReadOnly: true, Shared: cmdutil.Shared{Inventory: "inv.hcl", Policies: "pol", Store: "x.db", Limit: "group:web", Dispatch: dispatch}}},
		{args: []string{"--run", "-1"}, wantErr: `"-1" is not a run id or latest`},
		{args: []string{"--run", "latest"}, want: Options{Run: cmdutil.LatestRun, Shared: cmdutil.Shared{Inventory: "inventory", Policies: "policies", Store: cmdutil.DefaultStore(), Dispatch: dispatch}}},
		{args: []string{"--watch-every", "2s", "--stages", "1,100%", "--max-failures", "10%", "--parallel", "3", "--concurrency", "7", "--timeout", "1m"},
			want: Options{WatchEvery: 2e9, Stages: "1,100%", MaxFailures: "10%", Parallel: 3,
				Shared: cmdutil.Shared{Inventory: "inventory", Policies: "policies", Store: cmdutil.DefaultStore(), Concurrency: 7, Timeout: 60e9, Dispatch: dispatch}}},
		{args: []string{"--nats", "nats://nats.example:4222", "--nats-creds", "c.creds", "--nats-ca", "ca.pem", "--ack-wait", "5s", "--max-deliver", "2", "--site-timeout", "20s"},
			want: Options{Shared: cmdutil.Shared{Inventory: "inventory", Policies: "policies", Store: cmdutil.DefaultStore(),
				Dispatch: cmdutil.Dispatch{NATS: "nats://nats.example:4222", Creds: "c.creds", CA: "ca.pem", AckWait: 5 * time.Second, MaxDeliver: 2, SiteTimeout: 20 * time.Second}}}},
		{args: []string{"--nats", "http://nats.example:4222"}, wantErr: "--nats: NATS URL http://nats.example:4222: the scheme must be"},
		{args: []string{"--nats", "nats://nats.example:4222", "--ack-wait", "100ms"}, wantErr: "--ack-wait 100ms: at least 1s"},
		{args: []string{"--nats", "nats://nats.example:4222", "--max-deliver", "0"}, wantErr: "--max-deliver 0: at least 1"},
		// Without --nats the dispatch settings are not used, so not checked.
		{args: []string{"--ack-wait", "100ms"}, want: Options{Shared: cmdutil.Shared{Inventory: "inventory", Policies: "policies", Store: cmdutil.DefaultStore(),
			Dispatch: cmdutil.Dispatch{AckWait: 100 * time.Millisecond, MaxDeliver: 5, SiteTimeout: time.Minute}}}},
		{args: []string{"--watch-every", "100ms"}, wantErr: "--watch-every must be 1s or more"},
		{args: []string{"--stages", "50%,10%"}, wantErr: "must be larger than the stage before"},
		{args: []string{"--max-failures", "lots"}, wantErr: "lots"},
		{args: []string{"--parallel", "0"}, wantErr: "--parallel must be at least 1"},
		{args: []string{"extra"}, wantErr: "unknown command"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			ios, _, _, _ := cmdutil.Test()
			var got *Options
			cmd := NewCmdTUI(&cmdutil.Factory{IO: ios}, func(_ context.Context, o *Options) error { got = o; return nil })
			cmd.SetArgs(c.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if c.wantErr != "" {
				var fe *cmdutil.FlagError
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want %q", err, c.wantErr)
				}
				if strings.HasPrefix(c.wantErr, "--") && !errors.As(err, &fe) {
					t.Errorf("%v is not a usage error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Run != c.want.Run || got.ReadOnly != c.want.ReadOnly || got.Shared != c.want.Shared {
				t.Errorf("got %+v %+v, want %+v %+v", got, got.Shared, c.want, c.want.Shared)
			}
			if c.want.WatchEvery != 0 && (got.WatchEvery != c.want.WatchEvery || got.Stages != c.want.Stages || got.MaxFailures != c.want.MaxFailures || got.Parallel != c.want.Parallel) {
				t.Errorf("rollout and watch flags: got %+v, want %+v", got, c.want)
			}
			if c.want.WatchEvery == 0 && (got.WatchEvery != 5e9 || got.Stages != "1,10%,50%,100%" || got.MaxFailures != "0" || got.Parallel != 10) {
				t.Errorf("defaults: %+v", got)
			}
		})
	}
}

func hints(err error) string {
	var h *cmdutil.HintError
	if errors.As(err, &h) {
		return strings.Join(h.Hints, "\n")
	}
	return ""
}

func TestNoRun(t *testing.T) {
	dir := t.TempDir()
	ios, _, _, _ := cmdutil.Test()
	opts := &Options{IO: ios, Shared: cmdutil.Shared{Store: filepath.Join(dir, "none.db"), Inventory: filepath.Join(dir, "inv"), Policies: filepath.Join(dir, "pol")},
		changed: func(string) bool { return false }}
	_, _, err := NewSource(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "no run store") || !strings.Contains(hints(err), noRunHint) {
		t.Fatalf("missing store: %v (%s)", err, hints(err))
	}
	st, err := store.Open(context.Background(), filepath.Join(dir, "empty.db"))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	opts.Shared.Store = filepath.Join(dir, "empty.db")
	_, _, err = NewSource(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "holds no collect run") || hints(err) != noRunHint {
		t.Fatalf("empty store: %v (%s)", err, hints(err))
	}
	opts.Run = 9
	_, _, err = NewSource(context.Background(), opts)
	if !errors.Is(err, store.ErrNotFound) || !strings.Contains(hints(err), "fleetport history") {
		t.Fatalf("unknown run: %v", err)
	}
}
