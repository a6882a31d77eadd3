package collectcmd

import (
	"context"
	"encoding/json"
	"time"

	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/history"
	"github.com/fleetport/fleetport/internal/store"
)

// HostWriter writes a run's facts documents to the store in batches of
// 64, with the boot-time baselines that history needs. It writes with a
// context of its own, so that an interrupted run keeps what was
// collected. It is not safe for concurrent use: collect.Run calls its out
// function one host at a time.
type HostWriter struct {
	ctx       context.Context
	st        *store.Store
	run       int64
	pending   []store.HostRecord
	baselines []store.Baseline
	err       error
}

// NewHostWriter writes the hosts of run; ctx's cancellation is ignored.
func NewHostWriter(ctx context.Context, st *store.Store, run int64) *HostWriter {
	return &HostWriter{ctx: context.WithoutCancel(ctx), st: st, run: run, pending: make([]store.HostRecord, 0, 64)}
}

// Add queues a host's document, writing the batch when it is full.
func (w *HostWriter) Add(h *facts.Host) {
	if w.err != nil {
		return
	}
	raw, err := json.Marshal(h)
	if err != nil {
		w.err = err
		return
	}
	w.pending = append(w.pending, store.HostRecord{Name: h.Name, Status: h.Status.String(), Error: h.Error, Started: h.Started, Duration: h.Duration(), Facts: raw})
	if !h.BootTime.IsZero() && len(h.Registry) > 0 {
		if b, err := json.Marshal(history.BaselineOf(h)); err == nil {
			w.baselines = append(w.baselines, store.Baseline{Name: h.Name, Boot: time.Unix(0, history.BootKey(h.BootTime)), Run: w.run, Facts: b})
		}
	}
	if len(w.pending) >= 64 {
		w.Flush()
	}
}

// Flush writes what is queued and returns the first error of any write.
func (w *HostWriter) Flush() error {
	if len(w.pending) == 0 || w.err != nil {
		return w.err
	}
	w.err = w.st.PutHosts(w.ctx, w.run, w.pending)
	if w.err == nil {
		w.err = w.st.PutBaselines(w.ctx, w.baselines)
	}
	w.pending, w.baselines = w.pending[:0], w.baselines[:0]
	return w.err
}
