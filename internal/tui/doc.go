// Package tui is fleetport's incident terminal UI on bubbletea v2: fleet,
// drift matrix, host, watch and rollout views (issue "The incident TUI").
//
// Contract: Update never blocks (WinRM, store and file work run in
// tea.Cmds); View renders only the visible rows; the engine is reached
// through small interfaces this package declares. Only the tui command
// imports this package, and no engine package imports it (enforced by
// internal/archtest).
package tui
