package policies

// The table of registry values fleetport knows: where each lives, its type,
// default, valid range, the releases that honour it and what a change needs
// before it takes effect. Every row cites windows-semantics.md (section and
// its source tags S1...) or a KB article; facts that document marks
// [unverified] are marked Unverified here too, so a reader knows which rows
// to confirm on a real host before relying on them.
//
// The table serves three purposes: validation (an unknown value name with a
// did-you-mean, a type mismatch, an out-of-range value), remediation (the
// effect of a change), and OS applicability of registry rules.

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// RegistryKey is a registry key from the known set, spelled with the HKLM
// or HKCU abbreviation as reg.exe takes it. Remote commands only ever
// address these keys.
type RegistryKey string

// The known keys.
const (
	KeyTcpipParameters RegistryKey = `HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters`
	KeyAFDParameters   RegistryKey = `HKLM\SYSTEM\CurrentControlSet\Services\AFD\Parameters`
	KeyHTTPParameters  RegistryKey = `HKLM\SYSTEM\CurrentControlSet\Services\HTTP\Parameters`
	// KeyMSSQLServer is the default instance's key of SQL Server 6.x to
	// 2000 (windows-semantics.md §4; the named-instance path is unverified).
	KeyMSSQLServer RegistryKey = `HKLM\SOFTWARE\Microsoft\MSSQLServer\MSSQLServer`
	// KeyInternetSettings is the machine-wide WinInet key (IE8 and later
	// documents it; windows-semantics.md §5, S45, S46).
	KeyInternetSettings RegistryKey = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings`
	// KeyInternetSettingsUser is the per-user WinInet key. Over WinRM,
	// HKCU is the hive of the account fleetport connects with, not of the
	// interactive user, so a rule on it draws a warning.
	KeyInternetSettingsUser RegistryKey = `HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings`
)

// KnownKeys lists the keys a registry rule may name.
func KnownKeys() []RegistryKey {
	return []RegistryKey{KeyTcpipParameters, KeyAFDParameters, KeyHTTPParameters, KeyMSSQLServer,
		KeyInternetSettings, KeyInternetSettingsUser}
}

// ParseRegistryKey returns the known key s names. It accepts the HKLM/HKCU
// abbreviations and the HKEY_LOCAL_MACHINE/HKEY_CURRENT_USER long forms,
// any case, and a trailing backslash.
func ParseRegistryKey(s string) (RegistryKey, error) {
	t := strings.TrimSuffix(strings.TrimSpace(s), `\`)
	if i := strings.IndexByte(t, '\\'); i > 0 {
		switch strings.ToUpper(t[:i]) {
		case "HKEY_LOCAL_MACHINE":
			t = "HKLM" + t[i:]
		case "HKEY_CURRENT_USER":
			t = "HKCU" + t[i:]
		}
	}
	for _, k := range KnownKeys() {
		if strings.EqualFold(string(k), t) {
			return k, nil
		}
	}
	return "", fmt.Errorf("%q is not a registry key fleetport knows", s)
}

// KnownValue is one row of the table.
type KnownValue struct {
	Name string
	Key  RegistryKey
	Type RegType
	// Default is the value in effect when the value is absent, nil when
	// the value has no fixed default (MaxFreeTcbs depends on memory).
	Default *RegData
	// Min and Max bound numeric data when HasRange is set.
	Min, Max   uint64
	HasRange   bool
	PowerOfTwo bool
	// Format validates string data beyond the generic rules, e.g.
	// ReservedPorts' "xxxx-yyyy" entries; nil when there is none.
	Format func(RegData) error
	// OS is the releases that honour the value. A rule on it reports
	// "not applicable" on other releases.
	OS OSRange
	// Product names a condition outside the OS, e.g. "SQL Server 6.x to
	// 2000", which the policy's applies_to must express.
	Product string
	// Effect is what a change needs before it takes effect.
	Effect Effect
	// Doc says what the value does, in one sentence.
	Doc string
	// Unverified lists the facts of this row that the semantics document
	// marks [unverified].
	Unverified []string
	// Sources cites the semantics document and its sources.
	Sources []string
}

func dw(n uint32) *RegData { d := DWORD(n); return &d }

// knownValues is the table. Keep it sorted by key, then name.
var knownValues = []KnownValue{
	// Tcpip\Parameters: windows-semantics.md §1.
	{
		Name: "MaxUserPort", Key: KeyTcpipParameters, Type: RegDWORD, Default: dw(5000),
		Min: 5000, Max: 65534, HasRange: true, OS: OSRange{Max: Release2003}, Effect: EffectReboot{},
		Doc:        "Upper bound of the client (ephemeral) port range 1025..MaxUserPort; from 2008 the dynamic port range replaces it.",
		Unverified: []string{"2008+ still converts an existing value into a dynamic range on some builds (S5, S6): treated as not honoured"},
		Sources:    []string{"windows-semantics.md §1", "KB 196271 (S1)", "S2", "S3", "KB 328476"},
	},
	{
		Name: "MaxFreeTcbs", Key: KeyTcpipParameters, Type: RegDWORD,
		Min: 0, Max: math.MaxUint32, HasRange: true, OS: OSRange{Max: Release2003}, Effect: EffectReboot{},
		Doc:        "Number of TCP control blocks preallocated; the default depends on memory (2000 on a server with 64 MB or more).",
		Unverified: []string{"ignored from 2008", "a change needs a reboot"},
		Sources:    []string{"windows-semantics.md §1", "S14"},
	},
	{
		Name: "MaxHashTableSize", Key: KeyTcpipParameters, Type: RegDWORD, Default: dw(512),
		Min: 64, Max: 65536, HasRange: true, PowerOfTwo: true, OS: OSRange{Max: Release2003}, Effect: EffectReboot{},
		Doc:        "Size of the TCB hash table; a power of two.",
		Unverified: []string{"default 512", "range 64-65536, a power of 2", "ignored from 2008", "a change needs a reboot"},
		Sources:    []string{"windows-semantics.md §1", "KB 120642"},
	},
	{
		Name: "ReservedPorts", Key: KeyTcpipParameters, Type: RegMultiSZ, Format: checkReservedPorts,
		OS: OSRange{Max: Release2003}, Effect: EffectReboot{},
		Doc:        `Port ranges ("xxxx-yyyy") the stack never hands out as client ports; from 2008 use excluded port ranges.`,
		Unverified: []string{"a change needs a reboot"},
		Sources:    []string{"windows-semantics.md §1", "KB 812873 (S19)", "S20"},
	},
	{
		Name: "StrictTimeWaitSeqCheck", Key: KeyTcpipParameters, Type: RegDWORD, Default: dw(0),
		Min: 0, Max: 1, HasRange: true, Effect: EffectReboot{},
		Doc:        "Said to be needed for a TcpTimedWaitDelay below the default to be honoured.",
		Unverified: []string{"the whole row: only a code review and a benchmark note mention it (S12, S13)"},
		Sources:    []string{"windows-semantics.md §1", "S12", "S13"},
	},
	{
		Name: "SynAttackProtect", Key: KeyTcpipParameters, Type: RegDWORD, Default: dw(0),
		Min: 0, Max: 1, HasRange: true, OS: OSRange{Max: Release2003}, Effect: EffectReboot{},
		Doc:        "SYN-flood protection of the old stack; from 2008 it is built in, cannot be turned off, and the value does not apply.",
		Unverified: []string{"2003 SP1 may have changed the default to 1", "a change needs a reboot"},
		Sources:    []string{"windows-semantics.md §1", "S16", "S17"},
	},
	{
		Name: "TcpMaxConnectResponseRetransmissions", Key: KeyTcpipParameters, Type: RegDWORD, Default: dw(2),
		Min: 0, Max: 255, HasRange: true, OS: OSRange{Max: Release2003}, Effect: EffectReboot{},
		Doc:        "SYN-ACK retransmissions; SynAttackProtect needs at least 2.",
		Unverified: []string{"default and range", "a change needs a reboot"},
		Sources:    []string{"windows-semantics.md §1", "S16"},
	},
	{
		Name: "TcpMaxHalfOpen", Key: KeyTcpipParameters, Type: RegDWORD, Default: dw(100),
		Min: 100, Max: 0xFFFF, HasRange: true, OS: OSRange{Max: Release2003}, Effect: EffectReboot{},
		Doc:        "Half-open connections before SYN-attack protection starts (only with SynAttackProtect=1).",
		Unverified: []string{"a change needs a reboot"},
		Sources:    []string{"windows-semantics.md §1", "S18"},
	},
	{
		Name: "TcpMaxHalfOpenRetried", Key: KeyTcpipParameters, Type: RegDWORD, Default: dw(80),
		Min: 80, Max: 0xFFFF, HasRange: true, OS: OSRange{Max: Release2003}, Effect: EffectReboot{},
		Doc:        "Half-open connections with a retransmitted SYN before SYN-attack protection starts.",
		Unverified: []string{"default 80 and minimum", "a change needs a reboot"},
		Sources:    []string{"windows-semantics.md §1", "S18"},
	},
	{
		Name: "TcpMaxPortsExhausted", Key: KeyTcpipParameters, Type: RegDWORD, Default: dw(5),
		Min: 0, Max: 0xFFFF, HasRange: true, OS: OSRange{Max: Release2003}, Effect: EffectReboot{},
		Doc:        "Refused connect requests before SYN-attack protection starts.",
		Unverified: []string{"a change needs a reboot"},
		Sources:    []string{"windows-semantics.md §1", "S18"},
	},
	{
		Name: "TcpNumConnections", Key: KeyTcpipParameters, Type: RegDWORD, Default: dw(0xFFFFFE),
		Min: 0, Max: 0xFFFFFE, HasRange: true, OS: OSRange{Max: Release2003}, Effect: EffectReboot{},
		Doc:        "Maximum number of TCP connections open at once; ports and TCBs usually bind first.",
		Unverified: []string{"honoured from 2008", "a change needs a reboot"},
		Sources:    []string{"windows-semantics.md §1", "S15"},
	},
	{
		Name: "TcpTimedWaitDelay", Key: KeyTcpipParameters, Type: RegDWORD, Default: dw(240),
		Min: 30, Max: 300, HasRange: true, Effect: EffectReboot{},
		Doc: "Seconds a closed connection stays in TIME_WAIT. Absent: 240 s (4 minutes, KB 328476, S8, S11).",
		Unverified: []string{"the WS2003 table says 120 s and allows 0-300 (S9); fleetport uses 240 s and 30-300 (S7, S8)",
			"honoured from 2008 (S11 still points to it)"},
		Sources: []string{"windows-semantics.md §1", "S7", "S8", "S9", "S11", "KB 328476"},
	},

	// AFD\Parameters: windows-semantics.md §1 "Listen backlog".
	{
		Name: "DynamicBacklogGrowthDelta", Key: KeyAFDParameters, Type: RegDWORD, Default: dw(0),
		Min: 0, Max: math.MaxUint32, HasRange: true, OS: OSRange{Max: Release2003}, Effect: EffectReboot{},
		Doc:        "Free connection endpoints AFD adds at a time (recommended 10). On 2003 a large value exhausts nonpaged pool (KB 951162).",
		Unverified: []string{"a change needs a reboot or an AFD restart"},
		Sources:    []string{"windows-semantics.md §1", "S17", "S23", "S24", "KB 951162 (S25)"},
	},
	{
		Name: "EnableDynamicBacklog", Key: KeyAFDParameters, Type: RegDWORD, Default: dw(0),
		Min: 0, Max: 1, HasRange: true, OS: OSRange{Max: Release2003}, Effect: EffectReboot{},
		Doc:        "Turns on AFD's dynamic listen backlog; removed from AFD as of 2008.",
		Unverified: []string{"a change needs a reboot or an AFD restart"},
		Sources:    []string{"windows-semantics.md §1", "S17", "S23"},
	},
	{
		Name: "MaximumDynamicBacklog", Key: KeyAFDParameters, Type: RegDWORD, Default: dw(0),
		Min: 0, Max: math.MaxUint32, HasRange: true, OS: OSRange{Max: Release2003}, Effect: EffectReboot{},
		Doc:        "Upper bound of free connection endpoints per listener (recommended 20000).",
		Unverified: []string{"a change needs a reboot or an AFD restart"},
		Sources:    []string{"windows-semantics.md §1", "S17", "S23", "S24"},
	},
	{
		Name: "MinimumDynamicBacklog", Key: KeyAFDParameters, Type: RegDWORD, Default: dw(0),
		Min: 0, Max: math.MaxUint32, HasRange: true, OS: OSRange{Max: Release2003}, Effect: EffectReboot{},
		Doc:        "Free connection endpoints below which AFD adds more (recommended 20).",
		Unverified: []string{"a change needs a reboot or an AFD restart"},
		Sources:    []string{"windows-semantics.md §1", "S17", "S23", "S24"},
	},

	// HTTP\Parameters: windows-semantics.md §2.
	{
		Name: "ListenOnlyList", Key: KeyHTTPParameters, Type: RegMultiSZ, Format: checkListenOnlyList,
		OS: OSRange{Min: Release2003}, Effect: EffectServiceRestart{Service: "HTTP", WithDependants: true},
		Doc: "The http.sys IP listen list; absent means every address. Read when the HTTP service starts. " +
			"Change it with a listen_list block, which guards fleetport's own access, not as a registry value.",
		Unverified: []string{"whether entries may carry a port (S30 vs S33)", "a reboot is the fallback when HTTP cannot be stopped (S29)"},
		Sources:    []string{"windows-semantics.md §2", "KB 813368", "KB 820129 (S36)", "S26", "S28", "S29", "S34"},
	},

	// SQL Server: windows-semantics.md §4, KB 328476, KB 154628.
	{
		Name: "WinsockListenBacklog", Key: KeyMSSQLServer, Type: RegDWORD, Default: dw(5),
		Min: 1, Max: math.MaxInt32, HasRange: true, OS: OSRange{Max: Release2003},
		Product: "SQL Server 6.x to 2000 (SQL Server 2005 and later ignore it and pass SOMAXCONN)",
		Effect:  EffectServiceRestart{Service: "MSSQLSERVER", WithDependants: true},
		Doc:     "The listen backlog SQL Server 2000 passes to listen(); absent means 5 (KB 328476).",
		Unverified: []string{"the valid range", "the named-instance key",
			"the OS range: SQL Server 2000 runs on 2003 and earlier, which is the proxy used here"},
		Sources: []string{"windows-semantics.md §4", "KB 154628 (S42)", "KB 328476 (S43, S44)"},
	},

	// WinInet: windows-semantics.md §5.
	{
		Name: "MaxConnectionsPer1_0Server", Key: KeyInternetSettings, Type: RegDWORD, Default: dw(4),
		Min: 1, Max: math.MaxUint32, HasRange: true, Effect: EffectNewProcesses{},
		Doc:        "WinInet's limit of connections per HTTP/1.0 server (default 4).",
		Unverified: []string{"takes effect in WinInet processes started afterwards", "the HKLM location (IE8+)"},
		Sources:    []string{"windows-semantics.md §5", "KB 183110 (S45)", "S46"},
	},
	{
		Name: "MaxConnectionsPerServer", Key: KeyInternetSettings, Type: RegDWORD, Default: dw(2),
		Min: 1, Max: math.MaxUint32, HasRange: true, Effect: EffectNewProcesses{},
		Doc:        "WinInet's limit of connections per HTTP/1.1 server (default 2).",
		Unverified: []string{"takes effect in WinInet processes started afterwards", "the HKLM location (IE8+)"},
		Sources:    []string{"windows-semantics.md §5", "KB 183110 (S45)", "S46"},
	},
}

// KnownValues returns a copy of the table.
func KnownValues() []KnownValue { return slices.Clone(knownValues) }

// LookupKnown finds a known value by name, case-insensitively (Windows
// value names are case-insensitive).
func LookupKnown(name string) (*KnownValue, bool) {
	for i := range knownValues {
		if strings.EqualFold(knownValues[i].Name, name) {
			return &knownValues[i], true
		}
	}
	return nil, false
}

// knownNames lists the known value names, in key if key is not empty.
func knownNames(key RegistryKey) []string {
	var out []string
	for _, k := range knownValues {
		if key == "" || k.Key == key {
			out = append(out, k.Name)
		}
	}
	return out
}

// check validates data against the row: type, range, power of two and
// format. The type must already match.
func (k *KnownValue) check(d RegData) error {
	if k.HasRange && d.Type.Numeric() && (d.Num < k.Min || d.Num > k.Max) {
		return fmt.Errorf("%d is outside %s's valid range %d to %d", d.Num, k.Name, k.Min, k.Max)
	}
	if k.PowerOfTwo && d.Type.Numeric() && (d.Num == 0 || d.Num&(d.Num-1) != 0) {
		return fmt.Errorf("%d is not a power of two, which %s must be", d.Num, k.Name)
	}
	if k.Format != nil {
		return k.Format(d)
	}
	return nil
}

// checkReservedPorts validates ReservedPorts entries: "xxxx-yyyy", both
// ports 1 to 65535, the first not above the second.
func checkReservedPorts(d RegData) error {
	for _, e := range d.Multi {
		lo, hi, ok := strings.Cut(e, "-")
		a, err1 := strconv.ParseUint(lo, 10, 16)
		b, err2 := strconv.ParseUint(hi, 10, 16)
		if !ok || err1 != nil || err2 != nil || a == 0 || a > b {
			return fmt.Errorf("entry %q is not a port range of the form \"1433-1434\"", e)
		}
	}
	return nil
}

// checkListenOnlyList validates ListenOnlyList entries: IP addresses
// without a port (windows-semantics.md §2, S30).
func checkListenOnlyList(d RegData) error {
	for _, e := range d.Multi {
		if _, err := parseListenAddr(e); err != nil {
			return err
		}
	}
	return nil
}

// parseListenAddr parses one listen-list address: an IPv4 or IPv6 address
// without a port or zone.
func parseListenAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		if _, perr := netip.ParseAddrPort(s); perr == nil {
			return netip.Addr{}, fmt.Errorf("%q carries a port; listen-list entries are bare IP addresses (windows-semantics.md §2)", s)
		}
		return netip.Addr{}, fmt.Errorf("%q is not an IP address", s)
	}
	if a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("%q carries a zone; listen-list entries are bare IP addresses", s)
	}
	return a, nil
}

// knownService is a service fleetport has reasons to name: a rule target,
// or a service a change restarts.
type knownService struct {
	Name, Display string
}

// knownServices gives the canonical spelling of the services fleetport
// names (service key names are case-insensitive on Windows).
var knownServices = []knownService{
	{"HTTP", "HTTP Service (the http.sys driver)"},
	{"HTTPFilter", "HTTP SSL (2003)"},
	{"IISADMIN", "IIS Admin Service"},
	{"MSFTPSVC", "FTP Publishing Service"},
	{"MSSQLSERVER", "SQL Server (MSSQLSERVER)"},
	{"NNTPSVC", "Network News Transfer Protocol (NNTP)"},
	{"SMTPSVC", "Simple Mail Transfer Protocol (SMTP)"},
	{"SQLSERVERAGENT", "SQL Server Agent (MSSQLSERVER)"},
	{"W3SVC", "World Wide Web Publishing Service"},
	{"WAS", "Windows Process Activation Service"},
	{"WinRM", "Windows Remote Management (WS-Management)"},
}

// canonService returns the known spelling of a service name, or name.
func canonService(name string) string {
	for _, s := range knownServices {
		if strings.EqualFold(s.Name, name) {
			return s.Name
		}
	}
	return name
}

// accessServices are the services fleetport reaches a host through:
// stopping one cuts its own access.
var accessServices = []string{"HTTP", "WinRM"}
