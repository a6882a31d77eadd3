package root

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
)

// newManCommand makes `fleetport man`: one man page per command, written
// from the same help the commands print.
func newManCommand(f *cmdutil.Factory, root *cobra.Command) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "man",
		Short: "Write a man page for every command",
		Long: `Write the man pages of fleetport and every command (section 1) into
--dir, from the same help text the commands print: fleetport.1,
fleetport-apply.1, fleetport-rollout-rollback.1, ... Install them where
man finds them, for example /usr/local/share/man/man1.`,
		Example: `  fleetport man --dir /usr/local/share/man/man1 && man fleetport-apply`,
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			root.DisableAutoGenTag = true
			hdr := &doc.GenManHeader{Title: "FLEETPORT", Section: "1", Source: "fleetport", Manual: "fleetport manual"}
			if err := doc.GenManTree(root, hdr, dir); err != nil {
				return fmt.Errorf("write the man pages: %w", err)
			}
			fmt.Fprintf(f.IO.ErrOut, "wrote the man pages into %s\n", dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "man", "the `folder` to write the pages into")
	return cmd
}
