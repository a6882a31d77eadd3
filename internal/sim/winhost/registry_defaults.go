package winhost

import (
	"sort"
	"strings"
)

// The default keys of each release.
//
// Sources: windows-semantics.md section 1 (which values a fresh install
// has: no MaxUserPort or TcpTimedWaitDelay from 2008 on; "Windows Server
// 2003 sets the MaxUserPort value to 5000", S3), section 2 (ListenOnlyList
// absent by default), section 1/AFD (the backlog values absent by default),
// section 5 (Internet Settings, MaxConnectionsPerServer absent). The other
// values under Tcpip\Parameters are those a default install writes
// (Hostname, NV Hostname, Domain, DataBasePath, ...) [chosen: their order
// and the exact set are from memory of real hosts, not from a capture].

const (
	keyTcpip      = `HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters`
	keyHTTP       = `HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\HTTP\Parameters`
	keyAFD        = `HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\AFD\Parameters`
	keyServices   = `HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services`
	keyMSSQL      = `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\MSSQLServer\MSSQLServer`
	keyCurVersion = `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion`
)

type treeBuilder struct{ t regTree }

// key adds a key (and its parents) and returns it.
func (b treeBuilder) key(path string) *regKeyDef {
	lower := strings.ToLower(path)
	if k := b.t[lower]; k != nil {
		return k
	}
	k := &regKeyDef{path: path}
	b.t[lower] = k
	if p := parentPath(path); p != "" {
		parent := b.key(p)
		parent.children = append(parent.children, lower)
	}
	return k
}

func sz(name, s string) regVal           { return regVal{name: name, typ: regSZ, str: s} }
func expandSZ(name, s string) regVal     { return regVal{name: name, typ: regExpandSZ, str: s} }
func dword(name string, n uint32) regVal { return regVal{name: name, typ: regDWORD, num: uint64(n)} }
func multiSZ(name string, s ...string) regVal {
	return regVal{name: name, typ: regMultiSZ, multi: s}
}
func dynSZ(name string, d dyn) regVal { return regVal{name: name, typ: regSZ, dyn: d} }

func buildDefaultRegistry(o OS) regTree {
	b := treeBuilder{t: regTree{}}
	info := o.info()
	for _, r := range roots {
		b.key(r.full)
	}

	tcpip := b.key(keyTcpip)
	tcpip.values = []regVal{
		dynSZ("NV Hostname", dynName),
		expandSZ("DataBasePath", `%SystemRoot%\System32\drivers\etc`),
		sz("NameServer", ""),
		dword("ForwardBroadcasts", 0),
		dword("UseDomainNameDevolution", 1),
		dword("EnableICMPRedirect", 1),
		dword("DeadGWDetectDefault", 1),
		dword("DontAddDefaultGatewayDefault", 0),
	}
	if o == Server2003 {
		tcpip.values = append(tcpip.values, dword("MaxUserPort", 5000))
	} else {
		tcpip.values = append(tcpip.values, sz("ICSDomain", "mshome.net"))
	}
	if o >= Server2012R2 {
		tcpip.values = append(tcpip.values, dword("EnableWsd", 1))
	}
	tcpip.values = append(tcpip.values,
		dword("SyncDomainWithMembership", 1),
		dynSZ("NV Domain", dynDomain),
		dynSZ("Domain", dynDomain),
		dynSZ("Hostname", dynName),
		sz("SearchList", ""),
		dword("IPEnableRouter", 0),
	)
	for _, sub := range []string{"Adapters", "DNSRegisteredAdapters", "Interfaces", "PersistentRoutes", "Winsock"} {
		b.key(keyTcpip + `\` + sub)
	}
	if info.vistaStack {
		b.key(keyTcpip + `\NsiObjectSecurity`)
	}

	b.key(keyHTTP)
	if info.vistaStack {
		b.key(keyHTTP + `\SslBindingInfo`)
		b.key(keyHTTP + `\UrlAclInfo`)
	}
	b.key(keyAFD)

	// One key per service of the model, with what sc qc reads.
	for _, d := range baseServices(o) {
		k := b.key(keyServices + `\` + d.name)
		k.values = append(k.values, sz("DisplayName", d.display), dword("Start", d.regStart()),
			dword("Type", d.kind.code()))
		if len(d.deps) > 0 {
			k.values = append(k.values, multiSZ("DependOnService", d.deps...))
		}
	}

	k := b.key(`HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\ComputerName\ComputerName`)
	k.values = []regVal{dynSZ("ComputerName", dynName)}
	k = b.key(`HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\ComputerName\ActiveComputerName`)
	k.values = []regVal{dynSZ("ComputerName", dynName)}

	k = b.key(keyCurVersion)
	k.values = []regVal{
		dynSZ("SystemRoot", dynSystemRoot),
		regVal{name: "CurrentBuildNumber", typ: regSZ, dyn: dynBuild},
		sz("CurrentVersion", info.curVersion),
		sz("ProductName", info.productName),
		sz("InstallationType", "Server"),
		regVal{name: "CurrentBuild", typ: regSZ, dyn: dynBuild},
	}
	if o >= Server2016 {
		k.values = append(k.values, sz("EditionID", "ServerStandard"),
			dword("CurrentMajorVersionNumber", 10), dword("CurrentMinorVersionNumber", 0),
			regVal{name: "UBR", typ: regDWORD, dyn: dynUBR})
	} else if o >= Server2008R2 {
		k.values = append(k.values, sz("EditionID", "ServerStandard"))
	}

	k = b.key(`HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings`)
	k.values = []regVal{
		sz("ActiveXCache", `C:\Windows\Downloaded Program Files`),
		sz("CodeBaseSearchPath", "CODEBASE"),
		dword("EnablePunycode", 1),
		dword("MinorVersion", 0),
		dword("WarnOnIntranet", 1),
	}
	k = b.key(`HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Internet Settings`)
	k.values = []regVal{
		dword("CertificateRevocation", 1),
		dword("DisableCachingOfSSLPages", 0),
		sz("IE5_UA_Backup_Flag", "5.0"),
		dword("PrivacyAdvanced", 1),
		dword("SecureProtocols", 0xa80),
		sz("User Agent", "Mozilla/4.0 (compatible; MSIE 8.0; Win32)"),
		regVal{name: "ZonesSecurityUpgrade", typ: regBinary, bin: []byte{0x80, 0x1f, 0x3c, 0x6d, 0x3b, 0x7a, 0xd6, 0x01}},
		dword("WarnonZoneCrossing", 0),
		dword("EnableNegotiate", 1),
		dword("ProxyEnable", 0),
		dword("MigrateProxy", 1),
	}
	k = b.key(`HKEY_CURRENT_USER\Software\Microsoft\Command Processor`)
	k.values = []regVal{
		dword("CompletionChar", 0x40),
		dword("DefaultColor", 0),
		dword("EnableExtensions", 1),
		dword("PathCompletionChar", 0x40),
	}

	for _, kd := range b.t {
		sort.Slice(kd.children, func(i, j int) bool { return kd.children[i] < kd.children[j] })
	}
	return b.t
}
