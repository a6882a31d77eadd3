package rolloutcmd

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/rollout"
	"github.com/fleetport/fleetport/internal/store"
	"github.com/fleetport/fleetport/policies"
)

// guardFlags are the guard-rail flags of apply, rollout resume and
// rollout rollback.
type guardFlags struct {
	maxDisruptive, maxPerGroup int
	outside                    string
}

// guardHelp is the guard rails as the commands' help explains them.
const guardHelp = `Guard rails: --max-disruptive N lets at most N hosts restart a service or
reboot at once (--max-disruptive-per-group N: at most N of each inventory
group); a host whose turn has not come waits before its restart or reboot
("effect wait", with the hosts it waits for). The maintenance windows of the
policies' rollout block (window { days, from, to, time_zone }) bound when a
stage, a host and a host's restart or reboot may start; outside them the
rollout waits for the next window (--outside-window wait, the default) or
stops (refuse; rollout resume continues it), and says until when. The
rollout block's max_restarts, max_restarts_per_group and outside_window are
the defaults of these flags.`

func (g *guardFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.IntVar(&g.maxDisruptive, "max-disruptive", 0, "hosts restarting a service or rebooting at once, at most (0: no cap)")
	fl.IntVar(&g.maxPerGroup, "max-disruptive-per-group", 0, "hosts of one inventory group restarting or rebooting at once, at most (0: no cap)")
	fl.StringVar(&g.outside, "outside-window", policies.OutsideWindowWait, "outside the maintenance windows: wait (for the next one) or refuse")
}

func (g *guardFlags) check() error {
	if g.maxDisruptive < 0 || g.maxPerGroup < 0 {
		return cmdutil.FlagErrorf("--max-disruptive and --max-disruptive-per-group take a count of hosts, or 0 for no cap")
	}
	if g.outside != policies.OutsideWindowWait && g.outside != policies.OutsideWindowRefuse {
		return cmdutil.FlagErrorf("--outside-window %q: give wait or refuse", g.outside)
	}
	return nil
}

// rails are the guard rails of a new rollout: the policies' rollout block,
// then the flags given.
func (g *guardFlags) rails(set *policies.Set, changed func(string) bool) (rollout.GuardRails, error) {
	if err := g.check(); err != nil {
		return rollout.GuardRails{}, err
	}
	var r rollout.GuardRails
	if set != nil && set.Rollout != nil {
		b := set.Rollout
		r = rollout.GuardRails{MaxDisruptive: b.MaxRestarts, MaxDisruptivePerGroup: b.MaxRestartsPerGroup, Windows: b.Windows, OutsideWindow: b.OutsideWindow}
	}
	g.over(&r, changed)
	return r, r.Check()
}

// over sets the flags given over r.
func (g *guardFlags) over(r *rollout.GuardRails, changed func(string) bool) {
	if changed("max-disruptive") {
		r.MaxDisruptive = g.maxDisruptive
	}
	if changed("max-disruptive-per-group") {
		r.MaxDisruptivePerGroup = g.maxPerGroup
	}
	if changed("outside-window") || r.OutsideWindow == "" {
		r.OutsideWindow = g.outside
	}
}

// refuseOutside refuses, before a rollout is stored, to start one outside
// its maintenance windows when it is to refuse rather than wait.
func refuseOutside(r rollout.GuardRails, now time.Time) error {
	if r.OutsideWindow != policies.OutsideWindowRefuse {
		return nil
	}
	why, err := r.Outside(now)
	if err != nil || why == "" {
		return err
	}
	return cmdutil.WithHint(fmt.Errorf("refused: %s; nothing changed", why), "--outside-window wait waits for it")
}

// started prints the rollout's id as soon as it exists, with how to stop
// it from another terminal.
func started(io *cmdutil.IOStreams) func(int64) {
	return func(id int64) {
		fmt.Fprintf(io.ErrOut, "rollout %d started: fleetport rollout abort %d stops it\n", id, id)
	}
}

// elapsed is the time since a rollout started, as its progress lines show
// it: "[ 1:23.9]" (minutes and seconds), "[1:02:03.4]" past an hour.
func elapsed(d time.Duration) string {
	d = max(d, 0).Round(100 * time.Millisecond)
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	s := float64(d%time.Minute) / float64(time.Second)
	if h > 0 {
		return fmt.Sprintf("[%d:%02d:%04.1f]", h, m, s)
	}
	return fmt.Sprintf("[%2d:%04.1f]", m, s)
}

// statusOf is a rollout's status as list and status show it: one
// recorded running (or aborting) whose process is gone is "interrupted"
// (rollout resume continues it).
func statusOf(r store.Rollout, alive func(int) bool) string {
	if (r.Status == store.RolloutRunning || r.Status == store.RolloutAborting) && !alive(r.PID) {
		return "interrupted"
	}
	return string(r.Status)
}

// latest is the rollout id "latest" names: the newest rollout, or for a
// rollback the newest apply.
const latestWord = "latest"

func rolloutID(ctx context.Context, open func(context.Context) (*store.Store, error), arg string, applyOnly bool) (int64, error) {
	if !strings.EqualFold(arg, latestWord) {
		n, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || n <= 0 {
			return 0, cmdutil.FlagErrorf("%q is not a rollout id or latest (fleetport rollout list shows them)", arg)
		}
		return n, nil
	}
	st, err := open(ctx)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	rs, err := st.Rollouts(ctx, 0)
	if err != nil {
		return 0, err
	}
	for _, r := range rs {
		if !applyOnly || r.Kind == "apply" {
			return r.ID, nil
		}
	}
	if applyOnly {
		return 0, errors.New("latest: the store has no apply to roll back")
	}
	return 0, errors.New("latest: the store has no rollout")
}
