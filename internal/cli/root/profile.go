package root

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// profile is the hidden --cpuprofile flag: a CPU profile of the whole
// command, for the benchmarks under bench/.
type profile struct {
	path string
	f    *os.File
}

func (p *profile) start() error {
	if p.path == "" || p.f != nil {
		return nil
	}
	f, err := os.Create(p.path)
	if err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	p.f = f
	return nil
}

// stop ends the profile and closes its file; without one it does nothing.
func (p *profile) stop() error {
	if p.f == nil {
		return nil
	}
	pprof.StopCPUProfile()
	err := p.f.Close()
	p.f = nil
	if err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	return nil
}
