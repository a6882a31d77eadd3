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
	IO      *cmdutil.IOStreams
	Shared  cmdutil.Shared
	Refresh bool
}

// NewCmdList makes `inventory list`; runF replaces the run function in tests.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the selected hosts with their resolved settings",
		Long: `List the hosts --limit selects (every host without it) with their settings
resolved: defaults, then groups, then the host's own block. Hosts an Active
Directory source lists show the source's name; a summary of each source (hosts
listed, entries left out and why) goes to standard error. When a directory
cannot be reached its last stored listing is used, with a warning; --refresh
fails instead.

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
	cmd.Flags().BoolVar(&opts.Refresh, "refresh", false, "list every source from its directory; fail rather than use the stored listing")
	return cmd
}

func listRun(opts *ListOptions) error {
	inv, err := cmdutil.LoadInventoryWith(opts.IO, opts.Shared.Inventory, cmdutil.LoadOptions{Refresh: opts.Refresh})
	if err != nil {
		return err
	}
	listings := inv.Listings()
	for _, src := range inv.Sources() {
		l, ok := listings[src.Name]
		if !ok {
			continue
		}
		how := "listed " + l.ListedAt.Local().Format("2006-01-02 15:04")
		if l.Cached {
			how = "stored listing from " + l.ListedAt.Local().Format("2006-01-02 15:04")
		}
		left := ""
		if len(l.Left) > 0 {
			left = fmt.Sprintf("; left out: %s", l.LeftOutSummary())
		}
		fmt.Fprintf(opts.IO.ErrOut, "source %s: %d hosts (%s)%s\n", src.Name, len(l.Hosts), how, left)
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
	if len(inv.Sources()) > 0 {
		fmt.Fprintln(tw, "NAME\tADDRESS\tPORT\tTRANSPORT\tAUTH\tGROUPS\tSOURCE\tTAGS")
	} else {
		fmt.Fprintln(tw, "NAME\tADDRESS\tPORT\tTRANSPORT\tAUTH\tGROUPS\tTAGS")
	}
	for _, h := range hosts {
		if len(inv.Sources()) > 0 {
			src := h.Source
			if src == "" {
				src = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", h.Name, h.Address, h.Port, h.Transport, h.Auth,
				strings.Join(h.Groups, ","), src, tagString(h.Tags))
			continue
		}
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
