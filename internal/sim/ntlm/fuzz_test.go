package ntlm

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	azure "github.com/Azure/go-ntlmssp"
	"github.com/bodgit/ntlmssp"
)

// The fuzz targets are seeded with messages the real clients produce in this
// process. Server.Rand and Now are fixed, so every handshake issues the same
// CHALLENGE and seeded AUTHENTICATE messages verify, taking the fuzzer past
// the parser into verification and key derivation.

func FuzzChallenge(f *testing.F) {
	c, _ := ntlmssp.NewClient(ntlmssp.SetUserInfo("alice", "x"), ntlmssp.SetDomain("SIM"), ntlmssp.SetWorkstation("WS"))
	neg, _ := c.Authenticate(nil, nil)
	f.Add(neg)
	neg, _ = azure.NewNegotiateMessage("SIM", "WS")
	f.Add(neg)
	f.Add(negotiateWith(0xe2889032))
	f.Add([]byte{0x60, 0x82})
	f.Fuzz(func(t *testing.T, data []byte) {
		chal, err := testServer().NewHandshake().Challenge(data)
		if err != nil {
			if !errors.Is(err, ErrBadMessage) {
				t.Fatalf("error does not wrap ErrBadMessage: %v", err)
			}
			return
		}
		want := binary.LittleEndian.Uint32(data[12:])&mirroredFlags | challengeFlags
		if got := challengeFlagsOf(t, chal); got != want || got&0x80 != 0 {
			t.Fatalf("CHALLENGE flags %#08x, want %#08x", got, want)
		}
	})
}

// FuzzAuthenticate's keyExch picks the NEGOTIATE shown to the server first:
// bodgit's, which asks for KEY_EXCH, or one without it for Azure/go-ntlmssp,
// which refuses a CHALLENGE that grants it.
func FuzzAuthenticate(f *testing.F) {
	negotiate := func(keyExch bool) []byte {
		if keyExch {
			return negotiateWith(0xe0888031)
		}
		return negotiateWith(0xe0888031 &^ flagKeyExch)
	}
	for _, user := range []struct{ name, domain string }{{"administrator", ""}, {"Alice", "SIM"}} {
		_, auth, _, err := bodgitHandshake(f, testServer(), user.name, user.domain, testUsers[strings.ToLower(user.name)], 0xe0888031)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(true, auth)
	}
	chal, _ := testServer().NewHandshake().Challenge(negotiate(false))
	auth, err := azure.NewAuthenticateMessage(chal, `SIM\alice`, testUsers["alice"], nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(false, auth)
	f.Add(false, handAuthenticate(f, chal, 0xe28a8230&^flagKeyExch, "Jörg", "SIM", "hunter2"))
	f.Fuzz(func(t *testing.T, keyExch bool, data []byte) {
		h := testServer().NewHandshake()
		if _, err := h.Challenge(negotiate(keyExch)); err != nil {
			t.Fatal(err)
		}
		sess, err := h.Authenticate(data)
		if err != nil {
			if !errors.Is(err, ErrBadMessage) && !errors.Is(err, ErrAuthFailed) {
				t.Fatalf("error wraps neither sentinel: %v", err)
			}
			return
		}
		if sess.CanSeal() {
			// Exercise the derived keys too.
			if _, err := sess.Unseal(sess.Seal([]byte("x"))); !errors.Is(err, ErrBadMessage) {
				t.Fatalf("a server message opened as a client message: %v", err)
			}
		}
	})
}

func FuzzOpenMessage(f *testing.F) {
	c, _, sess, err := bodgitHandshake(f, testServer(), "administrator", "", testUsers["administrator"], 0)
	if err != nil {
		f.Fatal(err)
	}
	ss := c.SecuritySession()
	// Each iteration starts from this session's state, so only the first
	// client message opens; later ones still seed the parser.
	f.Add(clientFrame(f, ss, soap("request", 0)))
	f.Add(clientFrame(f, ss, soap("request", 1)))
	f.Add([]byte("--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n" +
		"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=10\r\n" +
		"--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n--Encrypted Boundary--\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := cloneSession(sess).OpenMessage(data)
		if err != nil && !errors.Is(err, ErrBadMessage) {
			t.Fatalf("error does not wrap ErrBadMessage: %v", err)
		}
	})
}
