package winhost

// English (en-US, and every locale without a table of its own).
//
// Sources:
//   - netstat title, headers, state names, column layout and the -b
//     ownership line: corpus netstat-an/-ano/-anob-win10-jc.txt (exact
//     byte copies from kellyjonbrazil/jc tests/fixtures/windows/windows-10)
//     and netstat-anbo-select-string-winserver-inspec.txt (PID 4 lines).
//     SYN_RECEIVED, FIN_WAIT_1/2, CLOSING, LAST_ACK, CLOSED, DELETE_TCB
//     are netstat's documented names (not in the captures); BOUND is what
//     `netstat -anobq` prints on Windows 10/2016+ (windows-semantics.md 4).
//   - dynamicport labels: corpus netsh-int-ipv4-show-dynamicport-tcp-
//     default-dotnet45544.txt (dotnet/runtime#45544) and the identical text
//     in dorssel/usbipd-win#53.
//   - "not recognized": windows-commands.md / winrm-wire.md 4 and the
//     captures in npackd/npackd#527 (exit code 9009 there too).
//   - ver: "Microsoft Windows [Version 6.3.9600]" in the captured 2012 R2
//     session quoted with the sc query capture (code index id 46727831326).
//   - ipconfig (2008 R2 on): `ipconfig` run over WinRM on 2012 R2 by
//     Ansible's raw module, stdout byte for byte with CRLF and the blank
//     after an empty value (code index id 1745375461), and two more WinRM
//     runs (code index ids 15085884995, 1409058164: "IPv6 Address",
//     "Default Gateway . . . : ::" on a Teredo adapter); 2003: XP/2003
//     console sessions (code index ids 57180106627, 10009136797) with 8
//     blanks before each label.
var textEN = texts{
	activeConns:   "Active Connections",
	netstatHdr:    "  Proto  Local Address          Foreign Address        State",
	netstatHdrPID: "  Proto  Local Address          Foreign Address        State           PID",
	states: stateNames{
		Closed:      "CLOSED",
		Listen:      "LISTENING",
		SynSent:     "SYN_SENT",
		SynReceived: "SYN_RECEIVED",
		Established: "ESTABLISHED",
		FinWait1:    "FIN_WAIT_1",
		FinWait2:    "FIN_WAIT_2",
		CloseWait:   "CLOSE_WAIT",
		Closing:     "CLOSING",
		LastAck:     "LAST_ACK",
		TimeWait:    "TIME_WAIT",
		DeleteTCB:   "DELETE_TCB",
		Bound:       "BOUND",
	},
	noOwner:       "Can not obtain ownership information",
	dynTitle:      "Protocol %s Dynamic Port Range",
	dynStart:      "Start Port      : ",
	dynNum:        "Number of Ports : ",
	notRecognized: "'%s' is not recognized as an internal or external command,\r\noperable program or batch file.",
	ver:           "Microsoft Windows [Version %s]",
	ipcfg: ipconfigText{
		title:    "Windows IP Configuration",
		ethernet: "Ethernet adapter %s:", tunnel: "Tunnel adapter %s:",
		suffix:    "Connection-specific DNS Suffix  . : ",
		ipv6:      "IPv6 Address. . . . . . . . . . . : ",
		linkLocal: "Link-local IPv6 Address . . . . . : ",
		ipv4:      "IPv4 Address. . . . . . . . . . . : ",
		mask:      "Subnet Mask . . . . . . . . . . . : ",
		gw:        "Default Gateway . . . . . . . . . : ",
		media:     "Media State . . . . . . . . . . . : ", mediaOff: "Media disconnected",
		ethernet2003: "Ethernet adapter %s:",
		suffix2003:   "Connection-specific DNS Suffix  . : ",
		ip2003:       "IP Address. . . . . . . . . . . . : ",
		mask2003:     "Subnet Mask . . . . . . . . . . . : ",
		gateway2003:  "Default Gateway . . . . . . . . . : ",
	},
}
