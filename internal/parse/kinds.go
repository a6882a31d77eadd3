package parse

import (
	"io"
	"sort"
)

// The parser kinds, as `fleetport parse KIND` names them.
const (
	KindNetstat           = "netstat"
	KindIPListen          = "iplisten"
	KindHttpcfg           = "httpcfg"
	KindReg               = "reg"
	KindDynamicPort       = "dynamicport"
	KindTCPConnectionJSON = "tcpconnection-json"
	// KindTCPConnectionTable is the table Get-NetTCPConnection prints.
	KindTCPConnectionTable = "tcpconnection"
	KindVer                = "ver"
	KindSC                 = "sc"
	KindBootTime           = "boottime"
	KindServiceState       = "servicestate"
	KindSCEnumDepend       = "enumdepend"
	KindAdsutil            = "adsutil"
	KindIPConfig           = "ipconfig"
)

// Kind describes one parser.
type Kind struct {
	// Name is the kind ("netstat").
	Name string
	// Command is the command line whose output it reads.
	Command string
	// Result names the type Parse returns for it.
	Result string
	parse  func(io.Reader, Options) (any, error)
}

var kinds = map[string]Kind{
	KindNetstat: {Name: KindNetstat, Command: "netstat -ano (also -an, -anob, -anbv)", Result: "facts.Sockets",
		parse: func(r io.Reader, o Options) (any, error) { return ParseNetstat(r, o) }},
	KindIPListen: {Name: KindIPListen, Command: "netsh http show iplisten", Result: "facts.ListenList",
		parse: func(r io.Reader, o Options) (any, error) { return ParseIPListen(r, o) }},
	KindHttpcfg: {Name: KindHttpcfg, Command: "httpcfg query iplisten", Result: "facts.ListenList",
		parse: func(r io.Reader, o Options) (any, error) { return ParseHttpcfg(r, o) }},
	KindReg: {Name: KindReg, Command: `reg query "HKLM\...\Tcpip\Parameters" [/v NAME] [/s]`, Result: "parse.RegQuery",
		parse: func(r io.Reader, o Options) (any, error) { return ParseRegQuery(r, o) }},
	KindDynamicPort: {Name: KindDynamicPort, Command: "netsh int ipv4 show dynamicport tcp", Result: "facts.DynamicPortRange",
		parse: func(r io.Reader, o Options) (any, error) { return ParseDynamicPort(r, o) }},
	KindTCPConnectionJSON: {Name: KindTCPConnectionJSON,
		Command: "Get-NetTCPConnection | Select-Object LocalAddress,LocalPort,RemoteAddress,RemotePort,State,OwningProcess | ConvertTo-Json",
		Result:  "facts.Sockets",
		parse:   func(r io.Reader, o Options) (any, error) { return ParseTCPConnectionJSON(r, o) }},
	KindTCPConnectionTable: {Name: KindTCPConnectionTable, Command: "Get-NetTCPConnection (the table PowerShell prints)", Result: "facts.Sockets",
		parse: func(r io.Reader, o Options) (any, error) { return ParseTCPConnectionTable(r, o) }},
	KindVer: {Name: KindVer, Command: "ver", Result: "facts.OSVersion",
		parse: func(r io.Reader, o Options) (any, error) { return ParseVer(r, o) }},
	KindSC: {Name: KindSC, Command: "sc query NAME", Result: "parse.SCQuery",
		parse: func(r io.Reader, o Options) (any, error) { return ParseSC(r, o) }},
	KindBootTime: {Name: KindBootTime, Command: "wmic os get LastBootUpTime /value", Result: "time.Time",
		parse: func(r io.Reader, o Options) (any, error) { return ParseBootTime(r, o) }},
	KindServiceState: {Name: KindServiceState, Command: "netsh http show servicestate", Result: "[]facts.HTTPURL",
		parse: func(r io.Reader, o Options) (any, error) { return ParseServiceState(r, o) }},
	KindSCEnumDepend: {Name: KindSCEnumDepend, Command: "sc enumdepend NAME [BUFSIZE]", Result: "[]facts.Service",
		parse: func(r io.Reader, o Options) (any, error) { return ParseSCEnumDepend(r, o) }},
	KindAdsutil: {Name: KindAdsutil, Command: `cscript //nologo C:\Inetpub\AdminScripts\adsutil.vbs get PATH`, Result: "parse.AdsutilValue",
		parse: func(r io.Reader, o Options) (any, error) { return ParseAdsutil(r, o) }},
	KindIPConfig: {Name: KindIPConfig, Command: "ipconfig (also /all)", Result: "[]netip.Addr",
		parse: func(r io.Reader, o Options) (any, error) { return ParseIPConfig(r, o) }},
}

// Kinds lists the parsers, sorted by name.
func Kinds() []Kind {
	out := make([]Kind, 0, len(kinds))
	for _, k := range kinds {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Parse runs the parser of a kind and returns its typed result (see
// Kind.Result) as a value, ready for JSON. An unknown kind is an
// [ErrUnknownKind] error; every other error is a *[Error].
func Parse(kind string, r io.Reader, opts Options) (any, error) {
	k, ok := kinds[kind]
	if !ok {
		return nil, &Error{Kind: kind, Msg: "unknown parser kind (want one of netstat, iplisten, httpcfg, reg, dynamicport, tcpconnection-json, ver, sc, boottime, servicestate, enumdepend, adsutil, ipconfig)", Err: ErrUnknownKind}
	}
	v, err := k.parse(r, opts)
	if err != nil {
		return nil, err
	}
	return v, nil
}
