package remote_test

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/sim"
)

func TestTmpDial(t *testing.T) {
	f := startFleet(t, 200, func(sc *sim.Scenario) { sc.HTTPSPort = 0 })
	hosts := f.Hosts()
	var next atomic.Int64
	var wg sync.WaitGroup
	var slow, max atomic.Int64
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
				c, err := net.Dial("tcp", h.Plan.Addr.String()+":5985")
				d := time.Since(t0)
				if err != nil {
					t.Error(err)
					return
				}
				c.Write([]byte("POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"))
				b := make([]byte, 512)
				c.Read(b)
				c.Close()
				if d > 200*time.Millisecond {
					slow.Add(1)
				}
				if int64(d) > max.Load() {
					max.Store(int64(d))
				}
			}
		})
	}
	wg.Wait()
	t.Logf("3000 dials in %v, %d slow, max %v", time.Since(start), slow.Load(), time.Duration(max.Load()))
}
