package ntlm

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/rc4"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	//lint:ignore SA1019 NTLM is defined over MD4; the simulator must speak it to real clients.
	"golang.org/x/crypto/md4"
)

// ErrAuthFailed is wrapped by the error [Handshake.Authenticate] returns when
// the user is unknown, the password is wrong, or the client offered only
// anonymous, LM or NTLMv1 credentials. The HTTP answer to it is a 401.
var ErrAuthFailed = errors.New("ntlm: authentication failed")

// ErrBadMessage is wrapped by every error about malformed or out-of-order
// input: a token that is not the expected NTLMSSP message, a field pointing
// outside its message, a broken encrypted body or a signature that does not
// verify. The wrapping error says which field or offset was wrong.
var ErrBadMessage = errors.New("ntlm: bad message")

func badf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadMessage}, args...)...)
}

// Server holds what a simulated host says about itself in CHALLENGE messages
// and how it checks users. A Server is not modified by its handshakes, so one
// Server may serve any number of connections concurrently as long as its
// fields are not changed meanwhile and Lookup, Rand and Now are safe for
// concurrent use.
type Server struct {
	// NbComputerName, NbDomainName, DnsComputerName and DnsDomainName fill the
	// CHALLENGE's TargetInfo, e.g. "WEB01", "SIM", "web01.sim.example" and
	// "sim.example". NbComputerName is also the TargetName.
	NbComputerName, NbDomainName, DnsComputerName, DnsDomainName string

	// Lookup returns the password of a user, matching user names
	// case-insensitively, or ok=false for an unknown user. User and domain are
	// passed as the client sent them: the domain is "" for a bare user name and
	// the part before the backslash of "DOMAIN\user"; "user@realm" arrives
	// whole as the user from Azure/go-ntlmssp and requests_ntlm, but split
	// into user and domain "realm" by masterzen's Encryption transport.
	// A nil Lookup knows no users.
	Lookup func(user, domain string) (password string, ok bool)

	// Rand supplies server challenges; nil means crypto/rand.
	Rand io.Reader

	// Now supplies the CHALLENGE's Timestamp AV pair; nil means time.Now.
	Now func() time.Time
}

// Handshake is one connection's NTLM authentication in progress. It is not
// safe for concurrent use; create one per TCP connection, or one per
// NEGOTIATE, since a client restarts authentication with a new NEGOTIATE.
type Handshake struct {
	server          *Server
	serverChallenge [8]byte
	challenged      bool // a CHALLENGE went out and no AUTHENTICATE has used it yet
}

// NewHandshake starts the authentication of one connection.
func (s *Server) NewHandshake() *Handshake {
	return &Handshake{server: s}
}

// Challenge parses a raw NTLMSSP NEGOTIATE message and returns the CHALLENGE
// to send back. Its flags grant the session-security options the client asked
// for (SIGN, SEAL, key strength, KEY_EXCH), never LM_KEY, and always UNICODE,
// NTLM and TARGET_INFO. Calling Challenge again replaces the previous
// challenge. Errors about the message wrap [ErrBadMessage]; any other error
// comes from the Server's Rand.
func (h *Handshake) Challenge(negotiate []byte) ([]byte, error) {
	requested, err := parseNegotiate(negotiate)
	if err != nil {
		return nil, err
	}
	s := h.server
	r, now := s.Rand, time.Now
	if r == nil {
		r = rand.Reader
	}
	if s.Now != nil {
		now = s.Now
	}
	var c [8]byte
	if _, err := io.ReadFull(r, c[:]); err != nil {
		return nil, fmt.Errorf("ntlm: generate server challenge: %w", err)
	}
	targetName, targetInfo := utf16le(s.NbComputerName), s.targetInfo(now())
	if len(targetName) > 0xffff || len(targetInfo) > 0xffff {
		return nil, errors.New("ntlm: server names too long for a CHALLENGE message")
	}
	h.serverChallenge, h.challenged = c, true
	return buildChallenge(requested&mirroredFlags|challengeFlags, c, targetName, targetInfo), nil
}

// Authenticate verifies a raw NTLMSSP AUTHENTICATE message against the last
// CHALLENGE and returns the established [Session]. Only NTLMv2 responses are
// accepted; the password is checked with the user and domain exactly as the
// client sent them. Bad credentials wrap [ErrAuthFailed]; a malformed message,
// or one without a preceding [Handshake.Challenge], wraps [ErrBadMessage]. A
// CHALLENGE is good for one AUTHENTICATE, whatever its outcome.
func (h *Handshake) Authenticate(authenticate []byte) (*Session, error) {
	if !h.challenged {
		return nil, badf("AUTHENTICATE without an outstanding CHALLENGE on this handshake")
	}
	h.challenged = false
	a, err := parseAuthenticate(authenticate)
	if err != nil {
		return nil, err
	}
	who := a.user
	if a.domain != "" {
		who = a.domain + `\` + a.user
	}
	// An NTLMv2 response is the 16-byte NTProofStr followed by at least the
	// 28-byte fixed part of the client's blob; 24 bytes means NTLMv1 and 0
	// means anonymous.
	if len(a.ntResponse) < 16+28 {
		return nil, fmt.Errorf("%w: %.64q sent a %d-byte NtChallengeResponse (anonymous or NTLMv1); only NTLMv2 is accepted",
			ErrAuthFailed, who, len(a.ntResponse))
	}
	password, ok := "", false
	if h.server.Lookup != nil {
		password, ok = h.server.Lookup(a.user, a.domain)
	}
	if !ok {
		return nil, fmt.Errorf("%w: unknown user %.64q", ErrAuthFailed, who)
	}
	key := ntowfV2(password, a.user, a.domain)
	proof := hmacMD5(key, h.serverChallenge[:], a.ntResponse[16:])
	if !hmac.Equal(proof, a.ntResponse[:16]) {
		return nil, fmt.Errorf("%w: wrong password for %.64q", ErrAuthFailed, who)
	}
	// For NTLMv2 the KeyExchangeKey is the SessionBaseKey.
	exported := hmacMD5(key, proof)
	if a.flags&flagKeyExch != 0 {
		c, _ := rc4.NewCipher(exported) // a 16-byte key is always valid
		c.XORKeyStream(exported, a.encryptedRandomSessionKey)
	}
	return newSession(a.user, a.domain, a.workstation, a.flags, exported), nil
}

// ntowfV2 is MS-NLMP's NTOWFv2: HMAC_MD5(MD4(UTF16LE(password)), UTF16LE(UPPER(user) + domain)).
func ntowfV2(password, user, domain string) []byte {
	h := md4.New()
	h.Write(utf16le(password))
	return hmacMD5(h.Sum(nil), utf16le(strings.ToUpper(user)+domain))
}

func hmacMD5(key []byte, data ...[]byte) []byte {
	m := hmac.New(md5.New, key)
	for _, d := range data {
		m.Write(d)
	}
	return m.Sum(nil)
}
