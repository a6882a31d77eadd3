package cmdutil

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fleetport/fleetport/internal/store"
)

// CompleteRunIDs completes a run id: latest, then the stored runs of the
// store *path names, newest first, with their kind, status and start. A
// store that does not exist completes to latest only (completion never
// creates one).
func CompleteRunIDs(path *string) cobra.CompletionFunc {
	return func(c *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		out := []string{"latest\tthe newest collect run"}
		if path == nil || !Exists(*path) {
			return out, cobra.ShellCompDirectiveNoFileComp
		}
		st, err := store.Open(context.Background(), *path)
		if err != nil {
			return out, cobra.ShellCompDirectiveNoFileComp
		}
		defer st.Close()
		runs, err := st.Runs(context.Background(), 50)
		if err != nil {
			return out, cobra.ShellCompDirectiveNoFileComp
		}
		for _, r := range runs {
			out = append(out, fmt.Sprintf("%d\t%s %s %s", r.ID, r.Kind, r.Status, r.Started.Local().Format("2006-01-02 15:04")))
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveKeepOrder
	}
}

// completeLimit completes a --limit term: the host and group names of the
// inventory -i names (group:NAME too), after the terms already typed.
func (s *Shared) completeLimit(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	inv, _, err := ReadInventory(s.Inventory)
	if err != nil || inv == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	prefix := ""
	if i := strings.LastIndexByte(toComplete, ','); i >= 0 {
		prefix = toComplete[:i+1]
	}
	var out []string
	for _, g := range inv.Groups() {
		out = append(out, prefix+g.Name+"\tgroup", prefix+"group:"+g.Name+"\tgroup")
	}
	for _, h := range inv.Hosts() {
		out = append(out, prefix+h.Name+"\thost "+h.Address)
	}
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}
