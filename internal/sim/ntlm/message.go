package ntlm

// Wire layout of the three NTLMSSP messages (MS-NLMP 2.2.1). All integers are
// little-endian; variable-length data is described by 8-byte fields
// (Len uint16, MaxLen uint16, Offset uint32) pointing into the message.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"
	"unicode/utf16"

	"golang.org/x/text/encoding/charmap"
)

// Negotiate flags (MS-NLMP 2.2.2.5) this package reads or writes.
const (
	flagUnicode          uint32 = 0x00000001
	flagRequestTarget    uint32 = 0x00000004
	flagSign             uint32 = 0x00000010
	flagSeal             uint32 = 0x00000020
	flagNTLM             uint32 = 0x00000200
	flagAlwaysSign       uint32 = 0x00008000
	flagTargetTypeServer uint32 = 0x00020000
	flagESS              uint32 = 0x00080000 // extended session security
	flagTargetInfo       uint32 = 0x00800000
	flagVersion          uint32 = 0x02000000
	flag128              uint32 = 0x20000000
	flagKeyExch          uint32 = 0x40000000
	flag56               uint32 = 0x80000000
)

// mirroredFlags are echoed in the CHALLENGE only when the NEGOTIATE asked for
// them, as Windows does. LM_KEY is never echoed (it selects NTLMv1 session keys)
// and neither is KEY_EXCH unless requested: Azure/go-ntlmssp aborts on a
// CHALLENGE carrying either. DATAGRAM is dropped because connectionless mode is
// not implemented.
const mirroredFlags = flagSign | flagSeal | flagAlwaysSign | flagESS | flag128 | flag56 |
	flagKeyExch | flagVersion | flagRequestTarget

// challengeFlags are set in every CHALLENGE. UNICODE is set even for clients
// that offered only OEM (ntlm-auth), which then answer in UTF-16.
const challengeFlags = flagUnicode | flagNTLM | flagTargetInfo | flagTargetTypeServer

const (
	msgNegotiate    = 1
	msgChallenge    = 2
	msgAuthenticate = 3

	negotiateFixedLen    = 16 // Signature, MessageType, NegotiateFlags; the rest is optional and unused
	challengeFixedLen    = 56 // including the 8-byte Version
	authenticateFixedLen = 64 // up to NegotiateFlags; Version and MIC follow only sometimes and are not needed
)

var ntlmsspSignature = []byte("NTLMSSP\x00")

// serverVersion is the Version field of every CHALLENGE: Windows Server 2019
// (10.0 build 17763), NTLM revision 15.
var serverVersion = [8]byte{10, 0, 0x63, 0x45, 0, 0, 0, 15}

// checkHeader validates the signature and message type every message starts with.
func checkHeader(msg []byte, want uint32, name string, fixed int) error {
	if len(msg) > 0 && msg[0] == 0x60 {
		// An ASN.1 application tag: a real SPNEGO token from a Windows
		// client, which no supported client sends.
		return badf("%s token is SPNEGO-wrapped; only raw NTLMSSP is supported", name)
	}
	if len(msg) >= 12 {
		if !bytes.Equal(msg[:8], ntlmsspSignature) {
			return badf("%s message: bytes 0-7 are %q, not the NTLMSSP signature", name, msg[:8])
		}
		if t := binary.LittleEndian.Uint32(msg[8:]); t != want {
			return badf("%s message: MessageType at offset 8 is %d, want %d", name, t, want)
		}
	}
	if len(msg) < fixed {
		return badf("%s message is %d bytes, shorter than its %d-byte fixed part", name, len(msg), fixed)
	}
	return nil
}

// parseNegotiate returns the flags of a NEGOTIATE message. Its domain and
// workstation fields are ignored: Windows does not use them either.
func parseNegotiate(msg []byte) (uint32, error) {
	if err := checkHeader(msg, msgNegotiate, "NEGOTIATE", negotiateFixedLen); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(msg[12:]), nil
}

// authenticateMessage holds the parts of an AUTHENTICATE message the server uses.
type authenticateMessage struct {
	flags                     uint32
	ntResponse                []byte
	user, domain, workstation string
	encryptedRandomSessionKey []byte
}

// authenticateFields names the AUTHENTICATE message's variable fields in wire order, from offset 12.
var authenticateFields = [...]string{"LmChallengeResponse", "NtChallengeResponse", "DomainName",
	"UserName", "Workstation", "EncryptedRandomSessionKey"}

func parseAuthenticate(msg []byte) (*authenticateMessage, error) {
	if err := checkHeader(msg, msgAuthenticate, "AUTHENTICATE", authenticateFixedLen); err != nil {
		return nil, err
	}
	a := &authenticateMessage{flags: binary.LittleEndian.Uint32(msg[60:])}
	var raw [len(authenticateFields)][]byte
	for i, name := range authenticateFields {
		at := 12 + 8*i
		n := uint64(binary.LittleEndian.Uint16(msg[at:]))
		off := uint64(binary.LittleEndian.Uint32(msg[at+4:]))
		if off+n > uint64(len(msg)) {
			return nil, badf("AUTHENTICATE %s field at offset %d points at bytes %d-%d, past the end of the %d-byte message",
				name, at, off, off+n, len(msg))
		}
		raw[i] = msg[off : off+n]
	}
	a.ntResponse, a.encryptedRandomSessionKey = raw[1], raw[5]
	unicode := a.flags&flagUnicode != 0
	for _, f := range []struct {
		i   int
		dst *string
	}{{2, &a.domain}, {3, &a.user}, {4, &a.workstation}} {
		var err error
		if *f.dst, err = decodeString(raw[f.i], unicode); err != nil {
			return nil, badf("AUTHENTICATE %s field at offset %d: %v", authenticateFields[f.i], 12+8*f.i, err)
		}
	}
	if a.flags&flagKeyExch != 0 && len(a.encryptedRandomSessionKey) != 16 {
		return nil, badf("AUTHENTICATE has KEY_EXCH but its EncryptedRandomSessionKey (field at offset 52) is %d bytes, want 16",
			len(a.encryptedRandomSessionKey))
	}
	return a, nil
}

// decodeString decodes a name from an AUTHENTICATE message: UTF-16LE when
// UNICODE was negotiated, otherwise the client's OEM code page, taken to be
// 437 as on an en-US Windows client.
func decodeString(b []byte, unicode bool) (string, error) {
	if !unicode {
		s, err := charmap.CodePage437.NewDecoder().Bytes(b)
		return string(s), err
	}
	if len(b)%2 != 0 {
		return "", fmt.Errorf("UTF-16 string has odd length %d", len(b))
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u)), nil
}

func utf16le(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

// targetInfo builds the AV pairs in the order Windows sends them.
func (s *Server) targetInfo(now time.Time) []byte {
	var b []byte
	pair := func(id uint16, v []byte) {
		b = binary.LittleEndian.AppendUint16(b, id)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(v)))
		b = append(b, v...)
	}
	pair(2, utf16le(s.NbDomainName))
	pair(1, utf16le(s.NbComputerName))
	pair(4, utf16le(s.DnsDomainName))
	pair(3, utf16le(s.DnsComputerName))
	pair(7, binary.LittleEndian.AppendUint64(nil, filetime(now)))
	pair(0, nil)
	return b
}

// filetime converts t to 100-nanosecond intervals since 1601-01-01 UTC.
func filetime(t time.Time) uint64 {
	return uint64(t.UnixNano()/100) + 116444736000000000
}

// buildChallenge lays out a CHALLENGE message: fixed part, Version, then
// TargetName and TargetInfo.
func buildChallenge(flags uint32, serverChallenge [8]byte, targetName, targetInfo []byte) []byte {
	msg := make([]byte, challengeFixedLen, challengeFixedLen+len(targetName)+len(targetInfo))
	copy(msg, ntlmsspSignature)
	binary.LittleEndian.PutUint32(msg[8:], msgChallenge)
	putField(msg[12:], len(targetName), challengeFixedLen)
	binary.LittleEndian.PutUint32(msg[20:], flags)
	copy(msg[24:32], serverChallenge[:])
	putField(msg[40:], len(targetInfo), challengeFixedLen+len(targetName))
	copy(msg[48:56], serverVersion[:])
	msg = append(msg, targetName...)
	return append(msg, targetInfo...)
}

func putField(b []byte, n, off int) {
	binary.LittleEndian.PutUint16(b, uint16(n))
	binary.LittleEndian.PutUint16(b[2:], uint16(n))
	binary.LittleEndian.PutUint32(b[4:], uint32(off))
}
