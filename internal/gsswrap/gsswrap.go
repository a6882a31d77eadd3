// Package gsswrap seals and opens Kerberos per-message tokens: GSS Wrap
// with confidentiality as RFC 4121 defines it for the AES encryption types
// (aes256-cts-hmac-sha1-96 and aes128-cts-hmac-sha1-96), in the layout
// Windows uses for WinRM message encryption. That layout is what
// gss_wrap_iov makes from a HEADER, a DATA and an empty PADDING buffer
// without a TRAILER ("DCE style"): the trailer is rotated into the header,
// so a token is a header (the 16-byte token header, then the rotated end of
// the ciphertext) and sealed data exactly as long as the plain text.
//
// Token layout (RFC 4121 section 4.2.6.2): TOK_ID 05 04, flags
// (SentByAcceptor 0x01, Sealed 0x02, AcceptorSubkey 0x04), filler FF, EC
// (extra count, 2 bytes), RRC (right rotation count, 2 bytes), SND_SEQ (8
// bytes), then E(plain | EC filler bytes | token header with RRC 0),
// rotated right by RRC. The sender writes EC 0 and RRC 28 (the encrypted
// header copy and the 12-byte HMAC); the receiver takes any EC and RRC.
//
// gokrb5 does the Kerberos crypto (key derivation, AES-CTS, HMAC); its own
// WrapToken signs but does not seal, which WinRM needs.
package gsswrap

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/crypto/etype"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Key usages (RFC 4121 section 2).
const (
	usageAcceptorSeal  = 22
	usageInitiatorSeal = 24
)

// Token flags.
const (
	FlagSentByAcceptor = 0x01
	FlagSealed         = 0x02
	FlagAcceptorSubkey = 0x04
)

const (
	tokenHeaderLen = 16
	hmacLen        = 12 // HMAC-SHA1-96
	confounderLen  = 16 // the AES block
)

// ErrUnsupportedKey is returned for a key that is not AES: RC4 (and DES)
// session keys are what current Windows refuses too.
var ErrUnsupportedKey = errors.New("gsswrap: only AES session keys (aes256-cts-hmac-sha1-96, aes128-cts-hmac-sha1-96) are supported")

// ErrBadToken wraps every failure to open a token: a token that does not
// parse, comes from the wrong side, or fails its integrity check.
var ErrBadToken = errors.New("gsswrap: bad wrap token")

// Context is one side of an established Kerberos security context: the key
// both sides use for per-message tokens and this side's sequence number.
// It is safe for concurrent use; WinRM uses it one message at a time.
type Context struct {
	key            types.EncryptionKey
	et             etype.EType
	initiator      bool
	acceptorSubkey bool

	mu      sync.Mutex
	sendSeq uint64
}

// New makes a context. key is the context key: the acceptor's subkey when
// the AP-REP carried one (then acceptorSubkey is true), otherwise the
// initiator's subkey from the authenticator, otherwise the ticket's session
// key. seq is this side's first sequence number (the authenticator's for
// the initiator, the AP-REP's for the acceptor).
func New(key types.EncryptionKey, initiator, acceptorSubkey bool, seq uint64) (*Context, error) {
	switch key.KeyType {
	case etypeID.AES128_CTS_HMAC_SHA1_96, etypeID.AES256_CTS_HMAC_SHA1_96:
	default:
		return nil, fmt.Errorf("%w (the key is encryption type %d)", ErrUnsupportedKey, key.KeyType)
	}
	et, err := crypto.GetEtype(key.KeyType)
	if err != nil {
		return nil, err
	}
	if len(key.KeyValue) != et.GetKeyByteSize() {
		return nil, fmt.Errorf("gsswrap: a %d-byte key for encryption type %d, want %d bytes", len(key.KeyValue), key.KeyType, et.GetKeyByteSize())
	}
	return &Context{key: key, et: et, initiator: initiator, acceptorSubkey: acceptorSubkey, sendSeq: seq}, nil
}

// HeaderLen is the length of the header Wrap returns: the token header and
// the rotated confounder, encrypted header copy and HMAC.
const HeaderLen = tokenHeaderLen + confounderLen + tokenHeaderLen + hmacLen

func (c *Context) flags(fromAcceptor bool) byte {
	f := byte(FlagSealed)
	if fromAcceptor {
		f |= FlagSentByAcceptor
	}
	if c.acceptorSubkey {
		f |= FlagAcceptorSubkey
	}
	return f
}

func tokenHeader(flags byte, ec, rrc uint16, seq uint64) []byte {
	h := make([]byte, tokenHeaderLen)
	h[0], h[1], h[2], h[3] = 0x05, 0x04, flags, 0xff
	binary.BigEndian.PutUint16(h[4:6], ec)
	binary.BigEndian.PutUint16(h[6:8], rrc)
	binary.BigEndian.PutUint64(h[8:16], seq)
	return h
}

// Wrap seals msg and returns the token's header (HeaderLen bytes) and the
// sealed data (len(msg) bytes), as gss_wrap_iov does in the DCE layout.
func (c *Context) Wrap(msg []byte) (header, data []byte, err error) {
	c.mu.Lock()
	seq := c.sendSeq
	c.sendSeq++
	c.mu.Unlock()

	usage := uint32(usageInitiatorSeal)
	if !c.initiator {
		usage = usageAcceptorSeal
	}
	const rrc = tokenHeaderLen + hmacLen
	flags := c.flags(!c.initiator)
	plain := make([]byte, 0, len(msg)+tokenHeaderLen)
	plain = append(plain, msg...)
	plain = append(plain, tokenHeader(flags, 0, 0, seq)...)
	_, enc, err := c.et.EncryptMessage(c.key.KeyValue, plain, usage)
	clear(plain)
	if err != nil {
		return nil, nil, fmt.Errorf("gsswrap: seal: %w", err)
	}
	// enc is E(confounder | msg | header copy) | HMAC: len(msg)+44 bytes.
	// Rotating right by rrc puts the encrypted header copy and the HMAC
	// first; the header keeps them and the confounder block.
	rotated := rotateRight(enc, rrc)
	header = append(tokenHeader(flags, 0, rrc, seq), rotated[:len(enc)-len(msg)]...)
	return header, rotated[len(enc)-len(msg):], nil
}

// Unwrap opens a token sealed by the other side: header and data as Wrap
// returns them (any split of the rotated ciphertext between them works).
// Errors wrap [ErrBadToken].
func (c *Context) Unwrap(header, data []byte) ([]byte, error) {
	if len(header) < tokenHeaderLen {
		return nil, fmt.Errorf("%w: a %d-byte header is shorter than the 16-byte token header", ErrBadToken, len(header))
	}
	h := header[:tokenHeaderLen]
	if h[0] != 0x05 || h[1] != 0x04 {
		return nil, fmt.Errorf("%w: token id %02x %02x, want 05 04 (a wrap token)", ErrBadToken, h[0], h[1])
	}
	if h[3] != 0xff {
		return nil, fmt.Errorf("%w: filler byte %02x, want ff", ErrBadToken, h[3])
	}
	flags := h[2]
	fromAcceptor := flags&FlagSentByAcceptor != 0
	if fromAcceptor != c.initiator {
		return nil, fmt.Errorf("%w: the token says it was sent by the %s, which is this side", ErrBadToken, side(fromAcceptor))
	}
	if flags&FlagSealed == 0 {
		return nil, fmt.Errorf("%w: the token is not sealed (confidentiality was required)", ErrBadToken)
	}
	if c.initiator && flags&FlagAcceptorSubkey != 0 && !c.acceptorSubkey {
		return nil, fmt.Errorf("%w: the token uses an acceptor subkey this context does not have", ErrBadToken)
	}
	ec := int(binary.BigEndian.Uint16(h[4:6]))
	rrc := int(binary.BigEndian.Uint16(h[6:8]))
	body := make([]byte, 0, len(header)-tokenHeaderLen+len(data))
	body = append(body, header[tokenHeaderLen:]...)
	body = append(body, data...)
	if len(body) < confounderLen+tokenHeaderLen+hmacLen+ec {
		return nil, fmt.Errorf("%w: %d bytes of ciphertext, too short for a sealed token with EC %d", ErrBadToken, len(body), ec)
	}
	body = rotateLeft(body, rrc)
	usage := uint32(usageAcceptorSeal)
	if !fromAcceptor {
		usage = usageInitiatorSeal
	}
	plain, err := c.et.DecryptMessage(c.key.KeyValue, body, usage)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadToken, err)
	}
	if len(plain) < ec+tokenHeaderLen {
		return nil, fmt.Errorf("%w: %d bytes of plain text, too short for EC %d and the header copy", ErrBadToken, len(plain), ec)
	}
	msg, copyHdr := plain[:len(plain)-ec-tokenHeaderLen], plain[len(plain)-tokenHeaderLen:]
	want := append([]byte(nil), h...)
	want[6], want[7] = 0, 0 // the encrypted copy has RRC 0
	if !bytes.Equal(copyHdr, want) {
		return nil, fmt.Errorf("%w: the encrypted header copy does not match the token header", ErrBadToken)
	}
	return msg, nil
}

func side(acceptor bool) string {
	if acceptor {
		return "acceptor"
	}
	return "initiator"
}

// rotateRight returns b rotated right by n bytes (the last n bytes first).
func rotateRight(b []byte, n int) []byte {
	if len(b) == 0 {
		return b
	}
	n %= len(b)
	out := make([]byte, 0, len(b))
	out = append(out, b[len(b)-n:]...)
	return append(out, b[:len(b)-n]...)
}

// rotateLeft undoes rotateRight.
func rotateLeft(b []byte, n int) []byte {
	if len(b) == 0 {
		return b
	}
	n %= len(b)
	out := make([]byte, 0, len(b))
	out = append(out, b[n:]...)
	return append(out, b[:n]...)
}
