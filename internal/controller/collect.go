package controller

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/fleetport/fleetport/internal/collect"
	"github.com/fleetport/fleetport/internal/dispatch"
	"github.com/fleetport/fleetport/internal/facts"
)

// collectDeadline is how long a collection job stays worth running; a
// runner drops it after that.
const collectDeadline = 6 * time.Hour

// Collect publishes a collection job for each host, on its site
// (Host.Policy.Site), and calls out once per host with its facts
// document, one call at a time, as collect.Run does; progress, when set,
// gets each host's start and end, from several goroutines (it must be
// quick and safe for concurrent use, as collect.Options.Progress). A host the runners do not finish ends
// with a status that says why (see the package documentation). A
// cancelled ctx ends the hosts not done with status timeout and
// collect.ErrInterrupted, takes their jobs off the queue, and Collect
// returns ctx.Err().
func (c *Controller) Collect(ctx context.Context, hosts []dispatch.Host, spec *dispatch.Spec, progress func(collect.Event), out func(*facts.Host)) error {
	if len(hosts) == 0 {
		return ctx.Err()
	}
	hash := c.addSpec(spec)
	defer func() {
		c.mu.Lock()
		delete(c.specs, hash)
		c.mu.Unlock()
	}()
	results := make(chan *facts.Host, len(hosts))
	event := func(e collect.Event) {
		if progress != nil {
			progress(e)
		}
	}
	siteErr := map[string]error{}
	var names []string
	for _, h := range hosts {
		if _, ok := siteErr[h.Policy.Site]; !ok {
			siteErr[h.Policy.Site] = nil
			names = append(names, h.Policy.Site)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		siteErr[n] = c.ensureSites(ctx, []string{n})
	}
	jobs := make([]*job, 0, len(hosts))
	deadline := time.Now().Add(collectDeadline)
	for _, h := range hosts {
		j := &dispatch.Job{V: dispatch.Version, ID: c.newJobID(), Kind: dispatch.KindCollect, Controller: c.id,
			Site: h.Policy.Site, Spec: hash, Deadline: deadline, AckWait: c.o.AckWait, Host: h}
		jb := newJob(j)
		jb.deliver = func(fh *facts.Host) { results <- fh }
		jb.onStart = func() { event(collect.Event{Host: h.Name}) }
		jobs = append(jobs, jb)
		err := siteErr[j.Site]
		if err == nil && ctx.Err() == nil {
			if err = j.Validate(); err == nil {
				err = c.publish(ctx, jb)
			}
		}
		switch {
		case ctx.Err() != nil:
			jb.abandoned(facts.StatusTimeout, collect.ErrInterrupted.Error())
		case err != nil:
			jb.abandoned(facts.StatusUnreachable, err.Error())
		}
	}
	interrupted := false
	for n := 0; n < len(hosts); {
		select {
		case h := <-results:
			n++
			event(collect.Event{Host: h.Name, Done: true, Status: h.Status})
			out(h)
		case <-ctx.Done():
			if interrupted {
				// Every job was settled below; the rest are in results.
				h := <-results
				n++
				out(h)
				continue
			}
			interrupted = true
			for _, jb := range jobs {
				jb.abandoned(facts.StatusTimeout, collect.ErrInterrupted.Error())
			}
		}
	}
	for _, jb := range jobs {
		c.forget(jb, interrupted)
	}
	if interrupted {
		return ctx.Err()
	}
	return nil
}

// Ping checks that the sites' consumers can be made, so that a command
// fails before it starts when NATS or JetStream is not usable.
func (c *Controller) Ping(ctx context.Context, sites []string) error {
	if err := c.ensureSites(ctx, sites); err != nil {
		return fmt.Errorf("dispatch: %w", err)
	}
	return nil
}
