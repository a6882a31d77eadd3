package remote

import (
	"strconv"
	"strings"
)

// WS-Man fault codes (WSManFault Code, or MSFT_WmiError error_Code for
// quota faults from Server 2012 on) that the session acts on.
const (
	// CodeTimedOut: a Receive found no output within OperationTimeout.
	// It is the normal end of a long poll; the session polls again.
	CodeTimedOut = 2150858793
	// CodeInvalidSelectors: the shell or the command id is unknown.
	CodeInvalidSelectors = 2150858843
	// CodeQuotaShells: MaxShellsPerUser reached (Create).
	CodeQuotaShells = 2150859173
	// CodeQuotaOperations: MaxConcurrentOperationsPerUser reached
	// (Command); every command counts until its shell is deleted.
	CodeQuotaOperations = 2150859174
	// CodeQuotaUsers: MaxConcurrentUsers reached (Create).
	CodeQuotaUsers = 2150859179
)

// Fault is a SOAP fault a host answered with (HTTP 500). masterzen's own
// transports hide these; fleetport's parse every one.
type Fault struct {
	// Code is the WSManFault Code or the MSFT_WmiError error_Code; 0 when
	// the fault carries neither.
	Code uint32
	// Subcode is the SOAP subcode without its prefix, e.g. "TimedOut",
	// "QuotaLimit", "InvalidSelectors".
	Subcode string
	// Reason is the s:Reason text and Message the detail's message, both
	// without Windows' trailing spaces.
	Reason, Message string
	// Machine is the WSManFault Machine attribute.
	Machine string
}

func (f *Fault) Error() string {
	var b strings.Builder
	b.WriteString("WS-Man fault")
	if f.Code != 0 {
		b.WriteString(" ")
		b.WriteString(strconv.FormatUint(uint64(f.Code), 10))
	}
	if f.Subcode != "" {
		b.WriteString(" (" + f.Subcode + ")")
	}
	text := f.Message
	if text == "" {
		text = f.Reason
	}
	if text != "" {
		if len(text) > 400 {
			text = text[:400] + "..."
		}
		b.WriteString(": ")
		b.WriteString(text)
	}
	if f.AccessDenied() {
		b.WriteString(" (the account is authenticated but WinRM grants it no access: add it to the host's Remote Management Users group to collect, or to Administrators to change)")
	}
	return b.String()
}

// Quota reports a quota fault: shells, operations or users per user.
func (f *Fault) Quota() bool {
	switch f.Code {
	case CodeQuotaShells, CodeQuotaOperations, CodeQuotaUsers:
		return true
	}
	return f.Subcode == "QuotaLimit"
}

// AccessDenied reports the fault WinRM answers an authenticated user it
// grants no access (w:AccessDenied, code 5): the account is in neither the
// host's Administrators nor its Remote Management Users group.
func (f *Fault) AccessDenied() bool {
	return f.Subcode == "AccessDenied" || f.Code == 5
}

// TimedOut reports the OperationTimeout fault that ends a Receive long poll
// without output. Its message names OperationTimeout, which is what
// masterzen's own Receive loop looks for to poll again.
func (f *Fault) TimedOut() bool {
	return f.Code == CodeTimedOut || f.Subcode == "TimedOut"
}

// invalidSelectors reports a fault about an unknown shell or command.
func (f *Fault) invalidSelectors() bool {
	return f.Code == CodeInvalidSelectors || f.Subcode == "InvalidSelectors"
}

// commandLost reports an unknown command id on a shell that still exists.
func (f *Fault) commandLost() bool {
	return f.invalidSelectors() && strings.Contains(strings.ToLower(f.Message), "command identifier")
}

// shellLost reports an unknown shell.
func (f *Fault) shellLost() bool { return f.invalidSelectors() && !f.commandLost() }

// soapFault is the XML shape of s:Fault.
type soapFault struct {
	Code struct {
		Value   string `xml:"Value"`
		Subcode struct {
			Value string `xml:"Value"`
		} `xml:"Subcode"`
	} `xml:"Code"`
	Reason struct {
		Text []string `xml:"Text"`
	} `xml:"Reason"`
	Detail struct {
		WSManFault *struct {
			Code    string `xml:"Code,attr"`
			Machine string `xml:"Machine,attr"`
			Message struct {
				Text     string `xml:",chardata"`
				Provider *struct {
					Text  string `xml:",chardata"`
					Inner *struct {
						Message string `xml:"Message"`
					} `xml:"WSManFault"`
				} `xml:"ProviderFault"`
			} `xml:"Message"`
		} `xml:"http://schemas.microsoft.com/wbem/wsman/1/wsmanfault WSManFault"`
		WmiError *struct {
			Code    string `xml:"error_Code"`
			Message string `xml:"Message"`
		} `xml:"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/MSFT_WmiError MSFT_WmiError"`
	} `xml:"Detail"`
}

func (sf *soapFault) fault() *Fault {
	f := &Fault{}
	sub := strings.TrimSpace(sf.Code.Subcode.Value)
	if i := strings.IndexByte(sub, ':'); i >= 0 {
		sub = sub[i+1:]
	}
	f.Subcode = sub
	if len(sf.Reason.Text) > 0 {
		f.Reason = collapse(sf.Reason.Text[0])
	}
	code := ""
	if w := sf.Detail.WSManFault; w != nil {
		code = w.Code
		f.Machine = w.Machine
		msg := w.Message.Text
		if p := w.Message.Provider; p != nil {
			msg += " " + p.Text
			if p.Inner != nil {
				msg += " " + p.Inner.Message
			}
		}
		f.Message = collapse(msg)
	}
	if w := sf.Detail.WmiError; w != nil {
		if code == "" {
			code = w.Code
		}
		if f.Message == "" {
			f.Message = collapse(w.Message)
		}
	}
	if n, err := strconv.ParseUint(strings.TrimSpace(code), 10, 32); err == nil {
		f.Code = uint32(n)
	}
	return f
}

// collapse trims s and joins its runs of white space into single spaces:
// faults are indented across lines by some hosts.
func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }
