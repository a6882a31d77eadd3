package tui

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/fleetport/fleetport/internal/facts"
)

// watchBatchMsg carries the samples that arrived together (one round of
// the watched hosts, usually).
type watchBatchMsg struct {
	seq     int
	samples []Sample
	closed  bool
}

// watchCmds starts watching hosts: one command runs the Watcher (until
// ctx ends) and one waits for its samples. Both copy their inputs.
func watchCmds(ctx context.Context, w Watcher, hosts []string, every time.Duration, seq int) (<-chan Sample, tea.Cmd) {
	ch := make(chan Sample, 256)
	hosts = slices.Clone(hosts)
	send := sender(ctx, ch)
	run := func() tea.Msg {
		defer close(ch)
		w.Watch(ctx, hosts, every, send)
		return nil
	}
	return ch, tea.Batch(run, waitWatch(ch, seq))
}

func waitWatch(ch <-chan Sample, seq int) tea.Cmd {
	return func() tea.Msg {
		s, closed := drain(ch, coalesceWindow)
		return watchBatchMsg{seq: seq, samples: s, closed: closed}
	}
}

// watchSpan is how far back the sparklines reach.
const watchSpan = 5 * time.Minute

// watchSeries is what the watch keeps of one host: its last sample and
// the recent counts.
type watchSeries struct {
	name    string
	last    Sample
	prev    Sample // the sample before last, for the change
	samples int
	tw, est ring
}

func (s *watchSeries) ok() bool { return s.samples > 0 && s.last.Status == facts.StatusOK }

// ephemeral is the share of the client port range in use; -1 unknown.
func (s *watchSeries) ephemeral() float64 {
	if !s.ok() || s.last.Ephemeral == nil {
		return -1
	}
	return s.last.Ephemeral.Percent
}

// watchView is incident mode: the connection tables of the watched hosts,
// sampled every interval, the hosts under the most pressure first (the
// share of the client port range in use, then TIME_WAIT), with a
// sparkline of the last minutes and, for the host under the cursor, the
// top remote endpoints. The cursor stays on the top host until a key
// moves it; then it stays on its host.
type watchView struct {
	hosts  []string
	every  time.Duration
	keep   int
	series map[string]*watchSeries
	order  []*watchSeries

	running bool
	seq     int
	cancel  context.CancelFunc
	ch      <-chan Sample
	// samples counts every sample; last is the newest one's time.
	samples int
	last    time.Time

	cursor, offset int
	// follow keeps the cursor on the host under the most pressure until
	// a key moves it.
	follow        bool
	width, height int
	buf           []int
}

// reset starts a new watch of hosts, sampled every interval.
func (wv *watchView) reset(hosts []string, every time.Duration) {
	wv.hosts, wv.every = slices.Clone(hosts), every
	wv.keep = clamp(int(watchSpan/max(every, time.Second)), 12, 300)
	wv.series = make(map[string]*watchSeries, len(hosts))
	wv.order = wv.order[:0]
	for _, h := range hosts {
		s := &watchSeries{name: h, tw: newRing(wv.keep), est: newRing(wv.keep)}
		wv.series[h] = s
		wv.order = append(wv.order, s)
	}
	wv.samples, wv.last = 0, time.Time{}
	wv.cursor, wv.offset, wv.follow = 0, 0, true
	wv.sort("")
}

func (wv *watchView) SetSize(w, h int) {
	wv.width, wv.height = w, h
	wv.scroll()
}

// add files a batch of samples and sorts again, keeping the cursor on
// its host.
func (wv *watchView) add(samples []Sample) {
	keep := wv.currentName()
	if wv.follow {
		keep = ""
	}
	for _, smp := range samples {
		s := wv.series[smp.Host]
		if s == nil {
			continue
		}
		s.prev, s.last = s.last, smp
		s.samples++
		wv.samples++
		if smp.At.After(wv.last) {
			wv.last = smp.At
		}
		if smp.Status == facts.StatusOK {
			s.tw.push(smp.TimeWait)
			s.est.push(smp.Established)
		}
	}
	wv.sort(keep)
}

// comparePressure orders the hosts under the most pressure first: read
// hosts by the share of the client range in use, then TIME_WAIT; then the
// hosts whose last reading failed; then those not read yet.
func comparePressure(a, b *watchSeries) int {
	rank := func(s *watchSeries) int {
		switch {
		case s.ok():
			return 0
		case s.samples > 0:
			return 1
		}
		return 2
	}
	if c := cmp.Compare(rank(a), rank(b)); c != 0 {
		return c
	}
	if c := cmp.Compare(b.ephemeral(), a.ephemeral()); c != 0 {
		return c
	}
	if c := cmp.Compare(b.last.TimeWait, a.last.TimeWait); c != 0 {
		return c
	}
	return strings.Compare(a.name, b.name)
}

func (wv *watchView) sort(keep string) {
	slices.SortStableFunc(wv.order, comparePressure)
	wv.cursor = 0
	for i, s := range wv.order {
		if s.name == keep {
			wv.cursor = i
		}
	}
	wv.scroll()
}

func (wv *watchView) currentName() string {
	if s := wv.current(); s != nil {
		return s.name
	}
	return ""
}

func (wv *watchView) current() *watchSeries {
	if wv.cursor < 0 || wv.cursor >= len(wv.order) {
		return nil
	}
	return wv.order[wv.cursor]
}

func (wv *watchView) move(d int) {
	wv.follow = false
	wv.cursor = clamp(wv.cursor+d, 0, len(wv.order)-1)
	wv.scroll()
}

// detailLines is the height of the panel under the table.
const detailLines = 5

// tableRows is how many hosts the table shows.
func (wv *watchView) tableRows() int {
	return max(wv.height-1-detailLines-1, 1)
}

func (wv *watchView) scroll() {
	page := wv.tableRows()
	if wv.cursor < wv.offset {
		wv.offset = wv.cursor
	}
	if wv.cursor >= wv.offset+page {
		wv.offset = wv.cursor - page + 1
	}
	wv.offset = clamp(wv.offset, 0, max(len(wv.order)-page, 0))
}

// layout gives the widths of the name, sparkline and remote columns.
func (wv *watchView) layout() (name, spark, remote int) {
	name = 4
	for _, h := range wv.hosts {
		name = max(name, len(h))
	}
	name = min(name, 16)
	rest := wv.width - (2 + name + 1 + 6 + 1 + 6 + 1 + 6 + 1)
	switch {
	case rest >= 44:
		spark = min(rest-28, wv.keep)
		remote = rest - spark - 1
	default:
		spark = max(rest, 0)
	}
	return name, spark, remote
}

// View renders the table of the hosts under the most pressure that fit,
// then the panel of the host under the cursor.
func (wv *watchView) View(st *Styles, b *strings.Builder) {
	nameW, sparkW, remoteW := wv.layout()
	var line strings.Builder
	line.WriteString("  ")
	line.WriteString(fit("HOST", nameW, false, st.Tail))
	line.WriteString(" " + fit("TW", 6, true, "") + " " + fit("EST", 6, true, "") + " " + fit("EPH%", 6, true, "") + " ")
	if sparkW > 0 {
		line.WriteString(fit("TIME_WAIT, last "+span(sparkW, wv.every), sparkW, false, st.Tail))
	}
	if remoteW > 0 {
		line.WriteString(" " + fit("TOP TIME_WAIT REMOTE", remoteW, false, st.Tail))
	}
	b.WriteString(st.render(st.ColHeader, clip(line.String(), wv.width)))
	rows := wv.tableRows()
	end := min(wv.offset+rows, len(wv.order))
	for i := wv.offset; i < end; i++ {
		b.WriteByte('\n')
		b.WriteString(wv.row(st, i, nameW, sparkW, remoteW))
	}
	for i := end - wv.offset; i < rows; i++ {
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	if s := wv.current(); s != nil {
		b.WriteByte('\n')
		b.WriteString(strings.Join(wv.detail(st, s), "\n"))
	}
}

// span says how much time n samples cover.
func span(n int, every time.Duration) string {
	d := time.Duration(n) * every
	if d >= time.Minute && d%time.Minute == 0 {
		return strconv.Itoa(int(d/time.Minute)) + "m"
	}
	if d >= time.Minute {
		return fmt.Sprintf("%.1fm", d.Minutes())
	}
	return d.String()
}

func (wv *watchView) row(st *Styles, i, nameW, sparkW, remoteW int) string {
	s := wv.order[i]
	cur := i == wv.cursor
	var line strings.Builder
	if cur {
		line.WriteString("> ")
	} else {
		line.WriteString("  ")
	}
	line.WriteString(fit(s.name, nameW, false, st.Tail))
	line.WriteByte(' ')
	switch {
	case s.samples == 0:
		line.WriteString(st.render(st.Dim, "waiting for the first sample"))
	case !s.ok():
		line.WriteString(st.render(st.Error, s.last.Status.String()+": "+s.last.Error))
	default:
		eph := "-"
		if e := s.ephemeral(); e >= 0 {
			eph = strconv.FormatFloat(e, 'f', 1, 64)
		}
		line.WriteString(fit(strconv.Itoa(s.last.TimeWait), 6, true, "") + " " + fit(strconv.Itoa(s.last.Established), 6, true, "") + " ")
		line.WriteString(st.pressure(s.ephemeral(), fit(eph, 6, true, "")) + " ")
		if sparkW > 0 {
			line.WriteString(fit(sparkline(st, &s.tw, sparkW, wv.buf), sparkW, false, ""))
		}
		if remoteW > 0 {
			top := "-"
			if len(s.last.TopRemotes) > 0 {
				rc := s.last.TopRemotes[0]
				top = rc.Remote.String() + " x" + strconv.Itoa(rc.Count)
			}
			line.WriteString(" " + fit(top, remoteW, false, st.Tail))
		}
	}
	out := line.String()
	if cur && st.Color {
		return st.Cursor.Render(fit(out, wv.width, false, ""))
	}
	return clip(out, wv.width)
}

// detail is the panel of one host: its last reading, the change since the
// one before, sparklines, the client port range and the top remotes.
func (wv *watchView) detail(st *Styles, s *watchSeries) []string {
	w := wv.width
	head := st.render(st.Title, s.name)
	if s.samples == 0 {
		return []string{clip(head+" | waiting for the first sample (every "+wv.every.String()+")", w)}
	}
	l := s.last
	head += fmt.Sprintf(" | sampled %s in %s | %d samples, every %s", l.At.UTC().Format("15:04:05"), l.Took.Round(time.Millisecond), s.samples, wv.every)
	out := []string{clip(head, w)}
	if !s.ok() {
		return append(out, clip(st.render(st.Error, l.Status.String()+": "+l.Error), w))
	}
	change := func(now, before int) string {
		if s.samples < 2 || s.prev.Status != facts.StatusOK {
			return ""
		}
		return fmt.Sprintf("(%+d)", now-before)
	}
	sw := max(w-30, 0)
	out = append(out,
		clip(fmt.Sprintf("TIME_WAIT   %7d %-9s %s", l.TimeWait, change(l.TimeWait, s.prev.TimeWait), sparkline(st, &s.tw, sw, wv.buf)), w),
		clip(fmt.Sprintf("ESTABLISHED %7d %-9s %s", l.Established, change(l.Established, s.prev.Established), sparkline(st, &s.est, sw, wv.buf)), w),
	)
	if e := l.Ephemeral; e != nil {
		text := fmt.Sprintf("client ports %d-%d: %d in use, %.1f%% ", e.Start, e.End(), e.InUse, e.Percent)
		out = append(out, clip(text+bar(st, int(e.Percent*10), 1000, min(30, max(w-len(text), 0))), w))
	} else {
		out = append(out, clip(fmt.Sprintf("client port range not known | CLOSE_WAIT %d | %d TCP sockets", l.CloseWait, l.Total), w))
	}
	if len(l.TopRemotes) == 0 {
		out = append(out, "top TIME_WAIT remotes: none")
	} else {
		var parts []string
		for _, rc := range l.TopRemotes {
			parts = append(parts, rc.Remote.String()+" x"+strconv.Itoa(rc.Count))
		}
		out = append(out, clip("top TIME_WAIT remotes: "+strings.Join(parts, ", "), w))
	}
	return out
}

// status is the watch's part of the status line.
func (wv *watchView) status() string {
	s := fmt.Sprintf("%d/%d", min(wv.cursor+1, len(wv.order)), len(wv.order))
	if rows := wv.tableRows(); len(wv.order) > rows {
		s += fmt.Sprintf(" | top %d by pressure", rows)
	}
	if !wv.running {
		s += " | stopped"
	} else {
		s += " | every " + wv.every.String()
	}
	if wv.samples > 0 {
		s += fmt.Sprintf(" | %d samples, last %s", wv.samples, wv.last.UTC().Format("15:04:05"))
	}
	return s
}
