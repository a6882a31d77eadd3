// Package controller is the controller's side of a dispatched run: it
// publishes one job per host on the host's site (internal/dispatch), serves
// the requests of the runners working on them, and gathers the results
// into the caller's hands, so that collect, drift and apply store and
// report a dispatched run exactly as a local one.
//
// # Entry points
//
// [Dial] binds a controller to an open NATS connection: it makes the jobs
// stream, subscribes to its own request subjects, to the runners'
// heartbeats and to JetStream's delivery advisories. [Controller.Collect]
// has collect.Run's contract for the hosts it is given: every host ends
// with exactly one facts document, through one out call at a time.
// [Controller.Rollout] returns a rollout.Dispatcher: the rollout's journal
// stays in the controller's store and decides what ran on each host.
// [Controller.Close] stops everything it started and waits for it.
//
// # Every job settles
//
// A job ends in one of these ways, and the host gets a status in each:
//
//   - its runner sends the result (the first of several deliveries wins);
//   - JetStream reports that it was delivered MaxDeliver times without a
//     result (each runner died, hung or gave it back): status timeout for
//     a collection, outcome unreachable for a rollout host (a failure when
//     the journal shows a change);
//   - a runner refused it (malformed, another version, another site):
//     status protocol, with the runner's reason;
//   - no runner of its site has been heard from for SiteTimeout, or the
//     NATS connection has been down that long: status unreachable;
//   - the caller's context ends (Ctrl-C): status timeout, interrupted, as
//     a local run (a rollout host keeps no outcome, for resume).
//
// A sweep every few seconds reads the sites' consumers, so that a lost
// advisory cannot leave a job waiting forever. A rollout host is settled
// by the controller only once the lease of the runner that last held it
// has expired, so a runner that is still working cannot change a host the
// controller has given up on.
//
// # Concurrency
//
// A Controller is safe for concurrent use; requests are served by a
// bounded pool of goroutines. Lock order: Controller.mu, then a job's mu.
package controller
