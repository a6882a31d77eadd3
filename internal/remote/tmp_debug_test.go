package remote_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/internal/sim"
)

func TestTmpDebug(t *testing.T) {
	f := startFleet(t, 1000, func(sc *sim.Scenario) { sc.HTTPSPort = 0 })
	hosts := f.Hosts()
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var slow []string
	start := time.Now()
	for range 100 {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > 3000 {
					return
				}
				h := hosts[i%int64(len(hosts))]
				t0 := time.Now()
				s, err := remote.Open(context.Background(), endpoint(f, h, ntlmEncrypted), demo, remote.Options{})
				t1 := time.Now()
				if err != nil {
					t.Error(err)
					return
				}
				s.Run(context.Background(), remote.Command{Line: "hostname"})
				t2 := time.Now()
				s.Close()
				t3 := time.Now()
				if t3.Sub(t0) > 500*time.Millisecond {
					mu.Lock()
					slow = append(slow, h.Plan.Name+" open "+t1.Sub(t0).String()+" run "+t2.Sub(t1).String()+" close "+t3.Sub(t2).String()+" "+fmtStats(s.Stats()))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	t.Logf("1000 in %v, %d slow; dial %v handshake %v roundtrip %v roundTrip %v", time.Since(start), len(slow), time.Duration(remote.DebugDial.Load()), time.Duration(remote.DebugHandshake.Load()), time.Duration(remote.DebugRT.Load()), time.Duration(remote.DebugSem.Load()))
	for i, s := range slow {
		if i < 15 {
			t.Log(s)
		}
	}
}

func fmtStats(s remote.Stats) string {
	return time.Duration(s.Retries).String() + " retries conns " + time.Duration(s.Connections).String()
}
