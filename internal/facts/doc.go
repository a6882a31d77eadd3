// Package facts is fleetport's per-host facts document: what one
// collection run learnt about one Windows host, normalised so that the
// drift, report, store and TUI packages never see Windows text.
//
// It is data only: types, their JSON form, and the aggregates that can be
// computed from them. It imports the standard library only. Package
// internal/parse fills it from command output; package collect decides
// which commands to run and sets identity, timing and status.
//
// # What it deliberately does not do
//
// No I/O, no parsing of Windows text, no policy evaluation, no notion of
// "drift". A value here is what the host said; whether that is right is
// for the policies to decide.
//
// # The document
//
// [Host] is the root. Its JSON form (schema [SchemaVersion]) has these
// keys, always in this order (encoding/json follows the struct order, and
// the enum types marshal as text):
//
//	version        int      schema version (SchemaVersion)
//	name           string   inventory name
//	address        string   address fleetport reached the host on
//	os             object   from `ver`: version, major, minor, build, revision, release
//	locale         string   e.g. "de-DE" (from the inventory or the host)
//	code_page      int      OEM code page of the console tools (850 ...)
//	auth           string   ntlm | kerberos | basic: what the session used (negotiate's choice)
//	started        time     RFC 3339, omitted when zero
//	finished       time     RFC 3339, omitted when zero
//	status         string   ok | unreachable | timeout | auth | tls | quota |
//	                        protocol | command-failed | parse-error | unknown
//	error          string   one line on why status is not ok
//	sockets        object   see below; omitted when not collected
//	listen_list    object   {source: netsh|httpcfg|registry, entries: ["10.0.0.5", ...], encoding}
//	registry       array    {path, name, absent, type, raw, number | string | strings | bytes}
//	dynamic_ports  array    {family, protocol, start, count, source, encoding}
//	services       array    {name, display_name, state, exit_code}
//	boot_time      time     when the host last started (wmic os get LastBootUpTime)
//	http_urls      array    {url, scheme, host, port, path, addr}: URLs registered with http.sys
//	addresses      array    the host's own IP addresses (ipconfig)
//	fact_errors    array    {fact, command, status, exit_code, kind, line, text, message}
//	outputs        array    {fact, command, total, lines: [{n, text}]}: host output kept as evidence
//
// sockets is [Sockets]:
//
//	source, encoding, pids, owners, kept,
//	summary: {tcp, udp, listening, states: {"LISTENING": n, ...},
//	          wildcard_binds: [socket], time_wait_remotes,
//	          time_wait_top: [{remote, count}], client_sockets,
//	          ephemeral: [{family, start, count, in_use, percent}]},
//	listeners: [socket], connections: [socket],
//	row_errors: [{line, text, message}], skipped_rows
//
// and a socket is {proto, state, pid, local, remote, owner: {service,
// image, unavailable}}, addresses as "10.0.0.5:80" / "[fe80::1%9]:1900".
// Optional keys are left out when empty; a socket's pid is left out when
// it is 0, which, when the table has pids, means PID 0 (TIME_WAIT).
//
// # Memory
//
// A run may hold 10,000 hosts, some with TIME_WAIT piles of 16,000
// sockets. A [Socket] is 80 bytes (netip.AddrPort, small ints, a shared
// *[Owner]). [SocketBuilder] folds rows into [SocketSummary] as they come
// and keeps only the rows its [Keep] policy asks for: [KeepListeners]
// drops every connection row but still counts them, their TIME_WAIT
// remotes and their client ports (2 bytes per client socket, for
// [Sockets.EphemeralUse]).
//
// # Errors
//
// A fact that could not be collected or parsed is absent, and a
// [FactError] says why; the other facts of the host stay. [Status] is the
// host's overall classification, set by the collector.
//
// # Concurrency
//
// Values are plain data: safe to read from many goroutines, not to
// mutate concurrently. A [SocketBuilder] is for one goroutine.
package facts
