package tui

import (
	"context"
	"errors"
	"slices"
	"sort"
	"sync/atomic"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// This file routes incident work: collecting again (c, C), the watch
// view (w) and the rollout view (a), and the confirmations. Every
// operation keeps its cancel func in the model (quitting calls them all),
// numbers its messages with a sequence so that a late answer of a
// replaced operation is dropped, and gets its results through a channel
// that one waiting command at a time drains (coalesced per tick).

// targetHosts are the hosts w, c and a act on: the selection when there
// is one, else the host on screen (the host view, the row under the
// cursor of the fleet or the watch).
func (m *Model) targetHosts() []string {
	if len(m.fleet.selected) > 0 {
		out := make([]string, 0, len(m.fleet.selected))
		for n := range m.fleet.selected {
			out = append(out, n)
		}
		sort.Strings(out)
		return out
	}
	p := m.top()
	switch p.kind {
	case viewHost:
		return []string{p.host}
	case viewWatch:
		if s := m.watch.current(); s != nil {
			return []string{s.name}
		}
	case viewRollout:
		if n := m.ro.currentName(); n != "" {
			return []string{n}
		}
	}
	if r := m.fleet.current(); r != nil {
		return []string{r.h.Name}
	}
	return nil
}

// allHosts are every host of the run.
func (m *Model) allHosts() []string {
	out := make([]string, len(m.rows))
	for i := range m.rows {
		out[i] = m.rows[i].h.Name
	}
	return out
}

// incidentKey handles the keys that start incident work from any view;
// ok says the key was one of them.
func (m *Model) incidentKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := &m.keys
	switch {
	case key.Matches(msg, k.Collect):
		hosts := m.targetHosts()
		switch m.top().kind {
		case viewWatch:
			if len(m.fleet.selected) == 0 {
				hosts = m.watch.hosts
			}
		case viewRollout:
			if m.ro.prop != nil && len(m.fleet.selected) == 0 {
				hosts = planHosts(m.ro.prop)
			}
		}
		return m.startCollect(hosts), true
	case key.Matches(msg, k.CollectAll):
		return m.startCollect(m.allHosts()), true
	case key.Matches(msg, k.Watch):
		hosts := m.targetHosts()
		if m.top().kind == viewWatch && len(m.fleet.selected) == 0 && m.watch.hosts != nil {
			hosts = m.watch.hosts // w again restarts the watch
		}
		return m.startWatch(hosts), true
	case key.Matches(msg, k.Fix):
		if m.top().kind == viewRollout && m.ro.state == roPreview {
			if m.ro.canApply() {
				m.dialog = dlgApply
			} else {
				m.setStatus(true, "nothing to apply: no host of this plan has a change")
			}
			return nil, true
		}
		return m.startPlan(m.targetHosts()), true
	}
	return nil, false
}

// startCollect collects hosts again, with live progress; the new run
// replaces the one shown when it is done.
func (m *Model) startCollect(hosts []string) tea.Cmd {
	switch {
	case m.opts.Collector == nil:
		return nil
	case len(hosts) == 0:
		m.setStatus(true, "no host to collect")
		return nil
	case m.coll.running:
		m.setStatus(true, "a collection is running: wait for it to end")
		return nil
	}
	ctx, cancel := context.WithCancel(m.opts.Context)
	m.coll = collection{seq: m.coll.seq + 1, running: true, hosts: slices.Clone(hosts), total: len(hosts), cancel: cancel}
	ch, cmd := collectCmds(ctx, m.opts.Collector, m.data.Report.Run.ID, hosts, m.opts.Now, m.coll.seq)
	m.coll.ch = ch
	return cmd
}

func (m *Model) collectBatch(msg collectBatchMsg) tea.Cmd {
	c := &m.coll
	if msg.seq != c.seq || !c.running {
		return nil
	}
	end := c.apply(msg.items)
	if end != nil || msg.closed {
		c.running = false
		c.cancel()
		switch {
		case end == nil:
			m.setStatus(true, "the collection ended without a result")
		case end.data != nil && end.data.Report != nil:
			m.seq++ // a refresh under way would show the run this one replaces
			m.loading = false
			m.setData(end.data)
			s := "run %d: %s collected again, %d failed"
			if end.err != nil {
				m.setStatus(true, s+" (%v)", end.data.Report.Run.ID, plural(c.done, "host"), c.failed, end.err)
			} else {
				m.setStatus(false, s, end.data.Report.Run.ID, plural(c.done, "host"), c.failed)
			}
		case end.err != nil:
			m.setStatus(true, "collect: %v", end.err)
		default:
			m.setStatus(true, "collect: %v", errNoReport)
		}
		return nil
	}
	return waitCollect(c.ch, c.seq)
}

// startWatch watches hosts (replacing the watch running) and shows it.
func (m *Model) startWatch(hosts []string) tea.Cmd {
	if m.opts.Watcher == nil {
		return nil
	}
	if len(hosts) == 0 {
		m.setStatus(true, "no host to watch")
		return nil
	}
	m.stopWatch()
	wv := &m.watch
	wv.reset(hosts, m.opts.WatchEvery)
	wv.seq++
	ctx, cancel := context.WithCancel(m.opts.Context)
	wv.cancel, wv.running = cancel, true
	ch, cmd := watchCmds(ctx, m.opts.Watcher, hosts, m.opts.WatchEvery, wv.seq)
	wv.ch = ch
	m.stack = []page{{kind: viewWatch}}
	m.watch.SetSize(m.width, m.bodyHeight())
	m.setStatus(false, "watching %s every %s", plural(len(hosts), "host"), m.opts.WatchEvery)
	return cmd
}

func (m *Model) stopWatch() {
	if m.watch.cancel != nil {
		m.watch.cancel()
	}
	m.watch.running = false
}

func (m *Model) watchBatch(msg watchBatchMsg) tea.Cmd {
	wv := &m.watch
	if msg.seq != wv.seq {
		return nil
	}
	wv.add(msg.samples)
	if msg.closed {
		wv.running = false
		return nil
	}
	return waitWatch(wv.ch, wv.seq)
}

func (m *Model) watchKey(msg tea.KeyPressMsg) {
	k, wv := &m.keys, &m.watch
	if d, ok := k.cursorMove(msg, wv.tableRows(), len(wv.order)); ok {
		wv.move(d)
		return
	}
	switch {
	case key.Matches(msg, k.StopWatch):
		if wv.running {
			m.stopWatch()
			m.setStatus(false, "watch stopped: w starts it again")
		}
	case key.Matches(msg, k.Enter):
		if s := wv.current(); s != nil {
			if _, ok := m.byName[s.name]; ok {
				m.fleet.jump(s.name)
				m.openHost(s.name, "")
			}
		}
	}
}

// startPlan plans a fix of hosts and shows it in the rollout view.
func (m *Model) startPlan(hosts []string) tea.Cmd {
	if m.opts.Remediator == nil {
		return nil
	}
	switch {
	case len(hosts) == 0:
		m.setStatus(true, "no host to fix")
		return nil
	case m.ro.state == roRunning:
		m.stack = []page{{kind: viewRollout}}
		m.setStatus(true, "rollout %d is running: wait for it, or abort it (x)", m.ro.id)
		return nil
	}
	run := m.data.Report.Run.ID
	m.ro.startPlan(hosts, run)
	m.ro.SetSize(m.width, m.bodyHeight())
	m.stack = []page{{kind: viewRollout}}
	return planCmd(m.opts.Context, m.opts.Remediator, run, hosts, m.ro.seq)
}

// apply starts the confirmed rollout.
func (m *Model) apply() tea.Cmd {
	ctx, cancel := context.WithCancel(m.opts.Context)
	m.ro.cancel = cancel
	m.ro.state = roRunning
	m.ro.all = &atomic.Bool{}
	m.ro.all.Store(m.ro.allStages)
	ch, cmd := applyCmds(ctx, m.opts.Remediator, m.ro.prop, m.ro.seq, m.ro.all)
	m.ro.ch = ch
	m.setStatus(false, "rollout started: %s in %s", plural(len(m.ro.prop.Plan.Hosts), "host"), plural(len(m.ro.prop.Assigned), "stage"))
	return cmd
}

func (m *Model) rolloutBatch(msg rolloutBatchMsg) tea.Cmd {
	rv := &m.ro
	if msg.seq != rv.seq {
		return nil
	}
	named := rv.id != 0
	end := rv.addEvents(msg.items)
	if end == nil && rv.ask != nil && m.dialog == dlgNone {
		m.dialog = dlgStage
		m.setStatus(false, "rollout %d waits before stage %d: y starts it", rv.id, rv.ask.Index)
	}
	if end == nil && msg.closed && rv.state == roRunning {
		rv.state, rv.err = roDone, errors.New("the rollout ended without a result")
	}
	if end == nil && !msg.closed {
		wait := waitRollout(rv.ch, rv.seq)
		if !named && rv.id != 0 && rv.pauseAsked {
			// p was pressed before the rollout had an id.
			return tea.Batch(wait, ctlCmd(m.opts.Context, m.opts.Remediator, "pause", rv.id, rv.seq))
		}
		return wait
	}
	if m.dialog == dlgAbort || m.dialog == dlgQuit || m.dialog == dlgStage {
		m.dialog = dlgNone
	}
	if rv.cancel != nil {
		rv.cancel()
	}
	if rv.result == nil {
		m.setStatus(true, "rollout: %v", rv.err)
		return nil
	}
	r := rv.result
	m.setStatus(r.Status != "complete", "rollout %d %s: %d fixed, %d failed, %d unreachable, %d not done", r.ID, r.Status, r.Fixed, r.Failed, r.Unreachable, r.Pending)
	if r.Reason != "" {
		m.status += " (" + r.Reason + ")"
	}
	// Show the hosts as they are now.
	if m.opts.Collector != nil && !m.coll.running && rv.prop != nil {
		return m.startCollect(planHosts(rv.prop))
	}
	return nil
}

// planHosts are the hosts a plan changes.
func planHosts(p *Proposal) []string {
	out := make([]string, 0, len(p.Plan.Hosts))
	for _, h := range p.Plan.Hosts {
		out = append(out, h.Host)
	}
	return out
}

func (m *Model) rolloutKey(msg tea.KeyPressMsg) tea.Cmd {
	k, rv := &m.keys, &m.ro
	if d, ok := k.cursorMove(msg, max(rv.height-2, 1), 1<<20); ok {
		rv.move(d)
		return nil
	}
	switch {
	case key.Matches(msg, k.Enter):
		if rv.state == roRunning || rv.state == roDone {
			if n := rv.currentName(); n != "" {
				if _, ok := m.byName[n]; ok {
					m.fleet.jump(n)
					m.openHost(n, "")
				}
			}
		}
	case key.Matches(msg, k.Pause):
		if rv.state != roRunning {
			return nil
		}
		if rv.id == 0 {
			// The rollout has not named itself yet: the pause is sent
			// with its first journal entry.
			rv.pauseAsked = !rv.pauseAsked
			if rv.pauseAsked {
				m.setStatus(false, "the rollout pauses before its next step (p continues)")
			}
			return nil
		}
		if rv.paused || rv.pauseAsked {
			rv.pauseAsked = false
			m.setStatus(false, "rollout %d continues", rv.id)
			return ctlCmd(m.opts.Context, m.opts.Remediator, "continue", rv.id, rv.seq)
		}
		rv.pauseAsked = true
		m.setStatus(false, "rollout %d pauses before its next step (p continues)", rv.id)
		return ctlCmd(m.opts.Context, m.opts.Remediator, "pause", rv.id, rv.seq)
	case key.Matches(msg, k.Abort):
		if rv.state == roRunning && rv.id != 0 && !rv.abortAsked {
			m.dialog = dlgAbort
		}
	case key.Matches(msg, k.Resume):
		if rv.resumable() {
			m.dialog = dlgResume
		}
	}
	return nil
}

// resume continues the rollout shown, after its confirmation.
func (m *Model) resume() tea.Cmd {
	rv := &m.ro
	ctx, cancel := context.WithCancel(m.opts.Context)
	rv.cancel = cancel
	rv.state, rv.result, rv.err = roRunning, nil, nil
	rv.paused, rv.pauseAsked, rv.abortAsked = false, false, false
	rv.all = &atomic.Bool{}
	rv.all.Store(rv.allStages)
	ch, cmd := resumeCmds(ctx, m.opts.Remediator, rv.id, rv.seq, rv.all)
	rv.ch = ch
	m.setStatus(false, "rollout %d resumed", rv.id)
	return cmd
}

// dialogKey answers the confirmation open: y does it, n or esc does
// not; nothing else passes (ctrl+c in the quit dialog quits).
func (m *Model) dialogKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	cmd, quit := m.answer(msg)
	// A stage that asked while another confirmation was open asks now.
	if m.dialog == dlgNone && m.ro.ask != nil && m.ro.state == roRunning {
		m.dialog = dlgStage
	}
	return cmd, quit
}

// answer answers the confirmation open.
func (m *Model) answer(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	d := m.dialog
	if d == dlgStage {
		m.stageKey(msg.String())
		return nil, false
	}
	switch msg.String() {
	case "a", "A":
		if d == dlgApply || d == dlgResume {
			m.ro.allStages = !m.ro.allStages
		}
	case "y", "Y":
		m.dialog = dlgNone
		switch d {
		case dlgApply:
			if m.ro.canApply() {
				return m.apply(), false
			}
		case dlgAbort:
			if m.ro.state == roRunning {
				m.ro.abortAsked = true
				m.setStatus(false, "rollout %d stops at its next step", m.ro.id)
				return ctlCmd(m.opts.Context, m.opts.Remediator, "abort", m.ro.id, m.ro.seq), false
			}
		case dlgResume:
			if m.ro.resumable() {
				return m.resume(), false
			}
		case dlgQuit:
			return nil, true
		}
	case "n", "N", "esc":
		m.dialog = dlgNone
		switch d {
		case dlgApply:
			m.setStatus(false, "not applied: nothing changed")
		case dlgAbort:
			m.setStatus(false, "rollout %d goes on", m.ro.id)
		case dlgResume:
			m.setStatus(false, "not resumed: rollout %d stays as it is", m.ro.id)
		}
	case "ctrl+c":
		if d == dlgQuit {
			return nil, true
		}
	}
	return nil, false
}

// stageKey answers a stage's confirmation: y starts it, a starts it and
// every later one without asking, n or esc stops the rollout there (R
// resumes it).
func (m *Model) stageKey(k string) {
	rv := &m.ro
	ask := rv.ask
	if ask == nil {
		m.dialog = dlgNone
		return
	}
	var ok bool
	switch k {
	case "y", "Y":
		ok = true
		m.setStatus(false, "rollout %d: stage %d starts", rv.id, ask.Index)
	case "a", "A":
		ok = true
		rv.allStages = true
		if rv.all != nil {
			rv.all.Store(true)
		}
		m.setStatus(false, "rollout %d: stage %d starts, and every later stage without asking", rv.id, ask.Index)
	case "n", "N", "esc":
		m.setStatus(false, "rollout %d stops before stage %d: R resumes it", rv.id, ask.Index)
	default:
		return
	}
	rv.ask, m.dialog = nil, dlgNone
	ask.reply <- ok
}
