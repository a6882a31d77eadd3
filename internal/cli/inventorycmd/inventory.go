// Package inventorycmd is the `fleetport inventory` command group:
// `inventory list` shows the selected hosts with their resolved settings.
package inventorycmd

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/inventory"
)

// NewCmdInventory makes the command group.
func NewCmdInventory(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "inventory <command>",
		Short: "Look at the inventory",
	}
	cmd.AddCommand(NewCmdList(f, nil))
	cmd.AddCommand(NewCmdImport(f))
	return cmd
}

// ListOptions are the inputs of `fleetport inventory list`.
type ListOptions struct {
	IO     *cmdutil.IOStreams
	Shared cmdutil.Shared
}

// NewCmdList makes `inventory list`; runF replaces the run function in tests.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the selected hosts with their resolved settings",
		Long: `List the hosts --limit selects (every host without it) with their settings
resolved: defaults, then groups, then the host's own block.

Credentials are never shown: user and password appear as the reference that
supplies them (env, file, prompt). --json prints a JSON array, one object per
host, for scripts.`,
		Example: `  fleetport inventory list
  fleetport inventory list -i examples/inventory/multisite --limit 'web,&tag:site=dc1' --json`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return listRun(opts)
		},
	}
	opts.Shared.BindInventory(cmd)
	opts.Shared.BindJSON(cmd)
	return cmd
}

func listRun(opts *ListOptions) error {
	inv, err := cmdutil.LoadInventory(opts.IO, opts.Shared.Inventory)
	if err != nil {
		return err
	}
	hosts, err := inv.Select(opts.Shared.Limit, os.ReadFile)
	if err != nil {
		return err
	}
	if opts.Shared.JSON {
		out := make([]inventory.HostJSON, len(hosts))
		for i, h := range hosts {
			out[i] = h.ListJSON()
		}
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if !opts.IO.IsStdoutTTY() {
		// One host a line, tab-separated, for cut and awk.
		for _, h := range hosts {
			fmt.Fprintf(opts.IO.Out, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", h.Name, h.Address, h.Port, h.Transport, h.Auth,
				strings.Join(h.Groups, ","), tagString(h.Tags))
		}
		return nil
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tADDRESS\tPORT\tTRANSPORT\tAUTH\tGROUPS\tTAGS")
	for _, h := range hosts {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", h.Name, h.Address, h.Port, h.Transport, h.Auth,
			strings.Join(h.Groups, ","), tagString(h.Tags))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "%d of %d hosts\n", len(hosts), len(inv.Hosts()))
	return nil
}

func tagString(tags map[string]string) string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + tags[k]
	}
	return strings.Join(parts, ",")
}
