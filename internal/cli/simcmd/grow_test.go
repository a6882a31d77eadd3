package simcmd

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/simtest"
)

func TestGrowPileFlag(t *testing.T) {
	for _, c := range []struct {
		args    []string
		wantErr string
	}{
		{args: []string{"--grow-pile", "web0001=250/1s", "--grow-pile", "app*=5/2s max=100"}},
		{args: []string{"--grow-pile", "web0001"}, wantErr: "want HOSTS=STEP/EVERY"},
		{args: []string{"--grow-pile", "web0001=5/1s to=nowhere"}, wantErr: "ADDRESS:PORT"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			ios, _, _, _ := cmdutil.Test()
			var got *Options
			cmd := NewCmdSim(&cmdutil.Factory{IO: ios}, func(_ context.Context, o *Options) error { got = o; return nil })
			cmd.SetArgs(c.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got.GrowPiles, "|") != "web0001=250/1s|app*=5/2s max=100" {
				t.Errorf("grow piles %q", got.GrowPiles)
			}
		})
	}
}

// TestSimGrowsPiles runs the command with --grow-pile and sees the pile
// grow on the named host while the fleet serves; a glob that matches no
// host stops the command with an error.
func TestSimGrowsPiles(t *testing.T) {
	ios, _, _, _ := cmdutil.Test()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	netw := simtest.Network()
	o := &Options{IO: ios, Hosts: 3, Seed: 2, Network: netw.String(), HTTPPort: 5985, Dir: filepath.Join(t.TempDir(), "state"),
		InventoryTransport: "http", InventoryAuth: "ntlm", NoDrift: true,
		GrowPiles: []string{"web0001,app*=50/20ms to=10.1.2.3:1433", "app*=7/20ms to=10.1.2.4:1433 start=signal"}}
	ready := make(chan *sim.Fleet, 1)
	o.ready = func(f *sim.Fleet) { ready <- f }
	done := make(chan error, 1)
	go func() { done <- simRun(ctx, o) }()
	var f *sim.Fleet
	select {
	case f = <-ready:
	case err := <-done:
		t.Fatalf("sim ended: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("no ready")
	}
	remote := netip.MustParseAddrPort("10.1.2.3:1433")
	count := func(name string) int {
		h := f.Host(name)
		if h == nil {
			return -1
		}
		n := 0
		for _, p := range h.Model.Piles() {
			if p.Remote == remote {
				n += p.Count
			}
		}
		return n
	}
	deadline := time.Now().Add(10 * time.Second)
	for count("web0001") < 200 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := count("web0001"); n < 200 {
		t.Errorf("web0001's pile is %d after 10s, want it growing by 50 every 20ms", n)
	}
	// app0001's second pile waits for SIGUSR2.
	pile2 := func() int {
		n := 0
		for _, p := range f.Host("app0001").Model.Piles() {
			if p.Remote == netip.MustParseAddrPort("10.1.2.4:1433") {
				n += p.Count
			}
		}
		return n
	}
	if n := pile2(); n != 0 {
		t.Errorf("a pile held for a signal grew before it: %d", n)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR2); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for pile2() < 21 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := pile2(); n < 21 {
		t.Errorf("app0001's second pile is %d after SIGUSR2", n)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	ios2, _, _, _ := cmdutil.Test()
	o2 := &Options{IO: ios2, Hosts: 2, Seed: 2, Network: simtest.Network().String(), HTTPPort: 5985, Dir: filepath.Join(t.TempDir(), "state"),
		InventoryTransport: "http", InventoryAuth: "ntlm", NoDrift: true, GrowPiles: []string{"db*=5/1s"}}
	err := simRun(context.Background(), o2)
	if err == nil || !strings.Contains(err.Error(), `"db*" matches no host`) {
		t.Errorf("a glob without hosts: %v", err)
	}
}
