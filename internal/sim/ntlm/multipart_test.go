package ntlm

import (
	"errors"
	"strings"
	"testing"
)

// TestSealMessageLayout checks SealMessage byte for byte against the layout
// in winrm-wire.md 2.3, with the signature and sealed bytes taken from an
// identical session's Seal.
func TestSealMessageLayout(t *testing.T) {
	_, _, sess, err := bodgitHandshake(t, testServer(), "administrator", "", testUsers["administrator"], 0)
	if err != nil {
		t.Fatal(err)
	}
	twin := cloneSession(sess)
	plain := []byte(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"/>`)
	sig, sealed := twin.Seal(plain)

	want := "--Encrypted Boundary\r\n" +
		"\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n" +
		"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=63\r\n" +
		"--Encrypted Boundary\r\n" +
		"\tContent-Type: application/octet-stream\r\n" +
		"\x10\x00\x00\x00" + string(sig) + string(sealed) +
		"--Encrypted Boundary--\r\n"
	if got := sess.SealMessage(plain); string(got) != want {
		t.Errorf("SealMessage =\n%q\nwant\n%q", got, want)
	}
	if EncryptedContentType != `multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"` {
		t.Errorf("EncryptedContentType = %s", EncryptedContentType)
	}
}

func TestOpenMessageErrors(t *testing.T) {
	c, _, sess, err := bodgitHandshake(t, testServer(), "administrator", "", testUsers["administrator"], 0)
	if err != nil {
		t.Fatal(err)
	}
	good := string(clientFrame(t, c.SecuritySession(), soap("request", 0)))
	const head = "--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n" +
		"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=10\r\n" +
		"--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n"
	for _, tc := range []struct{ name, body, want string }{
		{"empty", "", "does not start with"},
		{"plain SOAP", "<s:Envelope/>", "does not start with"},
		{"one boundary", "--Encrypted Boundary\r\n\tContent-Type: x\r\n", "no second boundary"},
		// masterzen's Encryption sends this when its context was swapped by another goroutine.
		{"no sealed data", head + "--Encrypted Boundary--\r\n", "too short for a signature"},
		{"no closing boundary", head + strings.Repeat("x", 30), "does not end with"},
		{"wrong protocol", strings.Replace(good, "SPNEGO", "CredSSP", 1), "Content-Type \"application/HTTP-CredSSP-session-encrypted\""},
		{"no Length", strings.Replace(good, "Length=", "Size=", 1), "no OriginalContent Length"},
		{"bad Length", strings.Replace(good, "Length=", "Length=-", 1), "is not a size"},
		{"huge Length", strings.Replace(good, "Length=", "Length=99999999999999999999", 1), "is not a size"},
		{"wrong Length", strings.Replace(good, "Length=", "Length=1", 1), "declares Length=1"},
		{"no part header", strings.Replace(good, "\tContent-Type: application/octet-stream\r\n", "", 1), "want the line"},
		{"signature length", strings.Replace(good, "stream\r\n\x10", "stream\r\n\x11", 1), "signature length 17"},
		{"garbage header line", strings.Replace(good, "\tOriginal", "\tjunk\r\n\tOriginal", 1), "is not \"Name: value\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cloneSession(sess).OpenMessage([]byte(tc.body))
			if !errors.Is(err, ErrBadMessage) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrBadMessage mentioning %q", err, tc.want)
			}
		})
	}
	// Variants real clients could send that must still open.
	for _, tc := range []struct{ name, body string }{
		{"as sent", good},
		{"no final CRLF", strings.TrimSuffix(good, "\r\n")},
		{"header case and spaces", strings.Replace(good, "\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=",
			"  originalcontent:type=application/soap+xml; charset=utf-8; length=", 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := cloneSession(sess).OpenMessage([]byte(tc.body)); err != nil {
				t.Errorf("OpenMessage: %v", err)
			}
		})
	}
}
