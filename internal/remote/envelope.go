package remote

// Parsing the SOAP answers. masterzen's parsers take the first match of an
// XPath anywhere in the document and ignore what they do not expect (a
// fault parses as "not finished", an empty shell id as a shell); these look
// at the elements where WS-Man puts them and fail on anything else.

import (
	"encoding/base64"
	"encoding/xml"
	"strconv"
	"strings"
	"sync/atomic"
)

const stateDone = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"

// envelope is the part of a SOAP answer the session reads.
type envelope struct {
	XMLName xml.Name `xml:"http://www.w3.org/2003/05/soap-envelope Envelope"`
	Header  struct {
		Action string `xml:"Action"`
	} `xml:"http://www.w3.org/2003/05/soap-envelope Header"`
	Body struct {
		Fault           *soapFault       `xml:"http://www.w3.org/2003/05/soap-envelope Fault"`
		ResourceCreated *resourceCreated `xml:"http://schemas.xmlsoap.org/ws/2004/09/transfer ResourceCreated"`
		Shell           *struct {
			ShellID string `xml:"ShellId"`
		} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell Shell"`
		CommandResponse *struct {
			CommandID string `xml:"CommandId"`
		} `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell CommandResponse"`
		ReceiveResponse *receiveResponse `xml:"http://schemas.microsoft.com/wbem/wsman/1/windows/shell ReceiveResponse"`
	} `xml:"http://www.w3.org/2003/05/soap-envelope Body"`
}

type resourceCreated struct {
	Selectors []selector `xml:"ReferenceParameters>SelectorSet>Selector"`
}

type selector struct {
	Name  string `xml:"Name,attr"`
	Value string `xml:",chardata"`
}

type receiveResponse struct {
	Streams []stream      `xml:"Stream"`
	State   *commandState `xml:"CommandState"`
}

type stream struct {
	Name      string `xml:"Name,attr"`
	CommandID string `xml:"CommandId,attr"`
	Data      string `xml:",chardata"`
}

type commandState struct {
	CommandID string  `xml:"CommandId,attr"`
	State     string  `xml:"State,attr"`
	ExitCode  *string `xml:"ExitCode"`
}

// parseEnvelope reads a SOAP answer: with the fast reader when it can
// (fastxml.go), else with encoding/xml.
func parseEnvelope(b []byte) (*envelope, error) {
	if env, ok := fastEnvelope(b); ok {
		return env, nil
	}
	env, err := decodeEnvelope(b)
	if err == nil && env.Body.Fault == nil {
		slowAnswers.Add(1)
	}
	return env, err
}

// slowAnswers counts answers that were not faults and still took the slow
// path: the tests hold it at zero for the answers Windows and the
// simulator send.
var slowAnswers atomic.Int64

// decodeEnvelope reads a SOAP answer with encoding/xml.
func decodeEnvelope(b []byte) (*envelope, error) {
	var env envelope
	if err := xml.Unmarshal(b, &env); err != nil {
		return nil, protof("malformed SOAP answer: %v", err)
	}
	return &env, nil
}

// parseFault reads the fault out of an HTTP 500 answer.
func parseFault(b []byte) (*Fault, error) {
	env, err := parseEnvelope(b)
	if err != nil {
		return nil, err
	}
	if env.Body.Fault == nil {
		return nil, protof("HTTP 500 without a SOAP fault (action %q)", env.Header.Action)
	}
	return env.Body.Fault.fault(), nil
}

// shellID is the id of a created shell: the ShellId selector of
// x:ResourceCreated, or rsp:ShellId.
func (env *envelope) shellID() string {
	if rc := env.Body.ResourceCreated; rc != nil {
		for _, s := range rc.Selectors {
			if s.Name == "ShellId" {
				if id := strings.TrimSpace(s.Value); id != "" {
					return id
				}
			}
		}
	}
	if sh := env.Body.Shell; sh != nil {
		return strings.TrimSpace(sh.ShellID)
	}
	return ""
}

func (env *envelope) commandID() string {
	if cr := env.Body.CommandResponse; cr != nil {
		return strings.TrimSpace(cr.CommandID)
	}
	return ""
}

// receiveOutput is what one ReceiveResponse said about one command.
type receiveOutput struct {
	stdout, stderr []byte // appended to the caller's buffers
	done           bool
	exitCode       int
	bytes          int // output bytes in this answer
}

// receive appends the answer's output for command id to out and reports
// whether the command is done. It fails on answers that are not a
// ReceiveResponse, undecodable streams and a Done without an exit code.
func (env *envelope) receive(id string, out *receiveOutput) error {
	rr := env.Body.ReceiveResponse
	if rr == nil {
		return protof("answer to Receive is not a ReceiveResponse (action %q)", env.Header.Action)
	}
	for _, s := range rr.Streams {
		if !strings.EqualFold(s.CommandID, id) && s.CommandID != "" {
			continue
		}
		data := strings.TrimSpace(s.Data)
		if data == "" {
			continue
		}
		var dst *[]byte
		switch s.Name {
		case "stdout":
			dst = &out.stdout
		case "stderr":
			dst = &out.stderr
		default:
			continue
		}
		n := len(*dst)
		var err error
		if strings.ContainsAny(data, " \t\r\n") {
			data = strings.Join(strings.Fields(data), "")
		}
		*dst, err = base64.StdEncoding.AppendDecode(*dst, []byte(data))
		if err != nil {
			return protof("undecodable %s stream: %v", s.Name, err)
		}
		out.bytes += len(*dst) - n
	}
	if st := rr.State; st != nil && st.State == stateDone && (st.CommandID == "" || strings.EqualFold(st.CommandID, id)) {
		if st.ExitCode == nil {
			return protof("command done without an exit code")
		}
		// Exit codes are DWORDs: 0xC000013A arrives as 3221225786.
		code, err := strconv.ParseUint(strings.TrimSpace(*st.ExitCode), 10, 32)
		if err != nil {
			c, err2 := strconv.ParseInt(strings.TrimSpace(*st.ExitCode), 10, 32)
			if err2 != nil {
				return protof("exit code %q is not a number", *st.ExitCode)
			}
			code = uint64(uint32(c))
		}
		out.done, out.exitCode = true, int(code)
	}
	return nil
}

// soapContentType reports a plain SOAP content type.
func soapContentType(ct string) bool {
	return strings.Contains(strings.ToLower(ct), "application/soap+xml")
}
