package validatecmd

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
)

func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const inventoryOK = `defaults {
  auth     = "ntlm"
  user     = env("FP_TEST_USER")
  password = env("FP_TEST_PASSWORD")
}

group "web" {
  tags = { role = "iis" }
}

host "web01" {
  address = "10.0.0.1"
  groups  = ["web"]
  tags    = { os = "2019" }
  vars    = { service_address = "10.1.0.1" }
}
`

func run(t *testing.T, opts *Options) (string, string, error) {
	t.Helper()
	if _, ok := os.LookupEnv("FP_TEST_USER"); !ok {
		t.Setenv("FP_TEST_USER", "operator")
	}
	if _, ok := os.LookupEnv("FP_TEST_PASSWORD"); !ok {
		t.Setenv("FP_TEST_PASSWORD", "not-a-real-one")
	}
	ios, _, out, errOut := cmdutil.Test()
	opts.IO = ios
	err := validateRun(opts)
	return out.String(), errOut.String(), err
}

func TestValidExamplesAndBuiltinPack(t *testing.T) {
	for _, inv := range []string{"../../../examples/inventory/small", "../../../examples/inventory/multisite"} {
		if _, err := os.Stat(inv); err != nil {
			t.Fatalf("example %s: %v", inv, err)
		}
		// The examples' copy of the built-in pack stands in for the
		// embedded one.
		opts := &Options{Shared: cmdutil.Shared{NoBuiltin: true}}
		opts.Shared.Inventory = inv
		opts.Shared.Policies = "../../../examples/policies/builtin"
		_, stderr, err := run(t, opts)
		if err != nil {
			t.Errorf("%s: %v\n%s", inv, err, stderr)
		}
		if !strings.Contains(stderr, "fleetport: valid:") {
			t.Errorf("%s: %s", inv, stderr)
		}
	}
}

func TestErrorsAreLocatedInBothFilesAndJSON(t *testing.T) {
	dir := t.TempDir()
	inv := write(t, dir, "inv/hosts.hcl", inventoryOK+`
host "web02" {
  address = "10.0.0.2"
  port    = 70000
}
`)
	pol := write(t, dir, "pol/p.hcl", `policy "tw" {
  severity = "medium"
  registry "TcpTimedWaitDelya" {
    at_most = 30
  }
}
`)
	opts := &Options{}
	opts.Shared.Inventory = filepath.Dir(inv)
	opts.Shared.Policies = filepath.Dir(pol)
	_, stderr, err := run(t, opts)
	if !errors.Is(err, cmdutil.ErrSilent) {
		t.Fatalf("err %v", err)
	}
	for _, want := range []string{
		"on " + inv + " line 20",
		"on " + pol + " line 3",
		`Did you mean "TcpTimedWaitDelay"?`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}

	opts.Shared.JSON = true
	stdout, _, err := run(t, opts)
	var exit *cmdutil.ExitError
	if !errors.As(err, &exit) || exit.Code != 1 {
		t.Fatalf("json: err %v", err)
	}
	var res struct {
		Valid       bool `json:"valid"`
		ErrorCount  int  `json:"error_count"`
		Diagnostics []struct {
			Severity string `json:"severity"`
			Summary  string `json:"summary"`
			Range    struct {
				Filename string `json:"filename"`
				Start    struct{ Line, Column int }
			} `json:"range"`
		} `json:"diagnostics"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if res.Valid || res.ErrorCount != 2 {
		t.Errorf("%+v", res)
	}
	lines := map[string]int{}
	for _, d := range res.Diagnostics {
		lines[d.Range.Filename] = d.Range.Start.Line
	}
	if lines[inv] != 20 || lines[pol] != 3 {
		t.Errorf("locations %v", lines)
	}
}

func TestCoverageWarningForOwnPoliciesOnly(t *testing.T) {
	dir := t.TempDir()
	inv := write(t, dir, "hosts.hcl", inventoryOK)
	pol := write(t, dir, "pol/nowhere.hcl", `policy "nowhere" {
  severity   = "low"
  applies_to = contains(host.groups, "webz")
  service "W3SVC" {
    state = "running"
  }
}
`)
	opts := &Options{}
	opts.Shared.Inventory = inv
	opts.Shared.Policies = filepath.Dir(pol)
	_, stderr, err := run(t, opts)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "Warning: Policy applies to no host") || !strings.Contains(stderr, "on "+pol+" line 1") {
		t.Errorf("stderr:\n%s", stderr)
	}
	if strings.Contains(stderr, "builtin/") {
		t.Errorf("warned about the built-in pack:\n%s", stderr)
	}
	if !strings.Contains(stderr, "1 host, ") || !strings.Contains(stderr, "1 warning") {
		t.Errorf("summary:\n%s", stderr)
	}
}

// TestCanarySecretNeverPrinted: the password's value must not reach any
// output, even when the inventory has errors next to it.
func TestCanarySecretNeverPrinted(t *testing.T) {
	const canary = "canary-Zq9-secret"
	dir := t.TempDir()
	t.Setenv("FP_TEST_PASSWORD", canary)
	write(t, dir, "pw.txt", canary+"\n")
	inv := write(t, dir, "hosts.hcl", inventoryOK+`
host "lit" {
  address  = "10.0.0.3"
  password = "`+canary+`"
}

host "fromfile" {
  address  = "10.0.0.4"
  password = file("pw.txt")
  port     = "x"
}
`)
	for _, js := range []bool{false, true} {
		opts := &Options{}
		opts.Shared.Inventory = inv
		opts.Shared.Policies = filepath.Join(dir, "none")
		opts.Shared.JSON = js
		opts.set = func(n string) bool { return n == "inventory" }
		stdout, stderr, err := run(t, opts)
		if err == nil {
			t.Fatal("a literal password validated")
		}
		for _, s := range []string{stdout, stderr, err.Error()} {
			if strings.Contains(s, canary) {
				t.Fatalf("the canary leaked:\n%s", s)
			}
		}
		if !js && !strings.Contains(stderr, "hosts.hcl line") {
			t.Errorf("no located diagnostic:\n%s", stderr)
		}
	}
}

func TestMissingNamedPathIsAnError(t *testing.T) {
	opts := &Options{set: func(n string) bool { return n == "policies" }}
	opts.Shared.Inventory = write(t, t.TempDir(), "hosts.hcl", inventoryOK)
	opts.Shared.Policies = filepath.Join(t.TempDir(), "absent")
	_, _, err := run(t, opts)
	if err == nil || !strings.Contains(err.Error(), "no policies at") {
		t.Errorf("err %v", err)
	}
}

// TestValidateChecksKerberos: a kerberos host's krb5.conf must be readable
// and name a KDC for its realm; the error points at the setting.
func TestValidateChecksKerberos(t *testing.T) {
	dir := t.TempDir()
	good := write(t, dir, "krb5.conf", "[libdefaults]\n  default_realm = CORP.EXAMPLE\n[realms]\n  CORP.EXAMPLE = {\n    kdc = dc1.corp.example\n  }\n")
	for _, c := range []struct{ name, settings, want string }{
		{"good", `krb5_conf = "krb5.conf"`, ""},
		{"missing file", `krb5_conf = "nonexistent.conf"`, "nonexistent.conf"},
		{"unknown realm", "krb5_conf = \"krb5.conf\"\n  realm = \"OTHER.EXAMPLE\"", "OTHER.EXAMPLE"},
	} {
		t.Run(c.name, func(t *testing.T) {
			inv := write(t, dir, c.name+"/inventory.hcl", "defaults {\n  auth = \"kerberos\"\n  "+strings.ReplaceAll(c.settings, "krb5.conf", good)+
				"\n  kerberos_name = \"${host.name}.corp.example\"\n}\n\nhost \"web01\" {\n  address = \"10.0.0.1\"\n}\n")
			opts := &Options{Shared: cmdutil.Shared{NoBuiltin: true}}
			opts.Shared.Inventory = inv
			opts.Shared.Policies = filepath.Join(dir, "none")
			opts.set = func(n string) bool { return n == "inventory" }
			_, errOut, err := run(t, opts)
			if c.want == "" {
				if err != nil {
					t.Fatalf("%v\n%s", err, errOut)
				}
				return
			}
			if err == nil || !strings.Contains(errOut, "Unusable Kerberos configuration") || !strings.Contains(errOut, c.want) ||
				!strings.Contains(errOut, "inventory.hcl line ") {
				t.Fatalf("err %v\n%s", err, errOut)
			}
		})
	}
}

// TestNoInventoryFails: validate without an inventory fails as inventory
// list, plan and apply do, instead of "valid: 0 hosts".
func TestNoInventoryFails(t *testing.T) {
	dir := t.TempDir()
	for _, named := range []bool{false, true} {
		opts := &Options{set: func(n string) bool { return named && n == "inventory" }}
		opts.Shared.Inventory = filepath.Join(dir, "inventory")
		opts.Shared.Policies = filepath.Join(dir, "policies")
		_, stderr, err := run(t, opts)
		if err == nil || !strings.Contains(err.Error(), "no inventory at") || strings.Contains(stderr, "valid:") {
			t.Errorf("named %v: err %v\n%s", named, err, stderr)
		}
	}
}

// TestUnreadableCredentialWarnsOnce: a credential variable that is not
// set is one warning at the line that names it, not one per host, and
// validate still passes (the run stops on it, not validate).
func TestUnreadableCredentialWarnsOnce(t *testing.T) {
	dir := t.TempDir()
	inv := write(t, dir, "hosts.hcl", `defaults {
  user     = env("FP_TEST_ABSENT_USER")
  password = env("FP_TEST_PASSWORD")
}
host "web01" { address = "10.1.0.1" }
host "web02" { address = "10.1.0.2" }
host "web03" { address = "10.1.0.3" }
`)
	opts := &Options{set: func(n string) bool { return n == "inventory" }}
	opts.Shared.Inventory = inv
	opts.Shared.Policies = filepath.Join(dir, "none")
	_, stderr, err := run(t, opts)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if n := strings.Count(stderr, "Warning: Credential cannot be read"); n != 1 {
		t.Errorf("%d credential warnings, want 1:\n%s", n, stderr)
	}
	for _, want := range []string{"hosts.hcl line 2", "FP_TEST_ABSENT_USER", "3 hosts (web01, web02, web03)", "fleetport: valid: 3 hosts"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestCopiedBuiltinPolicyReplacesIt: a copy of a built-in policy file,
// edited, replaces the built-in policies of the same names, with a note,
// instead of failing with "Duplicate policy"; the policies' own
// duplicates are still errors.
func TestCopiedBuiltinPolicyReplacesIt(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile("../../../examples/policies/builtin/ephemeral_ports.hcl")
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(src), "at_most = 30", "at_most = 60", 1)
	if edited == string(src) {
		t.Fatal("ephemeral_ports.hcl has no at_most = 30 to edit")
	}
	pol := filepath.Join(dir, "policies")
	write(t, pol, "ephemeral_ports.hcl", edited)
	opts := &Options{}
	opts.Shared.Inventory = write(t, dir, "hosts.hcl", inventoryOK)
	opts.Shared.Policies = pol
	_, stderr, err := run(t, opts)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if strings.Contains(stderr, "Duplicate policy") || !strings.Contains(stderr, "replace the built-in ones of the same names") ||
		!strings.Contains(stderr, "tcp_timed_wait_delay") || !strings.Contains(stderr, "fleetport: valid: 1 host, 13 policies") {
		t.Errorf("stderr:\n%s", stderr)
	}
	write(t, pol, "again.hcl", "policy \"TCP_timed_wait_delay\" {\n  registry \"TcpTimedWaitDelay\" { at_most = 90 }\n}\n")
	if _, stderr, err := run(t, opts); err == nil || !strings.Contains(stderr, "Duplicate policy") {
		t.Errorf("a duplicate among the user's own files: err %v\n%s", err, stderr)
	}
}

// TestOnlyListThatLocksOutIsRefused: a listen_list check whose only list
// lacks the management address can be met only by a list that cuts WinRM
// off: validate refuses it.
func TestOnlyListThatLocksOutIsRefused(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "policies/lockout.hcl", `policy "service_only" {
  severity = "high"
  listen_list {
    only = [host.vars.service_address]
  }
}
`)
	opts := &Options{}
	opts.Shared.Inventory = write(t, dir, "hosts.hcl", inventoryOK)
	opts.Shared.Policies = filepath.Join(dir, "policies")
	_, stderr, err := run(t, opts)
	if err == nil || !strings.Contains(stderr, "Listen list can only be met by locking fleetport out") || !strings.Contains(stderr, "lockout.hcl line 4") {
		t.Errorf("err %v\n%s", err, stderr)
	}
}

// TestTextOutputLocatesAndCounts: every diagnostic has a FILE:LINE:COL
// line, and the last line counts errors and warnings.
func TestTextOutputLocatesAndCounts(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "policies/bad.hcl", "policy \"x\" {\n  severity = \"urgent\"\n  registry \"TcpTimedWaitDelay\" { at_most = 60 }\n}\n")
	opts := &Options{}
	opts.Shared.Inventory = write(t, dir, "hosts.hcl", inventoryOK)
	opts.Shared.Policies = filepath.Join(dir, "policies")
	_, stderr, err := run(t, opts)
	if err == nil {
		t.Fatal("an invalid severity validated")
	}
	bad := filepath.Join(dir, "policies", "bad.hcl")
	if !strings.Contains(stderr, bad+":2:14: error: ") || !strings.Contains(stderr, "fleetport: invalid: 1 error, 0 warnings") {
		t.Errorf("stderr:\n%s", stderr)
	}
}

// TestExampleWaiversValidate: the example waivers validate against the
// multisite inventory, without a warning, at a date they hold.
func TestExampleWaiversValidate(t *testing.T) {
	opts := &Options{Now: func() time.Time { return time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC) }}
	opts.Shared.Inventory = "../../../examples/inventory/multisite"
	opts.Shared.Policies = "../../../examples/policies"
	_, stderr, err := run(t, opts)
	if err != nil || strings.Contains(stderr, "aiver") || !strings.Contains(stderr, "fleetport: valid:") {
		t.Errorf("%v\n%s", err, stderr)
	}
}

// TestWaiverDiagnostics: a waiver of an unknown policy is an error; one
// that covers no host of the inventory, none the policy applies to, an
// expired one and one for more than a year are warnings, each located.
func TestWaiverDiagnostics(t *testing.T) {
	dir := t.TempDir()
	inv := write(t, dir, "inv.hcl", inventoryOK)
	pol := write(t, dir, "pol/waivers.hcl", `policy "web_only" {
  applies_to = contains(host.groups, "web")
  registry "TcpTimedWaitDelay" { at_most = 30 }
}

policy "sql_only" {
  applies_to = contains(host.groups, "sql")
  registry "TcpTimedWaitDelay" { at_most = 30 }
}

waiver "gone_host" {
  policy = "web_only"
  hosts  = ["web09"]
  reason = "decommissioned"
  until  = "2027-01-31"
}

waiver "typo_group" {
  policy = "web_only"
  limit  = "group:wbe"
  reason = "CHG-1"
  until  = "2027-01-31"
}

waiver "not_sql" {
  policy = "sql_only"
  hosts  = ["web01"]
  reason = "CHG-2"
  until  = "2027-01-31"
}

waiver "old" {
  policy = "web_only"
  hosts  = ["web01"]
  reason = "CHG-3"
  until  = "2026-11-30"
}

waiver "forever" {
  policy = "fleetport.port_exhaustion"
  limit  = "group:web"
  reason = "CHG-4"
  until  = "2030-01-01"
}
`)
	now := func() time.Time { return time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC) }
	opts := &Options{Now: now}
	opts.Shared.Inventory, opts.Shared.Policies = inv, filepath.Dir(pol)
	_, stderr, err := run(t, opts)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, want := range []string{
		pol + ":13:12: warning: Waiver covers no host",
		pol + ":20:12: warning: Waiver covers no host",
		pol + ":26:12: warning: Waiver covers no host the policy applies to",
		pol + ":36:12: warning: Waiver expired",
		pol + ":43:12: warning: Waiver for more than a year",
		`did you mean "group:web"?`,
		"fleetport: valid: 1 host",
		"6 warnings",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}

	// A waiver of a policy the set does not have is an error.
	write(t, dir, "pol/typo.hcl", `waiver "typo" {
  policy = "web_onyl"
  hosts  = ["web01"]
  reason = "CHG-5"
  until  = "2027-01-31"
}
`)
	_, stderr, err = run(t, opts)
	typo := filepath.Join(filepath.Dir(pol), "typo.hcl")
	if err == nil || !strings.Contains(stderr, typo+":2:12: error: Waiver for an unknown policy") || !strings.Contains(stderr, `Did you mean "web_only"?`) {
		t.Errorf("%v\n%s", err, stderr)
	}
}

// TestChangeCredentialChecked: validate warns, at its line, about a change
// password that cannot be read, and reports an incomplete change
// credential as an error located at it.
func TestChangeCredentialChecked(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("FP_TEST_PASSWORD", "x")
	inv := write(t, dir, "hosts.hcl", `defaults {
  user            = "reader"
  password        = env("FP_TEST_PASSWORD")
  change_user     = "changer"
  change_password = env("FP_TEST_ABSENT_CHANGE_PASSWORD")
}
host "web01" { address = "10.1.0.1" }
host "web02" { address = "10.1.0.2" }
`)
	opts := &Options{set: func(n string) bool { return n == "inventory" }}
	opts.Shared.Inventory = inv
	opts.Shared.Policies = filepath.Join(dir, "none")
	_, stderr, err := run(t, opts)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, want := range []string{"Warning: Change credential cannot be read", "hosts.hcl line 5", "FP_TEST_ABSENT_CHANGE_PASSWORD", "apply, rollout resume and rollback stop on it"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	bad := write(t, dir, "bad.hcl", "defaults {\n  user = \"reader\"\n  password = env(\"FP_TEST_PASSWORD\")\n  change_user = \"changer\"\n}\nhost \"web01\" { address = \"10.1.0.1\" }\n")
	opts.Shared.Inventory = bad
	_, stderr, err = run(t, opts)
	if err == nil || !strings.Contains(stderr, "Incomplete change credential") || !strings.Contains(stderr, "bad.hcl line 4") {
		t.Errorf("an incomplete change credential: %v\n%s", err, stderr)
	}
}
