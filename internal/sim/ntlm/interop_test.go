package ntlm

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Debian's python3 carries ntlm-auth (python3-ntlm-auth, used by pywinrm and
// Ansible); the default python3 on PATH may be another one without it.
const debianPython = "/usr/bin/python3"

// legacyOpenSSL enables OpenSSL's legacy provider, without which Debian 12's
// hashlib has no MD4 and ntlm-auth fails with "unsupported hash type md4".
const legacyOpenSSL = `openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
default = default_sect
legacy = legacy_sect
[default_sect]
activate = 1
[legacy_sect]
activate = 1
`

// pyClient runs testdata/ntlm_auth_client.py.
type pyClient struct {
	stdin io.WriteCloser
	out   *bufio.Reader
}

func (c *pyClient) send(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(c.stdin, line+"\n"); err != nil {
		t.Fatal(err)
	}
}

func (c *pyClient) recv(t *testing.T) string {
	t.Helper()
	line, err := c.out.ReadString('\n')
	if err != nil {
		t.Fatalf("python client: %v", err)
	}
	return strings.TrimSuffix(line, "\n")
}

func (c *pyClient) recvB64(t *testing.T) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(c.recv(t))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func startPyClient(t *testing.T, user, password, domain string) *pyClient {
	t.Helper()
	if err := exec.Command(debianPython, "-c", "import ntlm_auth").Run(); err != nil {
		t.Skipf("%s has no ntlm_auth module (Debian python3-ntlm-auth): %v", debianPython, err)
	}
	cnf := filepath.Join(t.TempDir(), "openssl-legacy.cnf")
	if err := os.WriteFile(cnf, []byte(legacyOpenSSL), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	cmd := exec.CommandContext(ctx, debianPython, "testdata/ntlm_auth_client.py", user, password, domain)
	cmd.Env = append(os.Environ(), "OPENSSL_CONF="+cnf)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		if err := cmd.Wait(); err != nil || stderr.Len() > 0 {
			t.Logf("python client exit: %v\n%s", err, stderr.String())
		}
		cancel()
	})
	return &pyClient{stdin: stdin, out: bufio.NewReader(stdout)}
}

func (c *pyClient) handshake(t *testing.T, srv *Server) (*Session, error) {
	t.Helper()
	h := srv.NewHandshake()
	chal, err := h.Challenge(c.recvB64(t))
	if err != nil {
		t.Fatalf("Challenge: %v", err)
	}
	c.send(t, base64.StdEncoding.EncodeToString(chal))
	return h.Authenticate(c.recvB64(t))
}

// TestNTLMAuthInterop authenticates ntlm-auth as pywinrm uses it and runs
// pywinrm-framed messages both ways.
func TestNTLMAuthInterop(t *testing.T) {
	for _, tc := range []struct{ user, domain string }{
		{"administrator", ""}, // requests_ntlm sends "" for a bare user name
		{"alice", "SIM"},      // and the upper-cased domain of "sim\alice"
	} {
		t.Run(tc.user, func(t *testing.T) {
			c := startPyClient(t, tc.user, testUsers[tc.user], tc.domain)
			sess, err := c.handshake(t, testServer())
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			t.Logf("ntlm-auth AUTHENTICATE flags %#08x", sess.flags)
			if !sess.CanSeal() {
				t.Fatal("ntlm-auth session cannot seal")
			}
			in, out := 0, 0
			toServer := func() {
				t.Helper()
				msg := soap("request", in)
				in++
				c.send(t, "wrap "+base64.StdEncoding.EncodeToString(msg))
				got, err := sess.OpenMessage(c.recvB64(t))
				if err != nil || !bytes.Equal(got, msg) {
					t.Fatalf("request %d: %q, %v", in-1, got, err)
				}
			}
			toClient := func() {
				t.Helper()
				msg := soap("reply", out)
				out++
				c.send(t, "unwrap "+base64.StdEncoding.EncodeToString(sess.SealMessage(msg)))
				got := c.recv(t)
				if got != "ok "+base64.StdEncoding.EncodeToString(msg) {
					t.Fatalf("reply %d: python client says %.200s", out-1, got)
				}
			}
			toServer()
			toClient()
			toServer()
			toServer()
			toServer()
			toClient()
			toClient()
			for range 4 {
				toClient()
				toServer()
			}
		})
	}
	t.Run("wrong password", func(t *testing.T) {
		c := startPyClient(t, "administrator", "wrong-pw", "")
		if _, err := c.handshake(t, testServer()); !errors.Is(err, ErrAuthFailed) {
			t.Fatalf("err = %v, want ErrAuthFailed", err)
		}
	})
}
