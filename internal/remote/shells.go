package remote

// Shells as the host's quotas see them: every shell a session creates
// counts against MaxShellsPerUser (5 on Server 2008 R2), and its commands
// against MaxConcurrentOperationsPerUser (15), until it is deleted or idles
// out. A process that dies with a session open leaves its shell behind.
// This file holds what a caller needs to clean up after such a death: the
// trace that tells it which shells exist, the Delete by id that needs no
// shell of its own, and the idle timeout that bounds the shells nobody
// recorded.

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/masterzen/winrm/soap"
)

// ShellTrace observes the shells that sessions create and delete, so that a
// caller can record them durably and, after its process died with sessions
// open, delete exactly those shells ([DeleteShells]).
//
// Put it into the context given to [Open] with [WithShellTrace]. Like
// net/http/httptrace, it then observes every session opened with that
// context, including those another package (such as the collection engine)
// opens on the caller's behalf, for the session's whole life: the shells a
// Run creates again and the Delete of Close included.
//
// The functions are called synchronously on the goroutine of the Open, Run
// or Close that created or deleted the shell: Created returns before any
// command is sent to the new shell. They must not call the session, and
// they must be safe for concurrent use when sessions that share the context
// run in parallel. A nil function is skipped.
type ShellTrace struct {
	// Created is called once the host created a shell, before any command
	// goes to it. host is "host:port", id the host's shell id.
	Created func(host, id string)
	// Deleted is called when a session is done with a shell. err is nil
	// when the host deleted it or no longer had it (it idled out, WinRM
	// restarted, the host rebooted); otherwise the Delete failed (an
	// [*Error]) and the shell may stay open on the host until its idle
	// timeout.
	Deleted func(host, id string, err error)
}

type shellTraceKey struct{}

// WithShellTrace returns a context, derived from ctx, that carries t to the
// sessions [Open] opens with it.
func WithShellTrace(ctx context.Context, t *ShellTrace) context.Context {
	return context.WithValue(ctx, shellTraceKey{}, t)
}

// ContextShellTrace returns the [ShellTrace] ctx carries, or nil.
func ContextShellTrace(ctx context.Context) *ShellTrace {
	t, _ := ctx.Value(shellTraceKey{}).(*ShellTrace)
	return t
}

func (t *ShellTrace) created(host, id string) {
	if t != nil && t.Created != nil {
		t.Created(host, id)
	}
}

func (t *ShellTrace) deleted(host, id string, err error) {
	if t != nil && t.Deleted != nil {
		t.Deleted(host, id, err)
	}
}

// ShellDeletion is what [DeleteShells] did with one shell id.
type ShellDeletion struct {
	ID string
	// Gone: the host did not have the shell (any more): it idled out,
	// WinRM restarted, the host rebooted, or it is not this user's. A
	// shell deleted or gone no longer holds the user's quotas.
	Gone bool
	// Err, an [*Error], says why the shell could not be deleted; it may
	// still be open.
	Err error
}

// DeleteShells deletes the shells with the given ids on a host, as the user
// of cred: it connects and authenticates as [Open] does (retrying
// connection setup failures by Options.Retry) and sends one Delete per id,
// but creates no shell, since a Create could itself be refused by the
// MaxShellsPerUser quota the shells hold. It deletes only the ids it is
// given, never other shells of the user, which may be another tool's or
// another person's.
//
// Every request has Options.RequestTimeout as its deadline, within ctx's;
// give ctx a deadline. The result has one [ShellDeletion] per id, in order.
// The error is nil when every shell was deleted or already gone, otherwise
// the first failure (an [*Error]). When the host cannot be reached, or
// refuses the credentials, the ids not yet tried get that error too and are
// not sent. An id that cannot be a shell id (empty, too long, or with
// characters other than letters, digits, '-', '_', '{' and '}') gets a
// [ClassConfig] error and is not sent.
func DeleteShells(ctx context.Context, ep Endpoint, cred Credentials, opts Options, ids []string) ([]ShellDeletion, error) {
	out := make([]ShellDeletion, len(ids))
	for i, id := range ids {
		out[i].ID = id
	}
	if len(ids) == 0 {
		return out, nil
	}
	var first error
	failAll := func(from int, err error) ([]ShellDeletion, error) {
		for i := from; i < len(out); i++ {
			if out[i].Err == nil {
				out[i].Err = err
			}
		}
		if first == nil {
			first = err
		}
		return out, first
	}
	s, err := newSession(ep, cred, opts)
	if err != nil {
		return failAll(0, err)
	}
	defer func() {
		s.cancel()
		s.tr.close()
	}()
	for i, id := range ids {
		if !validShellID(id) {
			out[i].Err = &Error{Class: ClassConfig, Op: "delete", Host: s.host, Err: fmt.Errorf("%q is not a shell id", id)}
			first = firstErr(first, out[i].Err)
			continue
		}
		gone, err := s.deleteByID(ctx, id, true)
		switch {
		case err == nil:
			out[i].Gone = gone
		case faultOf(err) != nil:
			// The host answered: the other ids may still be deleted.
			out[i].Err = err
			first = firstErr(first, err)
		default:
			// Unreachable, refused credentials, a deadline: the other
			// ids would fail the same way.
			return failAll(i, err)
		}
	}
	return out, first
}

// firstErr returns a unless it is nil.
func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// validShellID reports whether id can be a shell id: Windows' are GUIDs.
func validShellID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '-', r == '_', r == '{', r == '}':
		default:
			return false
		}
	}
	return true
}

// createRequest is masterzen's NewOpenShellRequest, element for element,
// with rsp:IdleTimeOut added (Options.ShellIdleTimeout). masterzen's
// builder sets no idle timeout, and simplexml's dom gives no way back to
// the Shell element it built, so the message is built here with
// masterzen's soap builders. pypsrp sends IdleTimeOut after OutputStreams
// too, and real hosts take it there.
func (s *Session) createRequest() *soap.SoapMessage {
	p := &s.client.Parameters
	msg := soap.NewMessage()
	msg.Header().
		To(s.url).
		ReplyTo("http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous").
		MaxEnvelopeSize(p.EnvelopeSize).
		Id(messageID()).
		Locale(p.Locale).
		Timeout(p.Timeout).
		Action("http://schemas.xmlsoap.org/ws/2004/09/transfer/Create").
		ResourceURI("http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd").
		AddOption(soap.NewHeaderOption("WINRS_NOPROFILE", "FALSE")).
		AddOption(soap.NewHeaderOption("WINRS_CODEPAGE", "65001")).
		Build()
	body := msg.CreateBodyElement("Shell", soap.DOM_NS_WIN_SHELL)
	msg.CreateElement(body, "InputStreams", soap.DOM_NS_WIN_SHELL).SetContent("stdin")
	msg.CreateElement(body, "OutputStreams", soap.DOM_NS_WIN_SHELL).SetContent("stdout stderr")
	if s.opts.ShellIdleTimeout > 0 {
		msg.CreateElement(body, "IdleTimeOut", soap.DOM_NS_WIN_SHELL).SetContent(wsmanDuration(s.opts.ShellIdleTimeout))
	}
	return msg
}

// messageID is a random a:MessageID, "uuid:" and a version 4 UUID, as
// masterzen makes them.
func messageID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // it never fails: it crashes the program instead
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("uuid:%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
