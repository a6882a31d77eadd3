// Package history judges stored runs: it loads a run's facts documents
// and each host's baseline for its current boot from the store (so that
// drift can tell a value changed since the host booted), judges them, and
// compares two runs judged with one policy set (what is new, fixed or
// changed).
//
// It is the only place that joins the store and drift; the drift, history,
// diff, demo and tui commands call it. It does no I/O beyond the store.
package history

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/store"
	"github.com/fleetport/fleetport/policies"
)

// Judge evaluates stored runs.
type Judge struct {
	Store    *store.Store
	Policies *policies.Set
	// Hosts is the inventory's view of the hosts, by name. A host of a
	// run that the inventory no longer has is judged by its name and
	// address only.
	Hosts     map[string]policies.Host
	CrossFact bool
	Now       func() time.Time
}

// Facts loads a run's facts documents, by host name. A record whose
// document cannot be decoded becomes a document with the record's status
// and a protocol error saying so, never a silent gap.
func Facts(ctx context.Context, st *store.Store, run int64) (map[string]*facts.Host, error) {
	recs, err := st.Hosts(ctx, run)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*facts.Host, len(recs))
	for _, r := range recs {
		out[r.Name] = decodeRecord(r)
	}
	return out, nil
}

// decodeRecord decodes a host record's facts document, or makes one with
// the record's status and an error saying the document cannot be read.
func decodeRecord(r store.HostRecord) *facts.Host {
	h := &facts.Host{}
	if len(r.Facts) == 0 || json.Unmarshal(r.Facts, h) != nil || h.Name != r.Name {
		h = facts.NewHost(r.Name, "")
		if err := h.Status.UnmarshalText([]byte(r.Status)); err != nil {
			h.Status = facts.StatusUnknown
		}
		h.Error = "the stored facts of this host cannot be read"
	}
	return h
}

// Report judges one run. With compare it also judges the run before it
// (of the same kind, complete or interrupted) and sets Report.Changes;
// there is no comparison when there is no earlier run.
func (j *Judge) Report(ctx context.Context, run int64, compare bool) (*drift.Report, error) {
	rep, err := j.judge(ctx, run)
	if err != nil {
		return nil, err
	}
	if !compare {
		return rep, nil
	}
	p, err := j.Store.Previous(ctx, run)
	if errors.Is(err, store.ErrNotFound) {
		return rep, nil
	}
	if err != nil {
		return nil, err
	}
	prev, err := j.judge(ctx, p.ID)
	if err != nil {
		return nil, fmt.Errorf("run %d (the one before %d): %w", p.ID, run, err)
	}
	drift.Compare(prev, rep)
	return rep, nil
}

// Diff judges run b and compares it with run a (usually an earlier one).
func (j *Judge) Diff(ctx context.Context, a, b int64) (*drift.Report, error) {
	ra, err := j.judge(ctx, a)
	if err != nil {
		return nil, err
	}
	rb, err := j.judge(ctx, b)
	if err != nil {
		return nil, err
	}
	drift.Compare(ra, rb)
	return rb, nil
}

// BootKey identifies a boot: its time to the second (wmic prints
// microseconds, which a clock adjustment may move).
func BootKey(t time.Time) int64 { return t.Truncate(time.Second).UnixNano() }

// BaselineOf is what a host's baseline record holds: the values Windows
// reads at boot, as the first run after the boot read them.
func BaselineOf(h *facts.Host) *facts.Host {
	return &facts.Host{Version: h.Version, Name: h.Name, Address: h.Address, Finished: h.Finished, Status: h.Status,
		BootTime: h.BootTime, Registry: h.Registry}
}

// judge evaluates one run's documents, each host with its baseline for
// the boot it was in. When the run was interrupted, the hosts of
// Judge.Hosts it has no result for are judged too: unknown.
func (j *Judge) judge(ctx context.Context, run int64) (*drift.Report, error) {
	r, err := j.Store.Run(ctx, run)
	if err != nil {
		return nil, err
	}
	cur, err := Facts(ctx, j.Store, run)
	if err != nil {
		return nil, err
	}
	bases, err := j.Store.Baselines(ctx, run)
	if err != nil {
		return nil, err
	}
	in := drift.Input{
		Run:       drift.RunInfo{ID: r.ID, Started: r.Started, Finished: r.Finished, Status: string(r.Status)},
		Policies:  j.Policies,
		CrossFact: j.CrossFact,
	}
	if j.Now != nil {
		in.Now = j.Now()
	}
	for name, h := range cur {
		ph, ok := j.Hosts[name]
		if !ok {
			ph = policies.Host{Name: name, Address: h.Address}
		}
		hi := drift.HostInput{Policy: ph, Facts: h}
		if !h.BootTime.IsZero() {
			if b, ok := bases[name][BootKey(h.BootTime)]; ok {
				base := &facts.Host{}
				if json.Unmarshal(b.Facts, base) == nil {
					hi.Baseline = base
				}
			}
		}
		in.Hosts = append(in.Hosts, hi)
	}
	if r.Status == store.RunInterrupted {
		for name, ph := range j.Hosts {
			if _, ok := cur[name]; !ok {
				in.Hosts = append(in.Hosts, drift.HostInput{Policy: ph})
			}
		}
	}
	return drift.Evaluate(in), nil
}

// Summary is the drift summary kept with a run (store meta "drift").
type Summary struct {
	Hosts   int          `json:"hosts"`
	Results drift.Counts `json:"results"`
	// Findings counts the failed and pending findings.
	Findings int `json:"findings"`
}

// Annotate stores a report's summary with its run, for `history`.
func Annotate(ctx context.Context, st *store.Store, rep *drift.Report) error {
	n := 0
	for _, v := range rep.Summary.BySeverity {
		n += v
	}
	b, err := json.Marshal(Summary{Hosts: rep.Summary.Hosts, Results: rep.Summary.Results, Findings: n})
	if err != nil {
		return err
	}
	return st.Annotate(ctx, rep.Run.ID, "drift", string(b))
}

// ReadSummary reads the summary Annotate stored; ok is false when the run
// was never judged.
func ReadSummary(r store.Run) (Summary, bool) {
	var s Summary
	v, ok := r.Meta["drift"]
	if !ok || json.Unmarshal([]byte(v), &s) != nil {
		return Summary{}, false
	}
	return s, true
}
