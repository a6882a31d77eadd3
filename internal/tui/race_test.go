//go:build race

package tui

// raceEnabled: the race detector slows every step several times over, so
// timings mean nothing under it.
const raceEnabled = true
