package rollout

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/plan"
)

// TestHTTPRestartTookEffectOnlyWhenTheListIs: after a controller stopped
// with an HTTP restart started, the restart counts as done only when
// http.sys listens on the configured list (drift's fleetport.not_in_effect),
// not merely when the policies, which judge the configured list, pass:
// the controller may have stopped before the scheduled task ran.
func TestHTTPRestartTookEffectOnlyWhenTheListIs(t *testing.T) {
	for _, c := range []struct {
		effect plan.Effect
		want   []string
	}{
		{plan.Effect{Kind: plan.EffectServiceRestart, Services: []string{"HTTP"}, Detached: true}, []string{"http_listen_list", checkNotInEffect}},
		{plan.Effect{Kind: plan.EffectServiceRestart, Services: []string{"SMTPSVC"}}, []string{"http_listen_list"}},
	} {
		var asked [][]string
		inEffect := false
		cfg := Config{Open: newShellHost().openSession, PollEvery: time.Millisecond,
			Verify: func(_ context.Context, hp plan.HostPlan) Verdict {
				asked = append(asked, slices.Clone(hp.Verify))
				return Verdict{Fixed: inEffect || !slices.Contains(hp.Verify, checkNotInEffect)}
			}}
		cfg.defaults()
		h := &hostRun{r: &runner{cfg: cfg, sink: &hostJournal{}}, hp: plan.HostPlan{Host: "h1", Effect: c.effect, Verify: []string{"http_listen_list", "w3svc_running"},
			Actions: []plan.Action{{Kind: plan.KindService, Policy: "w3svc_running"}}}}
		h.shells = newShellBook(h, nil)
		first := h.tookEffect(context.Background(), "")
		inEffect = true
		second := h.tookEffect(context.Background(), "")
		h.drop()
		if !slices.Equal(asked[0], c.want) || first != !slices.Contains(c.want, checkNotInEffect) || !second {
			t.Errorf("%s: verified %v: %v then %v", c.effect.Services, asked, first, second)
		}
	}
}
