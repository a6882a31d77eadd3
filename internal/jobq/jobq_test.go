package jobq

import (
	"strings"
	"testing"
	"time"
)

func TestRedactAndCheck(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"nats://127.0.0.1:4222", "nats://127.0.0.1:4222", ""},
		{"nats://fleet:s3cret@nats.example:4222", "nats://nats.example:4222", ""},
		{"tls://tok3n@a:1,nats://u:s3cret@b:2", "tls://a:1,nats://b:2", ""},
		{"http://u:s3cret@nats:4222", "http://nats:4222", "scheme"},
		{"nats://", "nats://", "no host"},
		{"", "", "empty"},
		{"::not a url s3cret@", "(a URL with user information)", "not a URL"},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
		err := CheckURL(tc.in)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("CheckURL(%q): %v", tc.in, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("CheckURL(%q): %v, want %q", tc.in, err, tc.err)
		}
		if err != nil && (strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "tok3n")) {
			t.Errorf("CheckURL(%q) shows the credential: %v", tc.in, err)
		}
	}
}

// TestConnectFailsInTime: nothing listens; the error comes within the
// connect timeout and without the URL's password.
func TestConnectFailsInTime(t *testing.T) {
	start := time.Now()
	_, err := Connect(Options{URL: "nats://fleet:s3cret@127.0.0.1:1", ConnectTimeout: 2 * time.Second})
	if err == nil {
		t.Fatal("connected to nothing")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("the error shows the password: %v", err)
	}
	if !strings.Contains(err.Error(), "nats://127.0.0.1:1") {
		t.Errorf("the error does not name the server: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
}
