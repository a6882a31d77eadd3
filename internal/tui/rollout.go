package tui

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"github.com/fleetport/fleetport/internal/plan"
)

// The rollout view's states.
const (
	roEmpty    = iota // nothing planned yet
	roPlanning        // Remediator.Plan runs
	roPreview         // the plan is shown; a asks to apply it
	roRunning         // Remediator.Apply runs
	roDone            // the rollout ended (or could not start)
)

// The dialogs that ask before an action changes hosts.
const (
	dlgNone   = iota
	dlgApply  // apply the plan shown
	dlgAbort  // abort the running rollout
	dlgQuit   // quit while a rollout runs
	dlgResume // resume a rollout that stopped
	dlgStage  // start the next stage of the running rollout
)

// planMsg carries a plan made for the rollout view.
type planMsg struct {
	seq  int
	prop *Proposal
	err  error
}

// planCmd runs Remediator.Plan with copied inputs.
func planCmd(ctx context.Context, r Remediator, run int64, hosts []string, seq int) tea.Cmd {
	hosts = slices.Clone(hosts)
	return func() tea.Msg {
		p, err := r.Plan(ctx, run, hosts)
		if err == nil && (p == nil || p.Plan == nil) {
			err = fmt.Errorf("the planner returned no plan")
		}
		return planMsg{seq: seq, prop: p, err: err}
	}
}

// rolloutItem is what a running rollout sends the TUI: a journal entry,
// a question before its next stage, or its end.
type rolloutItem struct {
	ev  RolloutEvent
	ask *stageAsk
	end bool
	res RolloutResult
	err error
}

// stageAsk is a rollout waiting for the operator before a stage: the
// answer goes to reply.
type stageAsk struct {
	StageAsk
	reply chan bool
}

// hooks are the callbacks of a rollout the view follows: each entry goes
// to the view; before each stage the rollout asks the operator through
// the view, unless all says every stage goes without asking.
func hooks(ctx context.Context, send func(rolloutItem), all *atomic.Bool) RolloutHooks {
	return RolloutHooks{
		Progress: func(e RolloutEvent) { send(rolloutItem{ev: e}) },
		Confirm: func(ctx2 context.Context, s StageAsk) bool {
			if all.Load() {
				return true
			}
			ask := &stageAsk{StageAsk: s, reply: make(chan bool, 1)}
			send(rolloutItem{ask: ask})
			select {
			case ok := <-ask.reply:
				return ok
			case <-ctx.Done():
			case <-ctx2.Done():
			}
			return false
		},
	}
}

type rolloutBatchMsg struct {
	seq    int
	items  []rolloutItem
	closed bool
}

// applyCmds starts the rollout of a confirmed proposal: one command runs
// it, one waits for its journal.
func applyCmds(ctx context.Context, r Remediator, p *Proposal, seq int, all *atomic.Bool) (<-chan rolloutItem, tea.Cmd) {
	ch := make(chan rolloutItem, 256)
	send := sender(ctx, ch)
	run := func() tea.Msg {
		defer close(ch)
		res, err := r.Apply(ctx, p, hooks(ctx, send, all))
		send(rolloutItem{end: true, res: res, err: err})
		return nil
	}
	return ch, tea.Batch(run, waitRollout(ch, seq))
}

func waitRollout(ch <-chan rolloutItem, seq int) tea.Cmd {
	return func() tea.Msg {
		items, closed := drain(ch, coalesceWindow)
		return rolloutBatchMsg{seq: seq, items: items, closed: closed}
	}
}

// resumeCmds continues a rollout that stopped: one command runs it, one
// waits for its journal.
func resumeCmds(ctx context.Context, r Remediator, id int64, seq int, all *atomic.Bool) (<-chan rolloutItem, tea.Cmd) {
	ch := make(chan rolloutItem, 256)
	send := sender(ctx, ch)
	run := func() tea.Msg {
		defer close(ch)
		res, err := r.Resume(ctx, id, hooks(ctx, send, all))
		send(rolloutItem{end: true, res: res, err: err})
		return nil
	}
	return ch, tea.Batch(run, waitRollout(ch, seq))
}

// rolloutCtlMsg is the answer to pause, continue or abort.
type rolloutCtlMsg struct {
	seq  int
	what string
	err  error
}

// ctlCmd runs one of Pause, Continue and Abort on the rollout id.
func ctlCmd(ctx context.Context, r Remediator, what string, id int64, seq int) tea.Cmd {
	return func() tea.Msg {
		var err error
		switch what {
		case "pause":
			err = r.Pause(id)
		case "continue":
			err = r.Continue(id)
		case "abort":
			err = r.Abort(ctx, id)
		}
		return rolloutCtlMsg{seq: seq, what: what, err: err}
	}
}

// roHost is one host of a running rollout: its stage and its last step.
type roHost struct {
	name    string
	stage   int
	step    string
	state   string
	detail  string
	outcome string
}

// journalKeep is how many journal entries the view keeps.
const journalKeep = 200

// rolloutView is the plan of the selected hosts, a confirmation, then the
// rollout followed live: each host's stage, step and result, the journal,
// with pause, continue and abort.
type rolloutView struct {
	state int
	seq   int
	// hosts are the hosts asked for; run the run the plan rests on.
	hosts []string
	run   int64
	prop  *Proposal
	err   error

	vp viewport.Model

	// A running or finished rollout.
	cancel     context.CancelFunc
	ch         <-chan rolloutItem
	id         int64
	rows       []roHost
	byHost     map[string]int
	stage, of  int
	paused     bool // the journal says paused
	pauseAsked bool
	abortAsked bool
	journal    []RolloutEvent
	result     *RolloutResult
	// allStages is the confirmation's option "apply all stages without
	// asking"; all is its value for the running rollout, which reads it
	// before each stage; ask is the stage waiting for the operator.
	allStages bool
	all       *atomic.Bool
	ask       *stageAsk

	cursor, offset int
	width, height  int
}

func newRolloutView() rolloutView {
	vp := viewport.New()
	vp.SoftWrap = true
	return rolloutView{vp: vp}
}

func (rv *rolloutView) SetSize(w, h int) {
	rv.width, rv.height = w, h
	rv.vp.SetWidth(w)
	rv.vp.SetHeight(max(h-1, 1))
	rv.scroll()
}

// startPlan resets the view for a new plan of hosts.
func (rv *rolloutView) startPlan(hosts []string, run int64) {
	*rv = rolloutView{vp: rv.vp, width: rv.width, height: rv.height, seq: rv.seq + 1, state: roPlanning,
		hosts: slices.Clone(hosts), run: run}
	rv.vp.SetContentLines(nil)
}

// planned shows a plan (or why there is none).
func (rv *rolloutView) planned(msg planMsg) {
	if msg.err != nil {
		rv.state, rv.err = roDone, msg.err
		return
	}
	rv.state, rv.prop = roPreview, msg.prop
	rv.rows, rv.byHost = nil, map[string]int{}
	for si, hosts := range msg.prop.Assigned {
		for _, h := range hosts {
			rv.byHost[h] = len(rv.rows)
			rv.rows = append(rv.rows, roHost{name: h, stage: si + 1, state: "waiting"})
		}
	}
	rv.of = len(msg.prop.Assigned)
}

// buildPreview lays the plan out in the viewport: the stages, then the
// plan as fleetport plan prints it.
func (rv *rolloutView) buildPreview(st *Styles) {
	if rv.prop == nil {
		return
	}
	p := rv.prop.Plan
	hosts, actions, reboots, restarts := p.Counts()
	lines := []string{
		st.render(st.Title, fmt.Sprintf("PLAN of run %d for %s", p.Run, plural(len(rv.hosts), "host"))),
		fmt.Sprintf("%s to change: %s, %s, %s", plural(hosts, "host"), plural(actions, "action"), plural(reboots, "reboot"), plural(restarts, "service restart")),
	}
	if hosts > 0 {
		lines = append(lines, fmt.Sprintf("stages %s, up to %s failed per stage:", rv.prop.Stages, rv.prop.Budget))
		for i, s := range rv.prop.Assigned {
			lines = append(lines, fmt.Sprintf("  stage %d: %s", i+1, strings.Join(s, ", ")))
		}
	} else {
		lines = append(lines, "nothing to change on these hosts")
	}
	if n := len(p.Refused); n > 0 {
		lines = append(lines, st.render(st.Error, fmt.Sprintf("%s refused (below, with the reason)", plural(n, "change"))))
	}
	var b strings.Builder
	if err := plan.WriteText(&b, p, false); err != nil {
		lines = append(lines, st.render(st.Error, "the plan cannot be shown: "+err.Error()))
	} else {
		lines = append(lines, strings.Split(strings.TrimRight(b.String(), "\n"), "\n")...)
	}
	rv.vp.SetContentLines(lines)
}

// resumable reports whether the rollout shown stopped before it was
// complete (aborted, stopped by its budget, failed): R resumes it.
func (rv *rolloutView) resumable() bool {
	return rv.state == roDone && rv.id != 0 && (rv.result == nil || rv.result.Status != "complete")
}

// canApply reports whether the preview has something to apply.
func (rv *rolloutView) canApply() bool {
	return rv.state == roPreview && rv.prop != nil && len(rv.prop.Plan.Hosts) > 0
}

// addEvents follows the journal.
func (rv *rolloutView) addEvents(items []rolloutItem) *rolloutItem {
	keep := rv.currentName()
	var end *rolloutItem
	for i := range items {
		it := &items[i]
		if it.end {
			end = it
			continue
		}
		if it.ask != nil {
			rv.ask = it.ask
			continue
		}
		e := it.ev
		if rv.id == 0 {
			rv.id = e.Rollout
		}
		rv.journal = append(rv.journal, e)
		if len(rv.journal) > journalKeep {
			rv.journal = slices.Delete(rv.journal, 0, len(rv.journal)-journalKeep)
		}
		switch {
		case e.Host == "" && e.Step == "stage" && e.State == "start":
			rv.stage = e.Stage
		case e.Host == "" && e.Step == "rollout" && e.State == "paused":
			rv.paused = true
		case e.Host == "" && e.Step == "rollout" && e.State == "continued":
			rv.paused, rv.pauseAsked = false, false
		case e.Host != "":
			i, ok := rv.byHost[e.Host]
			if !ok {
				rv.byHost[e.Host] = len(rv.rows)
				rv.rows = append(rv.rows, roHost{name: e.Host, stage: e.Stage})
				i = len(rv.rows) - 1
			}
			h := &rv.rows[i]
			if e.Step == "host" {
				if e.State == "start" {
					h.step, h.state, h.detail = "start", "running", ""
				} else {
					h.outcome, h.state, h.detail = e.State, e.State, e.Detail
				}
				break
			}
			h.step, h.state, h.detail = stepName(e.Host, e.Step), e.State, e.Detail
		}
	}
	if end != nil {
		rv.state = roDone
		rv.paused, rv.pauseAsked = false, false
		rv.ask = nil
		if end.err != nil {
			rv.err = end.err
		} else {
			res := end.res
			rv.result = &res
			if rv.id == 0 {
				rv.id = res.ID
			}
		}
	}
	rv.sortRows(keep)
	return end
}

// stepName shortens a journal step for the table: an action's id names
// the host, which the row already shows.
func stepName(host, step string) string {
	if a, ok := strings.CutPrefix(step, "action:"); ok {
		return "action " + strings.TrimPrefix(a, host+"/")
	}
	return step
}

// sortRows keeps the hosts in stage order, then by name.
func (rv *rolloutView) sortRows(keep string) {
	slices.SortStableFunc(rv.rows, func(a, b roHost) int {
		if a.stage != b.stage {
			return a.stage - b.stage
		}
		return strings.Compare(a.name, b.name)
	})
	rv.cursor = 0
	for i := range rv.rows {
		rv.byHost[rv.rows[i].name] = i
		if rv.rows[i].name == keep {
			rv.cursor = i
		}
	}
	rv.scroll()
}

func (rv *rolloutView) currentName() string {
	if rv.cursor >= 0 && rv.cursor < len(rv.rows) {
		return rv.rows[rv.cursor].name
	}
	return ""
}

// counts are the hosts by outcome.
func (rv *rolloutView) counts() (fixed, failed, unreachable, togo int) {
	for _, h := range rv.rows {
		switch h.outcome {
		case "fixed":
			fixed++
		case "failed":
			failed++
		case "unreachable":
			unreachable++
		default:
			togo++
		}
	}
	return
}

// tableRows is the height of the hosts table in the running view: the
// journal gets the rest, at least four lines.
func (rv *rolloutView) tableRows() int {
	avail := rv.height - 1 - 1 - 2 // summary, column header, blank and journal title
	return clamp(len(rv.rows), 1, max(avail-4, 1))
}

func (rv *rolloutView) scroll() {
	page := rv.tableRows()
	if rv.cursor < rv.offset {
		rv.offset = rv.cursor
	}
	if rv.cursor >= rv.offset+page {
		rv.offset = rv.cursor - page + 1
	}
	rv.offset = clamp(rv.offset, 0, max(len(rv.rows)-page, 0))
}

func (rv *rolloutView) move(d int) {
	if rv.state == roPreview || rv.state == roPlanning {
		if d > 0 {
			rv.vp.ScrollDown(d)
		} else {
			rv.vp.ScrollUp(-d)
		}
		return
	}
	rv.cursor = clamp(rv.cursor+d, 0, len(rv.rows)-1)
	rv.scroll()
}

// summaryParts is the first line of the running view: the rollout, its
// state (first, so that a narrow terminal keeps it), then its stage and
// the hosts by outcome.
func (rv *rolloutView) summaryParts() (head, state, tail string) {
	fixed, failed, unreach, togo := rv.counts()
	state = "running"
	switch {
	case rv.result != nil:
		state = rv.result.Status
	case rv.err != nil:
		state = "failed"
	case rv.abortAsked:
		state = "aborting"
	case rv.paused:
		state = "PAUSED"
	case rv.pauseAsked:
		state = "pausing"
	}
	head = "rollout "
	if rv.id != 0 {
		head += strconv.FormatInt(rv.id, 10) + " "
	}
	if rv.of > 0 {
		tail = fmt.Sprintf(" | stage %d/%d", max(rv.stage, 1), rv.of)
	}
	tail += fmt.Sprintf(" | %d fixed, %d failed, %d unreachable, %d to go", fixed, failed, unreach, togo)
	return head, state, tail
}

// summary is the first line, without styles.
func (rv *rolloutView) summary() string {
	h, s, t := rv.summaryParts()
	return clip(h+s+t, rv.width)
}

// styledSummary is the first line: the title style, the state in the
// colour of its outcome (styles are never nested).
func (rv *rolloutView) styledSummary(st *Styles) string {
	h, s, t := rv.summaryParts()
	state := st.render(st.Title, s)
	switch s {
	case "PAUSED", "failed", "aborted", "stopped", "aborting":
		state = st.render(st.Error, s)
	case "complete":
		state = st.render(st.Good, s)
	}
	return clip(st.render(st.Title, h)+state+st.render(st.Title, t), rv.width)
}

// View renders the view for its state.
func (rv *rolloutView) View(st *Styles, b *strings.Builder) {
	switch rv.state {
	case roEmpty:
		b.WriteString("  no plan: select hosts in the fleet (space) and press a")
		return
	case roPlanning:
		b.WriteString(fmt.Sprintf("  planning %s from run %d...", plural(len(rv.hosts), "host"), rv.run))
		return
	case roPreview:
		b.WriteString(rv.vp.View())
		return
	}
	if rv.err != nil && rv.id == 0 && len(rv.journal) == 0 {
		b.WriteString(clip("  "+st.render(st.Error, rv.err.Error()), rv.width))
		return
	}
	b.WriteString(rv.styledSummary(st))
	b.WriteByte('\n')
	stepW := clamp(rv.width/3, 12, 34)
	head := "  " + fit("HOST", 14, false, "") + " " + fit("STG", 3, true, "") + " " + fit("STEP", stepW, false, "") + " " + fit("STATE", 11, false, "") + " DETAIL"
	b.WriteString(st.render(st.ColHeader, clip(head, rv.width)))
	rows := rv.tableRows()
	end := min(rv.offset+rows, len(rv.rows))
	for i := rv.offset; i < end; i++ {
		h := &rv.rows[i]
		cur := i == rv.cursor
		var line strings.Builder
		if cur {
			line.WriteString("> ")
		} else {
			line.WriteString("  ")
		}
		step := h.step
		if step == "" {
			step = "-"
		}
		line.WriteString(fit(h.name, 14, false, st.Tail) + " " + fit(strconv.Itoa(h.stage), 3, true, "") + " " + fit(step, stepW, false, st.Tail) + " ")
		state := fit(h.state, 11, false, st.Tail)
		if !cur {
			state = st.outcome(h.outcome, state)
		}
		line.WriteString(state + " " + h.detail)
		out := line.String()
		if cur && st.Color {
			out = st.Cursor.Render(fit(out, rv.width, false, ""))
		} else {
			out = clip(out, rv.width)
		}
		b.WriteByte('\n')
		b.WriteString(out)
	}
	b.WriteString("\n\n")
	b.WriteString(st.render(st.Title, "JOURNAL"))
	left := rv.height - 1 - 1 - rows - 2
	if rv.err != nil {
		b.WriteString("\n" + clip(st.render(st.Error, "error: "+rv.err.Error()), rv.width))
		left--
	}
	from := max(len(rv.journal)-max(left, 0), 0)
	for _, e := range rv.journal[from:] {
		b.WriteByte('\n')
		b.WriteString(clip(journalLine(e), rv.width))
	}
}

// journalLine is one journal entry as the view shows it.
func journalLine(e RolloutEvent) string {
	s := e.Time.UTC().Format("15:04:05") + " "
	switch {
	case e.Host == "" && e.Step == "stage":
		s += fmt.Sprintf("stage %d %s", e.Stage, e.State)
	case e.Host == "":
		s += e.Step + " " + e.State
	default:
		s += e.Host + " " + stepName(e.Host, e.Step) + " " + e.State
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// status is the view's part of the status line.
func (rv *rolloutView) status() string {
	switch rv.state {
	case roPreview:
		if !rv.canApply() {
			return "nothing to apply"
		}
		return fmt.Sprintf("%d%% | a applies this plan (it asks first)", int(rv.vp.ScrollPercent()*100))
	case roRunning, roDone:
		if len(rv.rows) == 0 {
			return ""
		}
		s := fmt.Sprintf("%d/%d", rv.cursor+1, len(rv.rows))
		if rv.resumable() {
			s += " | R resumes it (it asks first)"
		}
		return s
	}
	return ""
}

// dialogLines is the text of the open confirmation.
func (rv *rolloutView) dialogLines(kind int) []string {
	switch kind {
	case dlgApply:
		p := rv.prop.Plan
		hosts, actions, reboots, restarts := p.Counts()
		lines := []string{
			"Apply this plan?",
			"",
			fmt.Sprintf("It changes %s in %s (%s),", plural(hosts, "host"), plural(len(rv.prop.Assigned), "stage"), rv.prop.Stages),
			fmt.Sprintf("up to %s failed per stage: %s,", rv.prop.Budget, plural(actions, "action")),
			fmt.Sprintf("%s, %s.", plural(reboots, "reboot"), plural(restarts, "service restart")),
		}
		if len(rv.prop.Assigned) > 1 {
			lines = append(lines, "", "y starts stage 1; each later stage asks first,", "unless:", rv.allStagesOption())
		}
		return append(lines, "", "y apply    n or esc cancel")
	case dlgStage:
		if rv.ask == nil {
			return nil
		}
		s := rv.ask.StageAsk
		hosts := s.Hosts
		if len(hosts) > 4 {
			hosts = append(slices.Clone(hosts[:4]), fmt.Sprintf("and %d more", len(s.Hosts)-4))
		}
		return []string{
			fmt.Sprintf("Rollout %d: start stage %d of %d?", rv.id, s.Index, s.Of),
			"",
			fmt.Sprintf("%s: %s,", plural(len(s.Hosts), "host"), strings.Join(hosts, ", ")),
			fmt.Sprintf("up to %d may fail. Stage %d is done.", s.Budget, s.Index-1),
			"",
			"y start it    n or esc stop here (R resumes)",
			"a start it and apply all stages without asking",
		}
	case dlgAbort:
		return []string{
			fmt.Sprintf("Abort rollout %d?", rv.id),
			"",
			"It stops at its next step. Hosts it changed stay",
			fmt.Sprintf("changed: fleetport rollout rollback %d undoes them.", rv.id),
			"",
			"y abort    n or esc keep it going",
		}
	case dlgResume:
		return []string{
			fmt.Sprintf("Resume rollout %d?", rv.id),
			"",
			"It goes on where it stopped. Every action reads",
			"the host's state first, so none runs twice.",
			"Each stage it starts asks first, unless:",
			rv.allStagesOption(),
			"",
			"y resume    n or esc cancel",
		}
	case dlgQuit:
		return []string{
			fmt.Sprintf("Rollout %d is running. Quit?", rv.id),
			"",
			"Quitting interrupts it at its next step;",
			fmt.Sprintf("fleetport rollout resume %d continues it.", rv.id),
			"",
			"y quit    n or esc stay",
		}
	}
	return nil
}

// allStagesOption is the confirmation's option to go through every stage
// without asking, as fleetport apply --yes does; a toggles it.
func (rv *rolloutView) allStagesOption() string {
	if rv.allStages {
		return "[x] a: apply all stages without asking"
	}
	return "[ ] a: apply all stages without asking"
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
