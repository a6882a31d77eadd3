// Package directory holds the end-to-end test of an inventory listed from
// Active Directory. It is apart from the other acceptance tests because it
// serves 300 simulated hosts in the test process: a child process started
// with vfork reports the parent's peak memory as its own, which would
// spoil their memory checks.
package directory

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	// The binary's code, so that a change to it invalidates cached
	// results of these tests (the go build below is invisible to the
	// test cache).
	_ "github.com/fleetport/fleetport/internal/cli/root"
	"github.com/fleetport/fleetport/internal/testdomain"
)

// binary is the fleetport binary TestMain builds.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fleetport-directory-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "fleetport")
	build := exec.Command("go", "build", "-o", binary, "github.com/fleetport/fleetport/cmd/fleetport")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build fleetport:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := testdomain.Wrap(m).Run() // stops the test domain, if a test started it
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what a command did.
type result struct {
	code     int
	out, err string
	elapsed  time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("exit %d after %v\nstdout:\n%s\nstderr:\n%s", r.code, r.elapsed.Round(time.Millisecond), clip(r.out), clip(r.err))
}

func clip(s string) string {
	if len(s) > 3000 {
		return s[:3000] + "\n[...]"
	}
	return s
}

func write(t *testing.T, dir, name string, src []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, src, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
