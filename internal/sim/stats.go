package sim

import (
	"bytes"
	"encoding/json"
	"maps"
	"time"
)

// Counters are one host's (or the whole fleet's) protocol counters.
type Counters struct {
	ConnectionsAccepted int64            `json:"connections_accepted"`
	Requests            int64            `json:"requests"`
	Unauthorized        int64            `json:"unauthorized"`
	AuthFailures        int64            `json:"auth_failures"`
	ShellsCreated       int64            `json:"shells_created"`
	ShellsOpen          int64            `json:"shells_open"`
	Operations          int64            `json:"operations"`
	Commands            int64            `json:"commands"`
	Faults              map[string]int64 `json:"faults"` // by WSManFault / WMI error code
}

func (c *Counters) add(o Counters) {
	c.ConnectionsAccepted += o.ConnectionsAccepted
	c.Requests += o.Requests
	c.Unauthorized += o.Unauthorized
	c.AuthFailures += o.AuthFailures
	c.ShellsCreated += o.ShellsCreated
	c.ShellsOpen += o.ShellsOpen
	c.Operations += o.Operations
	c.Commands += o.Commands
	if c.Faults == nil {
		c.Faults = map[string]int64{}
	}
	for k, v := range o.Faults {
		c.Faults[k] += v
	}
}

// Stats is the fleet's counters at one moment: the sum, and each host's.
type Stats struct {
	Time  time.Time           `json:"time"`
	Hosts int                 `json:"hosts"`
	Fleet Counters            `json:"fleet"`
	Host  map[string]Counters `json:"per_host"`
}

// Counters returns one host's counters.
func (h *Host) Counters() Counters {
	es := h.Endpoint.Stats()
	ws := h.Service.Stats()
	return Counters{
		ConnectionsAccepted: es.ConnectionsAccepted,
		Requests:            es.Requests,
		Unauthorized:        es.Unauthorized,
		AuthFailures:        es.AuthFailures,
		ShellsCreated:       ws.ShellsCreated,
		ShellsOpen:          ws.ShellsOpen,
		Operations:          ws.Operations,
		Commands:            h.commands.Load(),
		Faults:              maps.Clone(ws.Faults),
	}
}

// Stats adds up every host's counters.
func (f *Fleet) Stats() Stats {
	s := Stats{Time: f.now(), Hosts: len(f.hosts), Host: make(map[string]Counters, len(f.hosts))}
	s.Fleet.Faults = map[string]int64{}
	for _, h := range f.hosts {
		c := h.Counters()
		if c.Faults == nil {
			c.Faults = map[string]int64{}
		}
		s.Host[h.Plan.Name] = c
		s.Fleet.add(c)
	}
	return s
}

// WriteStats writes the fleet's counters as JSON to path, replacing the
// file in one step so that a reader never sees half of it.
func (f *Fleet) WriteStats(path string) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f.Stats()); err != nil {
		return err
	}
	return writeFileAtomic(path, buf.Bytes(), 0o644)
}
