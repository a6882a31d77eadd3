// Package plan turns drift into a reviewed, typed remediation plan: per
// host, the changes in order, each with the state before and after as
// typed data, the command lines that make it, undo it and read it back,
// the one step that puts the changes into effect, and what to judge again
// afterwards. It is what `fleetport plan` shows and saves (plan.json) and
// what `apply --plan` runs exactly, through package rollout.
//
// # Entry points
//
//   - [Build] plans a run: the policy set, and per host ([HostInput]) the
//     inventory's view, the run's facts and the host's drift report
//     (drift.Evaluate). It never fails; what it will not plan is a
//     [Refusal], what no remediation covers is [Manual].
//   - [Action.Classify] reads the output of an action's Probe on the host
//     and says whether the host is in the action's Before state, its After
//     state, or another ([State]): apply runs an action only in Before,
//     skips it in After (so it runs at most once, across crashes and
//     resumes), and stops at a host in another state (it changed since the
//     plan). [Action.Reverse] is the action that restores Before, for
//     rollback.
//   - [EffectCommands] renders a host's effect step: nothing, a restart of
//     services with every dependant that was running started again, or a
//     reboot; and whether it cuts the WinRM session.
//   - [Plan.Write] and [Read] are the JSON form (version [SchemaVersion]);
//     [WriteText] the form for people; [Plan.Counts] the totals.
//
// # What is planned
//
// For every policy whose verdict on the host is fail or pending, Build
// resolves the policy for the host (policies.Set.ResolveAll, with the
// release from the facts) and turns each remediation action that applies
// into an [Action]: Before from the facts (the registry value or its
// absence, the configured listen list, the dynamic port range, the
// service's state), After from the action. An action whose Before equals
// After is left out. A host's listen-list actions are chained: each starts
// from the list the previous one leaves, so two policies that both add the
// management address add it once. Within one listen-list action the adds
// come first, the management address and 127.0.0.1 first of all, then the
// removes: the list never lacks them between two commands.
//
// Pending findings of drift's fleetport.not_in_effect need only the
// effect: a registry value that waits for a reboot gets a reboot, a
// listen list that waits for an HTTP restart gets one. The cross-fact
// checks fleetport.listen_list_lockout and fleetport.site_unreachable are
// covered, not manual, when the host's planned listen-list change fixes
// them.
//
// Each host gets exactly one effect, policies.CombineEffects of what its
// actions and pending findings need: a reboot when any needs one (it
// restarts every service, so no restart is added), else the service
// restarts (HTTP with its dependants for a listen list, SMTPSVC for SMTP's
// socket pooling, MSSQLSERVER for WinsockListenBacklog), else none. A
// restart of HTTP stops WinRM, so it runs detached in a scheduled task
// that starts HTTP, WinRM and every dependant that was running again.
//
// Verify names the policies and cross-fact checks the plan addresses on
// the host (drifting, not manual, none of their changes refused): the
// host is fixed when none of them drifts after the effect.
//
// # Safety
//
// Each of these is a [Refusal]; the rest of the host's plan stays:
//
//   - A listen list that would lack the management address or 127.0.0.1
//     (policies.CheckListenListChange on the collected list, with
//     [HostPlan.ManagementAddress]); an unknown management address refuses
//     every listen-list change. The message names the missing address.
//   - A listen-list address to add that the host does not have
//     (facts.Host.Addresses; 0.0.0.0, ::, 127.0.0.1 and ::1 are always
//     had). When the host's addresses were not collected, every addition
//     is refused.
//   - When one listen-list change of a host is refused, the host gets none
//     (they build on each other).
//   - An action whose Before is unknown because the fact is missing or
//     unreadable (a registry value, the listen list, the port range, the
//     service state not collected): collect first. Also refused: a value
//     of a type fleetport cannot write back, string data that cannot be
//     put on a command line safely, a service in a pending state, a start
//     mode (not collected), an action whose applicability is unknown.
//   - An effect that restarts http.sys (a reboot or an HTTP restart) when
//     the configured list it would put into effect locks fleetport out or
//     is not known, together with the actions that need that effect.
//
// Findings of a policy with no remediation for the host (drift's
// FixManual) are [Manual], not refusals.
//
// Commands are built from typed, validated values only, never from text
// of an inventory or a policy: known registry keys, names matching
// [A-Za-z0-9_.$-]+, netip addresses, decimal numbers, string data without
// quotes, percent signs, carets or control characters. [Read] renders
// every action again and rejects a plan whose lines differ, and a plan
// whose fingerprint (a digest of the Before states) does not match.
//
// The metabase's DisableSocketPooling is not collected: an
// iis_socket_pooling action is planned with Before "not set or false"
// (the wildcard bind drift found shows pooling is on), its probe reads
// the real value before the change, and its undo writes false, which
// behaves as not set.
//
// # What it deliberately does not do
//
// No execution, no WinRM, no store, no clock but Options.Now, no I/O but
// the io.Writer and io.Reader it is given: package rollout runs the plan,
// journals it and reads `sc enumdepend` for the effect. It plans only
// from the facts of one run and never guesses a Before it was not told.
package plan
