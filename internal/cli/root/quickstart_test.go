package root_test

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/simtest"
)

// TestQuickstartFromTheRepositoryFolder runs the README's path with the
// built binary in a fresh clone of the repository, where ./policies is the
// Go package holding builtin/*.hcl and its tests' HCL files:
// `fleetport sim --inventory-out sim.hcl`, `fleetport collect -i sim.hcl`,
// `fleetport drift -i sim.hcl`, with no -p, and no error.
func TestQuickstartFromTheRepositoryFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and clones the repository")
	}
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatalf("the test runs in a git checkout of fleetport: %v", err)
	}
	tmp := t.TempDir()
	clone := filepath.Join(tmp, "fleetport")
	if out, err := exec.Command("git", "clone", "--quiet", "--no-hardlinks", strings.TrimSpace(string(top)), clone).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(clone, "policies", "builtin")); err != nil {
		t.Fatalf("the clone has no policies/builtin: %v", err)
	}
	bin := filepath.Join(tmp, "fleetport-bin")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/fleetport/fleetport/cmd/fleetport").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	env := append(os.Environ(), "XDG_STATE_HOME="+filepath.Join(tmp, "state"), "NO_COLOR=1",
		sim.EnvUser+"="+sim.DemoUser, sim.EnvPassword+"="+sim.DemoPassword)

	// fleetport sim, in the background until the test ends.
	simCmd := exec.Command(bin, "sim", "--hosts", "12", "--network", simtest.Network().String(), "--inventory-out", "sim.hcl")
	simCmd.Dir, simCmd.Env = clone, env
	stdout, err := simCmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var simErr bytes.Buffer
	simCmd.Stderr = &simErr
	if err := simCmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = simCmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = simCmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = simCmd.Process.Kill()
			<-done
		}
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "ready:") {
				ready <- sc.Text()
			}
		}
		close(ready)
	}()
	select {
	case line, ok := <-ready:
		if !ok {
			t.Fatalf("fleetport sim ended before it was ready:\n%s", simErr.String())
		}
		t.Log(line)
	case <-time.After(60 * time.Second):
		t.Fatalf("fleetport sim not ready after a minute:\n%s", simErr.String())
	}

	for _, c := range []struct {
		args []string
		code []int // acceptable exit codes
	}{
		{[]string{"collect", "-i", "sim.hcl"}, []int{0, 3}},
		{[]string{"drift", "-i", "sim.hcl"}, []int{0, 2, 3}},
		{[]string{"validate", "-i", "sim.hcl"}, []int{0}},
	} {
		cmd := exec.Command(bin, c.args...)
		cmd.Dir, cmd.Env = clone, env
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		ok := false
		for _, want := range c.code {
			ok = ok || code == want
		}
		if !ok || strings.Contains(errOut.String(), "rror") {
			t.Errorf("fleetport %s: exit %d\n%s\n%s", strings.Join(c.args, " "), code, out.String(), errOut.String())
		}
	}
}
