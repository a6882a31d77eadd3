package tui

import (
	"context"

	tea "charm.land/bubbletea/v2"

	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/internal/facts"
)

// Data is one judged run, as the TUI shows it.
type Data struct {
	// Report is the run judged against the policies; its hosts are
	// sorted by name.
	Report *drift.Report
	// Facts are the run's facts documents by host name. A host without
	// one (or a nil map) shows its findings only.
	Facts map[string]*facts.Host
	// Tags are the inventory's tags by host name, for the tag:KEY=VALUE
	// filter; nil without an inventory.
	Tags map[string]map[string]string
}

// Source is where the TUI gets its data from. Load is called from a
// tea.Cmd, never from Update, and may take as long as judging a run takes;
// it must return when ctx is cancelled. A Source must be safe to call from
// a goroutine other than the one that created it, but the TUI never runs
// two Loads at once.
type Source interface {
	// Load loads and judges the run the TUI shows. Every call judges
	// again ("r" refreshes through it).
	Load(ctx context.Context) (*Data, error)
}

// loadedMsg carries the result of a Load. Seq tells a refresh from the
// one it replaced, so that a late answer is dropped.
type loadedMsg struct {
	seq  int
	data *Data
	err  error
}

// loadCmd runs src.Load. It captures its inputs when it is made and reads
// no model field afterwards.
func loadCmd(ctx context.Context, src Source, seq int) tea.Cmd {
	return func() tea.Msg {
		d, err := src.Load(ctx)
		if err == nil && (d == nil || d.Report == nil) {
			err = errNoReport
		}
		return loadedMsg{seq: seq, data: d, err: err}
	}
}
