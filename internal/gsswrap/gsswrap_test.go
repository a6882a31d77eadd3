package gsswrap

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/types"
)

func key(t testing.TB, et int32, n int) types.EncryptionKey {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return types.EncryptionKey{KeyType: et, KeyValue: b}
}

func pair(t testing.TB, k types.EncryptionKey, subkey bool) (ini, acc *Context) {
	t.Helper()
	ini, err := New(k, true, subkey, 100)
	if err != nil {
		t.Fatal(err)
	}
	acc, err = New(k, false, subkey, 7)
	if err != nil {
		t.Fatal(err)
	}
	return ini, acc
}

// TestRoundTrip: both directions, both AES types, with and without an
// acceptor subkey; the header is 60 bytes and the data as long as the text.
func TestRoundTrip(t *testing.T) {
	for _, k := range []types.EncryptionKey{key(t, etypeID.AES256_CTS_HMAC_SHA1_96, 32), key(t, etypeID.AES128_CTS_HMAC_SHA1_96, 16)} {
		for _, subkey := range []bool{false, true} {
			ini, acc := pair(t, k, subkey)
			for _, msg := range [][]byte{[]byte("x"), bytes.Repeat([]byte("<s:Envelope/>"), 1000), make([]byte, 16), make([]byte, 17)} {
				for _, dir := range []struct{ from, to *Context }{{ini, acc}, {acc, ini}} {
					h, d, err := dir.from.Wrap(msg)
					if err != nil {
						t.Fatal(err)
					}
					if len(h) != HeaderLen || len(d) != len(msg) {
						t.Fatalf("header %d bytes (want %d), data %d bytes (want %d)", len(h), HeaderLen, len(d), len(msg))
					}
					if len(msg) > 32 && bytes.Contains(d, msg[:32]) {
						t.Fatal("the sealed data holds the plain text")
					}
					got, err := dir.to.Unwrap(h, d)
					if err != nil {
						t.Fatalf("etype %d subkey %v: %v", k.KeyType, subkey, err)
					}
					if !bytes.Equal(got, msg) {
						t.Fatal("round trip changed the message")
					}
					// The split between header and data does not matter.
					all := append(append([]byte(nil), h...), d...)
					if got, err := dir.to.Unwrap(all, nil); err != nil || !bytes.Equal(got, msg) {
						t.Fatalf("whole token: %v", err)
					}
				}
			}
		}
	}
}

// TestTokenHeader: the header fields are RFC 4121's, with the flags of the
// side that sent it and sequence numbers counting from the context's start.
func TestTokenHeader(t *testing.T) {
	ini, acc := pair(t, key(t, etypeID.AES256_CTS_HMAC_SHA1_96, 32), false)
	h1, _, _ := ini.Wrap([]byte("a"))
	h2, _, _ := ini.Wrap([]byte("b"))
	ha, _, _ := acc.Wrap([]byte("c"))
	want := []byte{0x05, 0x04, FlagSealed, 0xff, 0, 0, 0, 28, 0, 0, 0, 0, 0, 0, 0, 100}
	if !bytes.Equal(h1[:16], want) {
		t.Errorf("initiator header % x, want % x", h1[:16], want)
	}
	if h2[15] != 101 {
		t.Errorf("second sequence number %d, want 101", h2[15])
	}
	if ha[2] != FlagSealed|FlagSentByAcceptor || ha[15] != 7 {
		t.Errorf("acceptor header % x", ha[:16])
	}
}

func TestUnwrapRefuses(t *testing.T) {
	k := key(t, etypeID.AES256_CTS_HMAC_SHA1_96, 32)
	ini, acc := pair(t, k, false)
	h, d, _ := ini.Wrap([]byte("hello, host"))
	other, _ := New(key(t, etypeID.AES256_CTS_HMAC_SHA1_96, 32), false, false, 0)
	flip := func(b []byte, i int) []byte { c := append([]byte(nil), b...); c[i] ^= 1; return c }
	cases := map[string]func() ([]byte, error){
		"own token":                        func() ([]byte, error) { return ini.Unwrap(h, d) },
		"other key":                        func() ([]byte, error) { return other.Unwrap(h, d) },
		"flipped data":                     func() ([]byte, error) { return acc.Unwrap(h, flip(d, 3)) },
		"flipped ciphertext in the header": func() ([]byte, error) { return acc.Unwrap(flip(h, 40), d) },
		"flipped sequence":                 func() ([]byte, error) { return acc.Unwrap(flip(h, 15), d) },
		"not sealed":                       func() ([]byte, error) { return acc.Unwrap(flip(h, 2), d) },
		"short header":                     func() ([]byte, error) { return acc.Unwrap(h[:10], nil) },
		"short body":                       func() ([]byte, error) { return acc.Unwrap(h[:20], nil) },
		"a MIC token":                      func() ([]byte, error) { return acc.Unwrap(append([]byte{4, 4}, h[2:]...), d) },
		"huge EC":                          func() ([]byte, error) { c := append([]byte(nil), h...); c[4] = 0xff; return acc.Unwrap(c, d) },
	}
	for name, f := range cases {
		if _, err := f(); !errors.Is(err, ErrBadToken) {
			t.Errorf("%s: err %v, want ErrBadToken", name, err)
		}
	}
}

func TestOnlyAES(t *testing.T) {
	if _, err := New(key(t, etypeID.RC4_HMAC, 16), true, false, 0); !errors.Is(err, ErrUnsupportedKey) {
		t.Fatalf("RC4: %v", err)
	}
	if _, err := New(key(t, etypeID.AES256_CTS_HMAC_SHA1_96, 16), true, false, 0); err == nil {
		t.Fatal("a short AES256 key was taken")
	}
}

func FuzzUnwrap(f *testing.F) {
	k := types.EncryptionKey{KeyType: etypeID.AES256_CTS_HMAC_SHA1_96, KeyValue: bytes.Repeat([]byte{7}, 32)}
	ini, _ := New(k, true, false, 1)
	acc, _ := New(k, false, false, 1)
	h, d, _ := ini.Wrap([]byte("<s:Envelope/>"))
	f.Add(h, d)
	f.Add(h[:16], []byte{})
	f.Fuzz(func(t *testing.T, h, d []byte) {
		if len(h)+len(d) > 1<<16 {
			return
		}
		msg, err := acc.Unwrap(h, d)
		if err == nil && len(msg) > len(h)+len(d) {
			t.Fatal("opened more than it was given")
		}
	})
}

func BenchmarkWrapUnwrap64k(b *testing.B) {
	k := key(b, etypeID.AES256_CTS_HMAC_SHA1_96, 32)
	ini, acc := pair(b, k, false)
	msg := bytes.Repeat([]byte("<w:Stream>AAAA</w:Stream>"), 64<<10/25)
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		h, d, err := ini.Wrap(msg)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := acc.Unwrap(h, d); err != nil {
			b.Fatal(err)
		}
	}
}
