package rollout

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fleetport/fleetport/internal/collect"
	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/plan"
	"github.com/fleetport/fleetport/policies"
)

// Recollect is the Verify of a rollout over WinRM (fleetport apply, the
// TUI, a site runner): it collects the host again with the collection
// engine, as the policies ask, and judges the policies its plan names
// (HostPlan.Verify), cross-fact checks included. A host that cannot be
// collected is unreachable; one still drifting says which policies.
func Recollect(ctx context.Context, t collect.Target, set *policies.Set, ph policies.Host, hp plan.HostPlan, now func() time.Time) Verdict {
	var got *facts.Host
	err := collect.Run(ctx, []collect.Target{t}, collect.Options{Concurrency: 1, Policies: set, Now: now},
		func(fh *facts.Host) { got = fh })
	if err != nil || got == nil {
		return Verdict{Unreachable: true, Detail: "collecting again: " + fmt.Sprint(err)}
	}
	switch got.Status {
	case facts.StatusOK, facts.StatusParseError, facts.StatusCommandFailed:
	default:
		return Verdict{Unreachable: true, Detail: "collecting again: " + got.Status.String() + ": " + got.Error}
	}
	rep := drift.Evaluate(drift.Input{Policies: set, CrossFact: true, Hosts: []drift.HostInput{{Policy: ph, Facts: got}}})
	var still []string
	for _, v := range rep.Hosts[0].Verdicts {
		if slices.Contains(hp.Verify, v.Policy) && v.Result != drift.Pass && v.Result != drift.NotApplicable {
			still = append(still, v.Policy+" "+v.Result.String())
		}
	}
	if len(still) > 0 {
		return Verdict{Detail: strings.Join(still, ", ")}
	}
	return Verdict{Fixed: true}
}
