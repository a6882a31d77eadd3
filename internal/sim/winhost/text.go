package winhost

import "strings"

// texts is one UI language's strings for the console tools that are
// localized in the model: netstat, ipconfig, `netsh int ipv4 show
// dynamicport`, cmd's "not recognized" message and `ver`. Every other tool
// (reg, net, sc, schtasks, netsh http, httpcfg, cscript, shutdown) speaks
// English on every host:
// a deliberate limit of the model, which fleetport copes with by matching
// exit codes and structure rather than words.
//
// The tables live in text_<lang>.go, each with the sources of its strings.
type texts struct {
	activeConns   string // netstat's title line
	netstatHdr    string // column header without -o
	netstatHdrPID string // column header with -o
	states        stateNames
	noOwner       string // netstat -b for PID 4 and protected processes

	dynTitle string // "Protocol %s Dynamic Port Range"; %s = tcp/udp
	dynStart string // label including its padding and ": "
	dynNum   string

	// notRecognized is cmd's message for an unknown program, %s = name;
	// two lines, CRLF between them, no final newline.
	notRecognized string
	ver           string // "Microsoft Windows [Version %s]"

	ipcfg ipconfigText
}

// ipconfigText is ipconfig's layout in one language. Labels include their
// dotted leader and the ": " before the value (a label of 34 columns on
// the English host), without the indent (3 blanks from 2008 R2 on, 8 on
// 2003).
type ipconfigText struct {
	title            string // "Windows IP Configuration"
	ethernet, tunnel string // adapter headers, %s = the connection name
	suffix           string // Connection-specific DNS Suffix
	ipv6, linkLocal  string
	ipv4, mask, gw   string
	media, mediaOff  string // Media State, "Media disconnected"
	// The 2003 (XP-style) layout: its own header and labels.
	ethernet2003                              string
	suffix2003, ip2003, mask2003, gateway2003 string
}

// stateNames maps a TCP state to netstat's word for it.
type stateNames map[TCPState]string

func (m stateNames) name(s TCPState) string { return m[s] }

// textFor picks the language table for a locale.
func textFor(locale string) *texts {
	switch {
	case strings.HasPrefix(locale, "de-"):
		return &textDE
	case strings.HasPrefix(locale, "fr-"):
		return &textFR
	case locale == "zh-CN":
		return &textZH
	}
	return &textEN
}
