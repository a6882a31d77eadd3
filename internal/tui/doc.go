// Package tui is fleetport's incident terminal UI on bubbletea v2 (issue
// "The incident TUI"), in the conventions operators know from k9s and
// lazygit.
//
// Contract: Update never blocks (store and judging work run in tea.Cmds
// and come back as messages; WinRM work will too); View renders only the
// visible rows and cells, so its cost follows the terminal size, not the
// fleet; the engine is reached through small interfaces this package
// declares ([Source]). Only the tui command (internal/cli/tuicmd) imports
// this package, and no engine package imports it (enforced by
// internal/archtest).
//
// # Entry point
//
// [New] returns the root [Model] over a [Source]; its Init starts the
// first [Source.Load]. The root model keeps the breadcrumb (a stack of
// pages: a root view, then a host opened from it), routes key presses to
// the view on top, and draws the header (run, host counts, READ-ONLY), the
// breadcrumb, the status line (or the / and : prompts) and the short help
// around it. Key bindings are data ([KeyMap], [DefaultKeyMap]); styles and
// glyphs are built once per colour profile ([Styles], [DefaultStyles]).
//
// # Views (this slice)
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
//
// Everywhere: ? lists every key; / filters the hosts (a part of the name;
// group:NAME, tag:KEY=VALUE, status:STATUS, result:RESULT, os:RELEASE; !
// inverts a term; terms combine); : switches views (:fleet, :matrix,
// :host NAME, :q); esc goes back one level and, at the root, clears the
// filter; q and ctrl+c quit from any view (k9s behaviour); r judges the
// run again through [Source.Load].
//
// # Colour
//
// The program's colour profile arrives as a tea.ColorProfileMsg
// (bubbletea detects it, honouring NO_COLOR; the tui command forces the
// ASCII profile for --no-color). ASCII and NoTTY render no escape codes at
// all and use ASCII glyphs; the golden files under testdata are that
// rendering.
//
// # Not in this slice
//
// Deliberately read-only: no action changes a host, so --read-only is
// only shown. Next come the watch view (re-collecting the connection
// tables of the selected hosts on a timer, through an interface this
// package will declare, with results coalesced per tick), the rollout
// view (plan, confirm, follow stages; pause, resume, abort; hidden by
// --read-only), and live collection progress.
package tui
