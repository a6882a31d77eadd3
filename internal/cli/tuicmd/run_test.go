package tuicmd_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/cli/root"
	"github.com/fleetport/fleetport/internal/cli/tuicmd"
	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/simtest"
	"github.com/fleetport/fleetport/internal/tui"
)

func TestNeedsATerminal(t *testing.T) {
	ios, _, _, errOut := cmdutil.Test()
	code := root.Run(context.Background(), &cmdutil.Factory{IO: ios, Now: time.Now}, []string{"tui", "--store", filepath.Join(t.TempDir(), "x.db")})
	if code != root.ExitError || !strings.Contains(errOut.String(), "needs a terminal") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

// TestDemoRun opens the TUI's source on the store `fleetport demo --keep`
// leaves (a simulated fleet collected over WinRM), and checks the real
// facts in the host view: listeners, listen list, registry values,
// dynamic ports and services.
func TestDemoRun(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	t.Setenv(sim.EnvUser, "")
	t.Setenv(sim.EnvPassword, "")
	keep := t.TempDir()
	ios, _, out, errOut := cmdutil.Test()
	code := root.Run(context.Background(), &cmdutil.Factory{IO: ios, Now: time.Now},
		[]string{"demo", "--hosts", "24", "--network", simtest.Network().String(), "--keep", keep, "--format", "json"})
	if code != 2 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errOut)
	}
	// The command line as the help gives it, through the real flags.
	ios2, _, _, errOut2 := cmdutil.Test()
	var src *tuicmd.Source
	cmd := tuicmd.NewCmdTUI(&cmdutil.Factory{IO: ios2, Now: time.Now}, func(ctx context.Context, o *tuicmd.Options) error {
		s, closeSrc, err := tuicmd.NewSource(ctx, o)
		if err == nil {
			t.Cleanup(closeSrc)
		}
		src = s
		return err
	})
	cmd.SetArgs([]string{"--store", filepath.Join(keep, "fleetport.db"), "-i", filepath.Join(keep, "inventory.hcl")})
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("%v\n%s", err, errOut2)
	}
	if src.Run() != 1 {
		t.Errorf("run %d, want the newest collect run 1", src.Run())
	}
	data, err := src.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(data.Report.Hosts) != 24 || len(data.Facts) != 24 {
		t.Fatalf("%d hosts, %d facts documents", len(data.Report.Hosts), len(data.Facts))
	}
	if len(data.Tags) == 0 {
		t.Error("no inventory tags")
	}
	// A host with sockets, registry values and services.
	var host string
	for _, h := range data.Report.Hosts {
		f := data.Facts[h.Name]
		if f != nil && f.Sockets != nil && len(f.Sockets.Listeners) > 0 && len(f.Registry) > 0 && len(f.Services) > 0 && f.ListenList != nil {
			host = h.Name
			break
		}
	}
	if host == "" {
		t.Fatal("no host with every fact")
	}
	f := data.Facts[host]

	tm := teatest.NewTestModel(t, tui.New(src, tui.Options{ReadOnly: true}),
		teatest.WithInitialTermSize(100, 200),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.ASCII)))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("24 hosts")) },
		teatest.WithDuration(20*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	tm.Type(":host " + host)
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	tm.Send(tea.KeyPressMsg{Code: tea.KeyTab})
	tm.Type("q")
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*tui.Model)
	view := fm.View().Content
	want := []string{
		host + " > facts", "READ-ONLY", "LISTENERS (", "LISTEN LIST (", "REGISTRY", "SERVICES",
		f.Sockets.Listeners[0].Local.String(), f.Registry[0].Name, f.Services[0].Name,
	}
	if len(f.DynamicPorts) > 0 {
		want = append(want, "DYNAMIC PORTS")
	}
	for _, w := range want {
		if !strings.Contains(view, w) {
			t.Errorf("the facts view lacks %q:\n%s", w, view)
		}
	}
	if fm.Report() == nil || fm.Report().Run.ID != 1 {
		t.Error("the model shows no report of run 1")
	}
}
