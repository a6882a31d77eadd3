package acceptance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
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
	// FLEETPORT_TEST_BINARY runs the tests against another build, such as
	// an older release, to see them fail where it fails.
	if b := os.Getenv("FLEETPORT_TEST_BINARY"); b != "" {
		binary = b
		os.Exit(testdomain.Wrap(m).Run())
	}
	dir, err := os.MkdirTemp("", "fleetport-acceptance-")
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

// Limits of one command on hostile input.
const (
	deadline = 5 * time.Second
	// maxRSS is the most memory a command may use, in KiB.
	maxRSS = 400 << 10
	// addressSpace is the ceiling the child runs under (ulimit -v, KiB),
	// so that a regression fails the test instead of the machine.
	addressSpace = 3 << 20
)

// result is what a command did.
type result struct {
	code     int
	out, err string
	elapsed  time.Duration
	rssKiB   int64
}

func (r result) String() string {
	return fmt.Sprintf("exit %d after %v, peak %d MiB\nstdout:\n%s\nstderr:\n%s",
		r.code, r.elapsed.Round(time.Millisecond), r.rssKiB>>10, clip(r.out), clip(r.err))
}

func clip(s string) string {
	if len(s) > 3000 {
		return s[:3000] + "\n[...]"
	}
	return s
}

// run runs the binary with args in dir under the address-space ceiling,
// killing it after limit.
func run(t *testing.T, dir string, env []string, limit time.Duration, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	sh := fmt.Sprintf(`ulimit -v %d && exec "$0" "$@"`, addressSpace)
	cmd := exec.CommandContext(ctx, "/bin/sh", append([]string{"-c", sh, binary}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	cmd.Env = append(cmd.Env, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	r := result{out: out.String(), err: errOut.String(), elapsed: time.Since(start)}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.rssKiB = ru.Maxrss
	}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("fleetport %s: still running after %v\n%s", strings.Join(args, " "), limit, r)
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("fleetport %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// hostile runs a command on hostile input and checks it ends within the
// deadline with exit 1, within the memory limit, without a Go crash, and
// with an error located in file (its name, and a line).
func hostile(t *testing.T, dir, file string, args ...string) result {
	t.Helper()
	// A soft memory limit below maxRSS: on a loaded machine the garbage
	// collector falls behind a fast allocator and the heap overshoots what
	// the command needs (160 MiB quiet, 468 MiB once under a loaded CI);
	// the limit makes it collect instead, so what is measured is the need.
	r := run(t, dir, []string{"GOMEMLIMIT=256MiB"}, deadline, args...)
	all := r.out + r.err
	if r.code != 1 {
		t.Errorf("fleetport %s: want exit 1\n%s", strings.Join(args, " "), r)
	}
	if r.rssKiB > maxRSS {
		t.Errorf("fleetport %s: peak memory %d MiB, more than %d MiB\n%s", strings.Join(args, " "), r.rssKiB>>10, maxRSS>>10, r)
	}
	for _, crash := range []string{"fatal error:", "goroutine ", "panic:"} {
		if strings.Contains(all, crash) {
			t.Errorf("fleetport %s crashed\n%s", strings.Join(args, " "), r)
		}
	}
	located := strings.Contains(all, file+" line ") || strings.Contains(all, `"filename": "`+file) && strings.Contains(all, `"line":`)
	if !located {
		t.Errorf("fleetport %s: no error located in %s\n%s", strings.Join(args, " "), file, r)
	}
	return r
}

func write(t *testing.T, dir, name string, src []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, src, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
