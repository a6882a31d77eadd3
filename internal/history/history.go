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
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/fleetport/fleetport/internal/buildinfo"
	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/store"
	"github.com/fleetport/fleetport/inventory"
	"github.com/fleetport/fleetport/policies"
)

// Judge evaluates stored runs. A run carries the inventory's view of its
// selected hosts (groups, tags, vars, management address) as it was when
// the run was made, and is judged with that, whatever the inventory says
// today.
type Judge struct {
	Store    *store.Store
	Policies *policies.Set
	// Hosts is the inventory's view of the hosts, by name, for a run
	// stored before runs carried their hosts: a host of such a run that
	// Hosts lacks is judged by its name and address only. Warn is told
	// when that happens.
	Hosts map[string]policies.Host
	// Limit selects, in the --limit language, the hosts of every run
	// judged (among the run's own hosts, groups and tags); "" selects
	// them all. ReadFile reads its @file terms.
	Limit     string
	ReadFile  func(string) ([]byte, error)
	CrossFact bool
	Now       func() time.Time
	// Warn, when set, is told what the judgement could not do as asked.
	Warn func(string)
}

// IncompleteError is the error of judging a run that could not be stored
// completely: judging it would call hosts compliant that were never
// stored.
type IncompleteError struct {
	Run    int64
	Status store.RunStatus
	// Stored and Selected count the host results written and the hosts
	// the run set out to reach.
	Stored, Selected int
	Why              string
}

func (e *IncompleteError) Error() string {
	s := fmt.Sprintf("run %d is %s: %d of its %d hosts were stored", e.Run, e.Status, e.Stored, e.Selected)
	if e.Why != "" {
		s += " (" + e.Why + ")"
	}
	return s + "; it cannot be judged"
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
	// The earlier run is judged on the hosts of this report only: a host
	// this report leaves out is not part of the comparison.
	scope := make(map[string]bool, len(rep.Hosts))
	for _, h := range rep.Hosts {
		scope[h.Name] = true
	}
	prev, err := j.judgeScoped(ctx, p.ID, func(name string) bool { return scope[name] })
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
// the boot it was in, on the run's hosts that Limit selects. The hosts
// the run set out to reach and has no result for (an interrupted run) are
// judged too: unknown.
func (j *Judge) judge(ctx context.Context, run int64) (*drift.Report, error) {
	return j.judgeScoped(ctx, run, nil)
}

// judgeScoped is judge on the hosts in scope (nil: Limit's selection).
func (j *Judge) judgeScoped(ctx context.Context, run int64, inScope func(string) bool) (*drift.Report, error) {
	r, err := j.Store.Run(ctx, run)
	if err != nil {
		return nil, err
	}
	if r.Status == store.RunFailed || r.Status == store.RunComplete && r.Hosts < r.Selected {
		status := r.Status
		if status == store.RunComplete {
			status = "partial"
		}
		return nil, &IncompleteError{Run: r.ID, Status: status, Stored: r.Hosts, Selected: r.Selected, Why: r.Interrupt}
	}
	cur, err := Facts(ctx, j.Store, run)
	if err != nil {
		return nil, err
	}
	view, err := j.hostsOf(ctx, r, cur)
	if err != nil {
		return nil, err
	}
	if inScope == nil {
		if inScope, err = j.selection(run, view); err != nil {
			return nil, err
		}
	}
	bases, err := j.Store.Baselines(ctx, run)
	if err != nil {
		return nil, err
	}
	in := drift.Input{
		Run:       drift.RunInfo{ID: r.ID, Started: r.Started, Finished: r.Finished, Status: string(r.Status)},
		Policies:  j.Policies,
		CrossFact: j.CrossFact,
		// Waivers are judged at the run's start: judging the run again
		// gives the same answer whatever the day.
		WaiversAt: r.Started,
	}
	if j.Now != nil {
		in.Now = j.Now()
	}
	for name, ph := range view {
		if !inScope(name) {
			continue
		}
		h := cur[name]
		hi := drift.HostInput{Policy: ph, Facts: h}
		if h != nil && !h.BootTime.IsZero() {
			if b, ok := bases[name][BootKey(h.BootTime)]; ok {
				base := &facts.Host{}
				if json.Unmarshal(b.Facts, base) == nil {
					hi.Baseline = base
				}
			}
		}
		in.Hosts = append(in.Hosts, hi)
	}
	rep := drift.Evaluate(in)
	rep.Provenance = &drift.Provenance{Fleetport: buildinfo.Read().Version, Run: r.ID, Inventory: j.inventoryDigest(ctx, r.ID),
		Policies: PoliciesDigest(j.Policies)}
	return rep, nil
}

// inventoryDigest is "sha256:HEX" of the hosts a run carries, "" when it
// carries none.
func (j *Judge) inventoryDigest(ctx context.Context, run int64) string {
	raw, err := j.Store.RunHosts(ctx, run)
	if err != nil || len(raw) == 0 {
		return ""
	}
	names := make([]string, 0, len(raw))
	for n := range raw {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%s\x00", n, raw[n])
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// PoliciesDigest is "sha256:HEX" of a policy set's files, names and bytes.
func PoliciesDigest(s *policies.Set) string {
	h := sha256.New()
	if s != nil {
		for _, f := range s.Files {
			fmt.Fprintf(h, "%s\x00", f.Filename)
			if f.HCL != nil {
				h.Write(f.HCL.Bytes)
			}
			h.Write([]byte{0})
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// hostsOf is the inventory's view of a run's hosts, by name: the hosts the
// run carries, or (for a run stored without them) Judge.Hosts. Every host
// with a result is in it; a host without one only when the run set out to
// reach it.
func (j *Judge) hostsOf(ctx context.Context, r store.Run, cur map[string]*facts.Host) (map[string]policies.Host, error) {
	raw, err := j.Store.RunHosts(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	view := make(map[string]policies.Host, len(cur))
	if len(raw) > 0 {
		for name, doc := range raw {
			ph, err := decodeHost(doc)
			if err != nil || ph.Name != name {
				return nil, fmt.Errorf("run %d: the stored inventory entry of host %s cannot be read", r.ID, name)
			}
			view[name] = ph
		}
	} else {
		if j.Warn != nil && len(cur) > 0 {
			if len(j.Hosts) == 0 {
				j.Warn(fmt.Sprintf("run %d was stored without its inventory, and no inventory was given: policies that depend on groups, tags or vars judge its hosts by name and address only", r.ID))
			} else {
				j.Warn(fmt.Sprintf("run %d was stored without its inventory: its hosts are judged with the inventory given now", r.ID))
			}
		}
		if r.Status != store.RunComplete {
			for name, ph := range j.Hosts {
				view[name] = ph
			}
		}
	}
	for name, h := range cur {
		if _, ok := view[name]; ok {
			continue
		}
		ph, ok := j.Hosts[name]
		if !ok || len(raw) > 0 {
			ph = policies.Host{Name: name, Address: h.Address}
		}
		view[name] = ph
	}
	return view, nil
}

// selection is the hosts of a run that Limit selects.
func (j *Judge) selection(run int64, view map[string]policies.Host) (func(string) bool, error) {
	if j.Limit == "" {
		return func(string) bool { return true }, nil
	}
	hosts := make([]*inventory.Host, 0, len(view))
	for _, ph := range view {
		hosts = append(hosts, &inventory.Host{Name: ph.Name, Address: ph.Address, Site: ph.Site, Groups: ph.Groups, Tags: ph.Tags})
	}
	sel, err := inventory.OfHosts(hosts).Select(j.Limit, j.ReadFile)
	if err != nil {
		return nil, fmt.Errorf("run %d: --limit: %w", run, err)
	}
	in := make(map[string]bool, len(sel))
	for _, h := range sel {
		in[h.Name] = true
	}
	return func(name string) bool { return in[name] }, nil
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
