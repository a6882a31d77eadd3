// Package tui is fleetport's incident terminal UI on bubbletea v2 (issue
// "The incident TUI"), in the conventions operators know from k9s and
// lazygit.
//
// Contract: Update never blocks (store, judging and WinRM work run in
// tea.Cmds and come back as messages); View renders only the visible rows
// and cells, so its cost follows the terminal size, not the fleet, and it
// reads neither the clock nor the network; the engine is reached through
// small interfaces this package declares ([Source], [Collector],
// [Watcher], [Remediator]). Only the tui command (internal/cli/tuicmd)
// imports this package, and no engine package imports it (enforced by
// internal/archtest).
//
// # Entry point
//
// [New] returns the root [Model] over a [Source] and [Options] (the
// optional engines, read-only mode, the watch interval); its Init starts
// the first [Source.Load]. The root model keeps the breadcrumb (a stack of
// pages: a root view, then a host opened from it), routes key presses to
// the view on top, and draws the header (run, results, READ-ONLY, what
// runs in the background), the breadcrumb, the status line (or the / and
// : prompts, or the collection's progress) and the short help around it,
// with a confirmation box over the view when one is open. Key bindings
// are data ([KeyMap], [DefaultKeyMap]); styles and glyphs are built once
// per colour profile ([Styles], [DefaultStyles]).
//
// # Views
//
//   - Fleet: one row per host (name, groups, OS, collection status, drift
//     findings by severity as critical/high/medium/low, result, wildcard
//     binds, TIME_WAIT count, last collected). s moves the sort to the
//     next column, S reverses it, 1..9 sort by that column (again:
//     reverse). j/k, up/down, pgup/pgdn, g/G move; space selects hosts
//     (marked * in the row; kept across filters and refreshes).
//   - Drift matrix (:matrix): policies × hosts (the fleet's filtered,
//     sorted hosts, windowed both ways; h/l move across) or × groups (m).
//     A cell is ✓ pass, ✗ fail, ! pending, ? unknown, · not applicable,
//     coloured by result; without colour p F P ? . instead. enter on a
//     host cell opens that host's findings for that policy; on a group
//     cell it filters the fleet to the group and shows its hosts.
//   - Host (enter, or :host NAME): the findings with expected, actual,
//     evidence and fix; tab shows the facts (sockets summary, listeners
//     table, listen list, registry values, dynamic port ranges, services,
//     addresses, fact errors). It scrolls (a bubbles viewport).
//   - Watch (w, :watch; incident mode): the connection table of each
//     watched host, read by the [Watcher] every Options.WatchEvery: per
//     host TIME_WAIT, ESTABLISHED, the share of the client port range in
//     use and a sparkline of the last five minutes, the top TIME_WAIT
//     remote endpoint; the hosts under the most pressure first (the share
//     of the range, then TIME_WAIT), as many as fit ("top N by
//     pressure"); under the table, the host under the cursor: its counts
//     and their change since the previous reading, sparklines, the client
//     port range with a bar, the top remotes. The cursor follows the top
//     host until a key moves it. x stops the watch; esc leaves it running
//     (the header says "watching N").
//   - Rollout (a, :rollout): the plan the [Remediator] makes for the
//     hosts (as fleetport plan prints it, with the stages each host falls
//     in); a again opens the confirmation ("Apply this plan?": y starts
//     stage 1, n or esc does not). Each later stage asks again (y starts
//     it, n or esc stops the rollout there, a starts it and every later
//     one), as fleetport apply does, unless the confirmation's option "a:
//     apply all stages without asking" is ticked (as apply --yes). The
//     guard rails' waits (effect wait, window wait) show in the journal
//     and the host's row. Then the rollout followed live from its journal:
//     the state (running, PAUSED, aborting, complete, stopped), the stage,
//     hosts by outcome, per host its stage, last step, state and detail,
//     and the newest journal entries. p pauses it before its next step
//     and continues it; x aborts it after a confirmation; R resumes one
//     that stopped (aborted, stopped by its failure budget) after a
//     confirmation, as fleetport rollout resume does. When it ends its
//     hosts are collected again. Quitting while it runs asks first.
//
// Collection progress: c collects the selected hosts (or the one under
// the cursor) again, C the whole run, through the [Collector]; the status
// line shows done/total, failures, hosts in flight, the rate and a bar
// until the new run replaces the one shown.
//
// Everywhere: ? lists every key; / filters the hosts (a part of the name;
// group:NAME, tag:KEY=VALUE, status:STATUS, result:RESULT, os:RELEASE; !
// inverts a term; terms combine); : switches views (:fleet, :matrix,
// :host NAME, :watch, :rollout, :q); esc goes back one level (from the
// watch or the rollout to the fleet) and, at the fleet, clears the
// filter; q and ctrl+c quit from any view (k9s behaviour); r judges the
// run again through [Source.Load]. w, c and a act on the selected hosts,
// else on the host on screen.
//
// # Read-only
//
// Options.ReadOnly drops the Remediator: the keys that change a host (a,
// p, x on a rollout, R, y and n) are disabled, which also hides them from
// the help, and :rollout says read-only. Watching and collecting stay:
// they only read.
//
// # Concurrency
//
// Every operation (load, collection, watch, plan, rollout) is started by
// a tea.Cmd that copies its inputs and keeps nothing of the model; its
// context's cancel func lives in the model, and quitting calls them all.
// Long operations report through a channel that one waiting command at a
// time drains: the first result, then whatever else comes within 100 ms,
// as one message (so 10,000 hosts never mean 10,000 redraws). Each
// operation numbers its messages; a message of an operation that was
// replaced is dropped.
//
// # Colour
//
// The program's colour profile arrives as a tea.ColorProfileMsg
// (bubbletea detects it, honouring NO_COLOR; the tui command forces the
// ASCII profile for --no-color). ASCII and NoTTY render no escape codes at
// all and use ASCII glyphs (sparklines _.-=+*#@, boxes +-|); the golden
// files under testdata are that rendering. Styles are never nested.
package tui
