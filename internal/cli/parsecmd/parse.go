// Package parsecmd is the `fleetport parse` command: it reads a Windows
// command's output captured by hand and prints the facts fleetport would
// take from it, as JSON.
package parsecmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/parse"
)

// Options are the inputs of `fleetport parse`.
type Options struct {
	IO       *cmdutil.IOStreams
	Kind     string
	File     string // "" or "-" = stdin
	CodePage int
	Lenient  bool
}

// NewCmdParse makes the command; runF replaces the run function in tests.
func NewCmdParse(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IO}
	var kinds []string
	var lines []string
	for _, k := range parse.Kinds() {
		kinds = append(kinds, k.Name)
		lines = append(lines, fmt.Sprintf("  %-20s %s", k.Name, k.Command))
	}
	cmd := &cobra.Command{
		Use:   "parse KIND [FILE]",
		Short: "Parse a captured Windows output and print its facts as JSON",
		Long: `Read the output of a Windows command from FILE (or standard input) and print
the facts fleetport takes from it as JSON, exactly as collection would.
Useful for outputs captured by hand, and to check a host that answers oddly.

Kinds and the commands whose output they read:
` + strings.Join(lines, "\n") + `

The bytes may be in the host's OEM code page (German netstat in CP850, ...);
--codepage names it, 0 detects it. An output of an unknown shape is an error
that quotes the line, never a guess. A console capture may keep its prompts
(C:\>, PS C:\>, netsh>) and the command echoed before the output: those
lines are skipped. A file over 64 MiB is refused before it is read.`,
		Example: `  fleetport parse netstat netstat-ano.txt
  netsh http show iplisten | fleetport parse iplisten
  fleetport parse netstat --codepage 850 de-netstat.txt`,
		Args:      cobra.RangeArgs(1, 2),
		ValidArgs: kinds,
		RunE: func(c *cobra.Command, args []string) error {
			opts.Kind = args[0]
			if len(args) == 2 {
				opts.File = args[1]
			}
			known := false
			for _, k := range kinds {
				known = known || k == opts.Kind
			}
			if !known {
				return cmdutil.FlagErrorf("unknown kind %q (kinds: %s)", opts.Kind, strings.Join(kinds, ", "))
			}
			if runF != nil {
				return runF(opts)
			}
			return parseRun(opts)
		},
	}
	cmd.Flags().IntVar(&opts.CodePage, "codepage", 0, "code page of the input (0 = detect; 65001 = UTF-8; 437, 850, 852, 866, 936 ...)")
	cmd.Flags().BoolVar(&opts.Lenient, "lenient", false, "netstat: skip rows that cannot be read (listed in row_errors) instead of failing")
	return cmd
}

func parseRun(opts *Options) error {
	if !parse.SupportedCodePage(opts.CodePage) {
		cps := parse.CodePages()
		names := make([]string, len(cps))
		for i, cp := range cps {
			names[i] = strconv.Itoa(cp)
		}
		return cmdutil.FlagErrorf("--codepage %d is not a code page fleetport reads (0 detects; %s)", opts.CodePage, strings.Join(names, ", "))
	}
	var r io.Reader = opts.IO.In
	name := "standard input"
	if opts.File != "" && opts.File != "-" {
		f, err := os.Open(opts.File)
		if err != nil {
			return err
		}
		defer f.Close()
		// A file over the cap is refused before a byte of it is read.
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > parse.DefaultMaxBytes {
			return fmt.Errorf("%s: %w: the file is %d bytes, more than the %d MiB fleetport parse reads", opts.File, parse.ErrTooLarge, st.Size(), parse.DefaultMaxBytes>>20)
		}
		r, name = f, opts.File
	}
	data, err := io.ReadAll(io.LimitReader(r, parse.DefaultMaxBytes+1))
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > parse.DefaultMaxBytes {
		return fmt.Errorf("%s: %w: more than the %d MiB fleetport parse reads", name, parse.ErrTooLarge, parse.DefaultMaxBytes>>20)
	}
	// A console capture: the prompts and the echoed command are not the
	// command's output.
	data = parse.StripConsole(data)
	v, err := parse.Parse(opts.Kind, bytes.NewReader(data), parse.Options{CodePage: opts.CodePage, Lenient: opts.Lenient})
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	enc := json.NewEncoder(opts.IO.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
