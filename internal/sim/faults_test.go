package sim_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/masterzen/winrm"

	"github.com/fleetport/fleetport/internal/sim"
)

// faultFleet serves one host per fault kind, each named in the scenario.
func faultFleet(t *testing.T) *sim.Fleet {
	t.Helper()
	return startFleet(t, 8, func(sc *sim.Scenario) {
		sc.OSMix = map[string]float64{"2019": 1}
		sc.Roles = []sim.Role{{Name: "web", Share: 1, Services: []string{"W3SVC"}}}
		sc.Faults = []sim.Fault{
			{Kind: sim.FaultRefuse, Hosts: []string{"web0001"}},
			{Kind: sim.FaultHang, Hosts: []string{"web0002"}},
			{Kind: sim.FaultAuth, Hosts: []string{"web0003"}},
			{Kind: sim.FaultQuota, Hosts: []string{"web0004"}},
			{Kind: sim.FaultGarble, Hosts: []string{"web0005"}},
			{Kind: sim.FaultSlow, Hosts: []string{"web0006"}, Duration: 400 * time.Millisecond},
			{Kind: sim.FaultLatency, Hosts: []string{"web0007"}, Latency: 60 * time.Millisecond},
			{Kind: sim.FaultReboot, Hosts: []string{"web0008"}, Duration: 200 * time.Millisecond},
		}
	})
}

func TestInjectedFaultsAsAClientSeesThem(t *testing.T) {
	f := faultFleet(t)
	runCtx := func(h *sim.Host, d time.Duration, cmd string) (string, int, error) {
		c := client(t, f, f.Host(h.Plan.Name), ntlmEncryptedHTTP)
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		out, _, code, err := c.RunCmdWithContext(ctx, cmd)
		return out, code, err
	}

	t.Run("reboot", func(t *testing.T) {
		// First, while the scheduled reboot (200 ms after the start) is
		// still ahead or under way.
		h := f.Host("web0008")
		waitReachable(t, h, false)
		waitReachable(t, h, true)
		if out, _, err := runCtx(h, 5*time.Second, "hostname"); err != nil || out != "WEB0008\r\n" {
			t.Errorf("after the reboot: %q %v", out, err)
		}
	})
	t.Run("refuse", func(t *testing.T) {
		_, _, err := runCtx(f.Host("web0001"), 3*time.Second, "hostname")
		if err == nil || !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("want connection refused, got %v", err)
		}
	})
	t.Run("hang", func(t *testing.T) {
		// masterzen's encrypted transport has no timeout of its own and
		// its CreateShell takes no context: against a hung host only a
		// transport deadline helps, so this uses Basic over https, whose
		// transport honours the endpoint timeout.
		h := f.Host("web0002")
		ep := winrm.NewEndpoint(h.Plan.Addr.String(), f.Scenario().HTTPSPort, true, false, f.CAPEM(), nil, nil, 700*time.Millisecond)
		c, err := winrm.NewClient(ep, sim.DemoUser, sim.DemoPassword)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, _, _, err = c.RunCmdWithContext(context.Background(), "hostname")
		if err == nil {
			t.Fatal("a hung host answered")
		}
		if d := time.Since(start); d < 600*time.Millisecond {
			t.Errorf("gave up after %v, before the client's deadline", d)
		}
	})
	t.Run("auth", func(t *testing.T) {
		_, _, err := runCtx(f.Host("web0003"), 3*time.Second, "hostname")
		if err == nil || !strings.Contains(err.Error(), "401") {
			t.Errorf("want a 401, got %v", err)
		}
		if f.Host("web0003").Counters().AuthFailures == 0 {
			t.Errorf("no auth failure counted")
		}
	})
	t.Run("garble", func(t *testing.T) {
		out, code, err := runCtx(f.Host("web0005"), 5*time.Second, "netstat -an")
		if err != nil || code != 0 {
			t.Fatalf("%v %d", err, code)
		}
		if !strings.Contains(out, "\x00\x13\xff\xfe") {
			t.Errorf("output is not garbled:\n%q", out)
		}
	})
	t.Run("slow", func(t *testing.T) {
		start := time.Now()
		out, _, err := runCtx(f.Host("web0006"), 5*time.Second, "hostname")
		if err != nil || out != "WEB0006\r\n" {
			t.Fatalf("%q %v", out, err)
		}
		if d := time.Since(start); d < 400*time.Millisecond {
			t.Errorf("a slow host answered in %v", d)
		}
	})
	t.Run("latency", func(t *testing.T) {
		start := time.Now()
		if _, _, err := runCtx(f.Host("web0007"), 5*time.Second, "hostname"); err != nil {
			t.Fatal(err)
		}
		// Create, Command, Receive, Signal, Delete, each after an NTLM
		// handshake of two exchanges: at least 15 exchanges.
		if d := time.Since(start); d < 15*60*time.Millisecond {
			t.Errorf("15 exchanges with 60 ms latency took %v", d)
		}
	})
}

// TestQuotaFaultAsWindowsSendsIt posts a Create to a host whose shell quota
// is spent and checks the fault byte for byte where Windows fixes it: HTTP
// 500, the SOAP content type, the QuotaLimit subcode, the WMI error code
// and message.
func TestQuotaFaultAsWindowsSendsIt(t *testing.T) {
	f := faultFleet(t)
	h := f.Host("web0004")
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(f.CAPEM())
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	defer tr.CloseIdleConnections()
	create := `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><env:Header><a:To>http://windows-host:5985/wsman</a:To><a:ReplyTo><a:Address mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo><w:MaxEnvelopeSize mustUnderstand="true">153600</w:MaxEnvelopeSize><a:MessageID>uuid:0b9b8c2e-1111-4d6a-9c3e-5a7f4bdbd001</a:MessageID><w:OperationTimeout>PT20S</w:OperationTimeout><a:Action mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/09/transfer/Create</a:Action><w:ResourceURI mustUnderstand="true">http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI></env:Header><env:Body><rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell></env:Body></env:Envelope>`
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("https://%s:%d/wsman", h.Plan.Addr, f.Scenario().HTTPSPort), strings.NewReader(create))
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	req.SetBasicAuth(sim.DemoUser, sim.DemoPassword)
	resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || resp.Header.Get("Content-Type") != "application/soap+xml;charset=UTF-8" {
		t.Fatalf("status %d content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		"<a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</a:Action>",
		"<s:Value>w:QuotaLimit</s:Value>",
		"The WS-Management service cannot process the request. The maximum number of concurrent shells for this user has been exceeded. Close existing shells or raise the quota for this user. ",
		"2150859173",
		"This user is allowed a maximum number of 30 concurrent shells, which has been exceeded.",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("fault lacks %q:\n%s", want, body)
		}
	}
	// The real quota fault (winrb/wmi_error_v2.xml, Server 2012+) carries
	// no RelatesTo.
	if strings.Contains(string(body), "RelatesTo") {
		t.Errorf("the quota fault has a RelatesTo, unlike Windows'")
	}
	if n := h.Counters().Faults["2150859173"]; n != 1 {
		t.Errorf("quota faults counted: %d", n)
	}
}
