package remote

// NTLM over HTTP the way WinRM binds it: the TCP connection is
// authenticated once (an empty POST carrying NEGOTIATE, a 401 carrying
// CHALLENGE, an empty POST carrying AUTHENTICATE, 200), later requests on
// it carry no Authorization header, and with message encryption every body
// is sealed with that connection's session key, whose RC4 state and
// sequence numbers run on from message to message (MS-WSMV 2.2.9.1.1).
// masterzen's encrypted transport instead makes a new NTLM context and a
// fresh handshake for every message.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bodgit/ntlmssp"

	"github.com/fleetport/fleetport/internal/gsswrap"
)

const (
	encryptedContentType = `multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"`

	// The sealed body, byte for byte as Windows, pywinrm and masterzen
	// frame it (tabs and CRLFs included; mime/multipart cannot read it).
	boundaryLine = "--Encrypted Boundary\r\n"
	sealHead     = boundaryLine + "\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n" +
		"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length="
	sealMid  = "\r\n" + boundaryLine + "\tContent-Type: application/octet-stream\r\n"
	sealTail = "--Encrypted Boundary--\r\n"
	sigLen   = 16
	// sealSlack is what framing and signature add to a body at most.
	sealSlack = 1024

	flagSeal = 0x00000020 // NTLMSSP_NEGOTIATE_SEAL
)

// ntlmConn is a connection that completed the NTLM handshake. sess is its
// security context when messages are sealed; the transport's semaphore
// serialises its use.
type ntlmConn struct {
	net.Conn
	sess *ntlmssp.SecuritySession
	krb  *gsswrap.Context // Kerberos instead of NTLM
}

// canSeal reports whether the connection has a context that seals.
func (c *ntlmConn) canSeal() bool { return c.sess != nil || c.krb != nil }

// sealedLen is the length of the framed, sealed form of n plaintext bytes
// with a signature (NTLM) or token header (Kerberos) of sig bytes.
func sealedLen(n, sig int) int64 {
	return int64(len(sealHead) + len(strconv.Itoa(n)) + len(sealMid) + 4 + sig + n + len(sealTail))
}

func (c *ntlmConn) seal(plain []byte) ([]byte, error) {
	var sealed, sig []byte
	var err error
	if c.krb != nil {
		sig, sealed, err = c.krb.Wrap(plain)
		if err == nil && len(sig) != gsswrap.HeaderLen {
			err = fmt.Errorf("Kerberos token header of %d bytes", len(sig))
		}
	} else {
		sealed, sig, err = c.sess.Wrap(plain)
		if err == nil && len(sig) != sigLen {
			err = fmt.Errorf("NTLM signature of %d bytes", len(sig))
		}
	}
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, sealedLen(len(plain), len(sig)))
	out = append(out, sealHead...)
	out = strconv.AppendInt(out, int64(len(plain)), 10)
	out = append(out, sealMid...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(sig)))
	out = append(out, sig...)
	out = append(out, sealed...)
	return append(out, sealTail...), nil
}

// unseal parses a framed body, unseals it and checks the declared length.
func (c *ntlmConn) unseal(body []byte) ([]byte, error) {
	if !c.canSeal() {
		return nil, errors.New("no security context")
	}
	rest, ok := bytes.CutPrefix(body, []byte(boundaryLine))
	if !ok {
		return nil, errors.New("body does not start with the boundary")
	}
	head, rest, ok := bytes.Cut(rest, []byte(boundaryLine))
	if !ok {
		return nil, errors.New("no second boundary")
	}
	length := -1
	if _, after, ok := bytes.Cut(head, []byte("Length=")); ok {
		digits := after
		if i := bytes.IndexAny(after, ";\r\n"); i >= 0 {
			digits = after[:i]
		}
		n, err := strconv.Atoi(string(bytes.TrimSpace(digits)))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bad OriginalContent Length %q", digits)
		}
		length = n
	}
	if length < 0 {
		return nil, errors.New("no OriginalContent Length")
	}
	line, data, ok := bytes.Cut(rest, []byte("\r\n"))
	if !ok || !strings.EqualFold(strings.TrimSpace(string(line)), "Content-Type: application/octet-stream") {
		return nil, errors.New("no octet-stream part")
	}
	if d, ok := bytes.CutSuffix(data, []byte(sealTail)); ok {
		data = d
	} else if d, ok := bytes.CutSuffix(data, []byte(strings.TrimSuffix(sealTail, "\r\n"))); ok {
		data = d
	} else {
		return nil, errors.New("no closing boundary")
	}
	var plain []byte
	var err error
	if c.krb != nil {
		if len(data) < 4 {
			return nil, errors.New("no token header")
		}
		n := binary.LittleEndian.Uint32(data)
		if n < 16 || int64(n) > int64(len(data)-4) {
			return nil, fmt.Errorf("token header length %d does not fit %d bytes", n, len(data)-4)
		}
		plain, err = c.krb.Unwrap(data[4:4+n], data[4+n:])
	} else {
		if len(data) < 4+sigLen || binary.LittleEndian.Uint32(data) != sigLen {
			return nil, errors.New("no signature")
		}
		plain, err = c.sess.Unwrap(data[4+sigLen:], data[4:4+sigLen])
	}
	if err != nil {
		return nil, err
	}
	if len(plain) != length {
		return nil, fmt.Errorf("declared Length=%d, got %d bytes", length, len(plain))
	}
	return plain, nil
}

// sealedBody is a request body sealed on its first Read, once the pool has
// chosen the connection, with that connection's context.
type sealedBody struct {
	st *exchangeState
	r  *bytes.Reader
}

var errNoContext = errors.New("connection has no NTLM security context")

func (b *sealedBody) Read(p []byte) (int, error) {
	if b.r == nil {
		c := b.st.conn.Load()
		if c == nil || !c.canSeal() {
			return 0, errNoContext
		}
		framed, err := c.seal(b.st.plain)
		if err != nil {
			return 0, err
		}
		b.st.sealedWith.Store(c)
		b.r = bytes.NewReader(framed)
	}
	return b.r.Read(p)
}

func (b *sealedBody) Close() error { return nil }

// ntlmHandshake authenticates c. Its deadline is ctx's; close aborts it.
func (t *transport) ntlmHandshake(ctx context.Context, c *ntlmConn, state *tls.ConnectionState) (err error) {
	if d, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer func() {
		if !stop() && err == nil {
			err = &setupError{"ntlm", ctx.Err()}
			return
		}
		_ = c.SetDeadline(time.Time{})
	}()

	client, err := ntlmssp.NewClient(ntlmssp.SetUserInfo(t.ntUser, t.pass.get()), ntlmssp.SetDomain(t.domain),
		ntlmssp.SetVersion(ntlmssp.DefaultVersion()))
	if err != nil {
		return err
	}
	negotiate, err := client.Authenticate(nil, nil)
	if err != nil {
		return err
	}
	br := bufio.NewReader(c)
	resp, err := t.handshakeLeg(c, br, negotiate)
	if err != nil {
		return &setupError{"ntlm", err}
	}
	if resp.StatusCode != http.StatusUnauthorized {
		return &HTTPError{Status: resp.StatusCode, Detail: "answer to NTLM NEGOTIATE"}
	}
	challenge, err := negotiateToken(resp.Header)
	if err != nil {
		return err
	}
	if t.seal && (len(challenge) < 24 || binary.LittleEndian.Uint32(challenge[20:])&flagSeal == 0) {
		return fmt.Errorf("%w: the NTLM CHALLENGE does not offer sealing", ErrNotEncrypted)
	}
	var cb *ntlmssp.ChannelBindings
	if state != nil && len(state.PeerCertificates) > 0 {
		cb = channelBindings(state.PeerCertificates[0])
	}
	authenticate, err := client.Authenticate(challenge, cb)
	if err != nil {
		return protof("unusable NTLM CHALLENGE: %v", err)
	}
	resp, err = t.handshakeLeg(c, br, authenticate)
	if err != nil {
		return &setupError{"ntlm", err}
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return &authError{"NTLM AUTHENTICATE answered with 401"}
	case resp.StatusCode != http.StatusOK:
		return &HTTPError{Status: resp.StatusCode, Detail: "answer to NTLM AUTHENTICATE"}
	case resp.Close:
		return protof("the host closes the connection after NTLM authentication")
	case br.Buffered() > 0:
		return protof("unexpected data after the NTLM handshake")
	}
	if t.seal {
		if c.sess = client.SecuritySession(); c.sess == nil {
			return fmt.Errorf("%w: no NTLM session key", ErrNotEncrypted)
		}
	}
	return nil
}

// handshakeLeg sends an empty POST carrying token and reads the answer.
func (t *transport) handshakeLeg(c net.Conn, br *bufio.Reader, token []byte) (*http.Response, error) {
	var b strings.Builder
	b.WriteString("POST /wsman HTTP/1.1\r\nHost: ")
	b.WriteString(t.ep.Address())
	b.WriteString("\r\nUser-Agent: " + userAgent + "\r\nContent-Length: 0\r\nContent-Type: " + soapType + "\r\nAuthorization: Negotiate ")
	b.WriteString(base64.StdEncoding.EncodeToString(token))
	b.WriteString("\r\n\r\n")
	if _, err := io.WriteString(c, b.String()); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil, err
	}
	const maxBody = 64 << 10
	n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody+1))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if n > maxBody {
		return nil, protof("NTLM handshake answer larger than %d bytes", maxBody)
	}
	return resp, nil
}

// negotiateToken returns the CHALLENGE from "WWW-Authenticate: Negotiate
// <base64>".
func negotiateToken(h http.Header) ([]byte, error) {
	offered := false
	var schemes []string
	for _, v := range h.Values("WWW-Authenticate") {
		for part := range strings.SplitSeq(v, ",") {
			scheme, tok, _ := strings.Cut(strings.TrimSpace(part), " ")
			if scheme != "" && !strings.Contains(scheme, "=") {
				schemes = append(schemes, scheme)
			}
			if !strings.EqualFold(scheme, "Negotiate") {
				continue
			}
			offered = true
			if tok = strings.TrimSpace(tok); tok == "" {
				continue
			}
			b, err := base64.StdEncoding.DecodeString(tok)
			if err != nil || !bytes.HasPrefix(b, []byte("NTLMSSP\x00")) {
				return nil, protof("the Negotiate token is not an NTLM CHALLENGE")
			}
			return b, nil
		}
	}
	if offered {
		// Windows answers every NTLM NEGOTIATE with a CHALLENGE unless
		// its policy refuses NTLM ("Network security: Restrict NTLM:
		// Incoming NTLM traffic", as domains now set it): then the 401
		// carries no token, only the schemes it offers.
		return nil, &authError{fmt.Sprintf("NTLM refused: the host answers the NTLM NEGOTIATE without a challenge, as Windows does when its policy "+
			"restricts incoming NTLM traffic (it offers %s): use auth = \"kerberos\" or \"negotiate\" with a ticket for the host (kinit, a keytab or a password)",
			strings.Join(schemes, ", "))}
	}
	return nil, &authError{"the host offers no Negotiate authentication"}
}

// channelBindings is the tls-server-end-point binding of RFC 5929 for the
// host's certificate (MD5 and SHA-1 signatures hash with SHA-256).
func channelBindings(cert *x509.Certificate) *ntlmssp.ChannelBindings {
	var h hash.Hash
	switch cert.SignatureAlgorithm {
	case x509.SHA384WithRSA, x509.ECDSAWithSHA384, x509.SHA384WithRSAPSS:
		h = sha512.New384()
	case x509.SHA512WithRSA, x509.ECDSAWithSHA512, x509.SHA512WithRSAPSS:
		h = sha512.New()
	case x509.PureEd25519, x509.UnknownSignatureAlgorithm:
		return nil
	default:
		h = sha256.New()
	}
	h.Write(cert.Raw)
	return &ntlmssp.ChannelBindings{ApplicationData: append([]byte(ntlmssp.TLSServerEndPoint+":"), h.Sum(nil)...)}
}
