// Package root assembles fleetport's command tree and maps the errors its
// commands return to exit codes.
package root

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/cli/collectcmd"
	"github.com/fleetport/fleetport/internal/cli/democmd"
	"github.com/fleetport/fleetport/internal/cli/driftcmd"
	"github.com/fleetport/fleetport/internal/cli/fmtcmd"
	"github.com/fleetport/fleetport/internal/cli/inventorycmd"
	"github.com/fleetport/fleetport/internal/cli/parsecmd"
	"github.com/fleetport/fleetport/internal/cli/rolloutcmd"
	"github.com/fleetport/fleetport/internal/cli/runnercmd"
	"github.com/fleetport/fleetport/internal/cli/simcmd"
	"github.com/fleetport/fleetport/internal/cli/tuicmd"
	"github.com/fleetport/fleetport/internal/cli/validatecmd"
	"github.com/fleetport/fleetport/internal/cli/version"
)

// Exit codes, as the command-line contract fixes them.
const (
	ExitOK          = 0
	ExitError       = 1
	ExitDrift       = 2
	ExitUnreachable = 3
)

// NewCmdRoot builds the command tree.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	return newCmdRoot(f, &profile{})
}

func newCmdRoot(f *cmdutil.Factory, prof *profile) *cobra.Command {
	var noColor bool
	var verbose bool
	cmd := &cobra.Command{
		Use:   "fleetport <command>",
		Short: "Keep a fleet of Windows servers' network configuration right",
		Long: `fleetport collects listener tables, http.sys IP listen lists and TCP registry
values from many Windows servers over WinRM, shows how they drift from your
policies, and pushes corrective changes in stages.

fleetport sim serves a simulated fleet of Windows hosts on loopback addresses
that speak the real WinRM protocol: a place to rehearse before production.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := prof.start(); err != nil {
				return err
			}
			if noColor {
				f.IO.SetNoColor()
			}
			level := slog.LevelWarn
			if verbose {
				level = slog.LevelDebug
			}
			logger := slog.New(slog.NewTextHandler(f.IO.ErrOut, &slog.HandlerOptions{Level: level}))
			f.Logger = func() *slog.Logger { return logger }
			return nil
		},
	}
	cmd.PersistentFlags().BoolVar(&noColor, "no-color", false, "disable colour (also NO_COLOR)")
	cmd.PersistentFlags().BoolVarP(&verbose, "verbose", "v", false, "log debug detail to stderr")
	cmd.PersistentFlags().StringVar(&prof.path, "cpuprofile", "", "write a CPU profile of the command to `file` (benchmarks)")
	_ = cmd.PersistentFlags().MarkHidden("cpuprofile")
	cmd.SetOut(f.IO.Out)
	cmd.SetErr(f.IO.ErrOut)
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &cmdutil.FlagError{Err: err}
	})
	cmd.AddCommand(
		version.NewCmdVersion(f, nil),
		simcmd.NewCmdSim(f, nil),
		fmtcmd.NewCmdFmt(f, nil),
		inventorycmd.NewCmdInventory(f),
		validatecmd.NewCmdValidate(f, nil),
		parsecmd.NewCmdParse(f, nil),
		collectcmd.NewCmdCollect(f, nil),
		driftcmd.NewCmdDrift(f, nil),
		driftcmd.NewCmdHistory(f, nil),
		driftcmd.NewCmdDiff(f, nil),
		democmd.NewCmdDemo(f, nil),
		rolloutcmd.NewCmdPlan(f),
		rolloutcmd.NewCmdApply(f),
		rolloutcmd.NewCmdRollout(f),
		runnercmd.NewCmdRunner(f, nil),
		tuicmd.NewCmdTUI(f, nil),
	)
	cmd.AddCommand(newManCommand(f, cmd))
	cmd.SetHelpCommand(newHelpCommand(cmd))
	return cmd
}

// NewFactory returns the factory of a real process.
func NewFactory() *cmdutil.Factory {
	io := cmdutil.System()
	logger := slog.New(slog.NewTextHandler(io.ErrOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return &cmdutil.Factory{
		IO:     io,
		Logger: func() *slog.Logger { return logger },
		Now:    time.Now,
	}
}

// Run executes the command line and returns the process exit code. Errors
// are printed here, once, as "fleetport: error: ..." with hint lines.
func Run(ctx context.Context, f *cmdutil.Factory, args []string) int {
	tuneGC()
	prof := &profile{}
	cmd := newCmdRoot(f, prof)
	args = singleDashFlags(args)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if perr := prof.stop(); perr != nil && err == nil {
		err = perr
	}
	if err == nil {
		return ExitOK
	}
	var exit *cmdutil.ExitError
	if errors.As(err, &exit) {
		return exit.Code
	}
	if errors.Is(err, cmdutil.ErrSilent) {
		return ExitError
	}
	fmt.Fprintf(f.IO.ErrOut, "fleetport: error: %s\n", strings.TrimSuffix(err.Error(), "."))
	var hint *cmdutil.HintError
	if errors.As(err, &hint) {
		for _, h := range hint.Hints {
			fmt.Fprintf(f.IO.ErrOut, "hint: %s\n", h)
		}
	}
	var flagErr *cmdutil.FlagError
	if errors.As(err, &flagErr) {
		c, _, ferr := cmd.Find(args)
		if ferr != nil || c == nil {
			c = cmd
		}
		fmt.Fprintf(f.IO.ErrOut, "\n%s", c.UsageString())
	}
	return ExitError
}

// singleDashFlags accepts the Go- and Terraform-style spellings operators
// type from habit (fmt -check) for the few long flags where that is
// customary.
func singleDashFlags(args []string) []string {
	known := map[string]bool{"-check": true, "-diff": true}
	out := make([]string, len(args))
	for i, a := range args {
		if known[a] {
			a = "-" + a
		}
		out[i] = a
	}
	return out
}
