package policies

import (
	"strings"
	"testing"
)

// TestKnownTable checks the table's own consistency: defaults of the right
// type inside the range, a key from the known set, sources cited, and
// names unique.
func TestKnownTable(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range KnownValues() {
		if seen[strings.ToLower(k.Name)] {
			t.Errorf("%s: listed twice", k.Name)
		}
		seen[strings.ToLower(k.Name)] = true
		if _, err := ParseRegistryKey(string(k.Key)); err != nil {
			t.Errorf("%s: %v", k.Name, err)
		}
		if err := checkValueName(k.Name); err != nil {
			t.Errorf("%s: %v", k.Name, err)
		}
		if k.Type == RegTypeUnset || k.Effect == nil || k.Doc == "" || len(k.Sources) == 0 {
			t.Errorf("%s: incomplete row %+v", k.Name, k)
		}
		if !strings.HasPrefix(k.Sources[0], "windows-semantics.md §") {
			t.Errorf("%s: the first source must be the semantics document's section", k.Name)
		}
		if k.HasRange && (!k.Type.Numeric() || k.Min > k.Max || k.Max > k.Type.maxValue()) {
			t.Errorf("%s: bad range %d-%d", k.Name, k.Min, k.Max)
		}
		if d := k.Default; d != nil {
			if d.Type != k.Type {
				t.Errorf("%s: default of type %v", k.Name, d.Type)
			}
			if err := k.check(*d); err != nil {
				t.Errorf("%s: default %v: %v", k.Name, d, err)
			}
		}
	}
	for _, name := range []string{"MaxUserPort", "TcpTimedWaitDelay", "ListenOnlyList", "EnableDynamicBacklog",
		"SynAttackProtect", "WinsockListenBacklog", "MaxFreeTcbs", "MaxHashTableSize", "TcpNumConnections",
		"MaxConnectionsPerServer"} {
		if _, ok := LookupKnown(strings.ToLower(name)); !ok {
			t.Errorf("%s is not in the table", name)
		}
	}
}

// TestKnownEffects pins the effects the brief names.
func TestKnownEffects(t *testing.T) {
	cases := map[string]Effect{
		"TcpTimedWaitDelay":    EffectReboot{},
		"MaxUserPort":          EffectReboot{},
		"ListenOnlyList":       EffectServiceRestart{Service: "HTTP", WithDependants: true},
		"WinsockListenBacklog": EffectServiceRestart{Service: "MSSQLSERVER", WithDependants: true},
	}
	for name, want := range cases {
		k, _ := LookupKnown(name)
		if k.Effect != want {
			t.Errorf("%s: %v, want %v", name, k.Effect, want)
		}
	}
}

func TestParseRegistryKey(t *testing.T) {
	for _, s := range []string{
		`HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters`,
		`hklm\system\currentcontrolset\services\tcpip\parameters\`,
		`HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters`,
	} {
		if k, err := ParseRegistryKey(s); err != nil || k != KeyTcpipParameters {
			t.Errorf("%q: %v %v", s, k, err)
		}
	}
	if _, err := ParseRegistryKey(`HKLM\SOFTWARE\Contoso`); err == nil {
		t.Error("an unknown key must not parse")
	}
}

func TestParseRelease(t *testing.T) {
	for s, want := range map[string]Release{
		"": ReleaseUnknown, "2003": Release2003, "2008R2": Release2008R2, "Windows Server 2012 R2": Release2012R2,
		"2022": Release2022,
	} {
		if got, err := ParseRelease(s); err != nil || got != want {
			t.Errorf("%q: %v %v", s, got, err)
		}
	}
	if _, err := ParseRelease("2025"); err == nil {
		t.Error("2025 is not a release fleetport knows")
	}
	if Release2003.Version() != 5.2 || Release2019.String() != "2019" || (OSRange{Max: Release2003}).String() != "2003 and earlier" {
		t.Error("release names")
	}
}
