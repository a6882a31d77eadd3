package sim

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/fleetport/fleetport/internal/hclguard"
	"github.com/fleetport/fleetport/internal/sim/adjoin"
	"github.com/fleetport/fleetport/internal/sim/winhost"
)

// Scenario describes a simulated fleet: how many hosts, how they are mixed,
// which drift and which faults a known share of them carries. The zero value
// is not useful; start from [DefaultScenario] or [ParseScenario].
type Scenario struct {
	Hosts            int
	Seed             uint64
	Network          netip.Prefix // management addresses are taken from here, in order
	HTTPPort         int          // 0 = no http listener
	HTTPSPort        int          // 0 = no https listener
	Basic            bool         // WinRM service/Auth/Basic
	AllowUnencrypted bool         // WinRM service/AllowUnencrypted
	Domain           string       // DNS suffix of every host
	// Administrators and RemoteManagementUsers name the domain users and
	// groups that joined hosts put into their local Administrators
	// (besides Domain Admins) and Remote Management Users groups: a user
	// in Remote Management Users runs commands without administrator
	// rights, a user in neither is refused (w:AccessDenied). They apply
	// only to hosts joined to a domain (Options.Domain).
	Administrators        []string
	RemoteManagementUsers []string
	RebootTime            time.Duration
	ServiceStep           time.Duration // time one service takes to stop or start
	CommandTime           time.Duration // added to every command (bench: the host's own work)
	// MaxShellsPerUser is winrs MaxShellsPerUser on every host, as Group
	// Policy sets it; 0 keeps each release's default (5 on 2003 and 2008
	// R2, 30 later).
	MaxShellsPerUser int
	// Capacity, when set, is a bottleneck every host shares (a WAN link,
	// a jump host, a hypervisor): beyond its threshold of requests in
	// flight across the fleet, requests slow down, time out or are
	// refused with HTTP 503.
	Capacity  *Capacity
	OSMix     map[string]float64
	LocaleMix map[string]float64
	Roles     []Role
	Drift     []Drift
	Faults    []Fault
	// Join, when set, makes every host a member of an Active Directory
	// domain, as [Options.Domain] does (which wins when both are set).
	Join *DomainJoin
}

// DomainJoin says which Active Directory domain a scenario's hosts join
// and how: Dir names a domain scripts/testdomain made (its address, its
// LDAPS CA and its Administrator password are read from there); the other
// fields name any domain controller, or override what Dir gives. Paths are
// relative to the scenario file.
type DomainJoin struct {
	Dir string
	// URL is the DC's LDAPS address, "ldaps://dc.corp.example:636".
	URL string
	// ServerName is the name on the DC's certificate; CAFile the CA that
	// signed it.
	ServerName, CAFile string
	// Realm is the Kerberos realm, "CORP.EXAMPLE".
	Realm string
	// User binds to LDAP with the password in PasswordFile (one line):
	// an account that may create computer accounts.
	User, PasswordFile string
}

// Directory resolves the join's settings into the directory the hosts
// join, reading the password file.
func (j *DomainJoin) Directory() (adjoin.Directory, error) {
	var d adjoin.Directory
	if j.Dir != "" {
		var err error
		if d, err = adjoin.RehearsalDomain(j.Dir); err != nil {
			return d, err
		}
	}
	for _, f := range []struct {
		dst *string
		src string
	}{{&d.URL, j.URL}, {&d.ServerName, j.ServerName}, {&d.CAFile, j.CAFile},
		{&d.Realm, strings.ToUpper(j.Realm)}, {&d.User, j.User}} {
		if f.src != "" {
			*f.dst = f.src
		}
	}
	if j.PasswordFile != "" {
		b, err := os.ReadFile(j.PasswordFile)
		if err != nil {
			return d, fmt.Errorf("the domain account's password: %w", err)
		}
		d.Password = strings.TrimRight(string(b), "\r\n")
	}
	switch {
	case d.URL == "" || d.Realm == "" || d.User == "":
		return d, errors.New("join_domain needs dir (a domain scripts/testdomain made), or url, realm, user and password_file")
	case d.Password == "":
		return d, errors.New("join_domain: no password for the domain account (password_file)")
	}
	return d, nil
}

// Role is a kind of server: its share of the fleet and the services it runs.
type Role struct {
	Name     string
	Share    float64
	Services []string
}

// Drift puts one kind of drift on a known share of the hosts it can apply to.
type Drift struct {
	Kind  string
	Share float64  // percent of the eligible hosts, rounded to whole hosts
	Roles []string // only these roles; empty = every role the kind applies to
	Hosts []string // these hosts, besides the share
	Count int      // size of a pile, for the kinds that have one; 0 = the kind's default
}

// Fault injects one kind of misbehaviour into a known share of the hosts.
type Fault struct {
	Kind     string
	Share    float64
	Hosts    []string
	Latency  time.Duration
	Jitter   time.Duration
	Duration time.Duration // slow: extra command time; reboot: delay before it
}

// Drift kinds. Each names the state a host is left in.
const (
	DriftListenListEmpty          = "listen_list_empty"           // http.sys on every address
	DriftListenListStale          = "listen_list_stale"           // the list names an address the host lacks
	DriftListenListLockoutPending = "listen_list_lockout_pending" // configured list lacks the management address, not in effect yet
	DriftSMTPWildcard             = "smtp_wildcard"               // SMTP bound to 0.0.0.0:25
	DriftMaxUserPortDefault       = "maxuserport_default"         // 2003: MaxUserPort left at 5000
	DriftTimedWaitDelayDefault    = "timedwaitdelay_default"      // TcpTimedWaitDelay not set (240 s)
	DriftDynamicRangeDefault      = "dynamic_range_default"       // 2008 R2+: 49152, 16384 ports
	DriftPendingReboot            = "pending_reboot"              // TcpTimedWaitDelay set but not in effect until a reboot
	DriftTimeWaitPile             = "timewait_pile"               // a TIME_WAIT pile toward the SQL server
	DriftW3SVCStopped             = "w3svc_stopped"               // the web service is stopped
	DriftSiteBindingUnlisted      = "site_binding_unlisted"       // a site bound to an address the listen list lacks
)

// Fault kinds.
const (
	FaultLatency = "latency" // Latency and Jitter on every HTTP exchange
	FaultRefuse  = "refuse"  // no listener: connections are refused
	FaultHang    = "hang"    // requests are read and never answered
	FaultAuth    = "auth"    // every credential is refused
	FaultQuota   = "quota"   // a host whose shell quota is spent: Create faults
	FaultGarble  = "garble"  // command output is corrupted
	FaultSlow    = "slow"    // every command takes Duration longer
	FaultReboot  = "reboot"  // the host reboots Duration after the start
)

// DriftKinds and FaultKinds list the known kinds, for help texts and
// validation.
var (
	DriftKinds = []string{DriftListenListEmpty, DriftListenListStale, DriftListenListLockoutPending, DriftSMTPWildcard,
		DriftMaxUserPortDefault, DriftTimedWaitDelayDefault, DriftDynamicRangeDefault, DriftPendingReboot,
		DriftTimeWaitPile, DriftW3SVCStopped, DriftSiteBindingUnlisted}
	FaultKinds = []string{FaultLatency, FaultRefuse, FaultHang, FaultAuth, FaultQuota, FaultGarble, FaultSlow, FaultReboot,
		FaultNTLMRefused, FaultClockSkew, FaultStaleKeys, FaultRC4Only}
)

// DefaultScenario is the fleet `fleetport sim` serves without a scenario
// file: every OS version and two locales, four roles, and each drift kind
// on a known share of the hosts.
func DefaultScenario() Scenario {
	return Scenario{
		Hosts:       20,
		Seed:        1,
		Network:     netip.MustParsePrefix("127.20.0.0/16"),
		HTTPPort:    5985,
		HTTPSPort:   5986,
		Basic:       true,
		Domain:      "corp.example",
		RebootTime:  5 * time.Second,
		ServiceStep: 50 * time.Millisecond,
		OSMix:       map[string]float64{"2003": 5, "2008r2": 10, "2012r2": 20, "2016": 20, "2019": 30, "2022": 15},
		LocaleMix:   map[string]float64{"en-US": 75, "de-DE": 20, "fr-FR": 5},
		Roles: []Role{
			{Name: "web", Share: 50, Services: []string{"W3SVC"}},
			{Name: "smtp", Share: 15, Services: []string{"SMTPSVC"}},
			{Name: "sql", Share: 10, Services: []string{"MSSQLSERVER"}},
			{Name: "app", Share: 25},
		},
		Drift: []Drift{
			{Kind: DriftListenListEmpty, Share: 20},
			{Kind: DriftListenListStale, Share: 5},
			{Kind: DriftListenListLockoutPending, Share: 5},
			{Kind: DriftSMTPWildcard, Share: 40},
			{Kind: DriftMaxUserPortDefault, Share: 50},
			{Kind: DriftTimedWaitDelayDefault, Share: 20},
			{Kind: DriftDynamicRangeDefault, Share: 30},
			{Kind: DriftPendingReboot, Share: 10},
			{Kind: DriftTimeWaitPile, Share: 10},
			{Kind: DriftW3SVCStopped, Share: 5},
			{Kind: DriftSiteBindingUnlisted, Share: 5},
		},
	}
}

// scenarioFile is the HCL shape of a scenario file. See examples/sim/.
type scenarioFile struct {
	Fleet  *fleetBlock  `hcl:"fleet,block"`
	Roles  []roleBlock  `hcl:"role,block"`
	Drift  []driftBlock `hcl:"drift,block"`
	Faults []faultBlock `hcl:"fault,block"`
	Join   *joinBlock   `hcl:"join_domain,block"`
}

type joinBlock struct {
	Dir          *string   `hcl:"dir,optional"`
	URL          *string   `hcl:"url,optional"`
	ServerName   *string   `hcl:"server_name,optional"`
	CAFile       *string   `hcl:"ca_file,optional"`
	Realm        *string   `hcl:"realm,optional"`
	User         *string   `hcl:"user,optional"`
	PasswordFile *string   `hcl:"password_file,optional"`
	DeclRange    hcl.Range `hcl:",def_range"`
}

// domainJoin checks a join_domain block: either dir, or url, realm, user
// and password_file; paths relative to the scenario file, and the files
// present.
func (b *joinBlock) domainJoin(filename string) (*DomainJoin, hcl.Diagnostics) {
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	rel := func(p *string) string {
		v := str(p)
		if v == "" || filepath.IsAbs(v) {
			return v
		}
		return filepath.Join(filepath.Dir(filename), v)
	}
	j := &DomainJoin{Dir: rel(b.Dir), URL: str(b.URL), ServerName: str(b.ServerName), CAFile: rel(b.CAFile), Realm: str(b.Realm),
		User: str(b.User), PasswordFile: rel(b.PasswordFile)}
	var diags hcl.Diagnostics
	if j.Dir != "" {
		if _, err := os.Stat(filepath.Join(j.Dir, "address")); err != nil {
			diags = append(diags, errorf(b.DeclRange, "Invalid domain", "dir = %q is not a domain made by scripts/testdomain (it has no address file): make one with scripts/testdomain start %s.", j.Dir, j.Dir))
		}
	} else if j.URL == "" || j.Realm == "" || j.User == "" || j.PasswordFile == "" {
		diags = append(diags, errorf(b.DeclRange, "Incomplete domain", "join_domain needs dir (a domain scripts/testdomain made), or url, realm, user and password_file."))
	}
	if j.URL != "" && !strings.HasPrefix(strings.ToLower(j.URL), "ldaps://") {
		diags = append(diags, errorf(b.DeclRange, "Invalid domain", "url = %q: hosts join over LDAPS, as in \"ldaps://dc.corp.example:636\".", j.URL))
	}
	for _, f := range []struct{ name, path string }{{"password_file", j.PasswordFile}, {"ca_file", j.CAFile}} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			diags = append(diags, errorf(b.DeclRange, "Invalid domain", "%s = %q: %v.", f.name, f.path, err))
		}
	}
	return j, diags
}

type fleetBlock struct {
	Hosts            *int               `hcl:"hosts,optional"`
	Seed             *int64             `hcl:"seed,optional"`
	Network          *string            `hcl:"network,optional"`
	HTTPPort         *int               `hcl:"http_port,optional"`
	HTTPSPort        *int               `hcl:"https_port,optional"`
	Basic            *bool              `hcl:"basic,optional"`
	AllowUnencrypted *bool              `hcl:"allow_unencrypted,optional"`
	Domain           *string            `hcl:"domain,optional"`
	Administrators   []string           `hcl:"administrators,optional"`
	RemoteMgmtUsers  []string           `hcl:"remote_management_users,optional"`
	RebootTime       *string            `hcl:"reboot_time,optional"`
	ServiceStep      *string            `hcl:"service_step,optional"`
	CommandTime      *string            `hcl:"command_time,optional"`
	OSMix            map[string]float64 `hcl:"os_mix,optional"`
	LocaleMix        map[string]float64 `hcl:"locale_mix,optional"`
	Body             hcl.Body           `hcl:",remain"`
}

type roleBlock struct {
	Name     string   `hcl:"name,label"`
	Share    float64  `hcl:"share"`
	Services []string `hcl:"services,optional"`
}

type driftBlock struct {
	Kind      string    `hcl:"kind,label"`
	Share     *float64  `hcl:"share,optional"`
	Roles     []string  `hcl:"roles,optional"`
	Hosts     []string  `hcl:"hosts,optional"`
	Count     *int      `hcl:"count,optional"`
	DeclRange hcl.Range `hcl:",def_range"`
}

type faultBlock struct {
	Kind      string    `hcl:"kind,label"`
	Share     *float64  `hcl:"share,optional"`
	Hosts     []string  `hcl:"hosts,optional"`
	Latency   *string   `hcl:"latency,optional"`
	Jitter    *string   `hcl:"jitter,optional"`
	Duration  *string   `hcl:"duration,optional"`
	DeclRange hcl.Range `hcl:",def_range"`
}

// MaxScenarioSize caps a scenario file: a scenario is a page of settings.
const MaxScenarioSize = 1 << 20

// ReadScenarioFile reads a scenario file, refusing one larger than
// MaxScenarioSize before reading it whole.
func ReadScenarioFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxScenarioSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxScenarioSize {
		return nil, fmt.Errorf("scenario %s is larger than %d bytes; a scenario is a page of settings", path, MaxScenarioSize)
	}
	return b, nil
}

// ParseScenario reads a scenario file. Settings the file leaves out keep the
// values of [DefaultScenario]; role, drift and fault blocks, when present,
// replace the default lists. On errors the diagnostics locate each problem
// and the returned scenario must not be used.
func ParseScenario(src []byte, filename string) (Scenario, hcl.Diagnostics) {
	sc := DefaultScenario()
	if len(src) > MaxScenarioSize {
		return sc, hcl.Diagnostics{errorf(hcl.Range{Filename: filename, Start: hcl.InitialPos, End: hcl.InitialPos},
			"Scenario file too large", "%s is %d bytes; a scenario file may have at most %d.", filename, len(src), MaxScenarioSize)}
	}
	if d := hclguard.Check(src, filename, hclguard.DefaultLimits); d.HasErrors() {
		return sc, d
	}
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return sc, diags
	}
	if body, ok := file.Body.(*hclsyntax.Body); ok {
		if d := hclguard.CheckLoops(body); d.HasErrors() {
			return sc, append(diags, d...)
		}
	}
	var f scenarioFile
	diags = append(diags, gohcl.DecodeBody(file.Body, nil, &f)...)
	if diags.HasErrors() {
		return sc, diags
	}
	if fb := f.Fleet; fb != nil {
		attrs, _ := fb.Body.JustAttributes()
		for _, a := range attrs {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unsupported argument",
				Detail: fmt.Sprintf("The fleet block has no argument %q.", a.Name), Subject: a.NameRange.Ptr()})
		}
		setInt(&sc.Hosts, fb.Hosts)
		if fb.Seed != nil {
			sc.Seed = uint64(*fb.Seed)
		}
		if fb.Network != nil {
			p, err := netip.ParsePrefix(*fb.Network)
			if err != nil || !p.Addr().Is4() || !p.Addr().IsLoopback() {
				diags = append(diags, errorf(fileRange(file, "fleet"), "Invalid network",
					"The network %q must be an IPv4 prefix inside 127.0.0.0/8, such as \"127.20.0.0/16\": simulated hosts live on loopback addresses.", *fb.Network))
			} else {
				sc.Network = p.Masked()
			}
		}
		setInt(&sc.HTTPPort, fb.HTTPPort)
		setInt(&sc.HTTPSPort, fb.HTTPSPort)
		setBool(&sc.Basic, fb.Basic)
		setBool(&sc.AllowUnencrypted, fb.AllowUnencrypted)
		if fb.Domain != nil {
			sc.Domain = *fb.Domain
		}
		sc.Administrators = append(sc.Administrators, fb.Administrators...)
		sc.RemoteManagementUsers = append(sc.RemoteManagementUsers, fb.RemoteMgmtUsers...)
		for _, d := range []struct {
			dst *time.Duration
			src *string
			nm  string
		}{{&sc.RebootTime, fb.RebootTime, "reboot_time"}, {&sc.ServiceStep, fb.ServiceStep, "service_step"}, {&sc.CommandTime, fb.CommandTime, "command_time"}} {
			if d.src != nil {
				v, err := time.ParseDuration(*d.src)
				if err != nil || v < 0 {
					diags = append(diags, errorf(fileRange(file, "fleet"), "Invalid duration", "%s = %q is not a duration such as \"250ms\" or \"5s\".", d.nm, *d.src))
				}
				*d.dst = v
			}
		}
		if fb.OSMix != nil {
			sc.OSMix = fb.OSMix
		}
		if fb.LocaleMix != nil {
			sc.LocaleMix = fb.LocaleMix
		}
	}
	if len(f.Roles) > 0 {
		sc.Roles = nil
		for _, r := range f.Roles {
			sc.Roles = append(sc.Roles, Role(r))
		}
	}
	if len(f.Drift) > 0 {
		sc.Drift = nil
		for _, d := range f.Drift {
			if !slices.Contains(DriftKinds, d.Kind) {
				diags = append(diags, errorf(d.DeclRange, "Unknown drift kind", "%q is not a drift kind. Known kinds: %v.", d.Kind, DriftKinds))
				continue
			}
			nd := Drift{Kind: d.Kind, Roles: d.Roles, Hosts: d.Hosts}
			if d.Share != nil {
				nd.Share = *d.Share
			}
			if d.Count != nil {
				nd.Count = *d.Count
			}
			sc.Drift = append(sc.Drift, nd)
		}
	}
	for _, fb := range f.Faults {
		if !slices.Contains(FaultKinds, fb.Kind) {
			diags = append(diags, errorf(fb.DeclRange, "Unknown fault kind", "%q is not a fault kind. Known kinds: %v.", fb.Kind, FaultKinds))
			continue
		}
		nf := Fault{Kind: fb.Kind, Hosts: fb.Hosts}
		if fb.Share != nil {
			nf.Share = *fb.Share
		}
		for _, d := range []struct {
			dst *time.Duration
			src *string
		}{{&nf.Latency, fb.Latency}, {&nf.Jitter, fb.Jitter}, {&nf.Duration, fb.Duration}} {
			if d.src != nil {
				v, err := time.ParseDuration(*d.src)
				if err != nil || v < 0 {
					diags = append(diags, errorf(fb.DeclRange, "Invalid duration", "%q is not a duration such as \"250ms\" or \"5s\".", *d.src))
				}
				*d.dst = v
			}
		}
		sc.Faults = append(sc.Faults, nf)
	}
	if f.Join != nil {
		j, d := f.Join.domainJoin(filename)
		diags = append(diags, d...)
		sc.Join = j
	}
	if err := sc.Validate(); err != nil {
		diags = append(diags, errorf(hcl.Range{Filename: filename, Start: hcl.InitialPos, End: hcl.InitialPos}, "Invalid scenario", "%s.", err))
	}
	return sc, diags
}

// Validate checks a scenario's numbers and names.
func (sc Scenario) Validate() error {
	if sc.Hosts < 1 {
		return fmt.Errorf("hosts must be at least 1, not %d", sc.Hosts)
	}
	if !sc.Network.IsValid() || !sc.Network.Addr().Is4() || !sc.Network.Addr().IsLoopback() {
		return fmt.Errorf("network %s must be an IPv4 prefix inside 127.0.0.0/8", sc.Network)
	}
	if room := usableAddrs(sc.Network); sc.Hosts > room {
		return fmt.Errorf("network %s has room for %d hosts, not %d: use a larger prefix", sc.Network, room, sc.Hosts)
	}
	if sc.HTTPPort == 0 && sc.HTTPSPort == 0 {
		return fmt.Errorf("at least one of http_port and https_port must be set")
	}
	for _, p := range []int{sc.HTTPPort, sc.HTTPSPort} {
		if p < 0 || p > 65535 {
			return fmt.Errorf("port %d is out of range", p)
		}
	}
	if len(sc.Roles) == 0 {
		return fmt.Errorf("at least one role is needed")
	}
	for _, m := range []map[string]float64{sc.OSMix, sc.LocaleMix} {
		total := 0.0
		for _, w := range m {
			if w < 0 {
				return fmt.Errorf("mix weights must not be negative")
			}
			total += w
		}
		if total <= 0 {
			return fmt.Errorf("os_mix and locale_mix need at least one positive weight")
		}
	}
	for _, os := range sortedKeys(sc.OSMix) {
		if _, err := winhost.ParseOS(os); err != nil {
			return err
		}
	}
	for _, d := range sc.Drift {
		if d.Share < 0 || d.Share > 100 {
			return fmt.Errorf("drift %s: share %g is not a percentage", d.Kind, d.Share)
		}
	}
	for _, f := range sc.Faults {
		if f.Share < 0 || f.Share > 100 {
			return fmt.Errorf("fault %s: share %g is not a percentage", f.Kind, f.Share)
		}
	}
	return nil
}

// usableAddrs counts a prefix's addresses whose last octet is neither 0 nor
// 255 (those look wrong to people reading an inventory).
func usableAddrs(p netip.Prefix) int {
	if p.Bits() <= 24 {
		return (1 << (24 - p.Bits())) * 254
	}
	n := 0
	for a := p.Addr(); p.Contains(a); a = a.Next() {
		if last := a.As4()[3]; last != 0 && last != 255 {
			n++
		}
	}
	return n
}

func setInt(dst *int, src *int) {
	if src != nil {
		*dst = *src
	}
}

func setBool(dst *bool, src *bool) {
	if src != nil {
		*dst = *src
	}
}

func errorf(rng hcl.Range, summary, format string, args ...any) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: rng.Ptr()}
}

// fileRange finds the range of the first block of a type, for diagnostics
// about its attributes that gohcl does not locate.
func fileRange(file *hcl.File, blockType string) hcl.Range {
	if body, ok := file.Body.(*hclsyntax.Body); ok {
		for _, b := range body.Blocks {
			if b.Type == blockType {
				return b.TypeRange
			}
		}
	}
	return hcl.Range{Filename: file.Body.MissingItemRange().Filename}
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Capacity is the fleet's shared bottleneck (see [Scenario.Capacity]).
type Capacity struct {
	// Threshold is how many requests may be in flight across the fleet
	// before the others suffer.
	Threshold int
	// Beyond is what happens to them: "slow" (each waits SlowPer for every
	// request in flight above the threshold), "timeout" (never answered)
	// or "refuse" (HTTP 503, as http.sys answers when its queue is full).
	Beyond  string
	SlowPer time.Duration
}
