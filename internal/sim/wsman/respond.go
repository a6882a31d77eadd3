package wsman

import (
	"strings"
	"unicode/utf8"
)

// Responses are written as text, byte for byte in the shape Windows uses
// (fixtures/winrm/pypsrp/test_winrs_standard/*-response.xml): no XML
// declaration, no whitespace between elements, xml:lang="en-US" on the
// envelope and, per response type, exactly the namespace declarations
// Windows puts there.
const (
	xmlnsS   = ` xmlns:s="` + nsSOAP + `"`
	xmlnsA   = ` xmlns:a="` + nsAddr + `"`
	xmlnsX   = ` xmlns:x="` + nsTransfer + `"`
	xmlnsE   = ` xmlns:e="` + nsEventing + `"`
	xmlnsN   = ` xmlns:n="` + nsEnumerate + `"`
	xmlnsW   = ` xmlns:w="` + nsWsman + `"`
	xmlnsRsp = ` xmlns:rsp="` + nsShell + `"`
	xmlnsP   = ` xmlns:p="` + nsMSWsman + `"`

	// CreateResponse, CommandResponse, SendResponse, SignalResponse.
	nsSetTransfer = xmlnsS + xmlnsA + xmlnsX + xmlnsW + xmlnsRsp + xmlnsP
	// ReceiveResponse.
	nsSetReceive = xmlnsS + xmlnsA + xmlnsW + xmlnsRsp + xmlnsP
	// DeleteResponse.
	nsSetDelete = xmlnsS + xmlnsA + xmlnsW + xmlnsP
	// Faults.
	nsSetFault = xmlnsS + xmlnsA + xmlnsX + xmlnsE + xmlnsN + xmlnsW + xmlnsP

	stateRunning = nsShell + "/CommandState/Running"
	stateDone    = nsShell + "/CommandState/Done"
)

// writeHead writes everything up to and including <s:Body>.
func writeHead(b *strings.Builder, nsSet, action, messageID, relatesTo string, withRelatesTo bool) {
	b.WriteString(`<s:Envelope xml:lang="en-US"`)
	b.WriteString(nsSet)
	b.WriteString(`><s:Header><a:Action>`)
	b.WriteString(esc(action))
	b.WriteString(`</a:Action><a:MessageID>uuid:`)
	b.WriteString(esc(messageID))
	b.WriteString(`</a:MessageID><a:To>` + anonymous + `</a:To>`)
	if withRelatesTo {
		b.WriteString(`<a:RelatesTo>`)
		b.WriteString(esc(relatesTo))
		b.WriteString(`</a:RelatesTo>`)
	}
	b.WriteString(`</s:Header><s:Body>`)
}

const tail = `</s:Body></s:Envelope>`

// esc escapes text and attribute values the way Windows does (&, <, > and
// " become entities; see the Environment echo in
// pypsrp/test_winrs_environment/01-Create-response.xml) and replaces
// characters XML 1.0 cannot carry with U+FFFD.
func esc(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '&' || c == '<' || c == '>' || c == '"' || c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c >= 0x80 {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"':
			b.WriteString("&quot;")
		case r == utf8.RuneError && size == 1, !isXMLChar(r):
			b.WriteRune('\uFFFD')
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}
