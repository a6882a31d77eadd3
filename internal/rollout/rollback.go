package rollout

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/fleetport/fleetport/internal/plan"
	"github.com/fleetport/fleetport/internal/store"
	"github.com/fleetport/fleetport/policies"
)

// RollbackPlan is the plan that puts back what a rollout changed: for each
// host (that keep selects), every action the journal records as done,
// reversed, newest first, with the same effect step (a restart or reboot
// puts the old values into effect). Verification is the read-back of
// every value.
func RollbackPlan(ctx context.Context, st *store.Store, id int64, keep func(host string) bool, now time.Time) (*plan.Plan, error) {
	rec, err := st.Rollout(ctx, id)
	if err != nil {
		return nil, err
	}
	if rec.Kind != "apply" {
		return nil, fmt.Errorf("rollout %d is a %s: only an apply is rolled back", id, rec.Kind)
	}
	p, err := plan.Read(bytes.NewReader(rec.Plan))
	if err != nil {
		return nil, fmt.Errorf("rollout %d: its stored plan: %w", id, err)
	}
	evs, err := st.Events(ctx, id)
	if err != nil {
		return nil, err
	}
	done := map[string]bool{} // action ids that ran
	for _, e := range evs {
		if a, ok := strings.CutPrefix(e.Step, "action:"); ok && e.State == "done" {
			done[a] = true
		}
	}
	out := &plan.Plan{Version: plan.SchemaVersion, Created: now.UTC(), Run: p.Run, Hosts: []plan.HostPlan{}, Refused: []plan.Refusal{}, Manual: []plan.Manual{}}
	for _, hp := range p.Hosts {
		if keep != nil && !keep(hp.Host) {
			continue
		}
		var acts []plan.Action
		for _, a := range slices.Backward(hp.Actions) {
			if !done[a.ID] {
				continue
			}
			if ll := a.ListenList; ll != nil && !keepsAccess(ll.Before, hp.ManagementAddress) {
				// Putting back a list that lacked the management address
				// would lock fleetport out at the next HTTP restart.
				out.Refused = append(out.Refused, plan.Refusal{Host: hp.Host, Policy: a.Policy,
					Reason: fmt.Sprintf("putting back the listen list %v would lock fleetport out: it lacks %s or 127.0.0.1", ll.Before, hp.ManagementAddress)})
				continue
			}
			acts = append(acts, a.Reverse())
		}
		if len(acts) == 0 {
			continue
		}
		rb := hp
		rb.Actions, rb.Verify = acts, nil
		rb.Fingerprint = plan.Fingerprint(acts)
		out.Hosts = append(out.Hosts, rb)
	}
	return out, nil
}

// Abort asks a running rollout to stop at its next step; a rollout whose
// process is gone (alive false) is marked aborted at once.
func Abort(ctx context.Context, st *store.Store, id int64, alive func(pid int) bool, now time.Time) (store.RolloutStatus, error) {
	rec, err := st.Rollout(ctx, id)
	if err != nil {
		return "", err
	}
	switch rec.Status {
	case store.RolloutRunning, store.RolloutAborting:
	default:
		return rec.Status, fmt.Errorf("rollout %d is %s, not running", id, rec.Status)
	}
	if alive != nil && rec.PID != 0 && alive(rec.PID) {
		return store.RolloutAborting, st.SetRolloutStatus(ctx, id, store.RolloutAborting, "abort asked", now)
	}
	if _, err := st.AppendEvent(ctx, store.Event{Rollout: id, Time: now, Step: "rollout", State: string(store.RolloutAborted), Detail: "aborted while no process ran it"}); err != nil {
		return "", err
	}
	return store.RolloutAborted, st.SetRolloutStatus(ctx, id, store.RolloutAborted, "aborted while no process ran it", now)
}

// keepsAccess reports whether http.sys, with this configured list, still
// serves WinRM on the management address and on loopback.
func keepsAccess(list []netip.Addr, mgmt netip.Addr) bool {
	if !mgmt.IsValid() {
		return len(list) == 0
	}
	return policies.ListenListReaches(list, mgmt) && policies.ListenListReaches(list, netip.AddrFrom4([4]byte{127, 0, 0, 1}))
}
