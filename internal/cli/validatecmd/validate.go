// Package validatecmd is the `fleetport validate` command: it loads the
// inventory and the policies, prints every diagnostic, and fails on errors.
package validatecmd

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/cli/collectcmd"
	"github.com/fleetport/fleetport/internal/hclguard"
	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/inventory"
	"github.com/fleetport/fleetport/policies"
)

// Options are the inputs of `fleetport validate`.
type Options struct {
	IO     *cmdutil.IOStreams
	Shared cmdutil.Shared // Shared.NoBuiltin: --no-builtin

	// set reports whether a flag was given (a missing default folder is
	// fine, a missing named one is not).
	set func(string) bool
}

// NewCmdValidate makes the command; runF replaces the run function in tests.
func NewCmdValidate(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check the inventory and the policies, and print every problem",
		Long: `Load the inventory (-i) and the policies (-p, merged with the built-in
pack) and print every diagnostic with its file, line and a source snippet:
syntax and type errors, unknown arguments and blocks, invalid addresses and
ports, unknown registry values (with a suggestion), listen-list remediations
that would lock fleetport out, duplicate names across files, and, as
warnings, policies that apply to no host and risky opt-ins.

The exit code is 1 when there is an error, 0 otherwise (warnings included).
--json prints {"valid", "error_count", "warning_count", "diagnostics"} with
each diagnostic's range (file, line, column), for editors and CI.`,
		Example: `  fleetport validate
  fleetport validate -i examples/inventory/multisite -p examples/policies --json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			opts.set = func(n string) bool { return c.Flags().Changed(n) }
			if runF != nil {
				return runF(opts)
			}
			return validateRun(opts)
		},
	}
	opts.Shared.BindInventory(cmd)
	opts.Shared.BindPolicies(cmd)
	opts.Shared.BindJSON(cmd)
	return cmd
}

func validateRun(opts *Options) error {
	set := opts.set
	if set == nil {
		set = func(string) bool { return true }
	}
	files := map[string]*hcl.File{}
	var diags hcl.Diagnostics

	// The inventory is read as every other command reads it: a missing
	// one is an error, never "valid: 0 hosts".
	inv, d, err := cmdutil.ReadInventory(opts.Shared.Inventory)
	if err != nil {
		return err
	}
	for name, f := range inv.Files() {
		files[name] = f
	}
	diags = append(diags, d...)
	hosts := inv.Hosts()
	if !d.HasErrors() {
		diags = append(diags, credentialWarnings(hosts, opts.IO)...)
	}

	diags = append(diags, checkKerberos(hosts)...)

	var sets []*policies.Set
	builtinFiles := map[string]bool{}
	if !opts.Shared.NoBuiltin {
		b, d := policies.Builtin()
		for name, f := range b.Sources() {
			files[name] = f
			builtinFiles[name] = true
		}
		diags = append(diags, d...)
		sets = append(sets, b)
	}
	rename := func(string) string { return "" }
	if path := opts.Shared.Policies; cmdutil.Exists(path) || set("policies") {
		s, srcs, d, ren, err := cmdutil.ReadPolicies(path)
		if err != nil {
			return err
		}
		for name, f := range srcs {
			files[name] = f
		}
		diags = append(diags, d...)
		sets = append(sets, s)
		rename = ren
	}
	var all []*policies.File
	for _, s := range sets {
		all = append(all, s.Files...)
	}
	if len(sets) == 2 {
		// A policy of -p named like a built-in one replaces it.
		kept, replaced := cmdutil.OverrideBuiltin(sets[0].Files, sets[1].Files)
		all = append(kept, sets[1].Files...)
		if len(replaced) > 0 && !opts.Shared.JSON {
			fmt.Fprintf(opts.IO.ErrOut, "fleetport: %s\n", cmdutil.ReplacedNote(replaced))
		}
	}
	// Merging with the built-in pack finds what spans both (a user policy
	// named like a built-in one); what each set found alone is reported
	// once.
	merged, d := policies.NewSet(all...)
	cmdutil.RenameDiags(d, rename)
	diags = append(diags, dedupe(diags, d)...)
	if len(hosts) > 0 && !diags.HasErrors() {
		// The built-in pack covers Windows releases and roles a fleet may
		// not have (SQL Server 2000, Server 2003): only the user's own
		// policies are expected to apply somewhere.
		phs := make([]policies.Host, len(hosts))
		for i, h := range hosts {
			phs[i] = cmdutil.PolicyHost(h)
		}
		cov := policies.CheckCoverage(merged, phs)
		cmdutil.RenameDiags(cov, rename)
		for _, d := range cov {
			if d.Subject == nil || !builtinFiles[d.Subject.Filename] {
				diags = append(diags, d)
			}
		}
	}

	if opts.Shared.JSON {
		// The text writer hides secrets itself; JSON has no snippets, but
		// a detail may quote a value written on a secret's line.
		return writeJSON(opts.IO, hclguard.NewRedactor(files).Diagnostics(diags))
	}
	cmdutil.WriteDiagnostics(opts.IO, files, diags)
	// Then one line per diagnostic, FILE:LINE:COL first, for editors and
	// grep, and the count.
	nerr := 0
	for _, d := range hclguard.NewRedactor(files).Diagnostics(diags) {
		sev := "warning"
		if d.Severity == hcl.DiagError {
			sev = "error"
			nerr++
		}
		at := "-"
		if d.Subject != nil {
			at = fmt.Sprintf("%s:%d:%d", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
		}
		fmt.Fprintf(opts.IO.ErrOut, "%s: %s: %s\n", at, sev, d.Summary)
	}
	if diags.HasErrors() {
		fmt.Fprintf(opts.IO.ErrOut, "fleetport: invalid: %s, %s\n", plural(nerr, "error"), plural(len(diags)-nerr, "warning"))
		return cmdutil.ErrSilent
	}
	fmt.Fprintf(opts.IO.ErrOut, "fleetport: valid: %s, %s", plural(len(hosts), "host"), plural(len(merged.Policies), "policy"))
	if len(diags) > 0 {
		fmt.Fprintf(opts.IO.ErrOut, ", %s", plural(len(diags), "warning"))
	}
	fmt.Fprintln(opts.IO.ErrOut)
	return nil
}

// credentialWarnings warns, once per reference, about the credentials
// from environment variables and files that cannot be read now: collect
// would stop on them before contacting a host.
func credentialWarnings(hosts []*inventory.Host, io *cmdutil.IOStreams) hcl.Diagnostics {
	var out hcl.Diagnostics
	for _, p := range collectcmd.CredentialProblems(hosts, collectcmd.NewResolver(io)) {
		d := &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Credential cannot be read",
			Detail: "The " + strings.TrimPrefix(p.String(), "the ") + ". collect, drift, plan and apply stop on it before contacting any host."}
		if h, ok := firstHost(hosts, p.Hosts[0]); ok {
			if r, ok := h.Origins[p.What]; ok {
				d.Subject = r.Ptr()
			}
		}
		out = append(out, d)
	}
	for _, p := range collectcmd.ChangeCredentialProblems(hosts, collectcmd.NewResolver(io)) {
		d := &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Change credential cannot be read",
			Detail: "The " + strings.TrimPrefix(p.String(), "the ") + ". apply, rollout resume and rollback stop on it before changing any host."}
		if h, ok := firstHost(hosts, p.Hosts[0]); ok {
			if r, ok := h.Origins[p.What]; ok {
				d.Subject = r.Ptr()
			}
		}
		out = append(out, d)
	}
	return out
}

func firstHost(hosts []*inventory.Host, name string) (*inventory.Host, bool) {
	for _, h := range hosts {
		if h.Name == name {
			return h, true
		}
	}
	return nil, false
}

// dedupe drops from later the diagnostics already in earlier: merging sets
// again repeats what loading each reported.
func dedupe(earlier, later hcl.Diagnostics) hcl.Diagnostics {
	seen := map[string]bool{}
	key := func(d *hcl.Diagnostic) string {
		r := ""
		if d.Subject != nil {
			r = d.Subject.String()
		}
		return d.Summary + "|" + d.Detail + "|" + r
	}
	for _, d := range earlier {
		seen[key(d)] = true
	}
	var out hcl.Diagnostics
	for _, d := range later {
		if !seen[key(d)] {
			out = append(out, d)
		}
	}
	return out
}

type jsonPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

type jsonRange struct {
	Filename string  `json:"filename"`
	Start    jsonPos `json:"start"`
	End      jsonPos `json:"end"`
}

type jsonDiag struct {
	Severity string     `json:"severity"`
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail,omitempty"`
	Range    *jsonRange `json:"range,omitempty"`
}

func writeJSON(io *cmdutil.IOStreams, diags hcl.Diagnostics) error {
	out := struct {
		Valid        bool       `json:"valid"`
		ErrorCount   int        `json:"error_count"`
		WarningCount int        `json:"warning_count"`
		Diagnostics  []jsonDiag `json:"diagnostics"`
	}{Diagnostics: []jsonDiag{}}
	for _, d := range diags {
		jd := jsonDiag{Summary: d.Summary, Detail: d.Detail, Severity: "warning"}
		if d.Severity == hcl.DiagError {
			jd.Severity = "error"
			out.ErrorCount++
		} else {
			out.WarningCount++
		}
		if s := d.Subject; s != nil {
			jd.Range = &jsonRange{Filename: s.Filename,
				Start: jsonPos{s.Start.Line, s.Start.Column, s.Start.Byte},
				End:   jsonPos{s.End.Line, s.End.Column, s.End.Byte}}
		}
		out.Diagnostics = append(out.Diagnostics, jd)
	}
	out.Valid = out.ErrorCount == 0
	enc := json.NewEncoder(io.Out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	if !out.Valid {
		return &cmdutil.ExitError{Code: 1}
	}
	return nil
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if word == "policy" {
		return fmt.Sprintf("%d policies", n)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// checkKerberos checks the krb5.conf and realm of every kerberos host: the
// file readable and a KDC named for the realm. One diagnostic per file and
// realm, at the first host's setting.
func checkKerberos(hosts []*inventory.Host) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[[2]string]bool{}
	for _, h := range hosts {
		if h.Auth != inventory.AuthKerberos {
			continue
		}
		key := [2]string{h.Krb5Conf, h.Realm}
		if seen[key] {
			continue
		}
		seen[key] = true
		if _, err := remote.CheckKerberosConfig(h.Krb5Conf, h.Realm); err != nil {
			rng := h.DeclRange
			for _, name := range []string{"realm", "krb5_conf", "auth"} {
				if r, ok := h.Origins[name]; ok {
					rng = r
					break
				}
			}
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unusable Kerberos configuration",
				Detail:  fmt.Sprintf("Host %q uses Kerberos: %v. Name a krb5.conf with krb5_conf (or KRB5_CONFIG) whose [realms] lists the realm's KDC.", h.Name, err),
				Subject: &rng})
		}
	}
	return diags
}
