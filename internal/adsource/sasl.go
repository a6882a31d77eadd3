package adsource

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	"github.com/go-ldap/ldap/v3/gssapi"
	"github.com/jcmturner/gokrb5/v8/crypto"
	krbgss "github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/fleetport/fleetport/internal/gsswrap"
)

// SASL GSSAPI security layers (RFC 4752 section 3.3).
const (
	layerNone      = 0x01
	layerIntegrity = 0x02
	layerConf      = 0x04
)

// maxFrame is the largest sealed frame accepted from the directory, and
// the receive size offered to it.
const maxFrame = 16 << 20

// sealingClient is go-ldap's GSSAPI client with the confidentiality
// security layer, which Active Directory domain controllers running Samba
// require (and Windows ones accept): after the bind, every LDAP message is
// sealed with the Kerberos session's acceptor subkey (RFC 4121), framed by
// its length (RFC 4752, RFC 4422 section 3.7).
//
// Over TLS the directory refuses a second layer ("Sign or Seal are not
// allowed if TLS is used"): there the client asks for no integrity or
// confidentiality in its AP-REQ and chooses no layer, as Windows clients
// do over LDAPS.
type sealingClient struct {
	*gssapi.Client
	conn *saslConn
	tls  bool
	ekey types.EncryptionKey
}

// InitSecContextWithOptions makes the AP-REQ with the context flags this
// connection needs, and checks the directory's AP-REP.
func (c *sealingClient) InitSecContextWithOptions(target string, input []byte, apOptions []int) ([]byte, bool, error) {
	if input == nil {
		tkt, ekey, err := c.GetServiceTicket(target)
		if err != nil {
			return nil, false, err
		}
		c.ekey = ekey
		flags := []int{krbgss.ContextFlagMutual}
		if !c.tls {
			flags = append(flags, krbgss.ContextFlagInteg, krbgss.ContextFlagConf)
		}
		token, err := spnego.NewKRB5TokenAPREQ(c.Client.Client, tkt, ekey, flags, apOptions)
		if err != nil {
			return nil, false, err
		}
		out, err := token.Marshal()
		return out, true, err
	}
	var token spnego.KRB5Token
	if err := token.Unmarshal(input); err != nil {
		return nil, false, fmt.Errorf("the directory's Kerberos reply: %w", err)
	}
	if token.IsKRBError() {
		return nil, false, token.KRBError
	}
	if !token.IsAPRep() {
		return nil, false, errors.New("the directory answered the Kerberos request with neither a reply nor an error")
	}
	encpart, err := crypto.DecryptEncPart(token.APRep.EncPart, c.ekey, keyusage.AP_REP_ENCPART)
	if err != nil {
		return nil, false, fmt.Errorf("the directory's Kerberos reply does not open with the session key (mutual authentication failed): %w", err)
	}
	var part messages.EncAPRepPart
	if err := part.Unmarshal(encpart); err != nil {
		return nil, false, err
	}
	c.Subkey = part.Subkey
	return []byte{}, false, nil
}

// InitSecContext is InitSecContextWithOptions without AP options.
func (c *sealingClient) InitSecContext(target string, input []byte) ([]byte, bool, error) {
	return c.InitSecContextWithOptions(target, input, nil)
}

// NegotiateSaslAuth reads the layers the directory offers and chooses
// confidentiality, refusing a directory that does not offer it.
func (c *sealingClient) NegotiateSaslAuth(input []byte, authzid string) ([]byte, error) {
	key, flags := c.Subkey, byte(gsswrap.FlagAcceptorSubkey)
	if key.KeyValue == nil {
		if !c.tls {
			return nil, errors.New("the directory's Kerberos reply has no acceptor subkey, which the sealing layer needs")
		}
		key, flags = c.ekey, 0
	}
	var tok krbgss.WrapToken
	if err := tok.Unmarshal(unrotate(input), true); err != nil {
		return nil, fmt.Errorf("the directory's SASL layer offer: %w", err)
	}
	if ok, err := tok.Verify(key, keyusage.GSSAPI_ACCEPTOR_SEAL); !ok {
		return nil, fmt.Errorf("the directory's SASL layer offer fails its checksum: %v", err)
	}
	if len(tok.Payload) != 4 {
		return nil, fmt.Errorf("the directory's SASL layer offer is %d bytes, want 4", len(tok.Payload))
	}
	layer := byte(layerConf)
	if c.tls {
		layer = layerNone
	}
	if tok.Payload[0]&layer == 0 {
		return nil, fmt.Errorf("the directory does not offer the SASL security layer %#x (it offers %#x)", layer, tok.Payload[0])
	}
	serverMax := int(binary.BigEndian.Uint32(tok.Payload) & 0xffffff)
	payload := make([]byte, 4, 4+len(authzid))
	if layer == layerConf {
		binary.BigEndian.PutUint32(payload, maxFrame-1)
	}
	payload[0] = layer
	payload = append(payload, authzid...)
	out := &krbgss.WrapToken{Flags: flags, EC: 12, SndSeqNum: 0, Payload: payload}
	if err := out.SetCheckSum(key, keyusage.GSSAPI_INITIATOR_SEAL); err != nil {
		return nil, err
	}
	b, err := out.Marshal()
	if err != nil {
		return nil, err
	}
	if layer == layerConf {
		ctx, err := gsswrap.New(key, true, true, 1)
		if err != nil {
			return nil, err
		}
		c.conn.pending = ctx
		c.conn.sendMax = serverMax
	}
	return b, nil
}

// saslConn frames and seals LDAP messages once the bind has set up the
// confidentiality layer; until then it passes bytes through.
type saslConn struct {
	net.Conn
	pending *gsswrap.Context // negotiated, used once the bind succeeds
	sendMax int
	ctx     atomic.Pointer[gsswrap.Context]

	rmu   sync.Mutex
	raw   []byte // read, not yet unframed
	plain []byte // unsealed, not yet returned
}

// seal turns the layer on, when one was negotiated: what is written from
// now on is sealed, and what is read once this returns is unsealed.
func (c *saslConn) seal() {
	if c.pending != nil {
		c.ctx.Store(c.pending)
	}
}

func (c *saslConn) Write(p []byte) (int, error) {
	ctx := c.ctx.Load()
	if ctx == nil {
		return c.Conn.Write(p)
	}
	if c.sendMax > 0 && len(p)+gsswrap.HeaderLen > c.sendMax {
		return 0, fmt.Errorf("an LDAP message of %d bytes is larger than the %d the directory accepts", len(p), c.sendMax)
	}
	h, d, err := ctx.Wrap(p)
	if err != nil {
		return 0, err
	}
	frame := make([]byte, 4, 4+len(h)+len(d))
	binary.BigEndian.PutUint32(frame, uint32(len(h)+len(d)))
	frame = append(append(frame, h...), d...)
	if _, err := c.Conn.Write(frame); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (c *saslConn) Read(p []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	buf := make([]byte, 32<<10)
	for {
		if len(c.plain) > 0 {
			n := copy(p, c.plain)
			c.plain = c.plain[n:]
			return n, nil
		}
		ctx := c.ctx.Load()
		if ctx == nil && len(c.raw) > 0 {
			n := copy(p, c.raw)
			c.raw = c.raw[n:]
			return n, nil
		}
		if ctx != nil && len(c.raw) >= 4 {
			size := int(binary.BigEndian.Uint32(c.raw))
			if size > maxFrame || size < gsswrap.HeaderLen {
				return 0, fmt.Errorf("a sealed LDAP frame of %d bytes", size)
			}
			if len(c.raw) >= 4+size {
				tok := c.raw[4 : 4+size]
				plain, err := ctx.Unwrap(tok[:16], tok[16:])
				c.raw = c.raw[4+size:]
				if err != nil {
					return 0, fmt.Errorf("unseal an LDAP message: %w", err)
				}
				c.plain = plain
				continue
			}
		}
		n, err := c.Conn.Read(buf)
		c.raw = append(c.raw, buf[:n]...)
		if err != nil && n == 0 {
			return 0, err
		}
	}
}

// unrotate undoes the right rotation (RRC) a sender may apply to a wrap
// token's payload and checksum (RFC 4121 section 4.2.5), which gokrb5's
// WrapToken does not: Samba's DC sends its layer offer rotated.
func unrotate(tok []byte) []byte {
	if len(tok) < 16 {
		return tok
	}
	rrc := int(binary.BigEndian.Uint16(tok[6:8]))
	body := tok[16:]
	if rrc == 0 || len(body) == 0 {
		return tok
	}
	rrc %= len(body)
	out := make([]byte, 0, len(tok))
	out = append(out, tok[:16]...)
	out[6], out[7] = 0, 0
	out = append(out, body[rrc:]...)
	return append(out, body[:rrc]...)
}
