// Package validatecmd is the `fleetport validate` command: it loads the
// inventory and the policies, prints every diagnostic, and fails on errors.
package validatecmd

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

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
	// Now is the clock waivers are checked against (expired, far off).
	Now func() time.Time

	// set reports whether a flag was given (a missing default folder is
	// fine, a missing named one is not).
	set func(string) bool
}

// NewCmdValidate makes the command; runF replaces the run function in tests.
func NewCmdValidate(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check the inventory and the policies, and print every problem",
		Long: `Load the inventory (-i) and the policies (-p, merged with the built-in
pack) and print every diagnostic with its file, line and a source snippet:
syntax and type errors, unknown arguments and blocks, invalid addresses and
ports, unknown registry values (with a suggestion), listen-list remediations
that would lock fleetport out, duplicate names across files, waivers of
unknown policies, and, as warnings, policies that apply to no host, risky
opt-ins, waivers that cover no host of the inventory (or none the policy
applies to), expired waivers and waivers for more than a year.

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
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	d = append(d, merged.CheckWaivers()...)
	d = append(d, merged.WaiverWarnings(now())...)
	if len(hosts) > 0 && !d.HasErrors() {
		d = append(d, waiverCoverage(merged, inv)...)
	}
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

// checkKerberos checks the Kerberos settings of every kerberos and
// negotiate host, each problem once, located at the setting it comes
// from: the krb5.conf readable and naming a KDC for the realm, a keytab
// readable and holding the user's key (a keytab needs a user), and for
// hosts that take their ticket from a credential cache (no password, no
// keytab) a ticket in it that has not expired. For kerberos hosts these
// are errors, but a missing or expired ticket is a warning (kinit may come
// after validate); for negotiate hosts warnings, as they fall back to NTLM.
func checkKerberos(hosts []*inventory.Host) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]bool{}
	at := func(h *inventory.Host, names ...string) *hcl.Range {
		for _, name := range names {
			if r, ok := h.Origins[name]; ok {
				return &r
			}
		}
		r := h.DeclRange
		return &r
	}
	add := func(key string, sev hcl.DiagnosticSeverity, summary, detail string, rng *hcl.Range) {
		if seen[key] {
			return
		}
		seen[key] = true
		diags = append(diags, &hcl.Diagnostic{Severity: sev, Summary: summary, Detail: detail, Subject: rng})
	}
	for _, h := range hosts {
		var sev hcl.DiagnosticSeverity
		var fallback string
		switch h.Auth {
		case inventory.AuthKerberos:
			sev = hcl.DiagError
		case inventory.AuthNegotiate:
			sev, fallback = hcl.DiagWarning, " Negotiate will use NTLM for it."
		default:
			continue
		}
		user := h.ListJSON().User
		realm := h.Realm
		if _, domain, ok := strings.Cut(user.Value, "@"); ok && realm == "" && user.Kind == "literal" && strings.Contains(domain, ".") {
			realm = strings.ToUpper(domain) // the realm sessions use for "name@corp.example"
		}
		if _, err := remote.CheckKerberosConfig(h.Krb5Conf, realm); err != nil {
			add("conf|"+h.Auth+"|"+h.Krb5Conf+"|"+realm, sev, "Unusable Kerberos configuration",
				fmt.Sprintf("Host %q uses %s: %v.%s Name a krb5.conf with krb5_conf (or KRB5_CONFIG) whose [realms] lists the realm's KDC.", h.Name, h.Auth, err, fallback),
				at(h, "realm", "krb5_conf", "user", "auth"))
			continue
		}
		switch {
		case h.Keytab != "":
			if !h.User.IsSet() {
				add("ktuser|"+h.Keytab, hcl.DiagError, "Keytab without a user",
					fmt.Sprintf("Host %q takes its Kerberos key from the keytab %s, but no block sets the user whose key it is. Set user, for example user = \"svc-fleetport@CORP.EXAMPLE\".", h.Name, h.Keytab),
					at(h, "keytab"))
				continue
			}
			name := ""
			if user.Kind == "literal" {
				name = user.Value
			}
			if err := remote.CheckKeytab(h.Keytab, name, h.Realm, h.Krb5Conf); err != nil {
				add("kt|"+h.Keytab+"|"+name+"|"+h.Realm, sev, "Unusable keytab",
					fmt.Sprintf("Host %q uses %s: %v.%s Export the user's keys into it (ktpass on Windows, samba-tool domain exportkeytab, or ktutil).", h.Name, h.Auth, err, fallback),
					at(h, "keytab"))
			}
		case !h.Password.IsSet():
			if path, err := remote.CheckCCache(h.CCache); err != nil {
				add("cc|"+path, hcl.DiagWarning, "No usable Kerberos ticket",
					fmt.Sprintf("Host %q takes its Kerberos ticket from a credential cache (no password, no keytab): %v. Run kinit before collecting, or set keytab or password.", h.Name, err),
					at(h, "ccache", "auth"))
			}
		}
	}
	return diags
}

// waiverCoverage warns about waivers that cover nothing in the inventory:
// host names it does not have, a limit that selects no host, or hosts the
// waived policy does not apply to. Each warning is located at the waiver.
func waiverCoverage(set *policies.Set, inv *inventory.Inventory) hcl.Diagnostics {
	var diags hcl.Diagnostics
	warn := func(w *policies.Waiver, rng hcl.Range, summary, detail string) {
		if rng.Filename == "" {
			rng = w.DeclRange
		}
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: summary,
			Detail: fmt.Sprintf("Waiver %q: %s", w.Name, detail), Subject: rng.Ptr()})
	}
	for _, w := range set.Waivers {
		var covered []*inventory.Host
		if w.Limit != "" {
			sel, err := inv.Select(w.Limit, nil)
			if err != nil {
				if some, merr := inv.Matching(w.Limit, nil); merr == nil && len(some) > 0 {
					// Other terms select hosts: the waiver holds for them.
					warn(w, w.LimitRange, "Waiver limit term selects no host", err.Error()+" The waiver covers the hosts its other terms select; fix the term or remove it.")
					err, sel = nil, some
				}
			}
			if err != nil || len(sel) == 0 {
				why := "the pattern selects no host of the inventory"
				if err != nil {
					why = err.Error()
				}
				if !strings.HasSuffix(why, "?") {
					why += "."
				}
				warn(w, w.LimitRange, "Waiver covers no host", why+" It waives nothing; fix the pattern or remove the waiver.")
				continue
			}
			covered = sel
		} else {
			var unknown []string
			for _, n := range w.Hosts {
				if h, ok := inv.Host(n); ok {
					covered = append(covered, h)
				} else {
					unknown = append(unknown, n)
				}
			}
			if len(unknown) > 0 {
				summary := "Waiver names unknown hosts"
				if len(covered) == 0 {
					summary = "Waiver covers no host"
				}
				warn(w, w.HostsRange, summary, fmt.Sprintf("the inventory has no host %s. A waiver for a host that is gone waives nothing; remove the name (or the waiver).",
					strings.Join(quoteAll(unknown), ", ")))
			}
			if len(covered) == 0 {
				continue
			}
		}
		p := set.Policy(w.Policy)
		if p == nil {
			continue // a cross-fact check applies to every host; an unknown policy is an error already
		}
		applies := false
		for _, h := range covered {
			if a, _ := p.AppliesTo(cmdutil.PolicyHost(h)); a != policies.NotApplicable {
				applies = true
				break
			}
		}
		if !applies {
			warn(w, w.PolicyRange, "Waiver covers no host the policy applies to",
				fmt.Sprintf("policy %q applies to none of the %d hosts it covers, so it waives nothing. Check the hosts (or limit) and the policy's applies_to.", p.Name, len(covered)))
		}
	}
	return diags
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
