// Package winhost is the simulated Windows host of fleetport's WinRM fleet
// simulator: one Windows Server's state (registry, services, http.sys, the
// TCP/IP stack's socket table and port ranges, scheduled tasks, power) and
// the commands fleetport runs on it, executed the way cmd.exe /c runs them
// and printing what real Windows prints, byte for byte in layout: column
// widths, blank lines, CRLF, trailing blanks, code page. The protocol
// server (package wsman) and the fleet (package sim) call it; it knows
// nothing of either.
//
// # Entry points
//
// [New] builds a host from a [Spec] (validated; the error lists every
// problem). [Host.Exec] runs one command line and returns its exit code.
// [Host.Reachable] tells whether WinRM answers on an address, and
// Options.OnReachability reports every change of that for the management
// address. [Host.Reboot] power-cycles the host from outside. [Host.Audit]
// lists the commands run. [Host.AddPile] and [Host.RemovePiles] grow and
// shrink TIME_WAIT piles while the host runs. Read accessors for the tests
// of other packages: [Host.RegistryValue], [Host.ListenListConfigured],
// [Host.ListenListInEffect], [Host.DynamicPortRange],
// [Host.DynamicPortRangeInEffect], [Host.MaxUserPortInEffect],
// [Host.TcpTimedWaitDelayInEffect], [Host.ServiceState], [Host.Piles],
// [Host.BootTime], [Host.Addresses] (what ipconfig lists),
// [Host.MetabaseValue], [Host.SocketPoolingInEffect]. Counters for the
// tests of rollouts: [Host.Restarts] (starts of a service by a command
// since New; a start at boot does not count) and [Host.Reboots] (machine
// restarts since New), beside [Host.Audit]'s list of commands.
// [Host.Close] stops the host's timers and waits for its background work.
//
// # What the model covers
//
//   - cmd.exe /c: quoting, ^, &, &&, ||, |, redirections (>nul, 2>&1, ...),
//     %VAR% expansion, cmd /c "..." nesting, the 8191-character limit, and
//     the "not recognized" message with exit code 9009; echo, ver, exit,
//     hostname, whoami, findstr and find for pipelines; cd (chdir, cd..,
//     cd /d) and %CD% over the few directories the model knows (the
//     system's, the user's profile, where each WinRM command starts, and
//     C:\Inetpub, C:\Inetpub\AdminScripts with the metabase).
//   - netstat -a -n -o -b -p -q and an interval; German, French and
//     Chinese layouts; the socket table made of the release's default
//     sockets, the services' listeners (only while they run), http.sys,
//     the spec's listeners and connections, and the piles.
//   - reg query/add/delete with every value type, the hive abbreviations,
//     /s, /ve, /va, /f and the overwrite prompt.
//   - netsh http show/add/delete iplisten; netsh http show servicestate
//     (the Server Session View: the URLs WinRM registers while it runs,
//     HTTP://+:5985/WSMAN/, HTTPS://+:5986/WSMAN/ with Spec.WinRMHTTPS,
//     HTTP://+:47001/WSMAN/, and the bindings of Spec.Sites while W3SVC
//     runs, an address binding in http.sys's IP-bound form
//     HTTP://10.1.2.3:80:10.1.2.3/); netsh int ipv4|ipv6 show/set
//     dynamicport tcp|udp; httpcfg query/set/delete iplisten (2003).
//   - wmic os get LastBootUpTime (also LocalDateTime, CurrentTimeZone,
//     CSName), as a table or with /value, CR CR LF line endings, the CIM
//     datetime with the host's UTC offset in minutes (Spec.TimeZone).
//   - net start/stop (with dependants, /y, the prompt), sc query/start/stop,
//     sc enumdepend NAME [BUFSIZE] (every dependant, direct or not, in any
//     state, dependants first; "more data, need N bytes" and exit code 234
//     when the buffer, 1,024 bytes by default, is too small), schtasks
//     /create /run /query /delete, shutdown /r /s /a /t.
//   - ipconfig: per interface the DNS suffix line, the IPv6 and link-local
//     addresses (2008 R2 on; the link-local one derived from the host and
//     interface names, with the interface index as zone), each IPv4
//     address with its subnet mask (Interface.Bits), the default gateway
//     (Interface.Gateway), and a disconnected ISATAP adapter on 2008 R2 to
//     2016; 2003's layout with 8 blanks and "IP Address"; English, German,
//     French and Chinese.
//   - cscript (//nologo, //B and the other // host options, the banner of
//     the release's Windows Script Host, "Input Error" for a missing
//     script) and IIS's adsutil.vbs get and set of DisableSocketPooling at
//     the service and instance levels (smtpsvc, smtpsvc/1), by full path
//     (C:\Inetpub\AdminScripts\adsutil.vbs, or %SystemDrive%\...) or
//     relative to the directory cd chose; it exists where the IIS Admin
//     Service is installed (Spec.Metabase holds the values at boot).
//   - powershell.exe through package pwsh (2008 R2 and later).
//   - IIS sites (Spec.Sites; IIS's Default Web Site on *:80 when nil):
//     registered with http.sys while W3SVC runs, which then listens on
//     their ports too, on the addresses the listen list in effect allows.
//   - Releases 2003, 2008 R2, 2012 R2, 2016, 2019, 2022: which commands
//     exist (httpcfg only on 2003; netsh http, the dynamic port range,
//     PowerShell and IPv6 from 2008 R2; wmic on all), the default
//     registry values (MaxUserPort 5000 only on 2003), the service
//     dependencies (Print Spooler on HTTP from 2019), servicestate's queue
//     layout ("Processes:" on 2022), wmic's boot-time fraction (.500000
//     from 2012 R2).
//
// # What it deliberately does not
//
// No file system (redirection to a file swallows the output; the only
// file is adsutil.vbs, the only directories the few cd knows), no batch
// language (if, for, set, call, parentheses), no name resolution (netstat
// without -n prints the host's own name for its own and unspecified
// addresses and numbers for the rest), no time passing for sockets (a pile
// stays until removed or until a reboot), no privilege checks (every user
// is an administrator), and only the registry keys the model knows (TCP/IP,
// AFD, http.sys, the services, ComputerName, CurrentVersion, Internet
// Settings, Command Processor). No IIS application pools (every site is
// in DefaultAppPool) and no worker processes. Only netstat, ipconfig, the
// dynamic port labels, cmd's own messages and ver are localized; reg, net,
// sc, schtasks, netsh http, httpcfg, wmic, cscript, adsutil and shutdown
// answer in English on every host, so fleetport must (and does) rely on
// exit codes and structure. ipconfig /all and ipconfig's other switches
// are not modelled (ipconfig answers as to a command line it does not
// understand); of adsutil only get and set of DisableSocketPooling are,
// and of the metabase only that property. Service starts and stops complete even when the command's
// ctx ends: on a real host net.exe may be killed with the WinRM shell when
// WinRM stops; the model lets it finish, which is what fleetport's
// remediation assumes.
//
// # Output encoding
//
// Legacy console tools (cmd's messages, netstat, ipconfig, reg, net,
// netsh, sc, schtasks, httpcfg, wmic, cscript, shutdown, ver, hostname)
// write in the host's
// OEM code page (437 for en-US, 850 for de-DE/fr-FR, 852, 866, 936 for
// zh-CN), whatever code page the WinRM shell asked for (wmic writes UTF-16
// only to a file, which the model does not have); PowerShell's output
// follows the shell's code page (65001 = UTF-8). So a German host's
// netstat writes ABHÖREN with Ö as byte 0x99 even to a UTF-8 shell.
// Characters the code page lacks come out best-fit (’ as ') or as '?'.
//
// # What takes effect when
//
//   - Registry writes are visible to the next reg query at once. What they
//     change takes effect when the component reads them: MaxUserPort and
//     TcpTimedWaitDelay at the next boot; ListenOnlyList when the HTTP
//     service starts.
//   - netsh http add/delete iplisten and httpcfg set/delete iplisten change
//     the configured list (the ListenOnlyList value) at once; netsh http
//     show iplisten shows it at once. http.sys, netstat and reachability
//     follow the list in effect, which is read when HTTP starts (net start
//     http, or a dependant such as W3SVC or WinRM starting it) and at boot.
//   - netsh int ipv4 set dynamicport applies at once (the piles' local
//     ports move into the new range). On 2003 the client ports are
//     1025..MaxUserPort in effect since boot.
//   - Stopping HTTP stops its running dependants (W3SVC, WinRM, HTTP SSL,
//     Print Spooler on 2019+); stopping WinRM, directly or so, makes the
//     host unreachable (OnReachability(false)) until HTTP and WinRM run
//     again (net start, a scheduled task, or a reboot). Starting a service
//     starts its dependencies first (W3SVC starts WAS and HTTP), never its
//     dependants.
//   - shutdown /r and Reboot take the host down at once (or after /t): it
//     is unreachable for Options.RebootDuration, then boots: boot-time
//     values take effect, the piles are gone, the automatic services start,
//     and the boot time wmic reports becomes that moment (Options.Now).
//     Until the first reboot it is Spec.BootTime.
//   - Registered URLs follow the services: stopping W3SVC (or WinRM)
//     removes its URLs from netsh http show servicestate at once.
//   - adsutil set changes the metabase at once (adsutil get shows it); IIS
//     SMTP (and NNTP, FTP) reads DisableSocketPooling when it starts, set
//     at its instance 1 or inherited from the service node: without it a
//     listener on one address binds 0.0.0.0 instead (SMTP on 0.0.0.0:25),
//     with it the configured address. net stop smtpsvc / net start
//     smtpsvc (or a reboot) puts a change into effect. adsutil get shows
//     only a value set at exactly that node; a value inherited from above
//     is "not set at this node" (exit code 0x80005006, which WinRM
//     reports as 2147504134).
//
// # Concurrency
//
// A Host is safe for concurrent use: many commands may run at once from
// several shells and from scheduled tasks. One mutex guards the state; it
// is never held while a command waits (a service step, a prompt) nor while
// OnReachability runs, so the callback may call back into the host. Events
// are delivered in order, one at a time. Memory: hosts of a release share
// their default registry and service table; a host keeps only its changes,
// and piles are descriptions whose rows are generated when asked for, so an
// idle host takes well under a kilobyte of heap.
//
// Every string table names its sources beside it (text_*.go and the top of
// each command's file): captures from the corpus and public repositories
// where they exist, marked [chosen] where no real text was found.
package winhost
