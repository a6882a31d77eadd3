package controller

import (
	"context"
	"time"

	"github.com/fleetport/fleetport/internal/dispatch"
	"github.com/fleetport/fleetport/internal/plan"
	"github.com/fleetport/fleetport/internal/rollout"
)

// applyDeadline is how long a rollout host's job stays worth running.
const applyDeadline = 24 * time.Hour

// Dispatcher sends a rollout's hosts that have a site to their runners;
// it implements rollout.Dispatcher.
type Dispatcher struct {
	c     *Controller
	hosts map[string]dispatch.Host
	spec  string
}

// Rollout returns the dispatcher of a rollout over hosts (those with a
// site go to runners), whose runners verify with spec's policies.
func (c *Controller) Rollout(ctx context.Context, hosts []dispatch.Host, spec *dispatch.Spec) (*Dispatcher, error) {
	d := &Dispatcher{c: c, hosts: map[string]dispatch.Host{}, spec: c.addSpec(spec)}
	seen := map[string]bool{}
	var sites []string
	for _, h := range hosts {
		if h.Policy.Site == "" {
			continue
		}
		d.hosts[h.Name] = h
		if !seen[h.Policy.Site] {
			seen[h.Policy.Site] = true
			sites = append(sites, h.Policy.Site)
		}
	}
	if err := c.ensureSites(ctx, sites); err != nil {
		return nil, err
	}
	return d, nil
}

// Remote reports whether the host goes to a runner.
func (d *Dispatcher) Remote(host string) bool {
	_, ok := d.hosts[host]
	return ok
}

// RunHost publishes the host's job and waits until it is settled (see
// rollout.Dispatcher). When ctx ends it tells the runner to stop at its
// next step and waits for that, at most two AckWaits, then fences the
// runner's lease; the host then keeps no outcome, for resume.
func (d *Dispatcher) RunHost(ctx context.Context, j rollout.Journal, stage int, hp plan.HostPlan) (rollout.HostResult, error) {
	c := d.c
	h := d.hosts[hp.Host]
	cmdT, effT, poll := j.Settings()
	job := &dispatch.Job{V: dispatch.Version, ID: c.newJobID(), Kind: dispatch.KindApply, Controller: c.id,
		Site: h.Policy.Site, Spec: d.spec, Deadline: time.Now().Add(applyDeadline), AckWait: c.o.AckWait, Host: h,
		Apply: &dispatch.Apply{Rollout: j.ID(), Stage: stage, Plan: hp, CommandTimeout: cmdT, EffectTimeout: effT, PollEvery: poll}}
	jb := newJob(job)
	jb.apply = &applyJob{j: j, stage: stage}
	err := job.Validate()
	if err == nil {
		err = c.publish(ctx, jb)
	}
	if err != nil {
		c.forget(jb, false)
		return rollout.HostResult{Outcome: rollout.OutcomeUnreachable, Detail: err.Error()}, nil
	}
	settled := func() (rollout.HostResult, error) {
		jb.mu.Lock()
		defer jb.mu.Unlock()
		return jb.apply.res, jb.apply.fatal
	}
	setAborting := func(v bool) {
		jb.mu.Lock()
		jb.apply.aborting = jb.apply.aborting || v
		jb.mu.Unlock()
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-jb.done:
			c.forget(jb, false)
			return settled()
		case <-tick.C:
			setAborting(j.Aborting(ctx))
			continue
		case <-ctx.Done():
		}
		break
	}
	// Interrupted: the runner stops before its next step; wait for it, at
	// most until its lease expires, then fence it.
	setAborting(true)
	for end := time.Now().Add(2*c.o.AckWait + 5*time.Second); !jb.isSettled() && !jb.leaseExpired() && time.Now().Before(end); {
		select {
		case <-jb.done:
		case <-time.After(200 * time.Millisecond):
		}
	}
	jb.mu.Lock()
	if !jb.settled {
		st := j.State(hp.Host)
		jb.apply.token = ""
		jb.apply.res = rollout.HostResult{Changed: st.Changed || len(st.Running) > 0}
		jb.settleLocked()
	}
	jb.mu.Unlock()
	c.forget(jb, true)
	return settled()
}
