package rolloutcmd

import (
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/store"
)

func TestElapsed(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                            "[ 0:00.0]",
		5200 * time.Millisecond:      "[ 0:05.2]",
		83940 * time.Millisecond:     "[ 1:23.9]",
		12*time.Minute + time.Second: "[12:01.0]",
		time.Hour + 2*time.Minute + 3400*time.Millisecond: "[1:02:03.4]",
		-time.Second: "[ 0:00.0]",
	} {
		if got := elapsed(d); got != want {
			t.Errorf("%s: %q, want %q", d, got, want)
		}
	}
}

// TestProgressLines: the live progress of a rollout, exactly: the time
// since it started, the rollout's own entries without a stage 0 and
// without their status said twice, the waits of the guard rails.
func TestProgressLines(t *testing.T) {
	ios, _, _, errOut := cmdutil.Test()
	t0 := time.Date(2026, 12, 5, 21, 0, 0, 0, time.UTC)
	p := &progress{io: ios, started: t0}
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	for _, e := range []store.Event{
		{Time: at(0.1), Stage: 1, Step: "window", State: "wait", Detail: "outside the maintenance window: waiting until Sat 22:00 CET (in 1h0m)"},
		{Time: at(3600), Stage: 1, Step: "window", State: "open", Detail: "inside the maintenance window"},
		{Time: at(3600), Stage: 1, Step: "stage", State: "start", Detail: "2 hosts, up to 0 may fail"},
		{Time: at(3600.5), Stage: 1, Host: "web0001", Step: "host", State: "start"},
		{Time: at(3601), Stage: 1, Host: "web0001", Step: "effect", State: "wait", Detail: "1 hosts restarting or rebooting, the most at once: web0002"},
		{Time: at(3683.94), Stage: 1, Host: "web0001", Step: "host", State: "fixed"},
		{Time: at(3700), Stage: 1, Host: "web0002", Step: "host", State: "unreachable", Detail: "dial tcp 127.97.0.12:5985: connection refused"},
		{Time: at(3700), Stage: 1, Step: "stage", State: "done"},
		{Time: at(3700), Step: "rollout", State: "aborted", Detail: "abort asked: stopped before stage 2"},
		{Time: at(3700), Step: "rollout", State: "complete"},
	} {
		p.event(e)
	}
	want := `[ 0:00.1] stage 1 window wait: outside the maintenance window: waiting until Sat 22:00 CET (in 1h0m)
[1:00:00.0] stage 1 window open: inside the maintenance window
[1:00:00.0] stage 1 start: 2 hosts, up to 0 may fail
[1:00:01.0] stage 1 web0001      effect                       wait     1 hosts restarting or rebooting, the most at once: web0002
[1:01:23.9] stage 1 web0001      host                         fixed    
[1:01:23.9] stage 1: 1 fixed, 0 failed, 0 unreachable, 1 waiting
[1:01:40.0] stage 1 web0002      host                         unreachable dial tcp 127.97.0.12:5985: connection refused
[1:01:40.0] stage 1: 1 fixed, 0 failed, 1 unreachable, 0 waiting
[1:01:40.0] stage 1 done
[1:01:40.0] rollout aborted: abort asked: stopped before stage 2
[1:01:40.0] rollout complete
`
	if got := errOut.String(); got != want {
		t.Errorf("progress:\n%s\nwant:\n%s", got, want)
	}
}

func TestStatusOf(t *testing.T) {
	alive := func(pid int) bool { return pid == 7 }
	for _, c := range []struct {
		st   store.RolloutStatus
		pid  int
		want string
	}{
		{store.RolloutRunning, 7, "running"},
		{store.RolloutRunning, 8, "interrupted"},
		{store.RolloutAborting, 8, "interrupted"},
		{store.RolloutAborting, 7, "aborting"},
		{store.RolloutComplete, 8, "complete"},
		{store.RolloutStopped, 8, "stopped"},
	} {
		if got := statusOf(store.Rollout{Status: c.st, PID: c.pid}, alive); got != c.want {
			t.Errorf("%s pid %d: %s, want %s", c.st, c.pid, got, c.want)
		}
	}
}
