// Package collectcmd is the `fleetport collect` command: it collects facts
// from the selected hosts, stores the run and prints a summary.
package collectcmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/fleetport/fleetport/internal/buildinfo"
	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/collect"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/history"
	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/internal/store"
	"github.com/fleetport/fleetport/inventory"
	"github.com/fleetport/fleetport/policies"
)

// Options are the inputs of `fleetport collect`.
type Options struct {
	IO     *cmdutil.IOStreams
	Shared cmdutil.Shared
	Now    func() time.Time

	// Changed reports whether a flag was given (nil: every flag counts as given).
	Changed func(string) bool
	// OpenStore opens the run store (nil: store.Open).
	OpenStore func(ctx context.Context, path string) (*store.Store, error)
}

// BeginRun records a new collect run of selected hosts and the
// inventory's view of them, which judging the run uses later: hosts from
// the inventory, and carried, the stored views of hosts whose results come
// from another run. A run whose hosts cannot be recorded is marked failed.
func BeginRun(ctx context.Context, st *store.Store, started time.Time, selected int, hosts []*inventory.Host, carried map[string]json.RawMessage, meta map[string]string) (int64, error) {
	runID, err := st.BeginRun(ctx, "collect", started, selected, meta)
	if err != nil {
		return 0, err
	}
	view := make([]policies.Host, len(hosts))
	for i, h := range hosts {
		view[i] = cmdutil.PolicyHost(h)
	}
	docs, err := history.EncodeHosts(view)
	for name, d := range carried {
		if _, ok := docs[name]; !ok && err == nil {
			docs[name] = d
		}
	}
	if err == nil {
		err = st.PutRunHosts(ctx, runID, docs)
	}
	if err != nil {
		_ = st.FinishRun(context.WithoutCancel(ctx), runID, store.RunFailed, time.Now(), "its hosts could not be stored: "+err.Error())
		return 0, fmt.Errorf("store run %d: %w", runID, err)
	}
	return runID, nil
}

// FinalStatus is how a run ends: failed when its results could not all be
// written, interrupted when it stopped early, else complete; why says
// what went wrong.
func FinalStatus(runErr, writeErr error) (store.RunStatus, string) {
	switch {
	case writeErr != nil:
		return store.RunFailed, "not stored completely: " + writeErr.Error()
	case runErr != nil:
		return store.RunInterrupted, "interrupted: " + runErr.Error()
	}
	return store.RunComplete, ""
}

// NewCmdCollect makes the command; runF replaces the run function in tests.
func NewCmdCollect(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "collect",
		Short: "Collect facts from the selected hosts and store the run",
		Long: `Reach every selected host over WinRM (one connection and one shell each),
ask it only what the policies need (the built-in pack plus -p), turn the
answers into one facts document per host, store the run, and print a
summary.

Every host ends with a status: ok, unreachable, timeout, auth, tls, quota,
protocol, command-failed or parse-error. A failed host never stops the
others. Ctrl-C stops the run: shells are deleted where possible and the
partial run is stored, marked interrupted.

The summary also says how the hosts authenticated ("auth: kerberos 48,
ntlm 2 (ntlm: web0049, web0050)"): with auth = "negotiate" each host uses
Kerberos when a ticket for it can be had and NTLM otherwise; the method
is stored with each host's facts, and --json lists the hosts by method.

How many hosts are worked on at once adapts to the fleet: the run starts
with 32 and grows while the commands' round trip stays near the lowest it
has seen and no host times out or answers busy; it stops growing when the
round trip climbs, and backs off when hosts time out or answer busy (a
saturated link, jump host or hypervisor). Hosts that failed that way while
it backed off are tried once more at the end. The inventory's fleet-wide
and group concurrency settings cap it (1000 without one), at most 64
sessions authenticate at once (domain controllers are not flooded), and
the summary says what it reached and why it stopped growing
("concurrency: adaptive, reached 256 of 1000 ..."). --concurrency N fixes
it at exactly N.

Exit codes: 0 when every host answered, 3 when some did not, 1 on errors.`,
		Example: `  fleetport collect -i inventory --limit 'web*'
  fleetport collect --concurrency 200 --timeout 2m --json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			opts.Changed = func(n string) bool { return c.Flags().Changed(n) }
			if opts.Shared.Concurrency < 0 {
				return cmdutil.FlagErrorf("--concurrency must not be negative")
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return collectRun(c.Context(), opts)
		},
	}
	opts.Shared.BindInventory(cmd)
	opts.Shared.BindPolicies(cmd)
	opts.Shared.BindRun(cmd)
	opts.Shared.BindDispatch(cmd)
	opts.Shared.BindJSON(cmd)
	return cmd
}

// resolver gives credentials their values: the environment, files, and a
// prompt on the terminal, asked once per reference for the whole run.
type resolver struct {
	mu      sync.Mutex
	answers map[string]string
	prompt  func(what string) (string, error)
}

func (r *resolver) Env(name string) (string, bool)       { return os.LookupEnv(name) }
func (r *resolver) ReadFile(path string) ([]byte, error) { return os.ReadFile(path) }
func (r *resolver) Prompt(host, what string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok := r.answers[what]; ok {
		return v, nil
	}
	if r.prompt == nil {
		return "", errors.New("prompt() needs a terminal: set the credential with env() or file() instead")
	}
	v, err := r.prompt(what)
	if err != nil {
		return "", err
	}
	r.answers[what] = v
	return v, nil
}

// NewResolver is the credential resolver collect uses: the environment,
// files, and a prompt on the terminal (asked once per reference).
func NewResolver(io *cmdutil.IOStreams) inventory.Resolver {
	return &resolver{answers: map[string]string{}, prompt: terminalPrompt(io)}
}

func terminalPrompt(io *cmdutil.IOStreams) func(string) (string, error) {
	f, ok := io.In.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return func(what string) (string, error) {
		fmt.Fprintf(io.ErrOut, "%s: ", what)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(io.ErrOut)
		return string(b), err
	}
}

// runKerberos shares Kerberos tickets between every session of this
// process, which is one run: one TGT, one service ticket per host.
var runKerberos = sync.OnceValue(remote.NewKerberosCache)

// Target turns an inventory host into a collection target.
func Target(h *inventory.Host, r inventory.Resolver) collect.Target {
	auth := remote.AuthNTLM
	switch h.Auth {
	case inventory.AuthBasic:
		auth = remote.AuthBasic
	case inventory.AuthKerberos:
		auth = remote.AuthKerberos
	case inventory.AuthNegotiate:
		auth = remote.AuthNegotiate
	}
	ph := cmdutil.PolicyHost(h)
	return collect.Target{
		Name: h.Name,
		Endpoint: remote.Endpoint{
			Host: h.Address, Port: h.Port, HTTPS: h.Transport == inventory.TransportHTTPS, Auth: auth,
			AllowUnencrypted: h.AllowUnencrypted, CAFile: h.CAFile, TLSServerName: h.TLSServerName,
			InsecureSkipVerify: h.InsecureSkipVerify,
			Kerberos: remote.Kerberos{Realm: h.Realm, ConfigFile: h.Krb5Conf, CCacheFile: h.CCache, KeytabFile: h.Keytab,
				ServiceHost: h.KerberosName},
		},
		Credentials: func() (remote.Credentials, error) {
			rh, err := h.ResolveCredentials(r)
			if err != nil {
				return remote.Credentials{}, err
			}
			return remote.Credentials{User: rh.User.Reveal(), Password: rh.Password.Reveal()}, nil
		},
		Session: remote.Options{OperationTimeout: min(h.OperationTimeout, 60*time.Second), ConnectTimeout: h.ConnectTimeout,
			Kerberos: kerberosCache(auth)},
		Groups:  h.Groups,
		Timeout: h.Timeout,
		Policy:  ph,
	}
}

// ChangeTarget is the target changes reach a host through: [Target] with
// the host's change credential (change_user and change_password, or its
// change keytab or cache) when the inventory names one. apply, rollout
// resume and rollback and the TUI's fixes open their sessions with it;
// reading (collect, plan, verification) keeps the read credential.
func ChangeTarget(h *inventory.Host, r inventory.Resolver) collect.Target {
	t := Target(h, r)
	if !h.HasChangeCredential() {
		return t
	}
	t.Endpoint.Kerberos.KeytabFile, t.Endpoint.Kerberos.CCacheFile = h.ChangeKeytab, h.ChangeCCache
	t.Credentials = func() (remote.Credentials, error) {
		ch, err := h.ForChanges(r)
		if err != nil {
			return remote.Credentials{}, err
		}
		return remote.Credentials{User: ch.User.Reveal(), Password: ch.Password.Reveal()}, nil
	}
	return t
}

// Collection is a finished (or interrupted) collection run: what drift and
// demo build on.
type Collection struct {
	RunID    int64
	Status   store.RunStatus
	Started  time.Time
	Finished time.Time
	// Inventory and Selected are the inventory and the hosts the run set
	// out to reach; Policies the merged policy set that drove it.
	Inventory *inventory.Inventory
	Selected  []*inventory.Host
	Policies  *policies.Set
	// Hosts are the hosts' results, sorted by name: identity, status,
	// error and timing only (the facts documents are in the store).
	Hosts []*facts.Host
	// Interrupted is set when the run stopped early (Ctrl-C).
	Interrupted error
	// Concurrency is what the run did with its concurrency; zero when
	// the hosts went to site runners.
	Concurrency collect.Adaptation
}

func collectRun(ctx context.Context, opts *Options) error {
	c, err := Collect(ctx, opts)
	if err != nil {
		return err
	}
	if err := printSummary(opts, c.RunID, c.Hosts, c.Finished.Sub(c.Started), c.Status, c.Concurrency); err != nil {
		return err
	}
	if c.Interrupted != nil {
		return cmdutil.WithHint(fmt.Errorf("run %d interrupted; %d of %d hosts collected", c.RunID, countOK(c.Hosts), len(c.Selected)),
			"the partial run is stored: fleetport history")
	}
	if countOK(c.Hosts) < len(c.Hosts) {
		return &cmdutil.ExitError{Code: 3}
	}
	return nil
}

// Collect loads the inventory and policies, collects from the selected
// hosts with a progress line on a terminal, and stores the run. Ctrl-C
// stops it: the partial run is stored and returned with Interrupted set.
func Collect(ctx context.Context, opts *Options) (*Collection, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	set := opts.Changed
	if set == nil {
		set = func(string) bool { return true }
	}
	inv, err := cmdutil.LoadInventory(opts.IO, opts.Shared.Inventory)
	if err != nil {
		return nil, err
	}
	hosts, err := inv.Select(opts.Shared.Limit, os.ReadFile)
	if err != nil {
		return nil, err
	}
	pset, err := loadPolicies(opts, set)
	if err != nil {
		return nil, err
	}
	res := &resolver{answers: map[string]string{}, prompt: terminalPrompt(opts.IO)}
	if err := checkCredentials(hosts, res, opts.Shared.Dispatch.Enabled()); err != nil {
		return nil, err
	}
	targets := make([]collect.Target, len(hosts))
	limits := map[string]int{}
	for i, h := range hosts {
		targets[i] = Target(h, res)
		if opts.Shared.Timeout > 0 {
			targets[i].Timeout = opts.Shared.Timeout
		}
	}
	for _, g := range inv.Groups() {
		if g.Concurrency > 0 {
			limits[g.Name] = g.Concurrency
		}
	}
	// --concurrency fixes the number of hosts in flight; without it the
	// run adapts, up to the inventory's fleet-wide concurrency.
	copts := collect.Options{Concurrency: opts.Shared.Concurrency, Adaptive: opts.Shared.Concurrency <= 0, MaxConcurrency: inv.Concurrency(),
		GroupLimits: limits, Policies: pset, Now: opts.Now}

	run, stopRun, err := runner(ctx, opts, hosts, targets, pset)
	if err != nil {
		return nil, err
	}
	defer stopRun()
	open := opts.OpenStore
	if open == nil {
		open = store.Open
	}
	st, err := open(ctx, opts.Shared.Store)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	started := opts.Now()
	runID, err := BeginRun(ctx, st, started, len(hosts), hosts, nil, map[string]string{
		"inventory": opts.Shared.Inventory, "policies": opts.Shared.Policies, "limit": opts.Shared.Limit,
		"version": buildinfo.Read().Version,
	})
	if err != nil {
		return nil, err
	}

	// Ctrl-C cancels the run; what was collected is stored.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	results := make([]*facts.Host, 0, len(hosts))
	w := NewHostWriter(ctx, st, runID)
	prog := newProgress(opts.IO, len(hosts))
	var adapted collect.Adaptation
	copts.Progress = prog.event
	copts.Report = func(a collect.Adaptation) { adapted = a }
	runErr := run(ctx, targets, copts,
		func(h *facts.Host) {
			// Keep only what the summary needs: the document goes to the
			// store, so memory does not grow with the fleet's facts.
			results = append(results, &facts.Host{Version: h.Version, Name: h.Name, Address: h.Address, Status: h.Status, Error: h.Error,
				Auth: h.Auth, Started: h.Started, Finished: h.Finished})
			w.Add(h)
		})
	writeErr := w.Flush()
	prog.done()
	finished := opts.Now()
	status, why := FinalStatus(runErr, writeErr)
	if err := st.FinishRun(context.WithoutCancel(ctx), runID, status, finished, why); err != nil && writeErr == nil {
		writeErr = err
	}
	if writeErr != nil {
		return nil, cmdutil.WithHint(fmt.Errorf("run %d could not be stored completely: %w", runID, writeErr),
			"the run is marked failed; make room for the store and collect again")
	}
	sort.Slice(results, func(i, j int) bool { return results[i].Name < results[j].Name })
	return &Collection{RunID: runID, Status: status, Started: started, Finished: finished, Inventory: inv, Selected: hosts,
		Policies: pset, Hosts: results, Interrupted: runErr, Concurrency: adapted}, nil
}

// loadPolicies merges the built-in pack with the user's policies, printing
// the diagnostics when they have errors (validate shows warnings).
func loadPolicies(opts *Options, set func(string) bool) (*policies.Set, error) {
	return LoadPolicies(opts.IO, opts.Shared, set("policies"))
}

// LoadPolicies merges the built-in pack (unless sh.NoBuiltin) with the
// user's policies at sh.Policies (when explicit or when it exists),
// printing the diagnostics when they have errors. With --no-builtin the
// user's policies must exist: an empty set would judge nothing.
func LoadPolicies(io *cmdutil.IOStreams, sh cmdutil.Shared, explicit bool) (*policies.Set, error) {
	path := sh.Policies
	var files []*policies.File
	srcs := map[string]*hcl.File{}
	if !sh.NoBuiltin {
		b, _ := policies.Builtin()
		files, srcs = b.Files, b.Sources()
	} else if !explicit && !cmdutil.Exists(path) {
		return nil, cmdutil.WithHint(fmt.Errorf("--no-builtin leaves no policy: %s does not exist", path), "-p names your policies")
	}
	rename := func(string) string { return "" }
	if explicit || cmdutil.Exists(path) {
		u, own, d, ren, err := cmdutil.ReadPolicies(path)
		if err != nil {
			return nil, err
		}
		if d.HasErrors() {
			cmdutil.WriteDiagnostics(io, own, d)
			return nil, cmdutil.WithHint(cmdutil.ErrSilent, "fleetport validate shows every problem")
		}
		if explicit && len(u.Files) == 0 && cmdutil.IsDir(path) {
			fmt.Fprintf(io.ErrOut, "fleetport: note: %s has no .hcl file of its own (its sub-folders are not read): only the built-in pack applies\n", path)
		}
		// A policy of -p named like a built-in one replaces it.
		var replaced []string
		if files, replaced = cmdutil.OverrideBuiltin(files, u.Files); len(replaced) > 0 {
			fmt.Fprintf(io.ErrOut, "fleetport: %s\n", cmdutil.ReplacedNote(replaced))
		}
		// A waiver's place shows in reports and warnings: name its file as
		// the user does.
		for _, f := range u.Files {
			for _, w := range f.Waivers {
				for _, r := range []*hcl.Range{&w.DeclRange, &w.NameRange, &w.PolicyRange, &w.HostsRange, &w.LimitRange, &w.UntilRange} {
					if n := ren(r.Filename); n != "" {
						r.Filename = n
					}
				}
			}
		}
		files, rename = append(files, u.Files...), ren
		for name, f := range own {
			srcs[name] = f
		}
	}
	merged, d := policies.NewSet(files...)
	// A waiver must name a policy of the whole set (the built-in pack
	// included unless --no-builtin).
	d = append(d, merged.CheckWaivers()...)
	if d.HasErrors() {
		cmdutil.RenameDiags(d, rename)
		cmdutil.WriteDiagnostics(io, srcs, d)
		return nil, cmdutil.ErrSilent
	}
	return merged, nil
}

func countOK(hs []*facts.Host) int {
	n := 0
	for _, h := range hs {
		if h.Status == facts.StatusOK {
			n++
		}
	}
	return n
}

// summaryJSON is the shape of `collect --json`.
type summaryJSON struct {
	Run      int64            `json:"run"`
	Status   string           `json:"status"`
	Hosts    int              `json:"hosts"`
	Duration string           `json:"duration"`
	ByStatus map[string]int   `json:"by_status"`
	Failed   []failedHostJSON `json:"failed"`
	// Auth lists the hosts by the authentication their session used
	// (ntlm, kerberos, basic: what negotiate chose); hosts whose session
	// did not open are in none.
	Auth map[string][]string `json:"auth"`
	// Concurrency is what an adaptive run did with its concurrency;
	// absent for a fixed one and when the hosts went to site runners.
	Concurrency *concurrencyJSON `json:"concurrency,omitempty"`
}

// concurrencyJSON is collect.Adaptation in the summary.
type concurrencyJSON struct {
	Adaptive bool   `json:"adaptive"`
	Start    int    `json:"start"`
	Max      int    `json:"max"`
	Reached  int    `json:"reached"`
	Final    int    `json:"final"`
	Peak     int    `json:"peak"`
	Backoffs int    `json:"backoffs"`
	Why      string `json:"why,omitempty"`
}

type failedHostJSON struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Error  string `json:"error"`
	Auth   string `json:"auth,omitempty"`
}

// authLine says how the hosts authenticated: "auth: kerberos 48, ntlm 2
// (ntlm: web0049, web0050)", naming the hosts of every method but the
// most used one (at most 10 each); "" when no session opened.
func authLine(by map[string][]string) string {
	if len(by) == 0 {
		return ""
	}
	methods := make([]string, 0, len(by))
	for m := range by {
		methods = append(methods, m)
	}
	sort.Slice(methods, func(i, j int) bool {
		if len(by[methods[i]]) != len(by[methods[j]]) {
			return len(by[methods[i]]) > len(by[methods[j]])
		}
		return methods[i] < methods[j]
	})
	counts := make([]string, len(methods))
	var named []string
	for i, m := range methods {
		counts[i] = fmt.Sprintf("%s %d", m, len(by[m]))
		if i == 0 {
			continue
		}
		names := by[m]
		more := ""
		if len(names) > 10 {
			names, more = names[:10], fmt.Sprintf(" and %d more", len(by[m])-10)
		}
		named = append(named, m+": "+strings.Join(names, ", ")+more)
	}
	s := "auth: " + strings.Join(counts, ", ")
	if len(named) > 0 {
		s += " (" + strings.Join(named, "; ") + ")"
	}
	return s
}

func printSummary(opts *Options, run int64, hs []*facts.Host, d time.Duration, status store.RunStatus, a collect.Adaptation) error {
	sum := summaryJSON{Run: run, Status: string(status), Hosts: len(hs), Duration: d.Round(time.Millisecond).String(),
		ByStatus: map[string]int{}, Failed: []failedHostJSON{}, Auth: map[string][]string{}}
	if a.Adaptive && a.Peak > 0 {
		sum.Concurrency = &concurrencyJSON{Adaptive: a.Adaptive, Start: a.Start, Max: a.Max, Reached: a.Reached, Final: a.Final,
			Peak: a.Peak, Backoffs: a.Backoffs, Why: a.Why}
	}
	for _, h := range hs {
		sum.ByStatus[h.Status.String()]++
		if h.Status != facts.StatusOK {
			sum.Failed = append(sum.Failed, failedHostJSON{h.Name, h.Status.String(), h.Error, h.Auth})
		}
		if h.Auth != "" {
			sum.Auth[h.Auth] = append(sum.Auth[h.Auth], h.Name)
		}
	}
	if opts.Shared.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(sum)
	}
	keys := make([]string, 0, len(sum.ByStatus))
	for k := range sum.ByStatus {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, sum.ByStatus[k])
	}
	fmt.Fprintf(opts.IO.Out, "run %d: %d hosts in %s: %s\n", run, len(hs), sum.Duration, strings.Join(parts, ", "))
	if l := authLine(sum.Auth); l != "" {
		fmt.Fprintln(opts.IO.Out, l)
	}
	if a.Adaptive && a.Peak > 0 {
		// A fixed --concurrency is what the operator asked for: only an
		// adaptive run says what it reached.
		fmt.Fprintf(opts.IO.Out, "concurrency: %s\n", a)
	}
	if len(sum.Failed) > 0 {
		tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "HOST\tSTATUS\tCAUSE")
		for _, f := range sum.Failed {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Name, f.Status, f.Error)
		}
		return tw.Flush()
	}
	return nil
}

func kerberosCache(a remote.Auth) *remote.KerberosCache {
	if a != remote.AuthKerberos && a != remote.AuthNegotiate {
		return nil
	}
	return runKerberos()
}
