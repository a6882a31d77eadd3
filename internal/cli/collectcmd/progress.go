package collectcmd

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/collect"
	"github.com/fleetport/fleetport/internal/facts"
)

// progress shows hosts done, failed and in flight, the rate and an ETA on
// one stderr line, on a terminal only (nothing when piped), redrawn four
// times a second.
type progress struct {
	io                        *cmdutil.IOStreams
	total                     int
	started, finished, failed atomic.Int64
	stop                      chan struct{}
	wg                        sync.WaitGroup
}

func newProgress(io *cmdutil.IOStreams, total int) *progress {
	p := &progress{io: io, total: total, stop: make(chan struct{})}
	if !io.IsStdoutTTY() {
		return p
	}
	begin := time.Now()
	p.wg.Go(func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				fmt.Fprintf(p.io.ErrOut, "\r\033[K")
				return
			case <-t.C:
				done := p.finished.Load()
				rate := float64(done) / time.Since(begin).Seconds()
				eta := "?"
				if rate > 0 {
					eta = (time.Duration(float64(int64(p.total)-done)/rate) * time.Second).Round(time.Second).String()
				}
				fmt.Fprintf(p.io.ErrOut, "\r\033[Kcollecting: %d/%d done, %d failed, %d in flight, %.1f hosts/s, ETA %s",
					done, p.total, p.failed.Load(), p.started.Load()-done, rate, eta)
			}
		}
	})
	return p
}

func (p *progress) event(e collect.Event) {
	if !e.Done {
		p.started.Add(1)
		return
	}
	p.finished.Add(1)
	if e.Status != facts.StatusOK {
		p.failed.Add(1)
	}
}

func (p *progress) done() {
	close(p.stop)
	p.wg.Wait()
}
