package wsman

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/masterzen/winrm"
)

// testEndpoint is a minimal stand-in for the HTTP layer: Basic auth taken
// at face value, POST /wsman only, the SOAP content type on every answer.
// It records the size of every response and the actions it saw.
type testEndpoint struct {
	s        *Service
	srv      *httptest.Server
	mu       sync.Mutex
	maxResp  int
	actions  map[string]int
	statuses map[int]int
}

func newTestEndpoint(t *testing.T, s *Service) *testEndpoint {
	e := &testEndpoint{s: s, actions: map[string]int{}, statuses: map[int]int{}}
	e.srv = httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(func() {
		e.srv.CloseClientConnections()
		e.srv.Close()
	})
	return e
}

func (e *testEndpoint) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/wsman" || r.Method != http.MethodPost {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	user, _, ok := r.BasicAuth()
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="WSMAN"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	resp := e.s.Handle(r.Context(), user, host, body)
	e.mu.Lock()
	e.maxResp = max(e.maxResp, len(resp.Body))
	e.statuses[resp.Status]++
	if a := actionOf(body); a != "" {
		e.actions[a]++
	}
	e.mu.Unlock()
	if resp.Body == nil {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(resp.Status)
		return
	}
	w.Header().Set("Content-Type", "application/soap+xml;charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(resp.Body)))
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}

func actionOf(body []byte) string {
	root, err := parseXML(body)
	if err != nil {
		return ""
	}
	rq, _ := readEnvelope(root)
	if rq == nil {
		return ""
	}
	return rq.action[strings.LastIndex(rq.action, "/")+1:]
}

func (e *testEndpoint) count(action string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.actions[action]
}

// client returns a masterzen client for the endpoint with the given
// OperationTimeout.
func (e *testEndpoint) client(t *testing.T, timeout string) *winrm.Client {
	t.Helper()
	_, portStr, _ := net.SplitHostPort(strings.TrimPrefix(e.srv.URL, "http://"))
	port, _ := strconv.Atoi(portStr)
	ep := winrm.NewEndpoint("127.0.0.1", port, false, false, nil, nil, nil, 10*time.Second)
	c, err := winrm.NewClientWithParameters(ep, "vagrant", "vagrant", winrm.NewParameters(timeout, "en-US", 153600))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestMasterzenEndToEnd drives the unmodified masterzen/winrm client over
// HTTP against the service.
func TestMasterzenEndToEnd(t *testing.T) {
	t.Run("output and exit code", func(t *testing.T) {
		rec := &recorder{run: func(ctx context.Context, req ExecRequest) int {
			_, _ = io.WriteString(req.Stdout, "SIMHOST\r\n")
			_, _ = io.WriteString(req.Stderr, "careful\r\n")
			return 7
		}}
		s := newTestService(t, DefaultConfig(), rec)
		e := newTestEndpoint(t, s)
		stdout, stderr, code, err := e.client(t, "PT60S").RunCmdWithContext(context.Background(), "hostname")
		if err != nil || stdout != "SIMHOST\r\n" || stderr != "careful\r\n" || code != 7 {
			t.Fatalf("got %q %q %d %v", stdout, stderr, code, err)
		}
		r := rec.requests()[0]
		if r.CommandLine != "hostname" || r.Codepage != 65001 || !r.ConsoleModeStdin || r.SkipCmdShell {
			t.Errorf("ExecRequest %+v", r)
		}
		// masterzen: Create, Command, Receive, Signal, Delete.
		for _, a := range []string{"Create", "Command", "Receive", "Signal", "Delete"} {
			if e.count(a) == 0 {
				t.Errorf("no %s request", a)
			}
		}
		if st := s.Stats(); st.ShellsOpen != 0 || len(st.Faults) != 0 {
			t.Errorf("stats %+v", st)
		}
	})

	t.Run("stdin via Send", func(t *testing.T) {
		rec := &recorder{run: func(ctx context.Context, req ExecRequest) int {
			in, err := io.ReadAll(req.Stdin)
			if err != nil {
				return 99
			}
			_, _ = req.Stdout.Write(bytes.ToUpper(in))
			return 0
		}}
		s := newTestService(t, DefaultConfig(), rec)
		e := newTestEndpoint(t, s)
		// Larger than one Send (masterzen splits at EnvelopeSize-1000).
		input := strings.Repeat("hello from stdin\n", 20000)
		stdout, _, code, err := e.client(t, "PT60S").RunWithContextWithString(context.Background(), "more", input)
		if err != nil || code != 0 || stdout != strings.ToUpper(input) {
			t.Fatalf("code %d err %v, stdout %d bytes (want %d)", code, err, len(stdout), len(input))
		}
		if n := e.count("Send"); n < 3 {
			t.Errorf("%d Send requests, want several chunks plus End", n)
		}
	})

	t.Run("slow command times out Receives", func(t *testing.T) {
		rec := &recorder{run: func(ctx context.Context, req ExecRequest) int {
			select {
			case <-time.After(1500 * time.Millisecond):
			case <-ctx.Done():
				return 1
			}
			_, _ = io.WriteString(req.Stdout, "finally\r\n")
			return 0
		}}
		cfg := DefaultConfig()
		cfg.MaxTimeout = 300 * time.Millisecond // PT60S is clamped to this
		s := newTestService(t, cfg, rec)
		e := newTestEndpoint(t, s)
		stdout, _, code, err := e.client(t, "PT60S").RunCmdWithContext(context.Background(), "slow")
		if err != nil || code != 0 || stdout != "finally\r\n" {
			t.Fatalf("got %q %d %v", stdout, code, err)
		}
		if n := s.Stats().Faults["2150858793"]; n < 2 {
			t.Errorf("%d TimedOut faults, want >= 2", n)
		}
	})

	t.Run("output larger than the envelope is split", func(t *testing.T) {
		big := make([]byte, 1500*1024)
		for i := range big {
			big[i] = byte('a' + i%26)
		}
		rec := &recorder{run: func(ctx context.Context, req ExecRequest) int {
			for off := 0; off < len(big); off += 64 * 1024 {
				if _, err := req.Stdout.Write(big[off:min(off+64*1024, len(big))]); err != nil {
					return 1
				}
			}
			return 0
		}}
		s := newTestService(t, DefaultConfig(), rec)
		e := newTestEndpoint(t, s)
		stdout, _, code, err := e.client(t, "PT60S").RunCmdWithContext(context.Background(), "type big.txt")
		if err != nil || code != 0 || stdout != string(big) {
			t.Fatalf("code %d err %v, %d bytes", code, err, len(stdout))
		}
		if e.maxResp > 153600 {
			t.Errorf("largest response %d bytes > client MaxEnvelopeSize 153600", e.maxResp)
		}
		if n := e.count("Receive"); n < len(big)*4/3/153600 {
			t.Errorf("only %d Receives", n)
		}
	})

	t.Run("context cancel sends Signal which cancels the command", func(t *testing.T) {
		var cancelled atomic.Bool
		rec := &recorder{run: func(ctx context.Context, req ExecRequest) int {
			_, _ = io.WriteString(req.Stdout, "started\r\n")
			<-ctx.Done()
			cancelled.Store(true)
			return 1
		}}
		cfg := DefaultConfig()
		cfg.MaxTimeout = 100 * time.Millisecond
		s := newTestService(t, cfg, rec)
		e := newTestEndpoint(t, s)
		ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
		defer cancel()
		var out bytes.Buffer
		_, err := e.client(t, "PT60S").RunWithContext(ctx, "ping -t localhost", &out, io.Discard)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v", err)
		}
		waitFor(t, "backend cancellation", cancelled.Load)
		if out.String() != "started\r\n" {
			t.Errorf("stdout %q", out.String())
		}
		if e.count("Signal") == 0 {
			t.Error("no Signal sent")
		}
		waitFor(t, "shell deletion", func() bool { return s.Stats().ShellsOpen == 0 })
	})

	t.Run("shell reuse with PowerShell", func(t *testing.T) {
		rec := &recorder{run: func(ctx context.Context, req ExecRequest) int {
			_, _ = io.WriteString(req.Stdout, req.CommandLine[:14])
			return 0
		}}
		s := newTestService(t, DefaultConfig(), rec)
		e := newTestEndpoint(t, s)
		c := e.client(t, "PT60S")
		shell, err := c.CreateShell()
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			cmd, err := shell.ExecuteWithContext(context.Background(), winrm.Powershell("Write-Output hi"))
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			done := make(chan struct{})
			go func() { _, _ = io.Copy(&out, cmd.Stdout); close(done) }()
			_, _ = io.Copy(io.Discard, cmd.Stderr)
			cmd.Wait()
			<-done
			_ = cmd.Close()
			if out.String() != "powershell.exe" || cmd.ExitCode() != 0 {
				t.Errorf("run %d: %q %d", i, out.String(), cmd.ExitCode())
			}
		}
		if err := shell.Close(); err != nil {
			t.Fatal(err)
		}
		if st := s.Stats(); st.ShellsOpen != 0 || st.ShellsCreated != 1 {
			t.Errorf("stats %+v", st)
		}
	})
}
