package cmdutil

import (
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
)

// Shared holds the flags the command-line contract shares between
// commands. A command binds the ones it uses.
type Shared struct {
	Inventory   string        // -i/--inventory: file or folder
	Policies    string        // -p/--policies: file or folder
	Limit       string        // --limit: host selection
	Concurrency int           // --concurrency: hosts at once
	Timeout     time.Duration // --timeout: per host
	Store       string        // --store: the run store
	JSON        bool          // --json: machine-readable output
	NoBuiltin   bool          // --no-builtin: leave the built-in policy pack out
	Dispatch    Dispatch      // --nats and its settings: site runners (BindDispatch)
}

// BindInventory adds -i/--inventory and --limit.
func (s *Shared) BindInventory(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&s.Inventory, "inventory", "i", "inventory", "inventory `path`: an HCL file or a folder of them")
	cmd.Flags().StringVar(&s.Limit, "limit", "", "select hosts: names, globs, group:NAME, tag:KEY=VALUE, &intersect, !exclude, @file (comma-separated)")
	_ = cmd.MarkFlagFilename("inventory", "hcl")
	_ = cmd.RegisterFlagCompletionFunc("limit", s.completeLimit)
}

// BindPolicies adds -p/--policies.
func (s *Shared) BindPolicies(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&s.Policies, "policies", "p", "policies", "policy `path`: an HCL file or a folder of them; the built-in pack is loaded too unless --no-builtin")
	_ = cmd.MarkFlagFilename("policies", "hcl")
	cmd.Flags().BoolVar(&s.NoBuiltin, "no-builtin", false, "leave the built-in policy pack out: only the policies of -p apply (and only what they need is collected)")
}

// BindRun adds --concurrency, --timeout and --store.
func (s *Shared) BindRun(cmd *cobra.Command) {
	cmd.Flags().IntVar(&s.Concurrency, "concurrency", 0, "hosts collected at once, fixed (0 = adapt to the fleet, up to the inventory's concurrency or 1000)")
	cmd.Flags().DurationVar(&s.Timeout, "timeout", 0, "deadline per host (0 = the inventory's setting)")
	cmd.Flags().StringVar(&s.Store, "store", DefaultStore(), "run store `file` (SQLite)")
}

// BindJSON adds --json.
func (s *Shared) BindJSON(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&s.JSON, "json", false, "print JSON")
}

// DefaultStore is the store under the user's state directory.
func DefaultStore() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "fleetport", "fleetport.db")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "fleetport", "fleetport.db")
	}
	return "fleetport.db"
}
