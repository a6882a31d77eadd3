// Package runner is the site runner of `fleetport runner`: it pulls the
// host jobs of one site from the JetStream work queue (internal/dispatch
// describes the messages), works on them with the same engine as a local
// run (internal/collect for collection, rollout.RunHost for a rollout's
// hosts), and sends each result to the controller that published the job.
//
// # Entry point
//
// [Run] works until its context ends, then drains: it stops taking jobs
// and lets the ones in flight finish, up to Options.DrainTimeout, after
// which it cancels them and gives them back to the queue (negative
// acknowledgement, so another runner takes them at once).
//
// # Guarantees
//
//   - A job is acknowledged only after the controller answered its result;
//     until then the runner sends in-progress acks every third of the
//     job's AckWait, bounded by the job's own deadline, so that a runner
//     that dies or hangs gives its jobs back after AckWait.
//   - A rollout host is worked on only under a lease from the controller
//     (dispatch.OpClaim), starting from what the controller's journal says.
//     Every step is journaled at the controller before it goes on; a step
//     the controller refuses (the lease passed on) stops the work. When
//     the lease cannot be renewed for two thirds of AckWait, the runner
//     stops the host's work itself, before JetStream can hand the job to
//     another runner; the lease is checked before every command too, so a
//     runner that was paused sends nothing once another may hold the host.
//   - Credentials arrive by reference and are resolved here, from this
//     machine's environment and files; prompt() is refused. The runner
//     never logs or sends a credential.
//   - Every request to the controller has a deadline; a malformed job is
//     terminated with its reason (the controller hears of it), never
//     retried forever.
//
// It does not store anything: the controller's store holds runs and
// rollout journals.
package runner
