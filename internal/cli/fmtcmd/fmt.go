// Package fmtcmd is the `fleetport fmt` command: canonical formatting of
// HCL inventory, policy and scenario files.
package fmtcmd

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/spf13/cobra"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/hclguard"
	"github.com/fleetport/fleetport/inventory"
)

// Options are the inputs of `fleetport fmt`.
type Options struct {
	IO    *cmdutil.IOStreams
	Paths []string
	Check bool
	Diff  bool
}

// NewCmdFmt makes the command; runF replaces the run function in tests.
func NewCmdFmt(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "fmt [--check] [PATH...]",
		Short: "Format HCL files canonically",
		Long: `Rewrite HCL files (*.hcl) in the canonical layout: indentation, aligned
equals signs, spacing. A PATH is a file or a folder (searched recursively);
without PATH, ./inventory and ./policies, or the current folder when neither
exists. A file with a syntax error is reported and left untouched.

With --check (or -check), nothing is written: the files that need
formatting are listed and the exit code is 1 when there are any, for CI.`,
		Example: `  fleetport fmt
  fleetport fmt --check inventory policies
  fleetport fmt -check examples/`,
		RunE: func(c *cobra.Command, args []string) error {
			opts.Paths = args
			if runF != nil {
				return runF(opts)
			}
			return fmtRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Check, "check", false, "list the files that need formatting and exit 1 if any; write nothing")
	cmd.Flags().BoolVar(&opts.Diff, "diff", false, "print the lines that formatting changes")
	return cmd
}

func defaultPaths() []string {
	var paths []string
	for _, p := range []string{"inventory", "policies"} {
		if _, err := os.Stat(p); err == nil {
			paths = append(paths, p)
		}
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	return paths
}

// hclFiles expands the paths into the HCL files under them, sorted.
func hclFiles(paths []string) ([]string, error) {
	seen := map[string]bool{}
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			if !seen[p] {
				seen[p] = true
				files = append(files, p)
			}
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if name := d.Name(); path != p && (strings.HasPrefix(name, ".") || name == "testdata") {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasSuffix(path, ".hcl") && !seen[path] {
				seen[path] = true
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(files)
	return files, nil
}

func fmtRun(opts *Options) error {
	paths := opts.Paths
	if len(paths) == 0 {
		paths = defaultPaths()
	}
	files, err := hclFiles(paths)
	if err != nil {
		return err
	}
	var (
		diags      hcl.Diagnostics
		needFormat []string
		srcs       = map[string]*hcl.File{}
	)
	for _, path := range files {
		src, err := readCapped(path)
		if err != nil {
			return err
		}
		// Check the file's size and nesting first: the parser and the
		// formatter recurse once per level of nesting.
		if d := hclguard.Check(src, path, hclguard.DefaultLimits); d.HasErrors() {
			srcs[path] = &hcl.File{Body: hcl.EmptyBody(), Bytes: src}
			diags = append(diags, d...)
			continue
		}
		// Parse first: formatting a file HCL cannot read would move its
		// errors around without telling anyone.
		file, d := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
		srcs[path] = file
		if d.HasErrors() {
			diags = append(diags, d...)
			continue
		}
		out := hclwrite.Format(src)
		if bytes.Equal(out, src) {
			continue
		}
		needFormat = append(needFormat, path)
		if opts.Diff {
			writeDiff(opts.IO, path, src, out)
		}
		if opts.Check {
			continue
		}
		st, err := os.Stat(path)
		if err != nil {
			return err
		}
		if err := os.WriteFile(path, out, st.Mode().Perm()); err != nil {
			return err
		}
	}
	for _, p := range needFormat {
		fmt.Fprintln(opts.IO.Out, p)
	}
	if len(diags) > 0 {
		cmdutil.WriteDiagnosticsWidth(opts.IO, srcs, diags, 78)
		return cmdutil.ErrSilent
	}
	if opts.Check && len(needFormat) > 0 {
		fmt.Fprintf(opts.IO.ErrOut, "fleetport: %d of %d files need formatting (run fleetport fmt)\n", len(needFormat), len(files))
		return &cmdutil.ExitError{Code: 1}
	}
	return nil
}

// maxFileSize caps the files fmt reads: the largest inventory file.
const maxFileSize = inventory.MaxFileSize

// readCapped reads a file, refusing one larger than maxFileSize.
func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes, more than any HCL file fleetport reads", path, maxFileSize)
	}
	return b, nil
}

// writeDiff prints the lines that differ, a line-by-line comparison that is
// enough for formatting changes (they never move lines across the file).
func writeDiff(io *cmdutil.IOStreams, path string, before, after []byte) {
	a := strings.Split(string(before), "\n")
	b := strings.Split(string(after), "\n")
	// A line that sets a secret is never printed, changed or not.
	hide := func(src []byte, lines []string) {
		red := hclguard.NewRedactor(map[string]*hcl.File{path: {Bytes: src}})
		for i := range lines {
			if red.SecretLine(path, i+1) {
				lines[i] = "(line not shown: it sets a secret)"
			}
		}
	}
	hide(before, a)
	hide(after, b)
	fmt.Fprintf(io.Out, "--- %s\n+++ %s (formatted)\n", path, path)
	n := max(len(a), len(b))
	for i := range n {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			if i < len(a) {
				fmt.Fprintf(io.Out, "-%d: %s\n", i+1, x)
			}
			if i < len(b) {
				fmt.Fprintf(io.Out, "+%d: %s\n", i+1, y)
			}
		}
	}
}
