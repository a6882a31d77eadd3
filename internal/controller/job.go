package controller

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/fleetport/fleetport/internal/dispatch"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/rollout"
)

// maxFactsBytes caps a facts document once decompressed.
const maxFactsBytes = 64 << 20

// job is one published job and how it settles.
type job struct {
	job *dispatch.Job
	seq uint64 // stream sequence, 0 until published (guarded by Controller.mu)

	// onStart, when set, is called once when a runner starts the host.
	onStart func()
	// deliver takes a collection job's document, once.
	deliver func(*facts.Host)
	// apply is set for a rollout host.
	apply *applyJob

	// mu guards the fields below.
	mu          sync.Mutex
	settled     bool
	startedOnce bool
	misses      int    // sweeps in a row that found the job neither waiting nor in flight
	refusal     string // the last reason a runner gave for terminating it
	done        chan struct{}
}

func newJob(j *dispatch.Job) *job { return &job{job: j, done: make(chan struct{})} }

func (jb *job) isSettled() bool {
	jb.mu.Lock()
	defer jb.mu.Unlock()
	return jb.settled
}

// settleLocked marks the job settled; mu is held.
func (jb *job) settleLocked() {
	jb.settled = true
	close(jb.done)
}

func (jb *job) started() {
	jb.mu.Lock()
	first := !jb.startedOnce && !jb.settled
	jb.startedOnce = true
	jb.mu.Unlock()
	if first && jb.onStart != nil {
		jb.onStart()
	}
}

func (jb *job) missing() bool {
	jb.mu.Lock()
	defer jb.mu.Unlock()
	jb.misses++
	return jb.misses >= 2
}

func (jb *job) resetMissing() {
	jb.mu.Lock()
	jb.misses = 0
	jb.mu.Unlock()
}

// failed returns the document of a host the runners did not collect.
func (jb *job) failed(status facts.Status, why string) *facts.Host {
	h := facts.NewHost(jb.job.Host.Name, jb.job.Host.Endpoint.Address)
	h.Status, h.Error = status, why
	return h
}

// result takes a runner's result.
func (jb *job) result(r *dispatch.Result) dispatch.Reply {
	if jb.apply != nil {
		return jb.apply.result(jb, r)
	}
	h, err := decodeFacts(r)
	if err != nil {
		h = jb.failed(facts.StatusProtocol, fmt.Sprintf("the result from runner %s could not be read: %v", r.Runner, err))
	} else if h.Name != jb.job.Host.Name {
		h = jb.failed(facts.StatusProtocol, fmt.Sprintf("runner %s answered for host %q", r.Runner, h.Name))
	}
	jb.mu.Lock()
	if jb.settled {
		jb.mu.Unlock()
		return dispatch.Reply{Status: dispatch.StatusOK} // a second delivery's result: the first was kept
	}
	jb.settleLocked()
	jb.mu.Unlock()
	jb.deliver(h)
	return dispatch.Reply{Status: dispatch.StatusOK}
}

func decodeFacts(r *dispatch.Result) (*facts.Host, error) {
	doc := r.Facts
	if len(doc) == 0 {
		return nil, fmt.Errorf("no facts document")
	}
	if r.Gzip {
		zr, err := gzip.NewReader(bytes.NewReader(doc))
		if err != nil {
			return nil, err
		}
		doc, err = io.ReadAll(io.LimitReader(zr, maxFactsBytes+1))
		if err != nil {
			return nil, err
		}
		if len(doc) > maxFactsBytes {
			return nil, fmt.Errorf("the facts document is larger than %d bytes", maxFactsBytes)
		}
	}
	var h facts.Host
	if err := json.Unmarshal(doc, &h); err != nil {
		return nil, err
	}
	return &h, nil
}

// refused records a runner's termination of the job.
func (jb *job) refused(reason string) {
	jb.mu.Lock()
	jb.refusal = reason
	jb.mu.Unlock()
	if jb.apply == nil {
		jb.abandoned(facts.StatusProtocol, "site "+jb.job.Site+": "+reason)
	}
}

// abandoned settles a job no runner finished; it reports whether it
// settled it now.
func (jb *job) abandoned(status facts.Status, why string) bool {
	jb.mu.Lock()
	if jb.settled {
		jb.mu.Unlock()
		return false
	}
	if jb.refusal != "" && !strings.Contains(why, jb.refusal) {
		why += " (last refusal: " + jb.refusal + ")"
	}
	if jb.apply != nil {
		jb.apply.abandonLocked(jb, why)
		jb.settleLocked()
		jb.mu.Unlock()
		return true
	}
	jb.settleLocked()
	jb.mu.Unlock()
	jb.deliver(jb.failed(status, why))
	return true
}

// applyJob is a rollout host's job: the journal it writes to and the
// lease of the delivery working on it (guarded by job.mu).
type applyJob struct {
	j     rollout.Journal
	stage int

	token    string
	expires  time.Time
	delivery uint64
	aborting bool
	res      rollout.HostResult
	fatal    error
}

func newToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// claim grants the lease to a delivery, with what the journal says of the
// host, unless another delivery holds a live one or the host is settled.
func (a *applyJob) claim(jb *job, req *dispatch.Claim, ttl time.Duration) dispatch.Reply {
	jb.mu.Lock()
	defer jb.mu.Unlock()
	if jb.settled {
		return dispatch.Reply{Status: dispatch.StatusSettled}
	}
	st := a.j.State(jb.job.Host.Name)
	if st.Outcome != "" {
		return dispatch.Reply{Status: dispatch.StatusSettled}
	}
	now := time.Now()
	if a.token != "" && now.Before(a.expires) && req.Delivery != a.delivery {
		return dispatch.Reply{Status: dispatch.StatusBusy, RetryIn: a.expires.Sub(now)}
	}
	a.token, a.expires, a.delivery = newToken(), now.Add(ttl), req.Delivery
	prior := &dispatch.HostState{Changed: st.Changed, Running: st.Running, EffectStarted: st.EffectStarted,
		EffectRan: st.EffectRan, EffectDone: st.EffectDone, EffectDetail: st.EffectDetail, Shells: st.Shells,
		Done: st.Done, EffectCreated: st.EffectCreated, EffectCommands: st.EffectCommands}
	return dispatch.Reply{Status: dispatch.StatusOK, Token: a.token, Prior: prior, Aborting: a.aborting}
}

// write journals one step of the lease holder, durably, before it answers.
func (a *applyJob) write(jb *job, e *dispatch.JournalEntry, ttl time.Duration) dispatch.Reply {
	if !strings.HasPrefix(e.Step, "action:") && e.Step != "effect" && e.Step != "verify" && e.Step != "shell" {
		return dispatch.Reply{Status: dispatch.StatusError, Error: fmt.Sprintf("a runner may not write step %q", e.Step)}
	}
	if len(e.Detail) > 4096 || len(e.State) > 64 || len(e.Step) > 256 {
		return dispatch.Reply{Status: dispatch.StatusError, Error: "journal entry too long"}
	}
	jb.mu.Lock()
	defer jb.mu.Unlock()
	if jb.settled || e.Token == "" || e.Token != a.token {
		return dispatch.Reply{Status: dispatch.StatusFenced}
	}
	if err := a.j.Append(context.Background(), a.stage, jb.job.Host.Name, e.Step, e.State, e.Detail); err != nil {
		a.fatal = err
		a.token = ""
		jb.settleLocked()
		return dispatch.Reply{Status: dispatch.StatusError, Error: "the controller could not write its journal"}
	}
	a.expires = time.Now().Add(ttl)
	return dispatch.Reply{Status: dispatch.StatusOK, Aborting: a.aborting}
}

func (a *applyJob) renew(jb *job, token string, ttl time.Duration) dispatch.Reply {
	jb.mu.Lock()
	defer jb.mu.Unlock()
	if jb.settled || token == "" || token != a.token {
		return dispatch.Reply{Status: dispatch.StatusFenced}
	}
	a.expires = time.Now().Add(ttl)
	return dispatch.Reply{Status: dispatch.StatusOK, Aborting: a.aborting}
}

func (a *applyJob) result(jb *job, r *dispatch.Result) dispatch.Reply {
	switch r.Outcome {
	case "", rollout.OutcomeFixed, rollout.OutcomeFailed, rollout.OutcomeUnreachable:
	default:
		return dispatch.Reply{Status: dispatch.StatusError, Error: fmt.Sprintf("unknown outcome %q", r.Outcome)}
	}
	jb.mu.Lock()
	defer jb.mu.Unlock()
	if r.Token == "" || r.Token != a.token {
		return dispatch.Reply{Status: dispatch.StatusFenced}
	}
	if jb.settled {
		return dispatch.Reply{Status: dispatch.StatusOK}
	}
	detail := r.Detail
	if len(detail) > 4096 {
		detail = detail[:4096]
	}
	a.res = rollout.HostResult{Outcome: r.Outcome, Detail: detail, Changed: r.Changed}
	jb.settleLocked()
	return dispatch.Reply{Status: dispatch.StatusOK}
}

// abandonLocked gives the host the outcome of work no runner finished:
// unreachable, and changed when the journal shows an action that ran or
// may have run. job.mu is held.
func (a *applyJob) abandonLocked(jb *job, why string) {
	st := a.j.State(jb.job.Host.Name)
	a.token = ""
	a.res = rollout.HostResult{Outcome: rollout.OutcomeUnreachable, Detail: why, Changed: st.Changed || len(st.Running) > 0 || st.EffectStarted}
}

// leaseExpired reports whether no delivery holds a live lease on a
// rollout host.
func (jb *job) leaseExpired() bool {
	jb.mu.Lock()
	defer jb.mu.Unlock()
	return jb.apply.token == "" || time.Now().After(jb.apply.expires)
}
