package dispatch

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/fleetport/fleetport/internal/plan"
	"github.com/fleetport/fleetport/policies"
)

// Version is the version of every message of this package. 2: runners
// journal their sessions' WinRM shells (step "shell"), which a controller
// of version 1 refuses. 3: a host's journal state carries the actions done
// and how far a restart went, which decide whether its effect runs (a
// runner of version 2 would run effects nothing needs), and plans are of
// plan schema version 2.
const Version = 3

// Size caps: a job, a request or a reply larger than these is refused
// before it is decoded.
const (
	MaxJobBytes     = 256 << 10
	MaxMessageBytes = 8 << 20
)

// Kind says what a job asks of a runner.
type Kind string

// Job kinds.
const (
	// KindCollect collects the host's facts, as fleetport collect does.
	KindCollect Kind = "collect"
	// KindApply runs the host's part of a rollout stage: probe and change
	// each action, put the changes into effect, verify.
	KindApply Kind = "apply"
)

// Job is one host's work for one run, published on the host's site.
type Job struct {
	V    int    `json:"v"`
	ID   string `json:"id"` // unique: the controller's id, a dot, a sequence number
	Kind Kind   `json:"kind"`
	// Controller is the id of the controller that published the job: its
	// requests go to ControllerSubject(Controller, op).
	Controller string `json:"controller"`
	Site       string `json:"site"`
	// Spec is the hash of the run's [Spec] (policies), fetched once per
	// runner with OpSpec.
	Spec string `json:"spec"`
	// Deadline: a job received after it is dropped (the controller has
	// given up on it by then).
	Deadline time.Time `json:"deadline"`
	// AckWait is the consumer's ack wait: the runner acks progress every
	// third of it, and a rollout lease lasts this long.
	AckWait time.Duration `json:"ack_wait"`
	Host    Host          `json:"host"`
	// Apply is set for KindApply.
	Apply *Apply `json:"apply,omitempty"`
}

// Host is what a runner needs to reach a host and ask it what the
// policies need: the connection settings the controller resolved from the
// inventory, and the credentials by reference.
type Host struct {
	Name     string     `json:"name"`
	Endpoint Endpoint   `json:"endpoint"`
	User     Credential `json:"user"`
	Password Credential `json:"password"`
	// ConnectTimeout and OperationTimeout configure the WinRM session;
	// Timeout bounds all of the host's work in a run.
	ConnectTimeout   time.Duration `json:"connect_timeout"`
	OperationTimeout time.Duration `json:"operation_timeout"`
	Timeout          time.Duration `json:"timeout"`
	Groups           []string      `json:"groups,omitempty"`
	Policy           PolicyHost    `json:"policy"`
}

// Endpoint is where a host's WinRM listener is and how to talk to it.
// File paths (CAFile) are read on the runner's machine.
type Endpoint struct {
	Address            string `json:"address"`
	Port               int    `json:"port"`
	HTTPS              bool   `json:"https,omitempty"`
	Auth               string `json:"auth"` // "basic", "ntlm", "kerberos" or "negotiate"
	AllowUnencrypted   bool   `json:"allow_unencrypted,omitempty"`
	CAFile             string `json:"ca_file,omitempty"`
	TLSServerName      string `json:"tls_server_name,omitempty"`
	InsecureSkipVerify bool   `json:"insecure_skip_verify,omitempty"`
	// KerberosName is the host's DNS name for its service principal
	// (HTTP/<name>) when Address is an IP address. Nothing else of
	// Kerberos travels: the runner authenticates with its own krb5.conf,
	// keytab or credential cache.
	KerberosName string `json:"kerberos_name,omitempty"`
}

// Credential sources a job may carry.
const (
	SourceNone    = ""
	SourceEnv     = "env"
	SourceFile    = "file"
	SourcePrompt  = "prompt"
	SourceLiteral = "literal" // a literal user name; never a password
)

// Credential is a credential by reference: the runner resolves it on its
// own machine (an environment variable, a file). Value is set only for a
// literal user name, which is not a secret.
type Credential struct {
	Source string `json:"source,omitempty"`
	Name   string `json:"name,omitempty"`
	Value  string `json:"value,omitempty"`
}

// PolicyHost is policies.Host on the wire: what the policies may know of
// a host before it is collected. Vars keep their cty types.
type PolicyHost struct {
	Name              string                     `json:"name"`
	Address           string                     `json:"address"`
	ManagementAddress string                     `json:"management_address,omitempty"`
	Site              string                     `json:"site,omitempty"`
	OS                string                     `json:"os,omitempty"`
	OSBuild           int                        `json:"os_build,omitempty"`
	Groups            []string                   `json:"groups,omitempty"`
	Tags              map[string]string          `json:"tags,omitempty"`
	Vars              map[string]json.RawMessage `json:"vars,omitempty"`
}

// Apply is a rollout host's part of a stage.
type Apply struct {
	Rollout int64         `json:"rollout"`
	Stage   int           `json:"stage"`
	Plan    plan.HostPlan `json:"plan"`
	// The rollout's settings (rollout.Config).
	CommandTimeout time.Duration `json:"command_timeout"`
	EffectTimeout  time.Duration `json:"effect_timeout"`
	PollEvery      time.Duration `json:"poll_every"`
}

// NewPolicyHost puts a policies.Host on the wire.
func NewPolicyHost(h policies.Host) (PolicyHost, error) {
	p := PolicyHost{Name: h.Name, Address: h.Address, ManagementAddress: h.ManagementAddress, Site: h.Site,
		OS: h.OS, OSBuild: h.OSBuild, Groups: h.Groups, Tags: h.Tags}
	if len(h.Vars) > 0 {
		p.Vars = make(map[string]json.RawMessage, len(h.Vars))
		for k, v := range h.Vars {
			b, err := marshalValue(v)
			if err != nil {
				return PolicyHost{}, fmt.Errorf("host %s: variable %s: %w", h.Name, k, err)
			}
			p.Vars[k] = b
		}
	}
	return p, nil
}

// Host returns the policies' view of the host.
func (p PolicyHost) Host() (policies.Host, error) {
	h := policies.Host{Name: p.Name, Address: p.Address, ManagementAddress: p.ManagementAddress, Site: p.Site,
		OS: p.OS, OSBuild: p.OSBuild, Groups: p.Groups, Tags: p.Tags}
	if len(p.Vars) > 0 {
		h.Vars = make(map[string]cty.Value, len(p.Vars))
		for k, raw := range p.Vars {
			v, err := unmarshalValue(raw)
			if err != nil {
				return policies.Host{}, fmt.Errorf("host %s: variable %s: %w", p.Name, k, err)
			}
			h.Vars[k] = v
		}
	}
	return h, nil
}

// typedValue is a cty value with its type, so that a list stays a list
// (JSON alone would make it a tuple).
type typedValue struct {
	Type  json.RawMessage `json:"type"`
	Value json.RawMessage `json:"value"`
}

func marshalValue(v cty.Value) ([]byte, error) {
	t, err := ctyjson.MarshalType(v.Type())
	if err != nil {
		return nil, err
	}
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return nil, err
	}
	return json.Marshal(typedValue{Type: t, Value: b})
}

func unmarshalValue(raw []byte) (cty.Value, error) {
	var tv typedValue
	if err := json.Unmarshal(raw, &tv); err != nil {
		return cty.NilVal, err
	}
	t, err := ctyjson.UnmarshalType(tv.Type)
	if err != nil {
		return cty.NilVal, err
	}
	return ctyjson.Unmarshal(tv.Value, t)
}

// ErrVersion is wrapped by the error of a message of another version.
var ErrVersion = errors.New("message version")

func checkVersion(what string, v int) error {
	if v != Version {
		return fmt.Errorf("%s: %w %d, this fleetport speaks %d: run the same fleetport release on the controller and the runners", what, ErrVersion, v, Version)
	}
	return nil
}

// Validate reports the first reason the job cannot be run, or nil.
func (j *Job) Validate() error {
	if err := checkVersion("job", j.V); err != nil {
		return err
	}
	if j.ID == "" {
		return errors.New("job: no id")
	}
	if err := CheckController(j.Controller); err != nil {
		return fmt.Errorf("job %s: %w", j.ID, err)
	}
	if err := CheckSite(j.Site); err != nil {
		return fmt.Errorf("job %s: %w", j.ID, err)
	}
	if j.Host.Name == "" || j.Host.Endpoint.Address == "" {
		return fmt.Errorf("job %s: no host name or address", j.ID)
	}
	if j.Host.Endpoint.Port < 0 || j.Host.Endpoint.Port > 65535 {
		return fmt.Errorf("job %s: port %d", j.ID, j.Host.Endpoint.Port)
	}
	switch j.Host.Endpoint.Auth {
	case "basic", "ntlm", "kerberos", "negotiate":
	default:
		return fmt.Errorf("job %s: unknown auth %q", j.ID, j.Host.Endpoint.Auth)
	}
	if err := j.Host.User.check("user"); err != nil {
		return fmt.Errorf("job %s: %w", j.ID, err)
	}
	if err := j.Host.Password.check("password"); err != nil {
		return fmt.Errorf("job %s: %w", j.ID, err)
	}
	if j.AckWait <= 0 || j.Deadline.IsZero() {
		return fmt.Errorf("job %s: no ack wait or deadline", j.ID)
	}
	switch j.Kind {
	case KindCollect:
		if j.Apply != nil {
			return fmt.Errorf("job %s: a collect job with a rollout part", j.ID)
		}
	case KindApply:
		if j.Apply == nil || j.Apply.Rollout <= 0 || j.Apply.Stage <= 0 {
			return fmt.Errorf("job %s: an apply job without its rollout, stage or plan", j.ID)
		}
		if j.Apply.Plan.Host != j.Host.Name {
			return fmt.Errorf("job %s: the plan is for %q, the job for %q", j.ID, j.Apply.Plan.Host, j.Host.Name)
		}
	default:
		return fmt.Errorf("job %s: unknown kind %q", j.ID, j.Kind)
	}
	return nil
}

// check refuses what must never travel: a password's value.
func (c Credential) check(what string) error {
	switch c.Source {
	case SourceNone, SourcePrompt:
		if c.Name != "" || c.Value != "" {
			return fmt.Errorf("%s: a %q credential names nothing", what, c.Source)
		}
	case SourceEnv, SourceFile:
		if c.Name == "" || c.Value != "" {
			return fmt.Errorf("%s: an %s credential names a variable or file, and only that", what, c.Source)
		}
	case SourceLiteral:
		if what != "user" {
			return fmt.Errorf("%s: a literal is never sent to a runner: use env() or file()", what)
		}
		if c.Value == "" {
			return fmt.Errorf("%s: an empty literal", what)
		}
	default:
		return fmt.Errorf("%s: unknown credential source %q", what, c.Source)
	}
	return nil
}
