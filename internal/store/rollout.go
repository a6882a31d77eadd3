package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// RolloutStatus is the state of a rollout.
type RolloutStatus string

// Rollout states. A rollout whose process died stays "running" with the
// dead process's pid; rollout resume takes it over.
const (
	RolloutRunning  RolloutStatus = "running"
	RolloutAborting RolloutStatus = "aborting" // asked to stop; the running process stops at its next step
	RolloutAborted  RolloutStatus = "aborted"
	RolloutStopped  RolloutStatus = "stopped" // a stage spent its failure budget
	RolloutComplete RolloutStatus = "complete"
	RolloutFailed   RolloutStatus = "failed" // the controller itself failed
)

// Rollout is one stored rollout: its plan (JSON), options and state.
type Rollout struct {
	ID      int64         `json:"id"`
	Kind    string        `json:"kind"` // "apply" or "rollback"
	Created time.Time     `json:"created"`
	Updated time.Time     `json:"updated"`
	Status  RolloutStatus `json:"status"`
	Reason  string        `json:"reason,omitempty"`
	// Parent is the rollout a rollback undoes.
	Parent  int64  `json:"parent,omitempty"`
	PID     int    `json:"pid,omitempty"`
	Plan    []byte `json:"-"`
	Options string `json:"options"`
}

// Event is one journal entry: a step of a host (or of the rollout, with
// host "") entering a state. Entries are written before and after every
// step, durably (synchronous=FULL) before the call returns.
type Event struct {
	Seq     int64     `json:"seq"`
	Rollout int64     `json:"rollout"`
	Time    time.Time `json:"time"`
	Stage   int       `json:"stage"`
	Host    string    `json:"host,omitempty"`
	Step    string    `json:"step"`
	State   string    `json:"state"`
	Detail  string    `json:"detail,omitempty"`
}

// CreateRollout stores a new rollout in the running state, owned by pid.
func (s *Store) CreateRollout(ctx context.Context, kind string, plan []byte, options string, parent int64, pid int, now time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO rollouts(kind, created, updated, status, parent, pid, plan, options) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		kind, now.UnixNano(), now.UnixNano(), string(RolloutRunning), parent, pid, plan, options)
	if err != nil {
		return 0, fmt.Errorf("create rollout: %w", err)
	}
	return res.LastInsertId()
}

const rolloutCols = `id, kind, created, updated, status, reason, parent, pid, plan, options`

func scanRollout(sc scanner) (Rollout, error) {
	var r Rollout
	var created, updated int64
	var status string
	if err := sc.Scan(&r.ID, &r.Kind, &created, &updated, &status, &r.Reason, &r.Parent, &r.PID, &r.Plan, &r.Options); err != nil {
		return r, err
	}
	r.Created, r.Updated, r.Status = time.Unix(0, created), time.Unix(0, updated), RolloutStatus(status)
	return r, nil
}

// Rollout returns one rollout.
func (s *Store) Rollout(ctx context.Context, id int64) (Rollout, error) {
	r, err := scanRollout(s.db.QueryRowContext(ctx, `SELECT `+rolloutCols+` FROM rollouts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("rollout %d: %w", id, ErrNotFound)
	}
	return r, err
}

// Rollouts lists the newest rollouts first, at most limit (0 = all).
func (s *Store) Rollouts(ctx context.Context, limit int) ([]Rollout, error) {
	q := `SELECT ` + rolloutCols + ` FROM rollouts ORDER BY id DESC`
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list rollouts: %w", err)
	}
	defer rows.Close()
	var out []Rollout
	for rows.Next() {
		r, err := scanRollout(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SetRolloutStatus sets a rollout's state and the reason.
func (s *Store) SetRolloutStatus(ctx context.Context, id int64, status RolloutStatus, reason string, now time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE rollouts SET status = ?, reason = ?, updated = ? WHERE id = ?`, string(status), reason, now.UnixNano(), id)
	if err != nil {
		return fmt.Errorf("rollout %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("rollout %d: %w", id, ErrNotFound)
	}
	return nil
}

// ClaimRollout makes pid the rollout's owner and sets it running, when its
// current owner is the one given (the caller checked that process is gone):
// two processes cannot both take a rollout over.
func (s *Store) ClaimRollout(ctx context.Context, id int64, fromPID, toPID int, now time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE rollouts SET pid = ?, status = ?, reason = '', updated = ? WHERE id = ? AND pid = ?`,
		toPID, string(RolloutRunning), now.UnixNano(), id, fromPID)
	if err != nil {
		return fmt.Errorf("rollout %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("rollout %d: another process took it over", id)
	}
	return nil
}

// AppendEvent writes one journal entry durably and returns its sequence
// number.
func (s *Store) AppendEvent(ctx context.Context, e Event) (int64, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO rollout_events(rollout, time, stage, host, step, state, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		e.Rollout, e.Time.UnixNano(), e.Stage, e.Host, e.Step, e.State, e.Detail)
	if err != nil {
		return 0, fmt.Errorf("journal rollout %d: %w", e.Rollout, err)
	}
	return res.LastInsertId()
}

// Events returns a rollout's journal in order.
func (s *Store) Events(ctx context.Context, rollout int64) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, rollout, time, stage, host, step, state, detail FROM rollout_events WHERE rollout = ? ORDER BY seq`, rollout)
	if err != nil {
		return nil, fmt.Errorf("read journal of rollout %d: %w", rollout, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var t int64
		if err := rows.Scan(&e.Seq, &e.Rollout, &t, &e.Stage, &e.Host, &e.Step, &e.State, &e.Detail); err != nil {
			return nil, err
		}
		e.Time = time.Unix(0, t)
		out = append(out, e)
	}
	return out, rows.Err()
}

// MarshalJSON writes a rollout with its options as the JSON object they
// are, not as a string holding JSON (options that are not JSON stay a
// string).
func (r Rollout) MarshalJSON() ([]byte, error) {
	type plain Rollout
	var opts any = r.Options
	if json.Valid([]byte(r.Options)) {
		opts = json.RawMessage(r.Options)
	}
	return json.Marshal(struct {
		plain
		Options any `json:"options"`
	}{plain(r), opts})
}
