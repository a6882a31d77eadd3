package ntlm

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func soap(dir string, i int) []byte {
	return fmt.Appendf(nil, `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>%s message %d %s</s:Body></s:Envelope>`,
		dir, i, strings.Repeat("é", i*37))
}

// TestBodgitSealing runs messages both ways between bodgit/ntlmssp's
// SecuritySession and a Session, in runs of several per direction, over each
// key strength and with and without key exchange, so that RC4 state and
// sequence numbers have to carry across messages.
func TestBodgitSealing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags uint32 // NEGOTIATE flags shown to the server; 0 = bodgit's own
	}{
		{"bodgit default (128-bit, KEY_EXCH)", 0},
		{"56-bit", 0xe0888031 &^ flag128},
		{"40-bit", 0xe0888031 &^ (flag128 | flag56)},
		{"no KEY_EXCH", 0xe0888031 &^ flagKeyExch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, sess, err := bodgitHandshake(t, testServer(), "alice", "SIM", testUsers["alice"], tc.flags)
			if err != nil {
				t.Fatal(err)
			}
			ss := c.SecuritySession()
			in, out := 0, 0
			toServer := func(framed bool) {
				t.Helper()
				msg := soap("request", in)
				in++
				var got []byte
				if framed {
					got, err = sess.OpenMessage(clientFrame(t, ss, msg))
				} else {
					sealed, sig, werr := ss.Wrap(msg)
					if werr != nil {
						t.Fatal(werr)
					}
					got, err = sess.Unseal(sig, sealed)
				}
				if err != nil {
					t.Fatalf("request %d: %v", in-1, err)
				}
				if !bytes.Equal(got, msg) {
					t.Fatalf("request %d: got %q", in-1, got)
				}
			}
			toClient := func(framed bool) {
				t.Helper()
				msg := soap("reply", out)
				out++
				var got []byte
				if framed {
					got, err = clientOpen(ss, sess.SealMessage(msg))
				} else {
					sig, sealed := sess.Seal(msg)
					got, err = ss.Unwrap(sealed, sig)
				}
				if err != nil {
					t.Fatalf("reply %d: client: %v", out-1, err)
				}
				if !bytes.Equal(got, msg) {
					t.Fatalf("reply %d: client got %q", out-1, got)
				}
			}
			toServer(true)
			toClient(true)
			toServer(true)
			toServer(false)
			toServer(true)
			toClient(false)
			toClient(true)
			toClient(true)
			for i := range 5 {
				toServer(i%2 == 0)
				toClient(i%2 == 1)
			}
		})
	}
}

func TestUnsealRejectsTampering(t *testing.T) {
	c, _, sess, err := bodgitHandshake(t, testServer(), "administrator", "", testUsers["administrator"], 0)
	if err != nil {
		t.Fatal(err)
	}
	ss := c.SecuritySession()
	msg := soap("request", 0)
	sealed, sig, _ := ss.Wrap(msg)

	for _, tc := range []struct {
		name        string
		sig, sealed func() []byte
		want        string
	}{
		{"checksum", func() []byte { s := bytes.Clone(sig); s[5] ^= 1; return s }, func() []byte { return sealed }, "does not verify"},
		{"version", func() []byte { s := bytes.Clone(sig); s[0] = 2; return s }, func() []byte { return sealed }, "does not verify"},
		{"sequence", func() []byte { s := bytes.Clone(sig); s[12] = 1; return s }, func() []byte { return sealed }, "sequence number 1, want 0"},
		{"body", func() []byte { return sig }, func() []byte { b := bytes.Clone(sealed); b[10] ^= 0x80; return b }, "does not verify"},
		{"short signature", func() []byte { return sig[:15] }, func() []byte { return sealed }, "signature is 15 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sess.Unseal(tc.sig(), tc.sealed())
			if !errors.Is(err, ErrBadMessage) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrBadMessage mentioning %q", err, tc.want)
			}
		})
	}
	// None of the failures above may have consumed RC4 state or a sequence
	// number: the genuine message still opens, and so does the next one.
	got, err := sess.Unseal(sig, sealed)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("genuine message after failures: %q, %v", got, err)
	}
	if _, err := sess.Unseal(sig, sealed); !errors.Is(err, ErrBadMessage) {
		t.Errorf("replayed message: err = %v, want ErrBadMessage", err)
	}
	if _, err := sess.OpenMessage(clientFrame(t, ss, soap("request", 1))); err != nil {
		t.Errorf("message after the replay: %v", err)
	}
}

func TestSealPanicsWithoutSealing(t *testing.T) {
	sess := newSession("u", "", "", flagSign|flagESS, make([]byte, 16))
	defer func() {
		if recover() == nil {
			t.Error("Seal on a session without SEAL did not panic")
		}
	}()
	sess.Seal([]byte("x"))
}
