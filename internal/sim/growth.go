package sim

import (
	"errors"
	"fmt"
	"net/netip"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fleetport/fleetport/internal/sim/winhost"
)

// PileGrowth makes a pile of connections grow on chosen hosts while the
// fleet runs, the way a client that opens and closes connections without
// pooling fills its ephemeral ports during an incident: Step more sockets
// every Every, toward Remote, until Max were added. `fleetport sim
// --grow-pile` sets it from the command line ([ParsePileGrowth]); tests
// call [Fleet.GrowPiles].
//
// netstat never shows more sockets than the host's client port range
// holds, as on Windows; a pile that reaches it stops growing on screen.
type PileGrowth struct {
	// Hosts are host names or globs (web*, app000?); each must match a
	// host of the fleet.
	Hosts []string
	// Step sockets are added every Every.
	Step  int
	Every time.Duration
	// Remote is where the connections go; zero means the fleet's SQL
	// Server (port 1433), where the timewait_pile drift points too.
	Remote netip.AddrPort
	// State is the connections' state; zero means TIME_WAIT.
	State winhost.TCPState
	// Max caps the sockets added per host; 0 means no cap.
	Max int
	// OnSignal holds the growth until [Growth.Start] (fleetport sim:
	// SIGUSR2), so that a rehearsal or a test decides when the incident
	// begins.
	OnSignal bool
}

// ParsePileGrowth reads the value of --grow-pile:
//
//	HOSTS=STEP/EVERY [max=N] [to=ADDR:PORT] [state=time_wait|established|close_wait] [start=signal]
//
// HOSTS is a comma-separated list of names or globs; for example
// "web0001,app*=250/1s max=20000". start=signal holds the growth until
// the simulator gets SIGUSR2.
func ParsePileGrowth(s string) (PileGrowth, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return PileGrowth{}, errors.New("grow-pile: empty; want HOSTS=STEP/EVERY, e.g. web0001=250/1s")
	}
	hosts, rate, ok := strings.Cut(fields[0], "=")
	if !ok || hosts == "" {
		return PileGrowth{}, fmt.Errorf("grow-pile %q: want HOSTS=STEP/EVERY, e.g. web0001=250/1s", s)
	}
	var g PileGrowth
	for _, h := range strings.Split(hosts, ",") {
		if h = strings.TrimSpace(h); h == "" {
			return PileGrowth{}, fmt.Errorf("grow-pile %q: an empty host name", s)
		}
		if _, err := path.Match(h, ""); err != nil {
			return PileGrowth{}, fmt.Errorf("grow-pile %q: %q is not a name or glob", s, h)
		}
		g.Hosts = append(g.Hosts, h)
	}
	step, every, ok := strings.Cut(rate, "/")
	n, err := strconv.Atoi(step)
	if !ok || err != nil || n < 1 {
		return PileGrowth{}, fmt.Errorf("grow-pile %q: %q is not STEP/EVERY with a positive step, e.g. 250/1s", s, rate)
	}
	d, err := time.ParseDuration(every)
	if err != nil || d < 10*time.Millisecond {
		return PileGrowth{}, fmt.Errorf("grow-pile %q: %q is not a duration of 10ms or more", s, every)
	}
	g.Step, g.Every = n, d
	for _, opt := range fields[1:] {
		k, v, _ := strings.Cut(opt, "=")
		switch k {
		case "max":
			m, err := strconv.Atoi(v)
			if err != nil || m < 1 {
				return PileGrowth{}, fmt.Errorf("grow-pile %q: max=%s is not a positive count", s, v)
			}
			g.Max = m
		case "to":
			ap, err := netip.ParseAddrPort(v)
			if err != nil || ap.Port() == 0 {
				return PileGrowth{}, fmt.Errorf("grow-pile %q: to=%s is not ADDRESS:PORT", s, v)
			}
			g.Remote = ap
		case "start":
			switch v {
			case "signal":
				g.OnSignal = true
			case "now":
				g.OnSignal = false
			default:
				return PileGrowth{}, fmt.Errorf("grow-pile %q: start=%s is not signal or now", s, v)
			}
		case "state":
			switch strings.ToLower(v) {
			case "time_wait", "timewait":
				g.State = winhost.TimeWait
			case "established":
				g.State = winhost.Established
			case "close_wait", "closewait":
				g.State = winhost.CloseWait
			default:
				return PileGrowth{}, fmt.Errorf("grow-pile %q: state=%s is not time_wait, established or close_wait", s, v)
			}
		default:
			return PileGrowth{}, fmt.Errorf("grow-pile %q: unknown option %q (max=N, to=ADDR:PORT, state=STATE, start=signal)", s, opt)
		}
	}
	return g, nil
}

// String is the --grow-pile form of g.
func (g PileGrowth) String() string {
	s := strings.Join(g.Hosts, ",") + "=" + strconv.Itoa(g.Step) + "/" + g.Every.String()
	if g.Max > 0 {
		s += " max=" + strconv.Itoa(g.Max)
	}
	if g.Remote.IsValid() {
		s += " to=" + g.Remote.String()
	}
	switch g.State {
	case winhost.Established:
		s += " state=established"
	case winhost.CloseWait:
		s += " state=close_wait"
	}
	if g.OnSignal {
		s += " start=signal"
	}
	return s
}

// Growth is the piles growing on a fleet ([Fleet.GrowPiles]).
type Growth struct {
	start     chan struct{}
	startOnce sync.Once
	stop      chan struct{}
	stopOnce  sync.Once
	wg        sync.WaitGroup
}

// Start starts the growths held for a signal (OnSignal); later calls do
// nothing.
func (g *Growth) Start() { g.startOnce.Do(func() { close(g.start) }) }

// Stop ends every growth and waits for it; the piles stay as they are.
func (g *Growth) Stop() {
	g.stopOnce.Do(func() {
		close(g.stop)
		g.wg.Wait()
	})
}

// GrowPiles starts the growths: each matching host gets Step more
// sockets every Every, toward Remote from its service address (a growth
// with OnSignal waits for Growth.Start). It fails, starting nothing, when
// a name or glob matches no host or a growth is invalid. Close does not
// stop growths: call Growth.Stop first.
func (f *Fleet) GrowPiles(gs []PileGrowth) (*Growth, error) {
	type job struct {
		g     PileGrowth
		hosts []*Host
	}
	var jobs []job
	for _, g := range gs {
		if g.Step < 1 || g.Every <= 0 || g.Max < 0 {
			return nil, fmt.Errorf("grow-pile %s: step and interval must be positive", g)
		}
		if !g.Remote.IsValid() {
			g.Remote = f.sql
		}
		if g.State == 0 {
			g.State = winhost.TimeWait
		}
		j := job{g: g}
		for _, pat := range g.Hosts {
			n := 0
			for _, h := range f.hosts {
				if ok, _ := path.Match(pat, h.Plan.Name); ok {
					j.hosts = append(j.hosts, h)
					n++
				}
			}
			if n == 0 {
				return nil, fmt.Errorf("grow-pile %s: %q matches no host of the fleet", g, pat)
			}
		}
		jobs = append(jobs, j)
	}
	gr := &Growth{start: make(chan struct{}), stop: make(chan struct{})}
	for _, j := range jobs {
		gr.wg.Go(func() {
			if j.g.OnSignal {
				select {
				case <-gr.stop:
					return
				case <-gr.start:
				}
			}
			t := time.NewTicker(j.g.Every)
			defer t.Stop()
			added := 0
			for {
				select {
				case <-gr.stop:
					return
				case <-t.C:
				}
				n := j.g.Step
				if j.g.Max > 0 {
					n = min(n, j.g.Max-added)
				}
				if n <= 0 {
					return
				}
				for _, h := range j.hosts {
					h.Model.AddPile(winhost.Pile{Local: h.Plan.ServiceAddr, Remote: j.g.Remote, State: j.g.State, Count: n})
				}
				added += n
			}
		})
	}
	return gr, nil
}
