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

// TestHelpTopics: fleetport help inventory|policies|limit print the
// language references, without the Go API; help COMMAND still works.
func TestHelpTopics(t *testing.T) {
	for _, c := range []struct {
		topic string
		want  []string
	}{
		{"inventory", []string{"# The language", "# Credentials", "# Selecting hosts (--limit)", "env(\""}},
		{"policies", []string{"# The language", "# Rule kinds", "# Waivers", "waiver \"mail01-relay\"", "# The built-in pack", "host.roles", "FunctionNames"}},
		{"limit", []string{"# Selecting hosts (--limit)", "tag:os=2019"}},
	} {
		ios, _, out, errOut := cmdutil.Test()
		if code := Run(context.Background(), &cmdutil.Factory{IO: ios}, []string{"help", c.topic}); code != 0 {
			t.Errorf("help %s: exit %d\n%s", c.topic, code, errOut)
		}
		for _, w := range c.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("help %s lacks %q", c.topic, w)
			}
		}
		for _, bad := range []string{"# Entry points", "[FunctionNames]", "//", "package "} {
			if strings.Contains(out.String(), bad) {
				t.Errorf("help %s holds %q (Go, not the language)", c.topic, bad)
			}
		}
	}
	ios, _, out, _ := cmdutil.Test()
	if code := Run(context.Background(), &cmdutil.Factory{IO: ios}, []string{"help", "drift"}); code != 0 || !strings.Contains(out.String(), "--update-history") {
		t.Errorf("help drift: exit %d\n%s", code, out)
	}
	ios, _, _, errOut := cmdutil.Test()
	if code := Run(context.Background(), &cmdutil.Factory{IO: ios}, []string{"help", "nosuch"}); code != 1 || !strings.Contains(errOut.String(), "unknown help topic") {
		t.Errorf("help nosuch: exit %d\n%s", code, errOut)
	}
}
