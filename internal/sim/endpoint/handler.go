package endpoint

// The request rules below follow what Windows (http.sys + WinRM) does, as
// recorded in winrm-wire.md sections 1 and 2:
//
//   - only POST /wsman exists; anything else is 404 (405 for another method);
//   - every answer carries Server: Microsoft-HTTPAPI/2.0 and SOAP answers the
//     SOAP content type, faults included;
//   - 401 answers have an empty body; the first challenge advertises
//     Negotiate (never "NTLM", which requests_ntlm would pick) and Basic
//     only when Basic is enabled;
//   - NTLM authenticates the TCP connection, not the request; a new
//     NEGOTIATE restarts it; an unencrypted request on an authenticated
//     plain-http connection is refused unless AllowUnencrypted;
//   - encrypted requests get encrypted answers, faults included; an
//     encrypted body on a connection with no security context is 400.

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fleetport/fleetport/internal/gsswrap"
	"github.com/fleetport/fleetport/internal/sim/ntlm"
	"github.com/fleetport/fleetport/internal/sim/wsman"
)

const (
	soapContentType = "application/soap+xml;charset=UTF-8"
	serverHeader    = "Microsoft-HTTPAPI/2.0"
	encryptedProto  = `protocol="application/HTTP-SPNEGO-session-encrypted"`
	// encryptionSlack is what the multipart framing and signature add to a
	// sealed body beyond the SOAP text.
	encryptionSlack = 1024
)

type connKey struct{}

// connState is the authentication state of one TCP connection. net/http
// serves a connection's requests one at a time, so it needs no lock.
type connState struct {
	handshake *ntlm.Handshake
	session   *ntlm.Session    // nil until NTLM succeeds
	krb       *gsswrap.Context // nil until Kerberos succeeds
	user      string
	access    wsman.Access // what user may do (Kerberos: from the PAC)
}

type handler struct {
	e    *Endpoint
	down <-chan struct{}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e := h.e
	e.requests.Add(1)
	w.Header().Set("Server", serverHeader)
	faults := e.faults.Load()
	if faults.Hang {
		// Read the request as a wedged service would, then say nothing
		// until the client gives up or the host goes down.
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, int64(e.opts.MaxRequestBytes)+encryptionSlack))
		select {
		case <-r.Context().Done():
		case <-h.down:
			// Abort: cut the connection without an answer.
			panic(http.ErrAbortHandler)
		}
		return
	}
	delay(r.Context(), faults)
	if c := e.opts.Capacity; c != nil {
		beyond, done := c.admit()
		defer func() { done() }()
		if beyond > 0 {
			switch c.Beyond {
			case BeyondSlow:
				t := time.NewTimer(time.Duration(beyond) * c.SlowPer)
				select {
				case <-t.C:
				case <-r.Context().Done():
				}
				t.Stop()
			case BeyondTimeout:
				// Dropped: it holds no place in the bottleneck.
				done()
				done = func() {}
				_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, int64(e.opts.MaxRequestBytes)+encryptionSlack))
				select {
				case <-r.Context().Done():
				case <-h.down:
					panic(http.ErrAbortHandler)
				}
				return
			case BeyondRefuse:
				_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, int64(e.opts.MaxRequestBytes)+encryptionSlack))
				w.Header().Set("Content-Type", "text/html; charset=us-ascii")
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = io.WriteString(w, serviceUnavailable)
				return
			}
		}
	}

	if r.URL.Path != "/wsman" {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(e.opts.MaxRequestBytes)+encryptionSlack))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
		}
		return
	}
	cs, _ := r.Context().Value(connKey{}).(*connState)
	if cs == nil {
		cs = &connState{}
	}
	secure := r.TLS != nil
	encrypted := strings.Contains(r.Header.Get("Content-Type"), encryptedProto) ||
		strings.Contains(r.Header.Get("Content-Type"), `protocol="`+kerberosEncrypted+`"`)

	authz := r.Header.Get("Authorization")
	scheme, token, _ := strings.Cut(authz, " ")
	switch {
	case authz == "":
		if cs.user == "" {
			h.challenge(w)
			return
		}
		if !encrypted && !secure && !e.opts.AllowUnencrypted {
			// An authenticated connection still may not carry plain
			// SOAP: this is what makes masterzen's encrypted transport
			// renegotiate for every message.
			h.challenge(w)
			return
		}
	case strings.EqualFold(scheme, "Basic"):
		cs.handshake, cs.session, cs.user = nil, nil, ""
		user, ok := h.basicUser(token, secure, faults)
		if !ok {
			h.challenge(w)
			return
		}
		cs.user, cs.access = user, wsman.AccessAdmin // local accounts are administrators
	case strings.EqualFold(scheme, "Kerberos") || (strings.EqualFold(scheme, "Negotiate") && !isNTLM(token)):
		if !h.kerberosLeg(w, cs, scheme, strings.TrimSpace(token), faults) {
			return
		}
		if len(body) == 0 {
			// pywinrm and fleetport authenticate with an empty body first
			// when they encrypt: the reply carries the AP-REP.
			w.Header().Set("Content-Length", "0")
			w.WriteHeader(http.StatusOK)
			return
		}
		if !encrypted && !secure && !e.opts.AllowUnencrypted {
			// Plain SOAP with the AP-REQ: refused, and the context with it.
			w.Header().Del("WWW-Authenticate")
			cs.krb, cs.user = nil, ""
			h.challenge(w)
			return
		}
	case strings.EqualFold(scheme, "Negotiate") || strings.EqualFold(scheme, "NTLM"):
		if e.opts.RefuseNTLM {
			// Network security: Restrict NTLM: Incoming NTLM traffic =
			// Deny all: the host answers as if the credentials were wrong.
			e.authFailures.Add(1)
			e.opts.Logger.Debug("NTLM refused by policy", "host", e.opts.Name)
			h.challenge(w)
			return
		}
		if !h.ntlmLeg(w, cs, strings.TrimSpace(token), faults) {
			return
		}
		if len(body) == 0 {
			// The AUTHENTICATE leg of a client that sends the body
			// afterwards: clients insist on 200 here.
			w.Header().Set("Content-Length", "0")
			w.WriteHeader(http.StatusOK)
			return
		}
		if !encrypted && !secure && !e.opts.AllowUnencrypted {
			h.challenge(w)
			return
		}
	default:
		h.challenge(w)
		return
	}

	var session *ntlm.Session
	var krb *gsswrap.Context
	var krbProtocol string
	if encrypted && cs.krb != nil {
		krb = cs.krb
		body, krbProtocol, err = openKerberos(krb, body)
		if err != nil {
			e.opts.Logger.Debug("bad encrypted request", "host", e.opts.Name, "err", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
	} else if encrypted {
		if cs.session == nil || !cs.session.CanSeal() {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		session = cs.session
		body, err = session.OpenMessage(body)
		if err != nil {
			e.opts.Logger.Debug("bad encrypted request", "host", e.opts.Name, "err", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
	} else if len(body) > e.opts.MaxRequestBytes {
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return
	}

	resp := e.opts.Handler.Handle(wsman.WithAccess(r.Context(), cs.access), cs.user, clientIP(r), body)
	select {
	case <-h.down:
		// The host went down while the request ran: the connection is
		// cut, there is nobody to answer.
		panic(http.ErrAbortHandler)
	default:
	}
	if resp.Body == nil {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(resp.Status)
		return
	}
	out := resp.Body
	if krb != nil {
		if out, err = sealKerberos(krb, krbProtocol, resp.Body); err != nil {
			e.opts.Logger.Debug("seal a reply", "host", e.opts.Name, "err", err)
			panic(http.ErrAbortHandler)
		}
		w.Header().Set("Content-Type", encryptedContentType(krbProtocol))
	} else if session != nil {
		out = session.SealMessage(resp.Body)
		w.Header().Set("Content-Type", ntlm.EncryptedContentType)
	} else {
		w.Header().Set("Content-Type", soapContentType)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(resp.Status)
	_, _ = w.Write(out)
}

// challenge answers 401 with the schemes the host offers.
func (h *handler) challenge(w http.ResponseWriter) {
	h.e.unauthorized.Add(1)
	w.Header().Add("WWW-Authenticate", "Negotiate")
	if h.e.opts.Kerberos != nil {
		w.Header().Add("WWW-Authenticate", "Kerberos")
	}
	if h.e.opts.AllowBasic {
		w.Header().Add("WWW-Authenticate", `Basic realm="WSMAN"`)
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusUnauthorized)
}

// basicUser checks a Basic credential. Windows refuses Basic when it is
// disabled, and over plain http unless unencrypted traffic is allowed.
func (h *handler) basicUser(token string, secure bool, f *Faults) (string, bool) {
	e := h.e
	if !e.opts.AllowBasic || (!secure && !e.opts.AllowUnencrypted) {
		return "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token))
	if err != nil {
		e.authFailures.Add(1)
		return "", false
	}
	user, pass, ok := bytes.Cut(raw, []byte{':'})
	if !ok || f.RejectAuth {
		e.authFailures.Add(1)
		return "", false
	}
	name := accountName(string(user))
	want, known := e.opts.Lookup(name)
	if !known || want != string(pass) {
		e.authFailures.Add(1)
		return "", false
	}
	return strings.ToLower(name), true
}

// ntlmLeg runs one leg of the NTLM handshake. It reports whether the
// connection is now authenticated and the request may go on; otherwise it
// has answered already.
func (h *handler) ntlmLeg(w http.ResponseWriter, cs *connState, token string, f *Faults) bool {
	e := h.e
	msg, err := base64.StdEncoding.DecodeString(token)
	if err != nil || len(msg) < 12 || !bytes.HasPrefix(msg, []byte("NTLMSSP\x00")) {
		// SPNEGO-wrapped Kerberos and other garbage: not offered here.
		e.authFailures.Add(1)
		h.challenge(w)
		return false
	}
	switch binary.LittleEndian.Uint32(msg[8:12]) {
	case 1: // NEGOTIATE: (re)start authentication on this connection.
		cs.session, cs.user = nil, ""
		cs.handshake = e.ntlm.NewHandshake()
		challenge, err := cs.handshake.Challenge(msg)
		if err != nil {
			e.authFailures.Add(1)
			cs.handshake = nil
			h.challenge(w)
			return false
		}
		e.unauthorized.Add(1)
		w.Header().Set("WWW-Authenticate", "Negotiate "+base64.StdEncoding.EncodeToString(challenge))
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusUnauthorized)
		return false
	case 3: // AUTHENTICATE
		hs := cs.handshake
		cs.handshake = nil
		if hs == nil {
			e.authFailures.Add(1)
			h.challenge(w)
			return false
		}
		session, err := hs.Authenticate(msg)
		if err != nil || f.RejectAuth {
			e.authFailures.Add(1)
			h.challenge(w)
			return false
		}
		cs.session = session
		cs.user, cs.access = strings.ToLower(session.User), wsman.AccessAdmin
		return true
	default:
		e.authFailures.Add(1)
		h.challenge(w)
		return false
	}
}

// isNTLM reports whether a Negotiate token is raw NTLMSSP (what every
// NTLM client sends) rather than SPNEGO or Kerberos.
func isNTLM(token string) bool {
	msg, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token))
	return err != nil || bytes.HasPrefix(msg, []byte("NTLMSSP\x00"))
}

// kerberosLeg accepts a Kerberos AP-REQ. It reports whether the connection
// is now authenticated; the AP-REP goes back in WWW-Authenticate with the
// scheme the client used. Otherwise it has answered 401.
func (h *handler) kerberosLeg(w http.ResponseWriter, cs *connState, scheme, token string, f *Faults) bool {
	e := h.e
	cs.handshake, cs.session, cs.krb, cs.user = nil, nil, nil, ""
	if e.opts.Kerberos == nil {
		// A workgroup host: no keys to open a ticket with.
		e.authFailures.Add(1)
		h.challenge(w)
		return false
	}
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		e.authFailures.Add(1)
		h.challenge(w)
		return false
	}
	reply, ctx, user, access, err := e.opts.Kerberos.accept(raw)
	if err != nil || f.RejectAuth {
		e.authFailures.Add(1)
		e.opts.Logger.Debug("Kerberos authentication refused", "host", e.opts.Name, "err", err)
		h.challenge(w)
		return false
	}
	cs.krb, cs.user, cs.access = ctx, user, access
	e.kerberosLogons.Add(1)
	w.Header().Set("WWW-Authenticate", scheme+" "+base64.StdEncoding.EncodeToString(reply))
	return true
}

// accountName strips a DOMAIN\ prefix or an @domain suffix.
func accountName(user string) string {
	if _, u, ok := strings.Cut(user, `\`); ok {
		return u
	}
	if u, _, ok := strings.Cut(user, "@"); ok {
		return u
	}
	return user
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// serviceUnavailable is the page http.sys answers with when its request
// queue is full.
const serviceUnavailable = `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN""http://www.w3.org/TR/html4/strict.dtd">
<HTML><HEAD><TITLE>Service Unavailable</TITLE>
<META HTTP-EQUIV="Content-Type" Content="text/html; charset=us-ascii"></HEAD>
<BODY><h2>Service Unavailable</h2>
<hr><p>HTTP Error 503. The service is unavailable.</p>
</BODY></HTML>
`
