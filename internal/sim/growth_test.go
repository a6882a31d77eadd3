package sim_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/sim"
	"github.com/fleetport/fleetport/internal/sim/winhost"
)

func TestParsePileGrowth(t *testing.T) {
	cases := []struct {
		in      string
		want    string
		wantErr string
	}{
		{in: "web0001=250/1s", want: "web0001=250/1s"},
		{in: "web0001,app*=10/500ms max=300 to=10.0.0.9:1433 state=established", want: "web0001,app*=10/500ms max=300 to=10.0.0.9:1433 state=established"},
		{in: "web0001=5/1s start=signal", want: "web0001=5/1s start=signal"},
		{in: "web0001=5/1s start=later", wantErr: "start=later"},
		{in: "web0001=5/1s state=TIME_WAIT", want: "web0001=5/1s"},
		{in: "", wantErr: "empty"},
		{in: "web0001", wantErr: "want HOSTS=STEP/EVERY"},
		{in: "=5/1s", wantErr: "want HOSTS=STEP/EVERY"},
		{in: "web0001=0/1s", wantErr: "positive step"},
		{in: "web0001=5", wantErr: "positive step"},
		{in: "web0001=5/1ms", wantErr: "10ms or more"},
		{in: "web0001=5/soon", wantErr: "10ms or more"},
		{in: "web[=5/1s", wantErr: "not a name or glob"},
		{in: "web0001,=5/1s", wantErr: "empty host name"},
		{in: "web0001=5/1s max=-2", wantErr: "max=-2"},
		{in: "web0001=5/1s to=10.0.0.9", wantErr: "ADDRESS:PORT"},
		{in: "web0001=5/1s state=listening", wantErr: "state=listening"},
		{in: "web0001=5/1s color=red", wantErr: "unknown option"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			g, err := sim.ParsePileGrowth(c.in)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := g.String(); got != c.want {
				t.Errorf("%q parsed back as %q, want %q", c.in, got, c.want)
			}
		})
	}
}

// countState counts the rows of netstat -ano in a state (English hosts).
func countState(out, state string) int {
	n := 0
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) >= 4 && f[0] == "TCP" && f[3] == state {
			n++
		}
	}
	return n
}

// TestGrowPilesOverWinRM watches a pile grow through netstat -ano over a
// real WinRM session, on the chosen host only, and stop at its cap.
func TestGrowPilesOverWinRM(t *testing.T) {
	f := startFleet(t, 3, func(sc *sim.Scenario) {
		sc.OSMix = map[string]float64{"2019": 1}
		sc.LocaleMix = map[string]float64{"en-US": 1}
		sc.Roles = []sim.Role{{Name: "web", Share: 1, Services: []string{"W3SVC"}}}
	})
	if _, err := f.GrowPiles([]sim.PileGrowth{{Hosts: []string{"nothing*"}, Step: 1, Every: time.Second}}); err == nil {
		t.Fatal("a glob that matches no host was accepted")
	}
	remote := netip.MustParseAddrPort("10.9.9.9:1433")
	gr, err := f.GrowPiles([]sim.PileGrowth{{Hosts: []string{"web0002"}, Step: 40, Every: 20 * time.Millisecond, Remote: remote, Max: 200, OnSignal: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gr.Stop)
	c := client(t, f, f.Host("web0002"), ntlmEncryptedHTTP)
	time.Sleep(100 * time.Millisecond)
	if n := countState(run(t, c, "netstat -ano").stdout, "TIME_WAIT"); n != 0 {
		t.Fatalf("a growth held for a signal grew: %d", n)
	}
	gr.Start()
	gr.Start()
	var seen []int
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		n := countState(run(t, c, "netstat -ano").stdout, "TIME_WAIT")
		if len(seen) == 0 || seen[len(seen)-1] != n {
			seen = append(seen, n)
		}
		if n == 200 {
			break
		}
		time.Sleep(30 * time.Millisecond)
	}
	if len(seen) < 2 || seen[len(seen)-1] != 200 {
		t.Fatalf("TIME_WAIT counts seen %v: want growth up to the cap of 200", seen)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] < seen[i-1] {
			t.Errorf("the pile shrank: %v", seen)
		}
	}
	time.Sleep(100 * time.Millisecond)
	if n := countState(run(t, c, "netstat -ano").stdout, "TIME_WAIT"); n != 200 {
		t.Errorf("the pile grew past its cap: %d", n)
	}
	other := client(t, f, f.Host("web0001"), ntlmEncryptedHTTP)
	if n := countState(run(t, other, "netstat -ano").stdout, "TIME_WAIT"); n != 0 {
		t.Errorf("a host that was not chosen has %d TIME_WAIT sockets", n)
	}
	gr.Stop()
	for _, p := range f.Host("web0002").Model.Piles() {
		if p.Remote == remote && (p.Count != 200 || p.State != winhost.TimeWait || p.Local != f.Host("web0002").Plan.ServiceAddr) {
			t.Errorf("pile %+v", p)
		}
	}
}
