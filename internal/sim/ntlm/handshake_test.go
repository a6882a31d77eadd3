package ntlm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	azure "github.com/Azure/go-ntlmssp"
	"github.com/bodgit/ntlmssp"
)

func challengeFlagsOf(t *testing.T, chal []byte) uint32 {
	t.Helper()
	if len(chal) < challengeFixedLen {
		t.Fatalf("CHALLENGE is %d bytes", len(chal))
	}
	return binary.LittleEndian.Uint32(chal[20:])
}

func TestChallengeFlagsMirrorNegotiate(t *testing.T) {
	for _, tc := range []struct {
		name            string
		negotiate, want uint32
	}{
		// The NEGOTIATE flags captured from each client (winrm-wire.md 2.2);
		// each want equals the AUTHENTICATE flags captured from the client
		// talking to a host that mirrors them.
		{"Azure/go-ntlmssp 754e693", 0xa0880001, 0xa08a0201},
		{"bodgit/ntlmssp", 0xe0888031, 0xe08a8231},
		{"ntlm-auth OEM", 0xe2889032, 0xe28a8231},
		// LM_KEY, DATAGRAM, IDENTIFY and the rest are never echoed.
		{"everything", 0xffffffff, mirroredFlags | challengeFlags},
		{"nothing", 0, challengeFlags},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chal, err := testServer().NewHandshake().Challenge(negotiateWith(tc.negotiate))
			if err != nil {
				t.Fatal(err)
			}
			if got := challengeFlagsOf(t, chal); got != tc.want {
				t.Errorf("CHALLENGE flags = %#08x, want %#08x", got, tc.want)
			}
		})
	}
}

// Azure/go-ntlmssp refuses a CHALLENGE with KEY_EXCH or LM_KEY, so the flags
// it gets back must carry neither, while bodgit, which asks for KEY_EXCH,
// must get it.
func TestChallengeKeyExchangeOnlyWhenRequested(t *testing.T) {
	neg, err := azure.NewNegotiateMessage("", "")
	if err != nil {
		t.Fatal(err)
	}
	chal, err := testServer().NewHandshake().Challenge(neg)
	if err != nil {
		t.Fatal(err)
	}
	if f := challengeFlagsOf(t, chal); f&(flagKeyExch|0x80) != 0 {
		t.Errorf("CHALLENGE for Azure/go-ntlmssp has flags %#08x, with KEY_EXCH or LM_KEY", f)
	}

	c, _ := ntlmssp.NewClient(ntlmssp.SetUserInfo("alice", "x"))
	neg, _ = c.Authenticate(nil, nil)
	chal, err = testServer().NewHandshake().Challenge(neg)
	if err != nil {
		t.Fatal(err)
	}
	if f := challengeFlagsOf(t, chal); f&flagKeyExch == 0 {
		t.Errorf("CHALLENGE for bodgit/ntlmssp has flags %#08x, without KEY_EXCH", f)
	}
}

func TestChallengeLayout(t *testing.T) {
	chal, err := testServer().NewHandshake().Challenge(negotiateWith(0xe2889032))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(chal[:12], []byte("NTLMSSP\x00\x02\x00\x00\x00")) {
		t.Errorf("header = % x", chal[:12])
	}
	field := func(at int) []byte {
		n, off := binary.LittleEndian.Uint16(chal[at:]), binary.LittleEndian.Uint32(chal[at+4:])
		return chal[off : off+uint32(n)]
	}
	if got := field(12); !bytes.Equal(got, utf16le("WEB01")) {
		t.Errorf("TargetName = %q", got)
	}
	if got := chal[24:32]; !bytes.Equal(got, []byte{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88}) {
		t.Errorf("ServerChallenge = % x, want the bytes from Server.Rand", got)
	}
	if got := chal[48:56]; !bytes.Equal(got, serverVersion[:]) {
		t.Errorf("Version = % x", got)
	}
	var ti []byte
	for _, p := range []struct {
		id uint16
		v  []byte
	}{
		{2, utf16le("SIM")}, {1, utf16le("WEB01")}, {4, utf16le("sim.example")}, {3, utf16le("web01.sim.example")},
		{7, binary.LittleEndian.AppendUint64(nil, 133594528890000000)}, // 2024-05-06T07:08:09Z as FILETIME
		{0, nil},
	} {
		ti = binary.LittleEndian.AppendUint16(ti, p.id)
		ti = binary.LittleEndian.AppendUint16(ti, uint16(len(p.v)))
		ti = append(ti, p.v...)
	}
	if got := field(40); !bytes.Equal(got, ti) {
		t.Errorf("TargetInfo =\n% x\nwant\n% x", got, ti)
	}
}

func TestBodgitHandshake(t *testing.T) {
	for _, tc := range []struct{ user, domain string }{
		{"Administrator", ""}, // bodgit and masterzen send "" for a bare user name
		{"ALICE", "SIM"},      // and the part before the backslash otherwise
		{"alice", "sim.example"},
	} {
		t.Run(tc.user+"@"+tc.domain, func(t *testing.T) {
			c, _, sess, err := bodgitHandshake(t, testServer(), tc.user, tc.domain, testUsers[strings.ToLower(tc.user)], 0)
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if sess.User != tc.user || sess.Domain != tc.domain {
				t.Errorf("session is %q\\%q, want %q\\%q", sess.Domain, sess.User, tc.domain, tc.user)
			}
			if !sess.CanSeal() || c.SecuritySession() == nil {
				t.Fatal("bodgit session cannot seal")
			}
			if sess.flags != 0xe08a8231 {
				t.Errorf("session flags = %#08x, want bodgit's captured 0xe08a8231", sess.flags)
			}
		})
	}
}

func TestAzureHandshake(t *testing.T) {
	for _, user := range []string{"alice", `SIM\alice`, "alice@sim.example", "ADMINISTRATOR"} {
		t.Run(user, func(t *testing.T) {
			h := testServer().NewHandshake()
			neg, err := azure.NewNegotiateMessage("", "")
			if err != nil {
				t.Fatal(err)
			}
			chal, err := h.Challenge(neg)
			if err != nil {
				t.Fatal(err)
			}
			name := user
			if _, after, ok := strings.Cut(user, `\`); ok {
				name = after
			}
			name, _, _ = strings.Cut(name, "@")
			auth, err := azure.NewAuthenticateMessage(chal, user, testUsers[strings.ToLower(name)], nil)
			if err != nil {
				t.Fatalf("Azure/go-ntlmssp rejected the CHALLENGE: %v", err)
			}
			sess, err := h.Authenticate(auth)
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if sess.CanSeal() {
				t.Error("Azure/go-ntlmssp session claims it can seal")
			}
			if _, err := sess.Unseal(make([]byte, 16), []byte("x")); !errors.Is(err, ErrBadMessage) {
				t.Errorf("Unseal on a non-sealing session: %v, want ErrBadMessage", err)
			}
		})
	}
}

func TestAuthenticateRejects(t *testing.T) {
	const secret = "Passw0rd!"
	check := func(t *testing.T, err, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Fatalf("err = %v, want %v", err, want)
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "wrong-pw") {
			t.Errorf("error %q contains a password", err)
		}
	}
	t.Run("bodgit wrong password", func(t *testing.T) {
		_, _, _, err := bodgitHandshake(t, testServer(), "administrator", "", "wrong-pw", 0)
		check(t, err, ErrAuthFailed)
	})
	t.Run("domain other than hashed", func(t *testing.T) {
		// The domain is part of the hash: a client that hashed with another
		// domain than it sent must fail.
		srv := testServer()
		h := srv.NewHandshake()
		chal, _ := h.Challenge(negotiateWith(0xe0888031))
		auth := handAuthenticate(t, chal, 0xe08a8231&^flagKeyExch, "administrator", "SIM", secret)
		binary.LittleEndian.PutUint16(auth[28:], 0) // send an empty DomainName instead
		_, err := h.Authenticate(auth)
		check(t, err, ErrAuthFailed)
	})
	t.Run("bodgit unknown user", func(t *testing.T) {
		_, _, _, err := bodgitHandshake(t, testServer(), "mallory", "", secret, 0)
		check(t, err, ErrAuthFailed)
	})
	t.Run("nil Lookup", func(t *testing.T) {
		srv := testServer()
		srv.Lookup = nil
		_, _, _, err := bodgitHandshake(t, srv, "administrator", "", secret, 0)
		check(t, err, ErrAuthFailed)
	})
	t.Run("Azure wrong password", func(t *testing.T) {
		h := testServer().NewHandshake()
		neg, _ := azure.NewNegotiateMessage("", "")
		chal, _ := h.Challenge(neg)
		auth, err := azure.NewAuthenticateMessage(chal, "administrator", "wrong-pw", nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = h.Authenticate(auth)
		check(t, err, ErrAuthFailed)
	})
	t.Run("NTLMv1", func(t *testing.T) {
		c, _ := ntlmssp.NewClient(ntlmssp.SetUserInfo("administrator", secret), ntlmssp.SetCompatibilityLevel(2))
		neg, _ := c.Authenticate(nil, nil)
		h := testServer().NewHandshake()
		chal, _ := h.Challenge(neg)
		auth, err := c.Authenticate(chal, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = h.Authenticate(auth)
		check(t, err, ErrAuthFailed)
	})
	t.Run("without CHALLENGE", func(t *testing.T) {
		_, auth, _, _ := bodgitHandshake(t, testServer(), "administrator", "", secret, 0)
		_, err := testServer().NewHandshake().Authenticate(auth)
		check(t, err, ErrBadMessage)
	})
	t.Run("AUTHENTICATE replayed on its handshake", func(t *testing.T) {
		srv := testServer()
		c, _ := ntlmssp.NewClient(ntlmssp.SetUserInfo("administrator", secret))
		neg, _ := c.Authenticate(nil, nil)
		h := srv.NewHandshake()
		chal, _ := h.Challenge(neg)
		auth, _ := c.Authenticate(chal, nil)
		if _, err := h.Authenticate(auth); err != nil {
			t.Fatal(err)
		}
		_, err := h.Authenticate(auth)
		check(t, err, ErrBadMessage)
	})
}

// ntlm-auth offers only OEM, but answers in UTF-16 because the CHALLENGE sets
// UNICODE; a client that stays with OEM must still be understood.
func TestAuthenticateOEM(t *testing.T) {
	h := testServer().NewHandshake()
	chal, err := h.Challenge(negotiateWith(0xe2889032))
	if err != nil {
		t.Fatal(err)
	}
	flags := uint32(0xe28a8230) // no UNICODE, no KEY_EXCH
	flags &^= flagKeyExch
	sess, err := h.Authenticate(handAuthenticate(t, chal, flags, "Jörg", "SIM", "hunter2"))
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if sess.User != "Jörg" || sess.Domain != "SIM" || sess.Workstation != "CLIENT" {
		t.Errorf("session names %q %q %q", sess.User, sess.Domain, sess.Workstation)
	}
}

func TestParseErrors(t *testing.T) {
	_, good, _, err := bodgitHandshake(t, testServer(), "administrator", "", "Passw0rd!", 0)
	if err != nil {
		t.Fatal(err)
	}
	mutate := func(f func(b []byte) []byte) []byte {
		return f(bytes.Clone(good))
	}
	for _, tc := range []struct {
		name, msg string
		negotiate bool
		in        []byte
	}{
		{"empty NEGOTIATE", "shorter than", true, nil},
		{"SPNEGO NEGOTIATE", "SPNEGO", true, append([]byte{0x60, 0x48, 0x06, 0x06}, make([]byte, 60)...)},
		{"NEGOTIATE signature", "NTLMSSP signature", true, []byte("NTLMSSX\x00\x01\x00\x00\x00\x01\x00\x00\x00")},
		{"NEGOTIATE type", "MessageType at offset 8 is 3", true, good},
		{"AUTHENTICATE type", "MessageType at offset 8 is 1", false, negotiateWith(1)},
		{"AUTHENTICATE truncated", "shorter than its 64-byte", false, good[:63]},
		{"UserName past end", "UserName field at offset 36", false, mutate(func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[40:], 0xfffffff0)
			return b
		})},
		{"NtChallengeResponse length past end", "NtChallengeResponse field at offset 20", false, mutate(func(b []byte) []byte {
			binary.LittleEndian.PutUint16(b[20:], 0xffff)
			return b
		})},
		{"odd UTF-16", "odd length", false, mutate(func(b []byte) []byte {
			binary.LittleEndian.PutUint16(b[36:], 1)
			return b
		})},
		{"short session key", "EncryptedRandomSessionKey", false, mutate(func(b []byte) []byte {
			binary.LittleEndian.PutUint16(b[52:], 8)
			return b
		})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := testServer().NewHandshake()
			var err error
			if tc.negotiate {
				_, err = h.Challenge(tc.in)
			} else {
				if _, err := h.Challenge(negotiateWith(0xe0888031)); err != nil {
					t.Fatal(err)
				}
				_, err = h.Authenticate(tc.in)
			}
			if !errors.Is(err, ErrBadMessage) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %v, want ErrBadMessage mentioning %q", err, tc.msg)
			}
		})
	}
}
