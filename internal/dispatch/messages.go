package dispatch

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Spec is what every job of a run shares: the merged policy files (the
// built-in pack and the user's, in load order), which decide what a host
// is asked and how a rollout verifies it. Runners fetch it once by hash.
type Spec struct {
	V        int          `json:"v"`
	Policies []PolicyFile `json:"policies"`
}

// PolicyFile is one policy file: its name, as diagnostics show it, and
// its source.
type PolicyFile struct {
	Name   string `json:"name"`
	Source []byte `json:"source"`
}

// Hash is the spec's content address: a hex SHA-256 of its encoding.
func (s *Spec) Hash() string {
	b, _ := json.Marshal(s)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// SpecRequest asks the controller for the spec of a job (OpSpec).
type SpecRequest struct {
	V    int    `json:"v"`
	Hash string `json:"hash"`
}

// Started tells the controller a host's work started (OpStart; no
// reply): the progress line counts it in flight.
type Started struct {
	V      int    `json:"v"`
	Job    string `json:"job"`
	Host   string `json:"host"`
	Runner string `json:"runner"`
}

// Result is a host's result (OpResult). A collect job sends the facts
// document (JSON, gzip-compressed when Gzip is set); an apply job sends
// its outcome ("fixed", "failed", "unreachable", or "" when it stopped
// without one: aborted, or its lease was lost).
type Result struct {
	V      int    `json:"v"`
	Job    string `json:"job"`
	Host   string `json:"host"`
	Runner string `json:"runner"`

	Facts []byte `json:"facts,omitempty"`
	Gzip  bool   `json:"gzip,omitempty"`

	Rollout int64  `json:"rollout,omitempty"`
	Token   string `json:"token,omitempty"`
	Outcome string `json:"outcome,omitempty"`
	Detail  string `json:"detail,omitempty"`
	Changed bool   `json:"changed,omitempty"`
}

// Claim asks for the lease on a rollout host (OpClaim).
type Claim struct {
	V        int    `json:"v"`
	Job      string `json:"job"`
	Rollout  int64  `json:"rollout"`
	Host     string `json:"host"`
	Runner   string `json:"runner"`
	Delivery uint64 `json:"delivery"`
}

// JournalEntry is one step of a rollout host, to be written to the
// journal before the step goes on (OpJournal).
type JournalEntry struct {
	V       int    `json:"v"`
	Job     string `json:"job"`
	Rollout int64  `json:"rollout"`
	Host    string `json:"host"`
	Token   string `json:"token"`
	Step    string `json:"step"`
	State   string `json:"state"`
	Detail  string `json:"detail,omitempty"`
}

// Renew keeps a lease while a step runs long (OpRenew).
type Renew struct {
	V       int    `json:"v"`
	Job     string `json:"job"`
	Rollout int64  `json:"rollout"`
	Host    string `json:"host"`
	Token   string `json:"token"`
}

// Reply statuses.
const (
	// StatusOK: done (the result is kept, the entry written, the lease
	// granted or renewed).
	StatusOK = "ok"
	// StatusFenced: the lease passed to another delivery of the job, or
	// the host was settled: stop work on the host at once.
	StatusFenced = "fenced"
	// StatusBusy: another delivery holds a live lease; try again after
	// RetryIn.
	StatusBusy = "busy"
	// StatusSettled: the host already has its result; acknowledge the
	// job without working.
	StatusSettled = "settled"
	// StatusUnknown: the controller does not know the job (it restarted,
	// or the run ended); drop it.
	StatusUnknown = "unknown"
	// StatusError: the request was refused; Error says why.
	StatusError = "error"
)

// Reply answers every request.
type Reply struct {
	V      int    `json:"v"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	// Spec answers OpSpec.
	Spec *Spec `json:"spec,omitempty"`
	// Token, Prior and RetryIn answer OpClaim.
	Token   string        `json:"token,omitempty"`
	Prior   *HostState    `json:"prior,omitempty"`
	RetryIn time.Duration `json:"retry_in,omitempty"`
	// Aborting is set when the rollout was asked to stop: the runner
	// ends the host's work before its next step.
	Aborting bool `json:"aborting,omitempty"`
}

// HostState is what a rollout's journal says of a host so far, as the
// rollout package reads it: whether an action ran, which actions started
// and did not finish (a crash may have left them half done), how far the
// effect (restart or reboot) went, and which WinRM shells an earlier
// delivery created and did not delete (the runner deletes them first).
type HostState struct {
	Changed       bool     `json:"changed,omitempty"`
	Running       []string `json:"running,omitempty"`
	EffectStarted bool     `json:"effect_started,omitempty"`
	EffectRan     bool     `json:"effect_ran,omitempty"`
	EffectDone    bool     `json:"effect_done,omitempty"`
	EffectDetail  string   `json:"effect_detail,omitempty"`
	Shells        []string `json:"shells,omitempty"`
	// Done are the actions the rollout changed on the host; EffectCreated
	// and EffectCommands say how far a restart went (rollout.HostState).
	Done           []string `json:"done,omitempty"`
	EffectCreated  bool     `json:"effect_created,omitempty"`
	EffectCommands int      `json:"effect_commands,omitempty"`
}

// Heartbeat announces a runner (HeartbeatSubject(site)).
type Heartbeat struct {
	V       int    `json:"v"`
	Runner  string `json:"runner"`
	Site    string `json:"site"`
	Release string `json:"release"`
	Busy    int    `json:"busy"`
	Slots   int    `json:"slots"`
}

// Encode marshals a message. It fails only on a value JSON cannot
// encode.
func Encode(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	return b, nil
}

// versioned is implemented by every message: its version field.
type versioned interface{ version() int }

func (m *Job) version() int          { return m.V }
func (m *Spec) version() int         { return m.V }
func (m *SpecRequest) version() int  { return m.V }
func (m *Started) version() int      { return m.V }
func (m *Result) version() int       { return m.V }
func (m *Claim) version() int        { return m.V }
func (m *JournalEntry) version() int { return m.V }
func (m *Renew) version() int        { return m.V }
func (m *Reply) version() int        { return m.V }
func (m *Heartbeat) version() int    { return m.V }

// Decode unmarshals a message into v (a pointer to one of this package's
// message types), refusing input larger than limit, malformed JSON and
// another version. A *Job is also validated.
func Decode(data []byte, limit int, v versioned) error {
	name := fmt.Sprintf("%T", v)[len("*dispatch."):]
	if len(data) > limit {
		return fmt.Errorf("%s: %d bytes, more than the %d allowed", name, len(data), limit)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: malformed: %w", name, err)
	}
	if err := checkVersion(name, v.version()); err != nil {
		return err
	}
	if j, ok := v.(*Job); ok {
		return j.Validate()
	}
	return nil
}
