package democmd_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/cli/root"
	"github.com/fleetport/fleetport/internal/sim/simtest"
	"github.com/fleetport/fleetport/internal/tmuxtest"

	"context"
)

// TestDemoTUIInTmux runs `fleetport demo --tui` in an 80x24 tmux pane: the
// TUI opens on the demo's run with the fleet running, the drift matrix
// and a host's findings show, a host is collected again over WinRM (the
// fleet is live), and q ends it with status 0.
func TestDemoTUIInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the real binary in tmux")
	}
	dir := t.TempDir()
	bin := tmuxtest.BuildBinary(t, dir)
	env := append(os.Environ(), "NO_COLOR=1", "XDG_STATE_HOME="+filepath.Join(dir, "state"))
	srv := tmuxtest.NewServer(t, env)
	p := srv.Start("demo", 80, 24, fmt.Sprintf("%s demo --tui --hosts 24 --network %s --keep %s", bin, simtest.Network(), filepath.Join(dir, "keep")))

	p.WaitText(60*time.Second, "run 1 complete", "24 hosts", "HOST^", "app0001")
	p.Keys(true, ":")
	p.Keys(true, "matrix")
	p.Keys(false, "Enter")
	p.WaitText(10*time.Second, "matrix", "http_listen_list")
	p.Keys(true, ":")
	p.Keys(true, "fleet")
	p.Keys(false, "Enter")
	p.WaitText(10*time.Second, "HOST^")
	// Collect the host under the cursor again: the fleet answers.
	p.Keys(false, "Space")
	p.Keys(true, "c")
	p.WaitText(60*time.Second, "run 2: 1 host collected again, 0 failed")
	p.Keys(false, "Enter")
	p.WaitText(10*time.Second, "> findings", "FINDINGS (")
	p.Keys(true, "q")
	if code := p.Exit(20 * time.Second); code != "0" {
		t.Errorf("demo --tui ended with status %q after q", code)
	}
	for _, s := range srv.Screens() {
		if strings.Contains(s, "Sim-Passw0rd!") {
			t.Error("a screen showed the password")
		}
	}
}

// TestDemoTUINeedsATerminal: without a terminal, --tui is refused before
// any fleet starts, and --format is refused with it.
func TestDemoTUINeedsATerminal(t *testing.T) {
	ios, _, out, errOut := cmdutil.Test()
	code := root.Run(context.Background(), &cmdutil.Factory{IO: ios, Now: time.Now}, []string{"demo", "--tui"})
	if code != 1 || !strings.Contains(errOut.String(), "needs a terminal") || out.Len() != 0 {
		t.Errorf("exit %d\n%s\n%s", code, out, errOut)
	}
	ios, _, _, errOut = cmdutil.Test()
	ios.SetStdoutTTY(true)
	code = root.Run(context.Background(), &cmdutil.Factory{IO: ios, Now: time.Now}, []string{"demo", "--tui", "--format", "json"})
	if code != 1 || !strings.Contains(errOut.String(), "takes no --format") {
		t.Errorf("exit %d\n%s", code, errOut)
	}
}
