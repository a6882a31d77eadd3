package wsman

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fixture reads a file of testdata/winrm (copied verbatim from the shared
// fixtures; see testdata/winrm/README.md for provenance).
func fixture(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "winrm", filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// backendFunc adapts a function to Backend.
type backendFunc func(ctx context.Context, req ExecRequest) int

func (f backendFunc) Exec(ctx context.Context, req ExecRequest) int { return f(ctx, req) }

// recorder is a Backend that runs a per-test function and remembers every
// request it got.
type recorder struct {
	mu   sync.Mutex
	reqs []ExecRequest
	run  func(ctx context.Context, req ExecRequest) int
}

func (r *recorder) Exec(ctx context.Context, req ExecRequest) int {
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	r.mu.Unlock()
	if r.run == nil {
		return 0
	}
	return r.run(ctx, req)
}

func (r *recorder) requests() []ExecRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ExecRequest(nil), r.reqs...)
}

func newTestService(t testing.TB, cfg Config, b Backend) *Service {
	t.Helper()
	s := NewService(cfg, b)
	t.Cleanup(s.Close)
	return s
}

var uuidRE = regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
var activityRE = regexp.MustCompile(`<p:ActivityId>[^<]*</p:ActivityId>`)

// normalize masks what legitimately differs between two hosts' answers to
// the same request: UUIDs (message, shell and command ids) and the
// p:ActivityId header some hosts add.
func normalize(b []byte) string {
	s := activityRE.ReplaceAllString(string(b), "")
	return uuidRE.ReplaceAllString(s, "UUID")
}

// xnode is a test-side element tree built with encoding/xml, independent of
// the package's parser.
type xnode struct {
	name  xml.Name
	attrs []xml.Attr
	text  string
	kids  []*xnode
}

func parseTree(t testing.TB, b []byte) *xnode {
	t.Helper()
	n, err := buildTree(b)
	if err != nil {
		t.Fatalf("response is not well-formed XML: %v\n%s", err, b)
	}
	return n
}

func buildTree(b []byte) (*xnode, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	var stack []*xnode
	var root *xnode
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if root == nil || len(stack) > 0 {
				return nil, io.ErrUnexpectedEOF
			}
			return root, nil
		}
		if err != nil {
			return nil, err
		}
		switch tt := tok.(type) {
		case xml.StartElement:
			n := &xnode{name: tt.Name, attrs: tt.Copy().Attr}
			if len(stack) == 0 {
				root = n
			} else {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tt)
			}
		}
	}
}

// all returns every element (depth first) with that namespace and local
// name; space "" matches any namespace.
func (n *xnode) all(space, local string) []*xnode {
	var out []*xnode
	var walk func(*xnode)
	walk = func(x *xnode) {
		if x.name.Local == local && (space == "" || x.name.Space == space) {
			out = append(out, x)
		}
		for _, k := range x.kids {
			walk(k)
		}
	}
	walk(n)
	return out
}

func (n *xnode) first(space, local string) *xnode {
	if a := n.all(space, local); len(a) > 0 {
		return a[0]
	}
	return nil
}

func (n *xnode) attr(local string) string {
	for _, a := range n.attrs {
		if a.Name.Local == local && a.Name.Space == "" {
			return a.Value
		}
	}
	return ""
}

// shape renders a tree as sorted, comparable lines: element QNames (by
// namespace URI), attributes (namespace declarations included, sorted) and
// trimmed text with UUIDs masked. It ignores formatting, quoting and
// attribute order, so pretty-printed fixtures compare with compact output.
func shape(n *xnode) string {
	var b strings.Builder
	var walk func(*xnode, int)
	walk = func(x *xnode, depth int) {
		b.WriteString(strings.Repeat(" ", depth))
		b.WriteString("{" + x.name.Space + "}" + x.name.Local)
		var as []string
		for _, a := range x.attrs {
			as = append(as, a.Name.Space+":"+a.Name.Local+"="+uuidRE.ReplaceAllString(a.Value, "UUID"))
		}
		sort.Strings(as)
		for _, a := range as {
			b.WriteString(" @" + a)
		}
		if len(x.kids) == 0 {
			b.WriteString(" text=" + uuidRE.ReplaceAllString(x.text, "UUID"))
		}
		b.WriteString("\n")
		for _, k := range x.kids {
			walk(k, depth+1)
		}
	}
	walk(n, 0)
	return b.String()
}

// handle posts one request as user "vagrant" from 192.168.56.1.
func handle(s *Service, body []byte) Response {
	return s.Handle(context.Background(), "vagrant", "192.168.56.1", body)
}

// pywinrmShellID applies pywinrm 0.3.0's rule: the text of the first
// element with attribute Name="ShellId".
func pywinrmShellID(n *xnode) string {
	var found *xnode
	var walk func(*xnode)
	walk = func(x *xnode) {
		if found != nil {
			return
		}
		for _, a := range x.attrs {
			if a.Name.Local == "Name" && a.Value == "ShellId" {
				found = x
				return
			}
		}
		for _, k := range x.kids {
			walk(k)
		}
	}
	walk(n)
	if found == nil {
		return ""
	}
	return found.text
}

// pywinrmOutput applies pywinrm 0.3.0's _raw_get_command_output rules.
func pywinrmOutput(t testing.TB, n *xnode) (stdout, stderr []byte, code int, done bool) {
	t.Helper()
	var flat []*xnode
	var walk func(*xnode)
	walk = func(x *xnode) {
		flat = append(flat, x)
		for _, k := range x.kids {
			walk(k)
		}
	}
	walk(n)
	code = -1
	doneCount := 0
	for _, x := range flat {
		if strings.HasSuffix(x.name.Local, "Stream") && x.text != "" {
			data, err := base64.StdEncoding.DecodeString(x.text)
			if err != nil {
				t.Fatalf("bad base64 in stream: %v", err)
			}
			switch x.attr("Name") {
			case "stdout":
				stdout = append(stdout, data...)
			case "stderr":
				stderr = append(stderr, data...)
			}
		}
		if strings.HasSuffix(x.attr("State"), "CommandState/Done") {
			doneCount++
		}
	}
	if doneCount == 1 {
		done = true
		for _, x := range flat {
			if strings.HasSuffix(x.name.Local, "ExitCode") {
				v, err := strconv.Atoi(strings.TrimSpace(x.text))
				if err != nil {
					t.Fatalf("bad ExitCode %q", x.text)
				}
				return stdout, stderr, v, true
			}
		}
		t.Fatalf("Done without ExitCode (pywinrm: StopIteration)")
	}
	return stdout, stderr, code, done
}

// messageID returns the a:MessageID of a request.
func messageID(t testing.TB, req []byte) string {
	t.Helper()
	return parseTree(t, req).first(nsAddr, "MessageID").text
}

// checkHeader verifies the header every response carries: a fresh
// uppercase uuid: MessageID, a:To anonymous and RelatesTo = request id.
func checkHeader(t testing.TB, req, resp []byte, wantRelates bool) {
	t.Helper()
	r := parseTree(t, resp)
	if r.name.Space != nsSOAP || r.name.Local != "Envelope" {
		t.Fatalf("root is %v", r.name)
	}
	mid := r.first(nsAddr, "MessageID")
	if mid == nil || !regexp.MustCompile(`^uuid:[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$`).MatchString(mid.text) {
		t.Errorf("response MessageID %v", mid)
	}
	if to := r.first(nsAddr, "To"); to == nil || to.text != anonymous {
		t.Errorf("a:To = %v", to)
	}
	rel := r.first(nsAddr, "RelatesTo")
	if !wantRelates {
		if rel != nil {
			t.Errorf("unexpected RelatesTo")
		}
		return
	}
	if rel == nil || rel.text != messageID(t, req) {
		t.Errorf("RelatesTo = %v, want %q", rel, messageID(t, req))
	}
}

// waitFor polls cond until it holds or the test times out.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// fakeClock is an injectable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// mz sends requests built by masterzen/winrm's own request constructors
// (the client fleetport uses) and parses answers with its parsers.
type mz struct {
	t      testing.TB
	s      *Service
	user   string
	params *winrm.Parameters
}

func newMZ(t testing.TB, s *Service) *mz {
	return &mz{t: t, s: s, user: "vagrant", params: winrm.NewParameters("PT60S", "en-US", 153600)}
}

const mzURL = "http://127.0.0.1:5985/wsman"

func (m *mz) post(msg *soap.SoapMessage) ([]byte, Response) {
	req := []byte(msg.String())
	msg.Free()
	return req, m.s.Handle(context.Background(), m.user, "127.0.0.1", req)
}

func (m *mz) create() (string, Response) {
	m.t.Helper()
	_, r := m.post(winrm.NewOpenShellRequest(mzURL, m.params))
	if r.Status != 200 {
		return "", r
	}
	id, err := winrm.ParseOpenShellResponse(string(r.Body))
	if err != nil || id == "" {
		m.t.Fatalf("ParseOpenShellResponse: %q %v\n%s", id, err, r.Body)
	}
	return id, r
}

func (m *mz) command(shell, cmd string, args ...string) (string, Response) {
	m.t.Helper()
	_, r := m.post(winrm.NewExecuteCommandRequest(mzURL, shell, cmd, args, m.params))
	if r.Status != 200 {
		return "", r
	}
	id, err := winrm.ParseExecuteCommandResponse(string(r.Body))
	if err != nil {
		m.t.Fatalf("ParseExecuteCommandResponse: %v\n%s", err, r.Body)
	}
	return id, r
}

func (m *mz) receive(shell, cmd string) Response {
	_, r := m.post(winrm.NewGetOutputRequest(mzURL, shell, cmd, "stdout stderr", m.params))
	return r
}

func (m *mz) send(shell, cmd string, data []byte, eof bool) Response {
	_, r := m.post(winrm.NewSendInputRequest(mzURL, shell, cmd, data, eof, m.params))
	return r
}

func (m *mz) signal(shell, cmd string) Response {
	_, r := m.post(winrm.NewSignalRequest(mzURL, shell, cmd, m.params))
	return r
}

func (m *mz) deleteShell(shell string) Response {
	_, r := m.post(winrm.NewDeleteShellRequest(mzURL, shell, m.params))
	return r
}

// collect receives until Done, the way masterzen's slurpAllOutput does
// (faults are "not finished": it just asks again).
func (m *mz) collect(shell, cmd string) (stdout, stderr string, code, receives int) {
	m.t.Helper()
	var out, errb bytes.Buffer
	for receives = 1; receives < 10000; receives++ {
		r := m.receive(shell, cmd)
		if len(r.Body) > m.params.EnvelopeSize {
			m.t.Fatalf("response of %d bytes exceeds MaxEnvelopeSize %d", len(r.Body), m.params.EnvelopeSize)
		}
		done, c, _ := winrm.ParseSlurpOutputErrResponse(string(r.Body), &out, &errb)
		if done {
			return out.String(), errb.String(), c, receives
		}
	}
	m.t.Fatal("command never finished")
	return
}

func winrmParseCommand(body []byte) (string, error) {
	return winrm.ParseExecuteCommandResponse(string(body))
}

func winrmOpenShellMsg(m *mz) *soap.SoapMessage { return winrm.NewOpenShellRequest(mzURL, m.params) }

func winrmSignalMsg(m *mz, shell, cid string) *soap.SoapMessage {
	return winrm.NewSignalRequest(mzURL, shell, cid, m.params)
}

func winrmReceiveMsg(m *mz, shell, cid, streams string) *soap.SoapMessage {
	return winrm.NewGetOutputRequest(mzURL, shell, cid, streams, m.params)
}

func winrmSendMsg(m *mz, shell, cid string, data []byte, eof bool) *soap.SoapMessage {
	return winrm.NewSendInputRequest(mzURL, shell, cid, data, eof, m.params)
}

func winrmCommandMsg(m *mz, shell, cmd string, args ...string) *soap.SoapMessage {
	return winrm.NewExecuteCommandRequest(mzURL, shell, cmd, args, m.params)
}
