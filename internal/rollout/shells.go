package rollout

// The WinRM shells of a host's work, in the journal (step "shell"):
//
//   - open ID: a session created the shell; written before any command
//     goes to it (remote.ShellTrace), for the host run's own sessions and
//     for those collection opens to verify the host;
//   - closed ID: the session deleted it, or the host no longer had it;
//   - left ID: reason: the session's Delete failed; the shell may stay on
//     the host until its idle timeout;
//   - deleted ID, gone ID: a later host run deleted it, or found it gone;
//   - failed ID: reason: a later host run could not delete it.
//
// A shell open and not closed, deleted or gone was left by a predecessor
// that died (a killed controller or site runner) or whose Delete failed.
// On Server 2008 R2 five of them hold the user's whole shell quota, and
// their commands the operations quota, for the host's idle timeout (two
// hours by default): every later session would be refused. So before a
// host run opens a session to the host it deletes those shells by id
// (Config.DeleteShells), and only those: other shells of the user may be
// another tool's or another person's. A host run's work on its host is the
// only work on it (one goroutine; a resume refuses a rollout whose process
// lives; a site runner holds a lease), so a shell the journal lists as open
// belongs to no live session when the host run has none.

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/internal/store"
)

// Shell journal states (step "shell").
const (
	shellOpen    = "open"
	shellClosed  = "closed"
	shellLeft    = "left"
	shellDeleted = "deleted"
	shellGone    = "gone"
	shellFailed  = "failed"
)

// Routine reports a journal entry that only records a session's own shell
// coming and going (step "shell", open or closed). A rollout's story may
// leave those out; the cleanup entries (a shell left, deleted, gone or not
// deleted) stay in it.
func Routine(e store.Event) bool {
	return e.Step == "shell" && (e.State == shellOpen || e.State == shellClosed)
}

// shellID is the shell id of a "shell" entry's detail: "ID" or
// "ID: reason" (shell ids have no colon, remote.DeleteShells refuses them).
func shellID(detail string) string {
	id, _, _ := strings.Cut(detail, ":")
	return strings.TrimSpace(id)
}

// openShells applies a "shell" entry to the list of shells open by the
// journal.
func openShells(open []string, state, detail string) []string {
	id := shellID(detail)
	switch state {
	case shellOpen:
		if id != "" && !slices.Contains(open, id) {
			open = append(open, id)
		}
	case shellClosed, shellDeleted, shellGone:
		open = slices.DeleteFunc(open, func(s string) bool { return s == id })
	}
	return open
}

// shellBook keeps one host run's shells: those the journal lists as open,
// kept current as the run's sessions (and collection's during
// verification) report theirs through the trace. Safe for concurrent use.
type shellBook struct {
	h *hostRun

	mu    sync.Mutex // guards the fields below
	open  []string
	tried map[string]bool // deletions tried in this host run
	err   error           // the first journal write that failed
}

func newShellBook(h *hostRun, open []string) *shellBook {
	return &shellBook{h: h, open: slices.Clone(open), tried: map[string]bool{}}
}

// write journals one "shell" entry and applies it. A journal write that
// fails is kept: the host run stops at its next step.
func (b *shellBook) write(ctx context.Context, state, id, reason string) {
	detail := id
	if reason != "" {
		detail += ": " + reason
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return
	}
	if err := b.h.r.journal(ctx, b.h.stage, b.h.hp.Host, "shell", state, detail); err != nil {
		b.err = err
		return
	}
	b.open = openShells(b.open, state, detail)
}

func (b *shellBook) failed() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// trace journals the shells of the sessions opened with the context it
// goes into. ctx is the host run's: the journal writes outlive its
// cancellation (runner.journal detaches them).
func (b *shellBook) trace(ctx context.Context) *remote.ShellTrace {
	return &remote.ShellTrace{
		Created: func(_, id string) { b.write(ctx, shellOpen, id, "") },
		Deleted: func(_, id string, err error) {
			if err != nil {
				b.write(ctx, shellLeft, id, oneLine(err))
				return
			}
			b.write(ctx, shellClosed, id, "")
		},
	}
}

// untried returns the shells open by the journal that this host run has not
// tried to delete yet, and marks them tried.
func (b *shellBook) untried() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var ids []string
	for _, id := range b.open {
		if !b.tried[id] {
			b.tried[id] = true
			ids = append(ids, id)
		}
	}
	return ids
}

// cleanShells deletes the shells the journal lists as open on the host,
// each at most once per host run, before the host run opens a session
// (which has none open then). Every outcome is journaled; a failure leaves
// the host to the quota retries of its sessions, as before.
func (h *hostRun) cleanShells(ctx context.Context) {
	if h.r.cfg.DeleteShells == nil {
		return
	}
	ids := h.shells.untried()
	if len(ids) == 0 {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, h.r.cfg.CommandTimeout)
	res, err := h.r.cfg.DeleteShells(cctx, h.hp, ids)
	cancel()
	for i, id := range ids {
		d := remote.ShellDeletion{ID: id, Err: err}
		if i < len(res) && res[i].ID == id {
			d = res[i]
		} else if d.Err == nil {
			d.Err = errors.New("no answer for this shell")
		}
		switch {
		case d.Err != nil:
			h.shells.write(ctx, shellFailed, id, oneLine(d.Err))
		case d.Gone:
			h.shells.write(ctx, shellGone, id, "")
		default:
			h.shells.write(ctx, shellDeleted, id, "")
		}
	}
}
