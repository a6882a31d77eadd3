// Package rollout carries out a plan (internal/plan) in stages over WinRM:
// a canary, then waves, with a failure budget per stage, a confirmation and
// a wait between stages, and a crash-safe journal in the store
// (internal/store) that decides what ran. It does not decide what to
// change (plan does), collect or judge hosts (Config.Verify does, usually
// [Recollect]), or talk WinRM itself: sessions come from Config.Open
// (remote.Open for the CLI, the TUI and the site runners).
//
// # Entry points
//
//   - [Start] stores a rollout and runs it; [Resume] continues one after a
//     crash, an abort or a spent budget; [Abort] asks a running one to stop;
//     [Gate] pauses one between steps.
//   - [RunHost] runs one host's part of a stage for a site runner, writing
//     its journal through a [HostJournal]; a [Dispatcher] hands hosts to
//     such runners and the [Journal] stays the controller's (remote.go).
//   - [ParseStages], [Assign] and [ParseBudget] turn --stages and
//     --max-failures into hosts per stage and failures allowed.
//
// # The journal
//
// Every step of a host (its start, each action's probe, run and outcome,
// the effect's start and end, verification, its outcome) is written before
// the step goes on. A resume reads the journal: an action done is skipped
// after its probe, one half done is finished, an effect started is checked
// before it runs again, and a host with an outcome is not touched again.
//
// # Orphaned shells
//
// The journal also records every WinRM shell a host's sessions create and
// delete (step "shell", through a remote.ShellTrace; see shells.go). A
// controller or runner killed in a host's work leaves its shells open, and
// on Server 2008 R2 five of them hold the user's whole shell quota for the
// host's idle timeout. Before a later run of the rollout opens a session to
// the host it deletes, by id and with Config.DeleteShells, the shells the
// journal lists as created and never deleted, and only those, and journals
// what became of each; a failure is journaled and the host goes on as
// before.
package rollout
