package root

import (
	"context"
	"strings"
	"testing"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
)

func TestRunExitCodesAndMessages(t *testing.T) {
	cases := []struct {
		args     []string
		code     int
		stdout   string
		stderr   string
		noStderr bool
	}{
		{[]string{"version"}, 0, "fleetport ", "", true},
		{[]string{"version", "--json"}, 0, `"go_version"`, "", true},
		{[]string{"nosuch"}, 1, "", `fleetport: error: unknown command "nosuch" for "fleetport"`, false},
		{[]string{"sim", "--hosts", "x"}, 1, "", "fleetport: error: invalid argument \"x\" for \"--hosts\" flag", false},
		{[]string{"sim", "--fault", "boom=1"}, 1, "", "Usage:\n  fleetport sim [flags]", false},
		{[]string{"completion", "bash"}, 0, "bash completion V2 for fleetport", "", true},
		{[]string{"__complete", "sim", "--fault", ""}, 0, "refuse=", "", false},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			ios, _, out, errOut := cmdutil.Test()
			f := &cmdutil.Factory{IO: ios}
			code := Run(context.Background(), f, c.args)
			if code != c.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, c.code, errOut)
			}
			if !strings.Contains(out.String(), c.stdout) {
				t.Errorf("stdout %q lacks %q", out, c.stdout)
			}
			if !strings.Contains(errOut.String(), c.stderr) {
				t.Errorf("stderr %q lacks %q", errOut, c.stderr)
			}
			if c.noStderr && errOut.Len() != 0 {
				t.Errorf("unexpected stderr %q", errOut)
			}
		})
	}
}

func TestSingleDashFlags(t *testing.T) {
	got := singleDashFlags([]string{"fmt", "-check", "-diff", "-v", "--check", "x-check"})
	want := []string{"fmt", "--check", "--diff", "-v", "--check", "x-check"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got %q", got)
	}
}
