// Package policies is fleetport's HCL policy language: policies with a
// per-host applies_to expression, a severity, rules over registry values,
// the http.sys listen list, listeners, connection pressure, the dynamic
// port range and service states, and declared remediations whose changes
// and effects the package derives as typed data. It also carries the
// built-in policy pack.
//
// # Entry points
//
//   - [Parse] decodes one file (bytes and a file name in, no I/O);
//     [LoadDir] walks a file or folder of an [io/fs.FS] and merges the
//     files into a [Set] ([NewSet] merges files you parsed yourself).
//     [Builtin] loads the embedded pack. All return hcl.Diagnostics, every
//     one located; on errors the result is partial, safe to inspect but
//     not to act on. [Set.Sources] feeds hcl.NewDiagnosticTextWriter.
//   - [Policy.AppliesTo] answers, per [Host], Applies, NotApplicable or
//     ApplicabilityUnknown; [CheckCoverage] warns about policies that apply
//     to no host of an inventory.
//   - [Set.Needs] (and [Policy.Needs]) says what collection must fetch from
//     a host.
//   - [Policy.Resolve] evaluates a policy for a host into a [Resolved]:
//     typed [Check] values for drift and typed [Action] values, with their
//     [Effect], for the planner. [CheckListenListChange] is the per-host
//     lockout check the planner calls before (and after) a listen-list
//     change.
//   - [KnownValues], [LookupKnown]: the table of registry values fleetport
//     knows (known.go).
//
// Values of this package are immutable after loading and safe for
// concurrent use; AppliesTo, Resolve and Needs may run for many hosts at
// once.
//
// # The language
//
// A policy file holds policy blocks, and the rollout and waiver blocks
// below:
//
//	policy "http_listen_list" {
//	  description = "http.sys listens only on the service, management and loopback addresses"
//	  severity    = "high"                      # info | low | medium (default) | high | critical
//	  applies_to  = contains(host.groups, "web") # per host; absent: every host
//	  references  = ["KB 813368", "windows-semantics.md §2"]
//
//	  listen_list {
//	    contains = [host.vars.service_address, host.management_address, "127.0.0.1"]
//	  }
//	  remediation {
//	    listen_list { add = [host.vars.service_address, host.management_address, "127.0.0.1"] }
//	  }
//	}
//
// A policy file may also hold one rollout block (one per set), the defaults
// of apply's --stages, --max-failures and --wait, and its guard rails: the
// hosts restarting or rebooting at once (--max-disruptive,
// --max-disruptive-per-group), the maintenance windows, and what apply
// does outside them (--outside-window):
//
//	rollout {
//	  stages       = ["group:canary", "10%", "50%", "100%"]
//	  max_failures = "5%"
//	  wait         = "10m"
//
//	  max_restarts           = 2
//	  max_restarts_per_group = 1
//	  window {
//	    days      = ["sat", "sun"]
//	    from      = "22:00"
//	    to        = "04:00"
//	    time_zone = "Europe/Paris"
//	  }
//	  outside_window = "wait"
//	}
//
// A policy needs at least one rule; all its rules must pass. Names are
// letters, digits, _ and -, start with a letter, and are unique across all
// files (case-insensitively). description, severity and references are
// literals.
//
// Expressions see one variable, host, and the functions listed by
// [FunctionNames] (go-cty's stdlib under Terraform's names, try and can,
// and startswith, endswith and cidrcontains):
//
//	host.name, host.address, host.site       strings from the inventory
//	host.management_address                  the IP address WinRM reaches
//	host.groups                              list of strings
//	host.tags                                map of strings
//	host.vars.NAME                           the inventory's variables, any type
//	host.os                                  "2003", "2008r2", "2012r2", "2016", "2019", "2022" (also "2000", "2008", "2012")
//	host.os_version                          5.2, 6.1, 6.3, 10.0
//	host.os_build                            e.g. 17763
//	host.roles                               what the facts show the host serves: "web", "smtp", "sql"
//
// host.roles comes from the host's facts, never from group names: "web"
// when the W3SVC service is installed or a site's URL (not WinRM's /wsman)
// is registered with http.sys, "smtp" when the SMTPSVC service is
// installed or a TCP listener is on port 25, "sql" when SQL Server's
// MSSQLSERVER service is installed. Collection asks for those facts first
// when an applies_to reads host.roles.
//
// host.os, host.os_version, host.os_build and host.roles are unknown until
// collection learns them (or the inventory declares the release); an expression that
// needs an unknown value answers unknown, never "applies" or "does not
// apply" (false && unknown is false). At load time every expression is
// evaluated against a host whose attributes are all unknown, so unknown
// functions, misspelt host attributes, wrong types and out-of-range
// constants are reported before any host is known; values that depend on
// the host are checked again, per host, by Resolve.
//
// Attributes that decide what is collected or what is compliant on every
// host (registry key and type, listen-list allow_empty, states, protocols,
// the presence and when_absent switches, command parameters) must be
// literals: "Host values not allowed here".
//
// A variable a policy reads as host.vars.NAME that a host's inventory does
// not declare is an error for that host, in plain words (`host "web01"
// declares no service address (vars.service_address, ...): add vars = {
// service_address = "10.0.0.10" } to the host, or to its group, in the
// inventory`): drift shows it in the finding, a check resolved without the
// value is never compliant (unknown, with that reason), and plan refuses
// the remediation with it. try(host.vars.NAME, default) still gives the
// default.
//
// # Waivers
//
// A waiver block accepts the drift of one policy on some hosts, for a
// reason, until a date:
//
//	waiver "mail01-relay" {
//	  policy = "smtp_socket_pooling"         # a policy of the set, or a fleetport.* cross-fact check
//	  hosts  = ["mail01"]                     # host names (any case); or, instead:
//	  # limit = "group:smtp,&tag:site=paris"  # the --limit language, without @file
//	  reason = "the old relay binds every address until it moves (CHG-4711)"
//	  until  = "2027-06-30"                   # the last day it holds, UTC (YYYY-MM-DD)
//	}
//
// The drift (fail or pending) of that policy on the hosts it covers is
// "waived": every report format shows it with the waiver's name, reason,
// until and file:line, the summary counts it apart, it does not make
// drift exit 2, and plan leaves it alone. An unknown stays unknown. From
// the day after until the waiver is expired: it waives nothing (the drift
// fails again) and drift warns once per expired waiver, naming it and its
// file:line. Waivers are judged at the start of the run that is judged
// (a waiver whose until had passed by then waives nothing), so judging a
// stored run again gives the same answer whatever the day, and plan and
// apply derive the same changes from it; comparisons say "waived" for drift a waiver accepts now and did not
// before, and "unwaived" for drift whose waiver expired, never "fixed" or
// "new". When two waivers cover the same drift, the first declared wins.
//
// Waivers live with the policies, not in the inventory: they are decisions
// about what the policies demand, reviewed and versioned with them (as
// policy-as-code tools keep their exceptions), while the inventory says what
// the fleet is and may be generated (fleetport sim --inventory-out).
//
// Errors: a waiver without policy, reason or until; an until that is not a
// date; both hosts and limit, or neither; an empty host list; an @file in
// limit; a name used twice (names follow the policy-name rules); a policy
// the set does not have (with a suggestion; a built-in name under
// --no-builtin). Warnings (fleetport validate): a waiver that covers no
// host of the inventory (unknown names, a limit that selects none, or a
// term of it that selects none), none the policy applies to, an expired
// one, and one whose until is more than a year away.
//
// # Rule kinds
//
// Each kind knows which releases honour its subject; on other releases its
// check is NotApplicable, which is reported as "not applicable", not as a
// finding, and a policy none of whose rules exists on the host's release
// does not apply to it.
//
//	registry "NAME" { ... }      releases from the known table (every release for other values)
//	  key, type                  only for values the table lacks (then both are required)
//	  present | absent = bool    the value must (not) exist
//	  equals | one_of            typed data: a number for REG_DWORD/REG_QWORD, a string for
//	                             REG_SZ, a list of strings for REG_MULTI_SZ
//	  at_least, at_most          numeric types; both may be set (bounds included)
//	  when_absent                "default" (compare the table's default), "pass", "fail"
//	listen_list { ... }          2003 and later (http.sys; httpcfg on 2003, netsh http later)
//	  contains, excludes, only   lists of IP addresses (no port, no zone)
//	  exactly                    contains and only at once
//	  allow_empty = bool         an empty list (every address) passes
//	listener { ... }             every release
//	  port (required), protocol  "tcp" (default) or "udp"
//	  not_wildcard = bool        nothing bound to 0.0.0.0 or [::]
//	  only_addresses             every listener on the port bound to one of these
//	  listening = bool           something must (not) listen on the port
//	connections { ... }          every release
//	  state                      a state or a list ("TIME_WAIT"; netstat's English names)
//	  remote_port, remote_address filters
//	  max_total, max_per_remote  counts, bounds included
//	  max_share_of_range         per remote endpoint, of the client port range (0 < x <= 1)
//	dynamic_port_range { ... }   2008 and later (2003: 1025..MaxUserPort)
//	  protocol, family           "tcp"/"udp", "ipv4"/"ipv6" (defaults tcp, ipv4)
//	  start, size | min_size     netsh's limits: start >= 1025, size >= 255, end <= 65535
//	service "NAME" { ... }       every release
//	  state                      "running" | "stopped"
//	  start_mode                 "auto" | "manual" | "disabled"
//
// Where Windows differs, the table in known.go encodes it (sources in
// windows-semantics.md): MaxUserPort bounds the client ports on 2003 and
// earlier, the dynamic port range replaces it from 2008; EnableDynamicBacklog
// and the other AFD backlog values, SynAttackProtect, MaxFreeTcbs,
// MaxHashTableSize and TcpNumConnections are honoured up to 2003;
// WinsockListenBacklog only by SQL Server 2000 and earlier (the table uses
// 2003 and earlier as the release range; the SQL Server version is the
// policy's applies_to to express); TcpTimedWaitDelay everywhere. The table
// validates registry rules and remediations: an unknown value name with a
// did-you-mean (an error; a warning when key and type declare a value the
// table lacks whose name is close to a known one), an unknown key, a type
// mismatch, a value out of the documented range, a non-power-of-two
// MaxHashTableSize, a malformed ReservedPorts entry.
// String data may not hold a double quote, a percent sign or control
// characters, so it can never escape a command line.
//
// Each Check type documents the exact comparison drift must make:
// [RegistryCheck], [ListenListCheck], [ListenerCheck], [ConnectionsCheck],
// [DynamicPortRangeCheck], [ServiceCheck].
//
// # Remediation and effects
//
// A remediation block names desired values; it is never a script:
//
//	remediation {
//	  registry "TcpTimedWaitDelay" { value = 30 }      # or delete = true
//	  listen_list { add = [...] }                       # remove = [...]; or exactly = [...]
//	  dynamic_port_range {
//	    start = 10000
//	    size  = 55535
//	  }
//	  service "W3SVC" { state = "running" }             # start_mode = "auto"
//	  command "iis_socket_pooling" { service = "smtpsvc" }
//	}
//
// Resolve turns each item into an [Action] carrying what the change needs
// before it takes effect ([Resolved.Effects] reduces them: a reboot stands
// for everything):
//
//	registry value              the table's effect: EffectReboot for the TCP/IP and AFD
//	                            values (TcpTimedWaitDelay, MaxUserPort, ...),
//	                            EffectServiceRestart{MSSQLSERVER, with dependants} for
//	                            WinsockListenBacklog, EffectNewProcesses for WinInet;
//	                            EffectReboot for a value the table lacks
//	listen_list                 EffectServiceRestart{Service: "HTTP", WithDependants: true}
//	dynamic_port_range          EffectNone (applies at once)
//	service                     EffectNone (starting or stopping is the change)
//	command iis_socket_pooling  EffectServiceRestart of the IIS service (IISADMIN with
//	                            dependants for w3svc, SMTPSVC for smtpsvc)
//
// An action whose target the host's release does not honour (MaxUserPort
// on 2019, DisableSocketPooling for w3svc from IIS 6) is NotApplicable: the
// planner skips it. command is for what the rule kinds do not cover; it
// runs a typed template with typed parameters ([CommandTemplate],
// [IISSocketPooling]), never free text. A remediation whose static value
// would not satisfy the policy's own rule draws a warning.
//
// # Safety
//
// WinRM listens through http.sys, so a listen list that lacks the
// management address or 127.0.0.1 cuts fleetport off at the next HTTP
// restart. At load time: a listen_list remediation's exactly or add list
// must name host.management_address and "127.0.0.1" itself (add too,
// because on a host whose list is empty the added addresses become the
// whole list), and remove must not name them; writing ListenOnlyList as a
// registry value is refused; a service item that stops or disables HTTP
// or WinRM is refused. Host variables are known only per host, so Resolve
// checks the resolved addresses again, and the planner must call
// [CheckListenListChange] with the list collected from the host before the
// change, and again with the list read back after it.
//
// # Needs
//
// [Set.Needs] lists, for one host, what some applicable (or possibly
// applicable) policy needs: registry values by key and name, the listen
// list, the socket table, dynamic port ranges, services (with their
// dependants where a fix restarts them), and Release when the answer
// depends on a release not known yet. Collection runs in two steps when
// the inventory does not give the release: identity first, then Needs
// again with Host.OS and Host.OSBuild set, which narrows the answer
// (MaxUserPort or the dynamic port range, httpcfg or netsh).
//
// # The built-in pack
//
// policies/builtin/*.hcl, embedded, and an identical copy in
// examples/policies/builtin. It tells web, SMTP and SQL servers by their
// facts (host.roles), whatever the inventory's groups are called; web
// servers declare the address their sites serve as vars.service_address
// (a web server without it is told so, and what to add, by
// http_listen_list and http_listen_list_stale).
// SQL Server 2000 is SQL Server on Server 2003 (or a host of the group
// "sql2000", for a named instance).
//
//	http_listen_list               high     web: the listen list names the service, management and loopback addresses
//	http_listen_list_stale         medium   web: the list names nothing else (a stale entry takes the sites down)
//	winrm_listen_list_access       critical every host: a non-empty list keeps the management address and 127.0.0.1
//	smtp_socket_pooling            medium   smtp: nothing bound to 0.0.0.0:25; fix: iis_socket_pooling smtpsvc
//	max_user_port                  high     2003: MaxUserPort >= 65534 (reboot)
//	tcp_timed_wait_delay           medium   TcpTimedWaitDelay <= 30, absent = 240 (reboot)
//	dynamic_port_range             high     2008+: TCP/IPv4 range starts at 10000 with >= 55535 ports (at once)
//	time_wait_pressure             high     <= 5000 TIME_WAIT per remote endpoint and <= half the client range
//	afd_dynamic_backlog            medium   2003: DynamicBacklogGrowthDelta <= 10, MaximumDynamicBacklog <= 20000
//	sql2000_listen_backlog         medium   sql on 2003 (or group sql2000): WinsockListenBacklog above the built-in 5
//	tcp_connection_limits          low      2003: MaxFreeTcbs, MaxHashTableSize, TcpNumConnections not lowered; fix: delete the overrides (reboot)
//	wininet_connections_per_server info     MaxConnectionsPerServer >= 2 (HKLM); fix: delete the override (new processes)
//	w3svc_running                  high     web: W3SVC runs
//
// Verdicts on the simulated fleet (docs/SIMULATOR.md): on the baseline
// every policy passes or is not applicable; each drift kind makes exactly
// these policies fail (pack_test.go holds the same table as Go data and
// checks it against a model of the simulator's hosts):
//
//	| drift kind | where | failing policies |
//	|---|---|---|
//	| baseline | every role and release | none |
//	| `listen_list_empty` | web | `http_listen_list` |
//	| `listen_list_stale` | web | `http_listen_list_stale` |
//	| `listen_list_lockout_pending` | web | `http_listen_list`, `winrm_listen_list_access` |
//	| `smtp_wildcard` | smtp | `smtp_socket_pooling` |
//	| `maxuserport_default` | 2003 | `max_user_port` |
//	| `timedwaitdelay_default` | every host | `tcp_timed_wait_delay` |
//	| `dynamic_range_default` | 2008 R2 and later | `dynamic_port_range` |
//	| `pending_reboot` | every host | none: the configured value is compliant (see below) |
//	| `timewait_pile` | web, app (count 12000, the default; a pile of at most 5000 and half the range passes) | `time_wait_pressure` |
//	| `w3svc_stopped` | web | `w3svc_running` |
//	| `site_binding_unlisted` | web, 2008 R2 and later, never with `listen_list_empty` | none: drift's cross-fact check finds it (a site bound to an address that a non-empty listen list lacks starts but is unreachable) |
//
// listen_list_lockout_pending is caught on the configured list, before the
// HTTP restart that would lock fleetport out. On 2003 with MaxUserPort at
// its default, a TIME_WAIT pile fills the whole range 1025..5000 (3976
// sockets, under max_per_remote), and max_share_of_range catches it.
// listen_list_stale is detected as "an address the inventory does not
// declare": the host's interface addresses are not collected.
// pending_reboot (TcpTimedWaitDelay written, not in effect until a reboot)
// passes every policy, because the registry shows the configured value and
// Windows shows no value in effect: detecting it needs a fact collection
// does not have yet (the last boot time against the change's time) or the
// rollout journal of the change; drift should report such a value as
// "compliant, pending reboot" once one of them exists.
//
// # What it deliberately does not do
//
// No I/O beyond the [io/fs.FS] LoadDir is given; no command strings (the
// planner renders the typed actions); no checking against facts: drift
// compares each [Check] with the collected facts, following the semantics
// each Check type documents; no partial overrides (a user policy with a
// built-in's name replaces it whole, with a note); no JSON syntax (expressions are
// inspected as native syntax for the lockout check).
//
// # For drift and collection
//
// Drift needs, per host: the [Resolved] policies (Resolve per policy), and
// facts that answer each Check: registry values (absent, or type and
// data), the configured listen list, the socket table with
// locale-independent states numbered as [TCPState] (MSFT_NetTCPConnection's
// numbers), the dynamic port ranges, service states, and the release. A
// check whose Applies is NotApplicable is "not applicable"; one that is
// ApplicabilityUnknown is never compliant. A policy fails when one
// applicable check fails, is unknown when none fails and one is unknown,
// passes when all applicable checks pass, and is not applicable when none
// applies. refcheck_test.go is a reference implementation of these
// semantics over a minimal facts model.
package policies
