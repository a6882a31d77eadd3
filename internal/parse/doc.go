// Package parse turns the text Windows commands print into the facts of
// package internal/facts: the socket table from netstat or
// Get-NetTCPConnection, the http.sys IP listen list from netsh or
// httpcfg, registry values from reg query, the dynamic port range from
// netsh, the version from ver, service states from sc, the boot time from
// wmic, the URLs registered with http.sys from netsh; and for staged
// remediation the dependants of a service from sc enumdepend, an IIS
// metabase property from adsutil.vbs, the host's own addresses from
// ipconfig.
//
// # Entry points
//
// One function per command, each taking an io.Reader and [Options] and
// returning a typed value and an error:
//
//	ParseNetstat            netstat -ano (-an, -anob, -anbv, -anobq)  facts.Sockets
//	ParseTCPConnectionJSON  Get-NetTCPConnection | Select-Object ... | ConvertTo-Json  facts.Sockets
//	ParseIPListen           netsh http show iplisten                  facts.ListenList
//	ParseHttpcfg            httpcfg query iplisten (2003)             facts.ListenList
//	ParseRegQuery           reg query KEY [/v NAME] [/s]              RegQuery
//	ParseRegQueryOutput     the same with stdout, stderr, exit code   RegQuery
//	ParseDynamicPort        netsh int ipv4 show dynamicport tcp       facts.DynamicPortRange
//	ParseVer                ver                                       facts.OSVersion
//	ParseSC                 sc query [NAME]                           SCQuery
//	ParseBootTime           wmic os get LastBootUpTime [/value]       time.Time
//	ParseServiceState       netsh http show servicestate              []facts.HTTPURL
//	ParseSCEnumDepend       sc enumdepend NAME [BUFSIZE]              []facts.Service
//	ParseAdsutil            cscript //nologo adsutil.vbs get PATH     AdsutilValue
//	ParseIPConfig           ipconfig (also /all)                      []netip.Addr
//
// [Kinds] lists them by the names `fleetport parse KIND` uses (netstat,
// tcpconnection-json, iplisten, httpcfg, reg, dynamicport, ver, sc,
// boottime, servicestate, enumdepend, adsutil, ipconfig) and [Parse] runs
// one by name.
//
// ParseIPConfig returns the host's addresses only: ipconfig's labels are
// localized, so it tells an address from a subnet mask and a gateway by
// the order of an adapter's lines (each IPv4 address is followed at once by
// its mask; the gateway comes after the addresses), never by label words;
// ipconfig.go states the rules. ParseAdsutil reads adsutil's value line by
// its structure and its English "not set at this node" sentence (which
// adsutil's exit code 0x80005006 also signals); [AdsutilValue.Bool] reads
// a BOOLEAN. ParseSCEnumDepend reads sc query's service blocks after sc's
// entriesread line, and reports a too-small buffer ("more data, need N
// bytes") as an ErrFailed error naming N.
//
// # Evidence
//
// A finding is best shown with the lines of host output it rests on.
// [Lines] decodes an output the way the parsers do (byte-order mark, code
// page hint or detection, the same caps) and returns its lines, numbered
// as parse errors number them, with the encoding's name. For netstat,
// whose output can be 16,000 rows, Options.Row hands each row to the
// caller as ParseNetstat adds it to the table: its line number, the line
// decoded (a German CP850 "ABHÖREN" arrives as UTF-8) and the socket, so
// that a caller keeps only the rows a check can cite.
//
// # What it deliberately does not do
//
// No I/O beyond reading the given reader, no command building, no
// decision about which command to run (package collect does that), no
// policy logic. It never guesses: output whose structure it does not
// recognise, or a value it cannot read, is an error, never a plausible
// fact. It does not read netstat without -n (names instead of
// addresses), with an interval, or other netstat modes (-e, -r, -s).
//
// # Language and encoding
//
// Windows localizes these outputs (netstat's title, header and state
// words, netsh's labels, ver's "Version"), so the parsers read structure:
// fields by position, a listener by its foreign address 0.0.0.0:0 or
// [::]:0 whatever the state word says, the numbers after netsh's labels
// by order, registered URLs as lines whose first field is an http:// or
// https:// URL. Known translations of netstat's state words are mapped
// (see [StateWord]); an unknown word on a connection is an error. wmic's
// property names (LastBootUpTime) are WMI's and never localized, so they
// are read by name.
//
// Console tools write in the host's OEM code page (850 on a German host:
// "ABHÖREN" has Ö as byte 0x99), whatever code page the WinRM shell asked
// for; PowerShell writes in the shell's code page. Options.CodePage is a
// hint: 0 detects (valid UTF-8 is UTF-8; otherwise the OEM and ANSI code
// page whose decoding holds known words wins), 65001 is UTF-8 (falling
// back to detection on bytes that are not), any other number that code
// page. A UTF-8 or UTF-16 byte-order mark is honoured. Every localized
// result says which encoding it was decoded from ("ascii", "utf-8",
// "cp850", "cp936", "utf-16le", ...). The details are in codepage.go.
//
// # Errors
//
// Every error is a *[Error]: the parser kind, the 1-based line number in
// the decoded input (0 for the input as a whole), the offending line
// (decoded, at most [MaxQuoteBytes]), a message, and a cause that
// errors.Is matches against [ErrUnknownFormat] (not this command's
// output), [ErrInvalidValue] (a field in a known place does not parse; the
// strconv or netip error is wrapped too), [ErrEmpty], [ErrTooLarge],
// [ErrLineTooLong], [ErrCodePage], or [ErrFailed] (the tool's own failure
// report, understood). [Error.Fact] turns it into the facts document's
// per-fact error, so that one unreadable output leaves the host's other
// facts in place. On error the returned value is the zero value.
//
// Outputs that mean "nothing there" are values, not errors: reg's
// "unable to find the specified registry key or value" is
// RegQuery.NotFound (so a requested value is Absent), sc query's FAILED
// 1060 is SCQuery.NotInstalled, adsutil's "not set at this node" is an
// AdsutilValue with Set false, and sc enumdepend's "entriesread = 0" an
// empty list. sc enumdepend's FAILED 1060 is an ErrFailed error (there is
// no list to report it in).
//
// ParseNetstat alone has a lenient mode (Options.Lenient): a row it
// cannot read is skipped and recorded in Sockets.RowErrors, the other rows
// kept. The corpus file netstat-an-win10-jc.txt, whose author hand-edited
// one address into the non-hex "fe80::asda:…", is a strict error at line
// 264 quoting that line, and a lenient table of the other 263 rows with one
// row error. Lists and registry values have no lenient mode: a list with a
// line dropped would be a wrong fact.
//
// # Limits and cost
//
// Input is capped at Options.MaxBytes (64 MiB) and each line at
// Options.MaxLineBytes (1 MiB; not for JSON, which -Compress writes on one
// line). The netstat parser makes no allocation
// per row: rows go straight into a [facts.SocketBuilder], which keeps the
// rows Options.Sockets.Keep asks for and folds all of them into the
// aggregates. Parsers are safe for concurrent use; they share no state.
package parse
