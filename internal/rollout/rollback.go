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

// RollbackOptions choose what a rollback restores.
type RollbackOptions struct {
	// Keep selects the hosts (nil: every host the rollout changed).
	Keep func(host string) bool
	// RestoreServiceState also puts services back in the run state they
	// had (a service the apply started is stopped again). Off by default:
	// stopping a service a fix started takes down what it serves.
	RestoreServiceState bool
	Now                 time.Time
}

// RollbackPlan is the plan that puts back what a rollout changed: for each
// host (that Keep selects), every action the journal records as done,
// reversed, newest first. Service run states are left as they are unless
// RestoreServiceState. The effect is what the reversed actions need
// (plan.Combine of theirs: a value the apply put into effect with a
// reboot is put back with one), and it runs only when an undo changes
// something. Verification is the read-back of every value, and, when
// HTTP restarts, that http.sys listens on the restored list.
func RollbackPlan(ctx context.Context, st *store.Store, id int64, o RollbackOptions) (*plan.Plan, error) {
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
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	out := &plan.Plan{Version: plan.SchemaVersion, Created: now.UTC(), Run: p.Run, Hosts: []plan.HostPlan{}, Refused: []plan.Refusal{}, Manual: []plan.Manual{}}
	for _, hp := range p.Hosts {
		if o.Keep != nil && !o.Keep(hp.Host) {
			continue
		}
		var acts []plan.Action
		var effs []plan.Effect
		for _, a := range slices.Backward(hp.Actions) {
			if !done[a.ID] {
				continue
			}
			if a.Kind == plan.KindService && !o.RestoreServiceState {
				out.Refused = append(out.Refused, plan.Refusal{Host: hp.Host, Policy: a.Policy,
					Reason: fmt.Sprintf("%s stays %s: a rollback restores configuration values, not service run states (--restore-service-state puts it back %s)", a.Service.Name, a.Service.After, a.Service.Before)})
				continue
			}
			if ll := a.ListenList; ll != nil {
				if missing := lacks(ll.Before, hp.ManagementAddress, hp.ConnectAddresses); len(missing) > 0 {
					// Putting back a list that lacked an address fleetport
					// reaches the host on would lock it out at the next
					// HTTP restart.
					out.Refused = append(out.Refused, plan.Refusal{Host: hp.Host, Policy: a.Policy,
						Reason: fmt.Sprintf("putting back the listen list %v would lock fleetport out: it lacks %s", ll.Before, strings.Join(missing, ", "))})
					continue
				}
			}
			acts = append(acts, a.Reverse())
			effs = append(effs, a.Effect)
		}
		if len(acts) == 0 {
			continue
		}
		rb := hp
		rb.Actions, rb.Verify, rb.Pending, rb.BootTime = acts, nil, nil, time.Time{}
		rb.Effect = plan.Combine(effs...)
		if restartsHTTP(rb.Effect) {
			rb.Verify = []string{checkNotInEffect}
		}
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
	if _, err := st.AppendEvent(ctx, store.Event{Rollout: id, Time: now, Step: "rollout", State: string(store.RolloutAborted), Detail: "no process was running it"}); err != nil {
		return "", err
	}
	return store.RolloutAborted, st.SetRolloutStatus(ctx, id, store.RolloutAborted, "no process was running it", now)
}

// lacks says which of the addresses fleetport reaches a host on (the
// management address, every address it connects to, 127.0.0.1) http.sys
// would not serve with this configured list; an empty list serves every
// address. Without a management address or a connect address a non-empty
// list cannot be checked, which it says.
func lacks(list []netip.Addr, mgmt netip.Addr, connect []netip.Addr) []string {
	if len(list) == 0 {
		return nil
	}
	need := []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1})}
	if mgmt.IsValid() {
		need = append(need, mgmt.Unmap())
	}
	for _, c := range connect {
		if c = c.Unmap(); c.IsValid() && !slices.Contains(need, c) {
			need = append(need, c)
		}
	}
	var out []string
	if !mgmt.IsValid() && len(connect) == 0 {
		out = append(out, "the address fleetport reaches the host on (not known)")
	}
	for _, n := range need {
		if !policies.ListenListReaches(list, n) {
			out = append(out, n.String())
		}
	}
	return out
}
