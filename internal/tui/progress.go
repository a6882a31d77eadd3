package tui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/fleetport/fleetport/internal/facts"
)

// collectItem is what a running collection sends the TUI: its start, a
// host event, or its end with the new run.
type collectItem struct {
	at    time.Time
	start bool
	ev    CollectEvent
	end   bool
	data  *Data
	err   error
}

// collectBatchMsg carries the items that arrived together.
type collectBatchMsg struct {
	seq    int
	items  []collectItem
	closed bool
}

// collection is the state of the collection running (or the last one):
// what the progress line shows.
type collection struct {
	seq     int
	running bool
	hosts   []string
	cancel  context.CancelFunc
	ch      chan collectItem
	// then is what to do when it ends: the view to show.
	total, started, done, failed int
	begin, last                  time.Time
}

// collectCmds starts a collection of hosts of run base: one command runs
// it (Collect blocks until the collection ends) and one waits for its
// results. Both copy their inputs.
func collectCmds(ctx context.Context, c Collector, base int64, hosts []string, now func() time.Time, seq int) (chan collectItem, tea.Cmd) {
	ch := make(chan collectItem, 256)
	hosts = slices.Clone(hosts)
	send := sender(ctx, ch)
	run := func() tea.Msg {
		defer close(ch)
		send(collectItem{at: now(), start: true})
		data, err := c.Collect(ctx, base, hosts, func(e CollectEvent) { send(collectItem{at: now(), ev: e}) })
		send(collectItem{at: now(), end: true, data: data, err: err})
		return nil
	}
	return ch, tea.Batch(run, waitCollect(ch, seq))
}

func waitCollect(ch <-chan collectItem, seq int) tea.Cmd {
	return func() tea.Msg {
		items, closed := drain(ch, coalesceWindow)
		return collectBatchMsg{seq: seq, items: items, closed: closed}
	}
}

// apply counts a batch of items; it returns the end item when the batch
// holds it.
func (c *collection) apply(items []collectItem) *collectItem {
	var end *collectItem
	for i := range items {
		it := &items[i]
		switch {
		case it.start:
			c.begin = it.at
		case it.end:
			end = it
		case it.ev.Done:
			c.done++
			if it.ev.Status != facts.StatusOK {
				c.failed++
			}
		default:
			c.started++
		}
		c.last = it.at
	}
	return end
}

// rate is hosts finished per second so far; 0 before any time passed.
func (c *collection) rate() float64 {
	d := c.last.Sub(c.begin).Seconds()
	if d <= 0 {
		return 0
	}
	return float64(c.done) / d
}

// text is the progress line's text: done/total, failures, hosts in
// flight and the rate; barW is the width left for the bar (0: none).
func (c *collection) text(width int) (string, int) {
	s := fmt.Sprintf("collecting %d/%d | %d failed | %d in flight | ", c.done, c.total, c.failed, max(c.started-c.done, 0))
	if r := c.rate(); r > 0 {
		s += fmt.Sprintf("%.1f hosts/s", r)
	} else {
		s += "- hosts/s"
	}
	barW := min(24, width-len(s)-3)
	if barW < 6 {
		barW = 0
	}
	return s, barW
}

// line is the progress line with its bar, width cells at most; style
// renders the text (the bar has its own colours).
func (c *collection) line(st *Styles, width int, style func(string) string) string {
	s, barW := c.text(width)
	s = style(s)
	if barW > 0 {
		s += " " + bar(st, c.done, c.total, barW)
	}
	return clip(s, width)
}

// bar draws done of total as a bar w cells wide, brackets included.
func bar(st *Styles, done, total, w int) string {
	if w < 3 {
		return ""
	}
	inner := w - 2
	n := 0
	if total > 0 {
		n = min(done*inner/total, inner)
	}
	full, empty := "#", "."
	if st.Color {
		full, empty = "█", "░"
	}
	return "[" + st.render(st.Good, strings.Repeat(full, n)) + st.render(st.Dim, strings.Repeat(empty, inner-n)) + "]"
}
