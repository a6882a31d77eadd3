package ntlm

// NTLM2 session security, connection-oriented (MS-NLMP 3.4): one RC4 stream
// and one sequence number per direction, both running on across messages for
// the life of the connection.

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rc4"
	"encoding/binary"
)

const signatureLen = 16

// Session is an established NTLM security context: the authenticated user
// and, when sealing was negotiated, the keys and stream state of both
// directions. It is not safe for concurrent use; requests on one HTTP/1.1
// connection are serial anyway. Messages must be opened and sealed in the
// order they travel, since each one advances its direction's state.
type Session struct {
	// User, Domain and Workstation are the names from the AUTHENTICATE
	// message, as the client sent them.
	User, Domain, Workstation string

	flags                    uint32
	sendSignKey, recvSignKey []byte
	sendCipher, recvCipher   *rc4.Cipher // nil when the session cannot seal
	sendSeq, recvSeq         uint32
}

var (
	clientSigning = []byte("session key to client-to-server signing key magic constant\x00")
	serverSigning = []byte("session key to server-to-client signing key magic constant\x00")
	clientSealing = []byte("session key to client-to-server sealing key magic constant\x00")
	serverSealing = []byte("session key to server-to-client sealing key magic constant\x00")
)

// newSession derives the server's keys from the ExportedSessionKey. flags are
// the AUTHENTICATE message's: that is what the client uses for its side.
func newSession(user, domain, workstation string, flags uint32, exportedKey []byte) *Session {
	s := &Session{User: user, Domain: domain, Workstation: workstation, flags: flags}
	if flags&flagSeal == 0 || flags&flagESS == 0 {
		return s
	}
	sealKey := func(constant []byte) []byte {
		k := exportedKey
		switch {
		case flags&flag128 != 0:
		case flags&flag56 != 0:
			k = k[:7]
		default:
			k = k[:5]
		}
		return md5Sum(k, constant)
	}
	s.sendSignKey = md5Sum(exportedKey, serverSigning)
	s.recvSignKey = md5Sum(exportedKey, clientSigning)
	s.sendCipher, _ = rc4.NewCipher(sealKey(serverSealing)) // MD5 output is a valid key
	s.recvCipher, _ = rc4.NewCipher(sealKey(clientSealing))
	return s
}

func md5Sum(a, b []byte) []byte {
	h := md5.New()
	h.Write(a)
	h.Write(b)
	return h.Sum(nil)
}

// CanSeal reports whether the client negotiated sealing (SEAL with extended
// session security), so that [Session.Seal], [Session.Unseal] and the
// multipart helpers work. Azure/go-ntlmssp never negotiates it; such a
// session only proves who the user is, and its connection carries plain
// bodies (AllowUnencrypted=true on a real host).
func (s *Session) CanSeal() bool {
	return s.sendCipher != nil
}

// Seal encrypts a server-to-client message and returns its 16-byte signature
// and the sealed bytes. It panics if [Session.CanSeal] is false: replying
// encrypted on a session that cannot seal is a bug in the caller.
func (s *Session) Seal(plain []byte) (signature, sealed []byte) {
	if !s.CanSeal() {
		panic("ntlm: Seal on a session that did not negotiate sealing")
	}
	sealed = make([]byte, len(plain))
	s.sendCipher.XORKeyStream(sealed, plain)
	signature = s.signature(s.sendSignKey, s.sendCipher, s.sendSeq, plain)
	s.sendSeq++
	return signature, sealed
}

// Unseal decrypts a client-to-server message and verifies its signature,
// including the sequence number. Errors wrap [ErrBadMessage]. A message that
// fails leaves the session as it was, so one forged or misrouted message
// (masterzen's Encryption transport mixes up contexts across goroutines) does
// not desynchronise the connection.
func (s *Session) Unseal(signature, sealed []byte) ([]byte, error) {
	if !s.CanSeal() {
		return nil, badf("sealed message on a session that did not negotiate sealing")
	}
	if len(signature) != signatureLen {
		return nil, badf("signature is %d bytes, want %d", len(signature), signatureLen)
	}
	if seq := binary.LittleEndian.Uint32(signature[12:]); seq != s.recvSeq {
		return nil, badf("signature has sequence number %d, want %d", seq, s.recvSeq)
	}
	saved := *s.recvCipher
	plain := make([]byte, len(sealed))
	s.recvCipher.XORKeyStream(plain, sealed)
	if !hmac.Equal(signature, s.signature(s.recvSignKey, s.recvCipher, s.recvSeq, plain)) {
		*s.recvCipher = saved
		return nil, badf("signature of message %d does not verify", s.recvSeq)
	}
	s.recvSeq++
	return plain, nil
}

// signature computes an NTLM2 message signature: version 1, the first 8 bytes
// of HMAC_MD5(signKey, seq || message) and seq. With KEY_EXCH the checksum is
// also encrypted, with the same RC4 stream that just sealed the message.
func (s *Session) signature(signKey []byte, c *rc4.Cipher, seq uint32, msg []byte) []byte {
	sig := make([]byte, signatureLen)
	binary.LittleEndian.PutUint32(sig, 1)
	binary.LittleEndian.PutUint32(sig[12:], seq)
	sum := hmacMD5(signKey, sig[12:], msg)[:8]
	if s.flags&flagKeyExch != 0 {
		c.XORKeyStream(sum, sum)
	}
	copy(sig[4:12], sum)
	return sig
}
