package democmd_test

import (
	"context"
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

// TestDemo runs `fleetport demo` in-process with nothing prepared: it
// starts its fleet, collects over WinRM, prints a report with findings of
// every kind the demo fleet carries, and exits 2. --keep leaves the
// inventory and the store behind, and a second drift over them works.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	t.Setenv(sim.EnvUser, "")
	t.Setenv(sim.EnvPassword, "")
	keep := t.TempDir()
	ios, _, out, errOut := cmdutil.Test()
	f := &cmdutil.Factory{IO: ios, Now: time.Now}
	net := simtest.Network().String()
	code := root.Run(context.Background(), f, []string{"demo", "--hosts", "120", "--network", net, "--keep", keep})
	if code != 2 {
		t.Fatalf("demo: exit %d, want 2\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"hosts 120", "http_listen_list", "smtp_socket_pooling", "dynamic_port_range", "time_wait_pressure",
		"fleetport.listen_list_lockout", "fleetport.not_in_effect", "unknown", "Collection problems",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the demo report lacks %q\n%s", want, tailLines(out.String(), 60))
		}
	}
	if strings.Contains(out.String()+errOut.String(), sim.DemoPassword) {
		t.Error("the demo printed the password")
	}
	for _, name := range []string{"inventory.hcl", "fleetport.db"} {
		if _, err := os.Stat(filepath.Join(keep, name)); err != nil {
			t.Errorf("--keep: %v", err)
		}
	}
	ios2, _, out2, errOut2 := cmdutil.Test()
	code = root.Run(context.Background(), &cmdutil.Factory{IO: ios2, Now: time.Now},
		[]string{"drift", "--run", "1", "--store", filepath.Join(keep, "fleetport.db"), "-i", filepath.Join(keep, "inventory.hcl"), "--format", "json"})
	if code != 2 || !strings.Contains(out2.String(), `"findings"`) {
		t.Errorf("drift over the kept run: exit %d\n%s", code, errOut2)
	}
}

// tailLines returns the last n lines of s, for a failure message.
func tailLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
