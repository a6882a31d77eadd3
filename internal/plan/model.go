package plan

import (
	"net/netip"
	"time"
)

// SchemaVersion is the version of a plan's JSON form (plan.json). apply
// --plan refuses a plan of another version.
const SchemaVersion = 2

// Plan is what a rollout will do: per host, the changes in order, the
// step that puts them into effect, and what to verify afterwards. It is
// made from a drift report and the run's facts, saved with --out, and run
// exactly by apply --plan.
type Plan struct {
	Version int       `json:"version"`
	Created time.Time `json:"created"`
	// Run is the stored run whose facts the plan rests on.
	Run int64 `json:"run"`
	// Policies, when set, are the only policies (and cross-fact checks)
	// planned (fleetport plan --policy).
	Policies []string `json:"policies,omitempty"`
	// Hosts are the hosts with something to change, sorted by name.
	Hosts []HostPlan `json:"hosts"`
	// Refused are changes the planner will not make, with the reason
	// (a listen list that would lock fleetport out, an address the host
	// does not have, a fix that needs facts the run lacks).
	Refused []Refusal `json:"refused"`
	// Manual are drift findings no remediation covers (the policy
	// declares none): they stay for a person.
	Manual []Manual `json:"manual"`
}

// HostPlan is one host's part of a plan.
type HostPlan struct {
	Host    string `json:"host"`
	Address string `json:"address"`
	// ManagementAddress is the address fleetport reaches the host on;
	// every listen-list change keeps it (checked at plan time and again
	// on the host after the change).
	ManagementAddress netip.Addr `json:"management_address"`
	// ConnectAddresses are the addresses fleetport connects to (Address,
	// resolved when it is a name). Every listen list the plan leaves, and
	// the one checked on the host before an HTTP restart, reaches each of
	// them, the management address and 127.0.0.1.
	ConnectAddresses []netip.Addr      `json:"connect_addresses"`
	Release          string            `json:"release"`
	Groups           []string          `json:"groups,omitempty"`
	Tags             map[string]string `json:"tags,omitempty"`
	// Fingerprint is a digest of the Before states of the actions. apply
	// reads each action's state on the host first: a host whose state is
	// neither Before nor After of an action has changed since the plan and
	// is refused.
	Fingerprint string   `json:"fingerprint"`
	Actions     []Action `json:"actions"`
	// Effect puts the actions into effect: at most one restart or one
	// reboot per host. It is the combination of what the actions need
	// (Action.Effect) and what Pending needs, and it runs only when the
	// rollout changed something on the host or a pending value is still
	// not in effect when the host's turn comes.
	Effect Effect `json:"effect"`
	// Pending are values already configured on the host but not yet in
	// effect when the plan was made (drift's fleetport.not_in_effect):
	// the effect is needed for them even when no action changes anything.
	Pending []Pending `json:"pending,omitempty"`
	// BootTime is the host's last boot as the run read it: a pending
	// reboot is not needed once the host has booted after it.
	BootTime time.Time `json:"boot_time,omitzero"`
	// Verify names the policies to judge again after the effect: the
	// host is fixed only when none of them drifts.
	Verify []string `json:"verify"`
}

// ActionKind names what an action changes.
type ActionKind string

// The action kinds.
const (
	KindRegistry      ActionKind = "registry"
	KindListenList    ActionKind = "listen_list"
	KindPortRange     ActionKind = "dynamic_port_range"
	KindService       ActionKind = "service"
	KindSocketPooling ActionKind = "iis_socket_pooling"
)

// Action is one change on one host, with everything apply needs to run it
// at most once: how to read the current state (Probe), the state before
// and after as typed data, the commands that make the change, and the
// commands that undo it.
type Action struct {
	// ID is unique within the plan: host/policy/index.
	ID     string     `json:"id"`
	Policy string     `json:"policy"`
	Kind   ActionKind `json:"kind"`
	// Summary says it in one line: "TcpTimedWaitDelay 240 (absent) → 30".
	Summary string `json:"summary"`
	// Probe is the command that reads the current state; Commands make
	// the change; Undo restores Before. All are built from typed values.
	Probe    string   `json:"probe"`
	Commands []string `json:"commands"`
	Undo     []string `json:"undo"`

	Registry      *RegistryChange      `json:"registry,omitempty"`
	ListenList    *ListenListChange    `json:"listen_list,omitempty"`
	PortRange     *PortRangeChange     `json:"dynamic_port_range,omitempty"`
	Service       *ServiceChange       `json:"service,omitempty"`
	SocketPooling *SocketPoolingChange `json:"iis_socket_pooling,omitempty"`

	// Effect is what this change needs before it takes effect (its
	// policy's remediation says so): none, a restart, or a reboot.
	Effect Effect `json:"effect"`
}

// Pending is a configured value that is not in effect yet, and the effect
// that puts it into effect.
type Pending struct {
	// Check is the cross-fact check that found it; Rule what it names
	// (a registry value, the listen list).
	Check  string `json:"check"`
	Rule   string `json:"rule"`
	Effect Effect `json:"effect"`
}

// RegValue is registry data: Num for REG_DWORD/REG_QWORD, Str for REG_SZ,
// Multi for REG_MULTI_SZ.
type RegValue struct {
	Num   *uint64  `json:"num,omitempty"`
	Str   *string  `json:"str,omitempty"`
	Multi []string `json:"multi,omitempty"`
}

// RegistryChange sets (After) or deletes (After nil) a value; Before nil
// means it was absent.
type RegistryChange struct {
	Key    string    `json:"key"` // HKLM\SYSTEM\...
	Name   string    `json:"name"`
	Type   string    `json:"type"` // REG_DWORD, ...
	Before *RegValue `json:"before"`
	After  *RegValue `json:"after"`
	// BeforeType is the type Before had when it differs from Type (a
	// REG_SZ "30" where the policy wants a REG_DWORD): Undo writes Before
	// back with it. Empty when Before is absent or of type Type.
	BeforeType string `json:"before_type,omitempty"`
}

// ListenListChange moves the configured listen list from Before to After
// by deleting Remove and adding Add (netsh http on 2008 R2 and later,
// httpcfg on 2003).
type ListenListChange struct {
	Tool   string       `json:"tool"` // "netsh" or "httpcfg"
	Before []netip.Addr `json:"before"`
	After  []netip.Addr `json:"after"`
	Add    []netip.Addr `json:"add"`
	Remove []netip.Addr `json:"remove"`
}

// PortRange is a dynamic port range: Num ports from Start.
type PortRange struct {
	Start int `json:"start"`
	Num   int `json:"num"`
}

// PortRangeChange sets a dynamic port range (applies at once).
type PortRangeChange struct {
	Family   string    `json:"family"`   // ipv4, ipv6
	Protocol string    `json:"protocol"` // tcp, udp
	Before   PortRange `json:"before"`
	After    PortRange `json:"after"`
}

// ServiceChange starts or stops a service ("running", "stopped").
type ServiceChange struct {
	Name   string `json:"name"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// SocketPoolingChange sets IIS's DisableSocketPooling in the metabase
// (adsutil.vbs) for a service (smtpsvc, w3svc) and instance (0: the
// service level). Before nil means it was not set.
type SocketPoolingChange struct {
	Service  string `json:"service"`
	Instance int    `json:"instance"`
	Before   *bool  `json:"before"`
	After    bool   `json:"after"`
}

// EffectKind is what puts a host's changes into effect.
type EffectKind string

// The effects, from least to most disruptive.
const (
	EffectNone           EffectKind = "none"
	EffectServiceRestart EffectKind = "service-restart"
	EffectReboot         EffectKind = "reboot"
)

// Effect is the one step after a host's actions. A restart of HTTP stops
// every service that depends on it, WinRM included: it runs detached, in
// a scheduled task, never in the WinRM session it would cut, and starts
// again every dependant that was running.
type Effect struct {
	Kind EffectKind `json:"kind"`
	// Services are restarted with their dependants, in order.
	Services []string `json:"services,omitempty"`
	// Detached is set when the effect cuts the WinRM session (an HTTP
	// restart, a reboot): apply runs it detached and reconnects.
	Detached bool `json:"detached,omitempty"`
	// Summary says it in one line.
	Summary string `json:"summary"`
}

// Refusal is a change the planner will not make.
type Refusal struct {
	Host   string `json:"host"`
	Policy string `json:"policy"`
	Reason string `json:"reason"`
}

// Manual is drift that needs a person.
type Manual struct {
	Host   string `json:"host"`
	Policy string `json:"policy"`
	Rule   string `json:"rule"`
	Detail string `json:"detail"`
}
