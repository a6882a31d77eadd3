// Package store keeps fleetport's runs in one SQLite file: every collection
// run, each host's result in it (status, error, timing, the facts document
// as JSON), so that drift reports, history and diffs work on stored runs.
//
// The database is opened in WAL mode with synchronous=FULL: a run that was
// written is on disk before the call returns, and a crash mid-run leaves a
// run marked "running" that [Store.Open] turns into "interrupted" (with the
// hosts that were written kept).
//
// The store knows nothing of what a facts document holds: callers hand it
// JSON and the few columns it indexes (host name, status). It never stores a
// credential; callers must not put one into a record.
//
// A Store is safe for concurrent use.
package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"
)

// Store is an open run store. Make it with [Open]; Close it.
type Store struct {
	db *sql.DB
}

// RunStatus is the state of a run.
type RunStatus string

// Run states.
const (
	RunRunning     RunStatus = "running"     // being written now (or the writer crashed; see Open)
	RunComplete    RunStatus = "complete"    // every selected host has a result
	RunInterrupted RunStatus = "interrupted" // stopped early: Ctrl-C, or a crash found at the next Open
	RunFailed      RunStatus = "failed"      // the controller failed, or the run could not be stored completely (Interrupt says why)
)

// Run describes one stored run.
type Run struct {
	ID        int64             `json:"id"`
	Kind      string            `json:"kind"` // "collect", ...
	Started   time.Time         `json:"started"`
	Finished  time.Time         `json:"finished,omitzero"`
	Status    RunStatus         `json:"status"`
	Hosts     int               `json:"hosts"`               // host results written
	Selected  int               `json:"selected"`            // hosts the run set out to reach
	ByStatus  map[string]int    `json:"by_status,omitempty"` // host results by status
	Meta      map[string]string `json:"meta,omitempty"`      // inventory path, limit, policies, version ...
	Interrupt string            `json:"interrupt,omitempty"` // why it stopped early
}

// HostRecord is one host's result in a run.
type HostRecord struct {
	Name     string          `json:"name"`
	Status   string          `json:"status"`
	Error    string          `json:"error,omitempty"`
	Started  time.Time       `json:"started"`
	Duration time.Duration   `json:"duration"`
	Facts    json.RawMessage `json:"facts,omitempty"`
}

// ErrNotFound is returned for a run that does not exist.
var ErrNotFound = errors.New("no such run")

const schema = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	kind      TEXT NOT NULL,
	started   INTEGER NOT NULL,
	finished  INTEGER,
	status    TEXT NOT NULL,
	selected  INTEGER NOT NULL DEFAULT 0,
	meta      TEXT NOT NULL DEFAULT '{}',
	interrupt TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS hosts (
	run      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	name     TEXT NOT NULL,
	status   TEXT NOT NULL,
	error    TEXT NOT NULL DEFAULT '',
	started  INTEGER NOT NULL,
	duration INTEGER NOT NULL,
	facts    BLOB,
	PRIMARY KEY (run, name)
);
CREATE INDEX IF NOT EXISTS hosts_by_name ON hosts(name, run);
CREATE TABLE IF NOT EXISTS run_hosts (
	run  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	host BLOB NOT NULL,
	PRIMARY KEY (run, name)
);
CREATE TABLE IF NOT EXISTS rollouts (
	id      INTEGER PRIMARY KEY AUTOINCREMENT,
	kind    TEXT NOT NULL,
	created INTEGER NOT NULL,
	updated INTEGER NOT NULL,
	status  TEXT NOT NULL,
	reason  TEXT NOT NULL DEFAULT '',
	parent  INTEGER NOT NULL DEFAULT 0,
	pid     INTEGER NOT NULL DEFAULT 0,
	plan    BLOB NOT NULL,
	options TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS rollout_events (
	seq     INTEGER PRIMARY KEY AUTOINCREMENT,
	rollout INTEGER NOT NULL REFERENCES rollouts(id) ON DELETE CASCADE,
	time    INTEGER NOT NULL,
	stage   INTEGER NOT NULL,
	host    TEXT NOT NULL,
	step    TEXT NOT NULL,
	state   TEXT NOT NULL,
	detail  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS rollout_events_by_rollout ON rollout_events(rollout, seq);
CREATE TABLE IF NOT EXISTS boot_baselines (
	name  TEXT NOT NULL,
	boot  INTEGER NOT NULL,
	run   INTEGER NOT NULL,
	facts BLOB NOT NULL,
	PRIMARY KEY (name, boot)
);
CREATE TABLE IF NOT EXISTS source_listings (
	source    TEXT PRIMARY KEY,
	listed_at TEXT NOT NULL,
	listing   TEXT NOT NULL
);
`

// schemaVersion is written to meta; a newer file is refused rather than
// misread.
const schemaVersion = "1"

// Options tune how a store is opened.
type Options struct {
	// MaxPages bounds the database file to this many pages (SQLite's
	// max_page_count; a page is 4 KiB): a write beyond it fails with
	// "database or disk is full", as on a full disk. 0: no bound.
	MaxPages int
}

// Open opens (creating it and its folder when needed) the store at path,
// and marks runs left "running" by a crashed writer as interrupted.
func Open(ctx context.Context, path string) (*Store, error) {
	return OpenWith(ctx, path, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, path string, o Options) (*Store, error) {
	if path != ":memory:" {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("store %s: %w", path, err)
		}
	}
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	if o.MaxPages > 0 {
		q.Add("_pragma", fmt.Sprintf("max_page_count(%d)", o.MaxPages))
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	s := &Store{db: db}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	return s, nil
}

func (s *Store) init(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, schema); err != nil {
		return err
	}
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'schema'`).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := s.db.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES ('schema', ?)`, schemaVersion); err != nil {
			return err
		}
	case err != nil:
		return err
	case v != schemaVersion:
		return fmt.Errorf("the store has schema %s; this fleetport reads %s", v, schemaVersion)
	}
	_, err = s.db.ExecContext(ctx, `UPDATE runs SET status = ?, interrupt = 'the run did not finish (the controller stopped)', finished = ? WHERE status = ?`,
		string(RunInterrupted), time.Now().UnixNano(), string(RunRunning))
	return err
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// BeginRun records a new run in the running state and returns its id.
func (s *Store) BeginRun(ctx context.Context, kind string, started time.Time, selected int, meta map[string]string) (int64, error) {
	m, err := json.Marshal(meta)
	if err != nil {
		return 0, err
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO runs(kind, started, status, selected, meta) VALUES (?, ?, ?, ?, ?)`,
		kind, started.UnixNano(), string(RunRunning), selected, string(m))
	if err != nil {
		return 0, fmt.Errorf("begin run: %w", err)
	}
	return res.LastInsertId()
}

// PutHosts writes host results of a run in one transaction; a host written
// again replaces its earlier result.
func (s *Store) PutHosts(ctx context.Context, run int64, recs []HostRecord) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("write hosts: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	stmt, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO hosts(run, name, status, error, started, duration, facts) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("write hosts: %w", err)
	}
	defer stmt.Close()
	for _, r := range recs {
		if _, err := stmt.ExecContext(ctx, run, r.Name, r.Status, r.Error, r.Started.UnixNano(), int64(r.Duration), []byte(r.Facts)); err != nil {
			return fmt.Errorf("write host %s: %w", r.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("write hosts: %w", err)
	}
	return nil
}

// PutRunHosts records what judging a run needs to know of its hosts
// beyond their facts: one JSON document per selected host (the
// inventory's view of it when the run was made), by name.
func (s *Store) PutRunHosts(ctx context.Context, run int64, hosts map[string]json.RawMessage) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("write the run's hosts: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	stmt, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO run_hosts(run, name, host) VALUES (?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("write the run's hosts: %w", err)
	}
	defer stmt.Close()
	for name, h := range hosts {
		if _, err := stmt.ExecContext(ctx, run, name, []byte(h)); err != nil {
			return fmt.Errorf("write the run's host %s: %w", name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("write the run's hosts: %w", err)
	}
	return nil
}

// RunHosts returns the documents PutRunHosts recorded for a run, by name;
// empty for a run stored before runs carried them.
func (s *Store) RunHosts(ctx context.Context, run int64) (map[string]json.RawMessage, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, host FROM run_hosts WHERE run = ?`, run)
	if err != nil {
		return nil, fmt.Errorf("read the run's hosts: %w", err)
	}
	defer rows.Close()
	out := map[string]json.RawMessage{}
	for rows.Next() {
		var name string
		var raw []byte
		if err := rows.Scan(&name, &raw); err != nil {
			return nil, fmt.Errorf("read the run's hosts: %w", err)
		}
		out[name] = raw
	}
	return out, rows.Err()
}

// Annotate sets one key of a run's meta (a drift summary, ...), keeping
// the others.
func (s *Store) Annotate(ctx context.Context, run int64, key, value string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE runs SET meta = json_set(meta, '$.' || ?, ?) WHERE id = ?`, key, value, run)
	if err != nil {
		return fmt.Errorf("annotate run %d: %w", run, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("annotate run %d: %w", run, ErrNotFound)
	}
	return nil
}

// Previous returns the newest run of the same kind before run, among the
// complete and interrupted ones; ErrNotFound when there is none.
func (s *Store) Previous(ctx context.Context, run int64) (Run, error) {
	row := s.db.QueryRowContext(ctx, `SELECT id, kind, started, finished, status, selected, meta, interrupt FROM runs
		WHERE id < ? AND kind = (SELECT kind FROM runs WHERE id = ?) AND status IN ('complete', 'interrupted') ORDER BY id DESC LIMIT 1`, run, run)
	r, err := scanRun(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, fmt.Errorf("run before %d: %w", run, ErrNotFound)
	}
	if err != nil {
		return Run{}, err
	}
	return r, s.countHosts(ctx, &r)
}

// Baseline is the first facts a run read from a host after one boot: what
// was configured when the host started, as far as fleetport saw it. A
// value that differs from it later in the same boot was changed after the
// boot (drift's "not in effect").
type Baseline struct {
	Name  string
	Boot  time.Time
	Run   int64
	Facts json.RawMessage
}

// PutBaselines records baselines; a host's baseline for a boot is written
// once, by the first run that saw that boot, and never replaced.
func (s *Store) PutBaselines(ctx context.Context, bs []Baseline) error {
	if len(bs) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("write baselines: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	stmt, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO boot_baselines(name, boot, run, facts) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("write baselines: %w", err)
	}
	defer stmt.Close()
	for _, b := range bs {
		if _, err := stmt.ExecContext(ctx, b.Name, b.Boot.UnixNano(), b.Run, []byte(b.Facts)); err != nil {
			return fmt.Errorf("write baseline of %s: %w", b.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("write baselines: %w", err)
	}
	return nil
}

// Baselines returns the baselines recorded by run or an earlier run, by
// host name and boot time (UnixNano).
func (s *Store) Baselines(ctx context.Context, run int64) (map[string]map[int64]Baseline, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, boot, run, facts FROM boot_baselines WHERE run <= ?`, run)
	if err != nil {
		return nil, fmt.Errorf("read baselines: %w", err)
	}
	defer rows.Close()
	out := map[string]map[int64]Baseline{}
	for rows.Next() {
		var b Baseline
		var boot int64
		var raw []byte
		if err := rows.Scan(&b.Name, &boot, &b.Run, &raw); err != nil {
			return nil, fmt.Errorf("read baselines: %w", err)
		}
		b.Boot, b.Facts = time.Unix(0, boot), raw
		if out[b.Name] == nil {
			out[b.Name] = map[int64]Baseline{}
		}
		out[b.Name][boot] = b
	}
	return out, rows.Err()
}

// FinishRun sets a run's final status; interrupt says why a run stopped
// early.
func (s *Store) FinishRun(ctx context.Context, run int64, status RunStatus, finished time.Time, interrupt string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE runs SET status = ?, finished = ?, interrupt = ? WHERE id = ?`,
		string(status), finished.UnixNano(), interrupt, run)
	if err != nil {
		return fmt.Errorf("finish run %d: %w", run, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("finish run %d: %w", run, ErrNotFound)
	}
	return nil
}

// Runs lists the newest runs first, at most limit (0 = all).
func (s *Store) Runs(ctx context.Context, limit int) ([]Run, error) {
	q := `SELECT id, kind, started, finished, status, selected, meta, interrupt FROM runs ORDER BY id DESC`
	args := []any{}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var runs []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range runs {
		if err := s.countHosts(ctx, &runs[i]); err != nil {
			return nil, err
		}
	}
	return runs, nil
}

// Run returns one run.
func (s *Store) Run(ctx context.Context, id int64) (Run, error) {
	row := s.db.QueryRowContext(ctx, `SELECT id, kind, started, finished, status, selected, meta, interrupt FROM runs WHERE id = ?`, id)
	r, err := scanRun(row)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("run %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return r, err
	}
	return r, s.countHosts(ctx, &r)
}

// Latest returns the newest run of a kind.
func (s *Store) Latest(ctx context.Context, kind string) (Run, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT id FROM runs WHERE kind = ? ORDER BY id DESC LIMIT 1`, kind).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, fmt.Errorf("no %s run stored: %w", kind, ErrNotFound)
	}
	if err != nil {
		return Run{}, err
	}
	return s.Run(ctx, id)
}

// Hosts returns a run's host results sorted by name.
func (s *Store) Hosts(ctx context.Context, run int64) ([]HostRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, status, error, started, duration, facts FROM hosts WHERE run = ? ORDER BY name`, run)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []HostRecord
	for rows.Next() {
		var r HostRecord
		var started, dur int64
		var facts []byte
		if err := rows.Scan(&r.Name, &r.Status, &r.Error, &started, &dur, &facts); err != nil {
			return nil, err
		}
		r.Started, r.Duration, r.Facts = time.Unix(0, started).UTC(), time.Duration(dur), facts
		out = append(out, r)
	}
	return out, rows.Err()
}

type scanner interface{ Scan(...any) error }

func scanRun(sc scanner) (Run, error) {
	var r Run
	var started int64
	var finished sql.NullInt64
	var status, meta string
	if err := sc.Scan(&r.ID, &r.Kind, &started, &finished, &status, &r.Selected, &meta, &r.Interrupt); err != nil {
		return r, err
	}
	r.Started, r.Status = time.Unix(0, started).UTC(), RunStatus(status)
	if finished.Valid {
		r.Finished = time.Unix(0, finished.Int64).UTC()
	}
	if err := json.Unmarshal([]byte(meta), &r.Meta); err != nil {
		return r, fmt.Errorf("run %d: meta: %w", r.ID, err)
	}
	return r, nil
}

func (s *Store) countHosts(ctx context.Context, r *Run) error {
	rows, err := s.db.QueryContext(ctx, `SELECT status, count(*) FROM hosts WHERE run = ? GROUP BY status`, r.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	r.ByStatus, r.Hosts = map[string]int{}, 0
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return err
		}
		r.ByStatus[st], r.Hosts = n, r.Hosts+n
	}
	return rows.Err()
}

// PutListing keeps the last good listing of an inventory source (hosts and
// groups, never a credential), replacing the one before.
func (s *Store) PutListing(ctx context.Context, source string, at time.Time, listing json.RawMessage) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO source_listings (source, listed_at, listing) VALUES (?, ?, ?)
		ON CONFLICT(source) DO UPDATE SET listed_at = excluded.listed_at, listing = excluded.listing`,
		source, at.UTC().Format(time.RFC3339Nano), string(listing))
	if err != nil {
		return fmt.Errorf("store: keep the listing of %s: %w", source, err)
	}
	return nil
}

// Listing returns the last listing kept for a source and its time; nil
// when there is none.
func (s *Store) Listing(ctx context.Context, source string) (json.RawMessage, time.Time, error) {
	var at, listing string
	err := s.db.QueryRowContext(ctx, `SELECT listed_at, listing FROM source_listings WHERE source = ?`, source).Scan(&at, &listing)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, time.Time{}, nil
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("store: read the listing of %s: %w", source, err)
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("store: the listing of %s has an unreadable time %q", source, at)
	}
	return json.RawMessage(listing), t, nil
}
