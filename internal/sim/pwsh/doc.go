// Package pwsh emulates powershell.exe for the simulated Windows hosts of
// the fleetport WinRM simulator. It is not a PowerShell: it runs the small
// subset of Windows PowerShell that WinRM clients send to collect TCP
// listener facts, and prints what Windows PowerShell 5.1 (or 2.0 on Server
// 2008 R2) prints for it, byte for byte where a real capture shows the bytes.
//
// # Entry point
//
// [Main] takes powershell.exe's arguments (after the program name), the
// simulated [Host], stdin, stdout and stderr, and returns the process exit
// code. The host model (internal/sim/winhost) calls it for a WinRS command
// whose program is powershell / powershell.exe; a native command a script
// runs (hostname, netstat, reg, cmd ...) goes back to [Host.RunNative].
// [NotInstalled] prints cmd.exe's answer for hosts without PowerShell.
//
// # Command line
//
// The switches of the 5.1 console host, matched the way its
// CommandLineParameterParser matches them (case-insensitive, "-" "/" or "--",
// unique prefixes in its order: -e/-ec/-enc is -EncodedCommand, -ex/-ep
// -ExecutionPolicy, -nop, -noni, -c ...): -NoProfile, -NonInteractive,
// -NoLogo, -NoExit, -ExecutionPolicy X, -InputFormat/-OutputFormat Text|XML,
// -EncodedCommand B64 (UTF-16LE), -Command text, -Command - (script from
// stdin), bare script text, -Help. Command-line errors print the 5.1 message
// on stderr and the 5.1 usage text on stdout and return 0xFFFD0000.
// -File has no files to run and fails as for a missing file. With no
// command at all the script is read from stdin (a simplification of the
// interactive host).
//
// # Language subset
//
// Statements separated by ';' and newlines, comments, line continuation;
// pipelines; single-, double-quoted and here-strings with $var, ${var},
// $env:COMPUTERNAME and $( ) expansion; numbers; variables and assignment
// ($ProgressPreference = '...' is stored and otherwise ignored); arrays,
// @( ), $( ), @{ } hashtables and { } script blocks; the comparison, logical,
// arithmetic, -replace/-split/-join/-f operators; member access with
// member enumeration, .Count, a few string methods; [int]/[string]/...
// casts; if/elseif/else; foreach; exit N; throw; return; the redirections
// > $null, 2> $null, 2>&1.
//
// Commands: Write-Output (echo, write), Write-Host, Write-Error,
// Write-Warning, Write-Verbose/Debug/Progress (silent), Out-Null,
// Out-String, Out-Default, Where-Object (script block and simplified forms;
// ?, where), ForEach-Object (%, foreach), Select-Object (-Property with
// names and calculated properties such as @{n='State';e={"$($_.State)"}},
// -ExpandProperty, -First, -Last, -Skip, -Unique), Sort-Object,
// ConvertTo-Json (-Depth, -Compress; PowerShell 3.0+), Get-NetTCPConnection
// (-LocalAddress, -LocalPort, -RemoteAddress, -RemotePort, -State,
// -OwningProcess; only where Host.HasNetTCPIP), Start-Sleep (honours the
// context), Read-Host, the common parameters (-ErrorAction ...), and native
// programs through Host.RunNative (their output passes through, or becomes
// lines when piped); powershell.exe started from a script runs this
// emulation again, with the same stdin.
//
// Output is formatted as Out-Default formats it: strings and numbers one per
// line, Get-NetTCPConnection objects in the NetTCPIP table view (5.1 column
// widths, columns trimmed from the right to fit the 80-column WinRS
// console), Select-Object results as a table (up to 4 properties) or a list.
// ConvertTo-Json reproduces 5.1's serializer and pretty printer: arrays vs a
// single object, property order, State as a number, "Key":  value with two
// spaces, 4-space indentation, CRLF.
//
// # Errors
//
// Errors are written the way the console host writes them: the 5.1 error
// view ("X : message", "At line:1 char:1", the line with tildes, "+
// CategoryInfo", "+ FullyQualifiedErrorId", a final " " line), word-wrapped
// at 79 columns; PowerShell 2.0 uses its "<<<<" position form. When the
// command came from -EncodedCommand (every WinRM client) or -OutputFormat
// XML, stderr carries them as CLIXML: "#< CLIXML\r\n", then
// <Objs Version="1.1.0.1" ...>, one <S S="Error"> per line with
// _x000D__x000A_, and </Objs> when the process ends. The exit code follows
// -Command: 1 if the last statement failed (a native command's non-zero code
// included), N for exit N, 1 after a script-terminating error or a parse
// error.
//
// Prompts never wait: a missing mandatory parameter is an error (the real
// host prompts when -NonInteractive is absent), and Read-Host fails under
// -NonInteractive with the host's NonInteractive message (without it, it
// reads a line of stdin). Progress records are not written: the "Preparing
// modules for first use." record real hosts put on stderr depends on the
// state of the user's module analysis cache, and masterzen silences it with
// $ProgressPreference anyway.
//
// A command that does not exist on the simulated host (Get-NetTCPConnection
// without NetTCPIP, ConvertTo-Json on PowerShell 2.0, a misspelt name)
// fails with the real CommandNotFoundException record. Get-NetTCPConnection
// with filters that match nothing writes the cmdletization "No
// MSFT_NetTCPConnection objects found ..." errors. Valid PowerShell outside
// the subset (other cmdlets, functions, try/catch, .NET types ...) is not
// guessed at: it fails with an error record whose message starts "The
// fleetport WinRM simulator does not emulate this part of PowerShell:", so a
// test sees at once that it left the emulated ground.
//
// # Ansible
//
// Ansible's raw module sends its text as an ordinary -EncodedCommand
// script. For PowerShell modules Ansible nests a second powershell.exe whose
// script is bootstrap_wrapper.ps1 and sends the exec wrapper and a JSON
// manifest on stdin; the emulation recognises the bootstrap, reads the
// manifest and answers ansible.windows.win_ping, win_command and win_shell
// with the JSON those modules print (on PowerShell 2.0, the bootstrap's own
// "Ansible requires PowerShell v3.0 or newer" failure). Other modules, become
// and async get a module failure JSON saying they are not emulated.
//
// # Limits
//
// Script size (1 Mi characters), stdin (8 MiB), -EncodedCommand (4 Mi
// characters), nesting, objects per collection, string sizes and the number
// of evaluation steps are bounded; the context is checked while running and
// while reading stdin. Main never panics on any input.
//
// # Sources
//
// Each exact text is cited where it is defined: resource strings and
// algorithms from the PowerShell repository and decompiled Windows
// PowerShell sources found with the search tool, byte layouts from the
// fixtures in testdata/winrm and the corpus in
// testdata/corpus/windows. Things marked "[inferred]" or "not verified"
// in comments are reasoned, not captured.
package pwsh
