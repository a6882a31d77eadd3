package ntlm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bodgit/ntlmssp"
	"golang.org/x/text/encoding/charmap"
)

// testUsers are the accounts of the test host. Names are stored lower-case
// because Lookup matches them case-insensitively.
var testUsers = map[string]string{
	"administrator": "Passw0rd!",
	"alice":         "s3cret-ä€", // non-ASCII to exercise UTF-16 hashing
	"jörg":          "hunter2",   // non-ASCII name for the OEM path
}

var testNow = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

func testServer() *Server {
	return &Server{
		NbComputerName:  "WEB01",
		NbDomainName:    "SIM",
		DnsComputerName: "web01.sim.example",
		DnsDomainName:   "sim.example",
		Lookup: func(user, domain string) (string, bool) {
			// Azure/go-ntlmssp sends "user@realm" whole as the user name.
			user, _, _ = strings.Cut(user, "@")
			pw, ok := testUsers[strings.ToLower(user)]
			return pw, ok
		},
		Rand: fixedRand{},
		Now:  func() time.Time { return testNow },
	}
}

// fixedRand makes server challenges deterministic, so fuzz seeds recorded
// against one handshake verify against every other.
type fixedRand struct{}

func (fixedRand) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(0x11 * (i + 1))
	}
	return len(p), nil
}

// negotiateWith builds a minimal NEGOTIATE message carrying flags.
func negotiateWith(flags uint32) []byte {
	b := make([]byte, 32)
	copy(b, "NTLMSSP\x00")
	binary.LittleEndian.PutUint32(b[8:], 1)
	binary.LittleEndian.PutUint32(b[12:], flags)
	return b
}

// bodgitHandshake authenticates bodgit/ntlmssp's client against srv. If
// negFlags is non-zero the server is shown a NEGOTIATE with those flags
// instead of the client's own; bodgit then adopts whatever the CHALLENGE
// grants, which lets tests pick key strengths.
func bodgitHandshake(t testing.TB, srv *Server, user, domain, password string, negFlags uint32) (*ntlmssp.Client, []byte, *Session, error) {
	t.Helper()
	c, err := ntlmssp.NewClient(ntlmssp.SetUserInfo(user, password), ntlmssp.SetDomain(domain),
		ntlmssp.SetVersion(ntlmssp.DefaultVersion()))
	if err != nil {
		t.Fatal(err)
	}
	neg, err := c.Authenticate(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if negFlags != 0 {
		neg = negotiateWith(negFlags)
	}
	h := srv.NewHandshake()
	chal, err := h.Challenge(neg)
	if err != nil {
		t.Fatalf("Challenge: %v", err)
	}
	auth, err := c.Authenticate(chal, nil)
	if err != nil {
		t.Fatalf("bodgit Authenticate: %v", err)
	}
	sess, err := h.Authenticate(auth)
	return c, auth, sess, err
}

const mimeBoundary = "--Encrypted Boundary"

// clientFrame builds a request body exactly as masterzen/winrm 3fad6e1
// Encryption.encryptMessage and PrepareEncryptedRequest do.
func clientFrame(t testing.TB, ss *ntlmssp.SecuritySession, msg []byte) []byte {
	t.Helper()
	sealed, sig, err := ss.Wrap(msg)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Join([][]byte{
		[]byte(mimeBoundary), []byte("\r\n"),
		[]byte("\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"),
		fmt.Appendf(nil, "\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=%d\r\n", len(msg)),
		[]byte(mimeBoundary), []byte("\r\n"),
		[]byte("\tContent-Type: application/octet-stream\r\n"),
		binary.LittleEndian.AppendUint32(nil, uint32(len(sig))), sig, sealed,
		[]byte(mimeBoundary), []byte("--\r\n"),
	}, nil)
}

// clientOpen decrypts a reply body exactly as masterzen/winrm 3fad6e1
// Encryption.decryptResponse does (which is also how pywinrm does it).
func clientOpen(ss *ntlmssp.SecuritySession, body []byte) ([]byte, error) {
	var parts [][]byte
	for _, p := range bytes.Split(body, []byte(mimeBoundary+"\r\n")) {
		if len(p) != 0 {
			parts = append(parts, p)
		}
	}
	var message []byte
	for i := 0; i+1 < len(parts); i += 2 {
		header, payload := parts[i], parts[i+1]
		l := bytes.SplitAfter(header, []byte("Length="))
		if len(l) < 2 {
			return nil, fmt.Errorf("no Length= in %q", header)
		}
		expected, err := strconv.Atoi(string(bytes.TrimSpace(l[1])))
		if err != nil {
			return nil, err
		}
		payload = bytes.TrimSuffix(payload, []byte(mimeBoundary+"--\r\n"))
		data := bytes.ReplaceAll(payload, []byte("\tContent-Type: application/octet-stream\r\n"), nil)
		n := int(binary.LittleEndian.Uint32(data[:4]))
		plain, err := ss.Unwrap(data[4+n:], data[4:4+n])
		if err != nil {
			return nil, err
		}
		if len(plain) != expected {
			return nil, fmt.Errorf("length %d, header says %d", len(plain), expected)
		}
		message = append(message, plain...)
	}
	return message, nil
}

// handAuthenticate is a minimal NTLMv2 client for cases the real clients
// cannot produce, such as OEM strings. It answers chal with flags.
func handAuthenticate(t testing.TB, chal []byte, flags uint32, user, domain, password string) []byte {
	t.Helper()
	enc := func(s string) []byte {
		if flags&flagUnicode != 0 {
			return utf16le(s)
		}
		b, err := charmap.CodePage437.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tiLen := binary.LittleEndian.Uint16(chal[40:])
	tiOff := binary.LittleEndian.Uint32(chal[44:])
	targetInfo := chal[tiOff : tiOff+uint32(tiLen)]
	temp := []byte{1, 1, 0, 0, 0, 0, 0, 0}
	temp = binary.LittleEndian.AppendUint64(temp, filetime(testNow))
	temp = append(temp, "clichall"...)
	temp = append(temp, 0, 0, 0, 0)
	temp = append(temp, targetInfo...)
	temp = append(temp, 0, 0, 0, 0)
	key := ntowfV2(password, user, domain)
	nt := append(hmacMD5(key, chal[24:32], temp), temp...)

	payload := [][]byte{make([]byte, 24), nt, enc(domain), enc(user), enc("CLIENT"), nil}
	msg := make([]byte, authenticateFixedLen)
	copy(msg, "NTLMSSP\x00")
	binary.LittleEndian.PutUint32(msg[8:], 3)
	binary.LittleEndian.PutUint32(msg[60:], flags)
	for i, p := range payload {
		putField(msg[12+8*i:], len(p), len(msg))
		msg = append(msg, p...)
	}
	return msg
}

// cloneSession deep-copies a session's RC4 state, so a fuzz iteration can
// start from the same point every time.
func cloneSession(s *Session) *Session {
	n := *s
	if s.CanSeal() {
		send, recv := *s.sendCipher, *s.recvCipher
		n.sendCipher, n.recvCipher = &send, &recv
	}
	return &n
}
