// Package version is the `fleetport version` command.
package version

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/fleetport/fleetport/internal/buildinfo"
	"github.com/fleetport/fleetport/internal/cli/cmdutil"
)

// Options are the inputs of `fleetport version`.
type Options struct {
	IO   *cmdutil.IOStreams
	JSON bool
}

// NewCmdVersion makes the command; runF replaces the run function in tests.
func NewCmdVersion(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version of fleetport",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return versionRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the build information as JSON")
	return cmd
}

func versionRun(opts *Options) error {
	info := buildinfo.Read()
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	rev := ""
	if info.Revision != "" {
		rev = " (" + shortRev(info.Revision)
		if info.Modified {
			rev += ", modified"
		}
		rev += ")"
	}
	_, err := fmt.Fprintf(opts.IO.Out, "fleetport %s%s %s %s\n", info.Version, rev, info.GoVersion, info.Platform)
	return err
}

func shortRev(r string) string {
	if len(r) > 12 {
		return r[:12]
	}
	return r
}
