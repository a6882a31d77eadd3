// Package dispatch defines the messages that a fleetport controller and its
// site runners exchange over NATS JetStream, and the subjects they travel
// on. It is the wire contract of `fleetport runner`; it holds no NATS code
// (internal/jobq connects, internal/controller and internal/runner speak).
//
// # The model
//
// A controller (collect, drift, apply, rollout resume with --nats) turns
// every selected host that has a site into one [Job] and publishes it on
// [JobSubject] of that site, in the work-queue stream [Stream]. The runners
// of a site share one durable pull consumer ([ConsumerName]); a job goes to
// one runner at a time. While it works the runner sends in-progress acks
// every third of the job's AckWait; a runner that dies stops sending them,
// and JetStream delivers the job again after AckWait, up to the consumer's
// MaxDeliver.
//
// Everything else is a request from the runner to the controller that
// published the job, on [ControllerSubject] (the job names the controller),
// each answered with a [Reply] and bounded by a deadline on the runner's
// side:
//
//	spec     SpecRequest  -> Reply{Spec}      the run's policies, by hash, once per runner
//	start    Started      (no reply)          progress: a host started
//	result   Result       -> Reply            a host's facts, or a rollout host's outcome
//	claim    Claim        -> Reply{Lease}     a rollout host: the journal's state and a lease
//	journal  JournalEntry -> Reply            one rollout step, written before it goes on
//	renew    Renew        -> Reply            keeps a lease while a step takes long
//
// A runner acknowledges a job only after the controller answered its
// result: a result is never lost, at worst it is computed twice (the
// controller keeps the first). Runners announce themselves with a
// [Heartbeat] on [HeartbeatSubject] every few seconds, so that a controller
// can tell a site without runners from a slow one.
//
// # Rollouts: the journal decides
//
// The journal of a rollout lives in the controller's store, as for a local
// rollout. A runner that receives an apply job first claims the host: the
// controller answers with what the journal says of it (actions run or done,
// effect started, ran or done) and a lease token, or refuses ("settled": the
// host has an outcome; "busy": another delivery holds a live lease). Every
// journal entry the runner writes carries the token; the controller writes
// it to the store before it answers, and refuses it ("fenced") once the
// lease passed to another delivery. The runner's host work is the rollout
// package's own: every action reads the host's state before changing it,
// so a job delivered twice re-reads the state and skips what is done.
//
// # Credentials
//
// A job carries the host's credentials by reference only ([Credential]:
// an environment variable or a file name, resolved by each runner on its
// own machine). A password literal is never put into a job: [Job.Validate]
// refuses one, and so does the controller before publishing.
//
// # Versions
//
// Every message carries "v": [Version]. A receiver refuses another version
// with an error that names both, so that a controller and runners of
// different releases fail loudly instead of misreading each other. Changes
// that add optional fields keep the version; any other change bumps it.
package dispatch
