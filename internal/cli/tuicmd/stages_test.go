package tuicmd_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/fleetport/fleetport/internal/tui"
)

// TestApplyAsksBeforeEachStage: a rollout the TUI starts asks before its
// second stage (stages 1,100%); refused, it stops there with the second
// host untouched, and resumed with a yes, it completes.
func TestApplyAsksBeforeEachStage(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end over WinRM")
	}
	f, src, _ := incidentFleet(t)
	ctx := context.Background()
	prop, err := src.Plan(ctx, src.Run(), []string{"web0001", "web0002"})
	if err != nil {
		t.Fatal(err)
	}
	if len(prop.Assigned) != 2 {
		t.Fatalf("stages %v", prop.Assigned)
	}
	second := prop.Assigned[1][0]
	before := len(f.Host(second).Model.Audit())
	var mu sync.Mutex
	var asked []tui.StageAsk
	confirm := func(answer bool) func(context.Context, tui.StageAsk) bool {
		return func(_ context.Context, s tui.StageAsk) bool {
			mu.Lock()
			asked = append(asked, s)
			mu.Unlock()
			return answer
		}
	}
	res, err := src.Apply(ctx, prop, tui.RolloutHooks{Progress: func(tui.RolloutEvent) {}, Confirm: confirm(false)})
	if err != nil || res.Status != "aborted" || res.Reason != "not confirmed before stage 2" || res.Fixed != 1 {
		t.Fatalf("refused stage 2: %+v %v", res, err)
	}
	if len(asked) != 1 || asked[0].Index != 2 || asked[0].Of != 2 || !slices.Equal(asked[0].Hosts, []string{second}) {
		t.Errorf("asked %+v", asked)
	}
	for _, l := range f.Host(second).Model.Audit()[before:] {
		if !strings.HasPrefix(l.Line, "netsh int ipv4 show") && strings.HasPrefix(l.Line, "netsh int") {
			t.Errorf("%s was changed before its stage was confirmed: %s", second, l.Line)
		}
	}
	res, err = src.Resume(ctx, res.ID, tui.RolloutHooks{Progress: func(tui.RolloutEvent) {}, Confirm: confirm(true)})
	if err != nil || res.Status != "complete" || res.Fixed != 2 || len(asked) != 2 {
		t.Fatalf("resumed: %+v %v, asked %+v", res, err, asked)
	}
}
