package endpoint

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ntlmssp "github.com/Azure/go-ntlmssp"
	"go.uber.org/goleak"

	"github.com/fleetport/fleetport/internal/sim/wsman"
	"github.com/fleetport/fleetport/internal/testdomain"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(testdomain.Wrap(m)) }

// recorder is a Handler that answers with a fixed SOAP text and remembers
// who asked what.
type recorder struct {
	mu    sync.Mutex
	users []string
	reqs  []string
}

func (r *recorder) Handle(_ context.Context, user, _ string, body []byte) wsman.Response {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.users = append(r.users, user)
	r.reqs = append(r.reqs, string(body))
	return wsman.Response{Status: 200, Body: []byte("<s:Envelope>ok " + string(body) + "</s:Envelope>")}
}

var port atomic.Int32

// newEndpoint serves an endpoint on its own loopback address with a fresh
// port, and takes it down when the test ends.
func newEndpoint(t *testing.T, mutate func(*Options)) (*Endpoint, *recorder, string) {
	t.Helper()
	rec := &recorder{}
	n := port.Add(1)
	opts := Options{
		Name:     "web01",
		Addr:     netip.AddrFrom4([4]byte{127, 30, byte(n / 250), byte(n%250 + 1)}),
		HTTPPort: 5985,
		Lookup: func(u string) (string, bool) {
			if strings.EqualFold(u, "fleetadmin") {
				return "s3cret!", true
			}
			return "", false
		},
		AllowBasic: true,
		Identity:   Identity{NbComputerName: "WEB01", NbDomainName: "CORP", DnsComputerName: "web01.corp.example", DnsDomainName: "corp.example"},
		Handler:    rec,
	}
	if mutate != nil {
		mutate(&opts)
	}
	e, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SetUp(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.SetDown)
	return e, rec, fmt.Sprintf("http://%s:%d/wsman", opts.Addr, opts.HTTPPort)
}

func post(t *testing.T, c *http.Client, url, body string, hdr map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", soapContentType)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func noKeepAliveClient(t *testing.T) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}
}

func TestUnauthenticatedGetsWindowsChallenge(t *testing.T) {
	for _, basic := range []bool{true, false} {
		t.Run(fmt.Sprint("basic=", basic), func(t *testing.T) {
			_, rec, url := newEndpoint(t, func(o *Options) { o.AllowBasic = basic })
			resp := post(t, noKeepAliveClient(t), url, "<x/>", nil)
			if resp.StatusCode != 401 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			want := []string{"Negotiate"}
			if basic {
				want = append(want, `Basic realm="WSMAN"`)
			}
			if got := resp.Header.Values("WWW-Authenticate"); strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("WWW-Authenticate = %q, want %q", got, want)
			}
			if resp.Header.Get("Server") != "Microsoft-HTTPAPI/2.0" {
				t.Errorf("Server = %q", resp.Header.Get("Server"))
			}
			if len(rec.reqs) != 0 {
				t.Errorf("the handler ran for an unauthenticated request")
			}
		})
	}
}

func TestPathAndMethod(t *testing.T) {
	_, _, url := newEndpoint(t, nil)
	c := noKeepAliveClient(t)
	if resp := post(t, c, strings.TrimSuffix(url, "/wsman")+"/other", "", nil); resp.StatusCode != 404 {
		t.Errorf("other path: %d", resp.StatusCode)
	}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("GET: %d", resp.StatusCode)
	}
}

func TestBasicNeedsUnencryptedOverHTTP(t *testing.T) {
	cases := []struct {
		name        string
		unencrypted bool
		user, pass  string
		want        int
	}{
		{"refused over http by default", false, "fleetadmin", "s3cret!", 401},
		{"allowed with AllowUnencrypted", true, "fleetadmin", "s3cret!", 200},
		{"domain prefix", true, `CORP\FleetAdmin`, "s3cret!", 200},
		{"wrong password", true, "fleetadmin", "nope", 401},
		{"unknown user", true, "mallory", "s3cret!", 401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, rec, url := newEndpoint(t, func(o *Options) { o.AllowUnencrypted = c.unencrypted })
			req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("<hello/>"))
			req.SetBasicAuth(c.user, c.pass)
			resp, err := noKeepAliveClient(t).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, c.want)
			}
			if c.want == 200 {
				if string(body) != "<s:Envelope>ok <hello/></s:Envelope>" || rec.users[0] != "fleetadmin" {
					t.Errorf("body %q users %q", body, rec.users)
				}
				if ct := resp.Header.Get("Content-Type"); ct != soapContentType {
					t.Errorf("Content-Type %q", ct)
				}
			} else if len(body) != 0 {
				t.Errorf("401 with a body: %q", body)
			}
			if c.want == 401 && c.unencrypted && e.Stats().AuthFailures != 1 {
				t.Errorf("auth failures = %d", e.Stats().AuthFailures)
			}
			if strings.Contains(fmt.Sprint(rec.reqs, rec.users), c.pass) && c.pass != "" && c.want != 200 {
				t.Errorf("the password reached the handler")
			}
		})
	}
}

// TestNTLMWithGoNTLMSSP drives the NTLM handshake with Azure/go-ntlmssp,
// the library masterzen's ClientNTLM uses: the connection authenticates once
// and later requests on it need no Authorization header.
func TestNTLMWithGoNTLMSSP(t *testing.T) {
	e, rec, url := newEndpoint(t, func(o *Options) { o.AllowUnencrypted = true; o.AllowBasic = false })
	tr := &http.Transport{MaxConnsPerHost: 1}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: ntlmssp.Negotiator{RoundTripper: tr}, Timeout: 5 * time.Second}
	for i := range 3 {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(fmt.Sprintf("<n%d/>", i)))
		req.SetBasicAuth("fleetadmin", "s3cret!")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), fmt.Sprintf("<n%d/>", i)) {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, body)
		}
	}
	if got := e.Stats().ConnectionsAccepted; got != 1 {
		t.Errorf("connections accepted = %d, want 1 (keep-alive)", got)
	}
	for _, u := range rec.users {
		if u != "fleetadmin" {
			t.Errorf("user %q", u)
		}
	}

	// A wrong password fails on the AUTHENTICATE leg.
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("<x/>"))
	req.SetBasicAuth("fleetadmin", "wrong")
	tr2 := &http.Transport{}
	defer tr2.CloseIdleConnections()
	resp, err := (&http.Client{Transport: ntlmssp.Negotiator{RoundTripper: tr2}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("wrong password: %d", resp.StatusCode)
	}
}

func TestNTLMPlainRefusedWithoutAllowUnencrypted(t *testing.T) {
	_, rec, url := newEndpoint(t, nil)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: ntlmssp.Negotiator{RoundTripper: tr}}
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("<x/>"))
	req.SetBasicAuth("fleetadmin", "s3cret!")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || len(rec.reqs) != 0 {
		t.Errorf("plain SOAP after NTLM on http: %d, handler saw %d", resp.StatusCode, len(rec.reqs))
	}
}

func TestEncryptedBodyWithoutSessionIs400(t *testing.T) {
	_, _, url := newEndpoint(t, func(o *Options) { o.AllowUnencrypted = true })
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("--Encrypted Boundary\r\n"))
	req.Header.Set("Content-Type", `multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"`)
	req.SetBasicAuth("fleetadmin", "s3cret!")
	resp, err := noKeepAliveClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
}

func TestOversizeRequestIs413(t *testing.T) {
	_, rec, url := newEndpoint(t, func(o *Options) { o.AllowUnencrypted = true; o.MaxRequestBytes = 1000 })
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(strings.Repeat("x", 1001)))
	req.SetBasicAuth("fleetadmin", "s3cret!")
	resp, err := noKeepAliveClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 413 || len(body) != 0 || len(rec.reqs) != 0 {
		t.Errorf("status %d body %q handler %d", resp.StatusCode, body, len(rec.reqs))
	}
}

func TestDownRefusesAndCutsConnections(t *testing.T) {
	e, _, url := newEndpoint(t, func(o *Options) { o.AllowUnencrypted = true })
	e.SetFaults(Faults{Hang: true})
	errc := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("<x/>"))
		req.SetBasicAuth("fleetadmin", "s3cret!")
		resp, err := noKeepAliveClient(t).Do(req)
		if err == nil {
			resp.Body.Close()
			err = fmt.Errorf("got an answer %d from a hung host", resp.StatusCode)
		}
		errc <- err
	}()
	time.Sleep(100 * time.Millisecond)
	select {
	case err := <-errc:
		t.Fatalf("the hung request ended early: %v", err)
	default:
	}
	e.SetDown()
	select {
	case err := <-errc:
		if err == nil || strings.Contains(err.Error(), "got an answer") {
			t.Fatalf("want a cut connection, got %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("SetDown did not cut the hung connection")
	}
	_, err := net.DialTimeout("tcp", strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/wsman"), time.Second)
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("dial a down host: %v, want connection refused", err)
	}
	e.SetFaults(Faults{})
	if err := e.SetUp(); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("<x/>"))
	req.SetBasicAuth("fleetadmin", "s3cret!")
	resp, err := noKeepAliveClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("after SetUp: %d", resp.StatusCode)
	}
}

func TestLatencyIsAddedPerExchange(t *testing.T) {
	e, _, url := newEndpoint(t, func(o *Options) { o.AllowUnencrypted = true })
	e.SetFaults(Faults{Latency: 150 * time.Millisecond})
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("<x/>"))
	req.SetBasicAuth("fleetadmin", "s3cret!")
	start := time.Now()
	resp, err := noKeepAliveClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("answered after %v, before the injected latency", d)
	}
}
