package rollout

// The effect step: the one restart or reboot that puts a host's changes
// into effect. It runs only when it is needed, and at most once, also
// across crashes of the controller:
//
//   - Needed: the effect the actions this rollout changed need (an action
//     found already done needs none), combined with the pending values
//     still not in effect (a pending reboot is not needed once the host
//     booted after the plan's run; a pending HTTP restart not once http.sys
//     listens on the configured list). Nothing needed: the effect is
//     journaled "skip" and nothing runs.
//   - Once: every step that reaches the host is journaled before it runs
//     with what the host can be asked about afterwards. A reboot records
//     the boot time (wmic os get LastBootUpTime). A detached restart (HTTP)
//     runs from a scheduled task that deletes itself when it starts: a
//     task still registered has not run, one created and gone has (the
//     journal says "created" before any schtasks /run is sent, so a task
//     gone without it was never created). An
//     in-session restart journals each net stop|start before it runs, and
//     sc query tells whether the one a crash interrupted took place.

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fleetport/fleetport/internal/parse"
	"github.com/fleetport/fleetport/internal/plan"
)

// The states of journal step "effect".
const (
	effectSkip    = "skip"    // not needed: nothing to put into effect
	effectStart   = "start"   // detail: "booted TIME" (reboot) or the command lines, " && "-joined
	effectCreated = "created" // the detached restart's task exists on the host
	effectCmd     = "cmd"     // detail: the index of the in-session command about to run
	effectRan     = "ran"     // the triggering commands returned
	effectDone    = "done"
	effectFailed  = "failed"
)

// checkNotInEffect is drift's cross-fact check that the listen list
// http.sys listens on is the configured one.
const checkNotInEffect = "fleetport.not_in_effect"

// restartsHTTP reports whether an effect starts http.sys again: a reboot,
// or a restart detached because it stops HTTP or WinRM (plan.Combine sets
// Detached for exactly those).
func restartsHTTP(e plan.Effect) bool {
	return e.Kind == plan.EffectReboot || e.Kind == plan.EffectServiceRestart && e.Detached
}

// effect puts the host's changes into effect when they need it, once.
func (h *hostRun) effect(ctx context.Context, prior *hostState) (string, string) {
	if prior != nil && prior.effectDone {
		return "", ""
	}
	if prior != nil && prior.effectStarted {
		return h.recoverEffect(ctx, prior)
	}
	eff, why, out, detail := h.needed(ctx)
	if out != "" {
		return out, detail
	}
	if eff.Kind == plan.EffectNone {
		if h.hp.Effect.Kind != plan.EffectNone && h.hp.Effect.Kind != "" {
			h.log(ctx, "effect", effectSkip, why)
		}
		return "", ""
	}
	if !h.admitEffect(ctx, eff) {
		return "", ""
	}
	defer h.releaseEffect()
	switch eff.Kind {
	case plan.EffectReboot:
		return h.reboot(ctx)
	default:
		return h.restart(ctx, eff)
	}
}

// needed is the effect step this rollout's changes on the host need, and
// why none is when none is. A non-empty outcome means the host could not
// be asked.
func (h *hostRun) needed(ctx context.Context) (eff plan.Effect, why, out, detail string) {
	var effs []plan.Effect
	for _, a := range h.hp.Actions {
		if h.done[a.ID] && a.Kind != plan.KindService {
			effs = append(effs, a.Effect)
		}
	}
	var pend []plan.Effect
	for _, p := range h.hp.Pending {
		pend = append(pend, p.Effect)
	}
	pe := plan.Combine(pend...)
	switch pe.Kind {
	case plan.EffectReboot:
		if !h.hp.BootTime.IsZero() {
			now, err := h.bootTime(ctx)
			if err != nil {
				return plan.Effect{}, "", outUnreachable, "reading the boot time: " + oneLine(err)
			}
			if now.After(h.hp.BootTime.Add(2 * time.Second)) {
				pe = plan.Combine()
				why = "the host booted after the plan's run: the values pending a reboot are in effect"
			}
		}
	case plan.EffectServiceRestart:
		if h.r.cfg.Verify != nil {
			hp := h.hp
			hp.Verify = []string{checkNotInEffect}
			h.drop() // collection opens its own session
			switch v := h.r.cfg.Verify(ctx, hp); {
			case v.Unreachable:
				return plan.Effect{}, "", outUnreachable, v.Detail
			case v.Fixed:
				pe = plan.Combine()
				why = "http.sys already listens on the configured list"
			}
		}
	}
	if pe.Kind != plan.EffectNone {
		effs = append(effs, pe)
	}
	eff = plan.Combine(effs...)
	if eff.Kind == plan.EffectNone && why == "" {
		why = "nothing was changed on the host that needs it"
		if len(h.hp.Pending) > 0 {
			why += ", and nothing pending is still not in effect"
		}
	}
	if eff.Kind == plan.EffectNone && why != "" && h.changed {
		why = "the changes made apply at once; " + why
	}
	return eff, why, "", ""
}

// recoverEffect continues an effect a stopped controller started, from
// what the journal and the host say, without running any part twice.
func (h *hostRun) recoverEffect(ctx context.Context, prior *hostState) (string, string) {
	if before, ok := strings.CutPrefix(prior.effectDetail, "booted "); ok {
		return h.recoverReboot(ctx, prior, before)
	}
	cmds := strings.Split(prior.effectDetail, " && ")
	if len(cmds) > 0 && strings.HasPrefix(cmds[0], "schtasks /create ") {
		return h.recoverDetached(ctx, prior, cmds)
	}
	return h.runInSession(ctx, cmds, prior.effectCmd)
}

// recoverReboot: the boot time says whether the reboot took place.
func (h *hostRun) recoverReboot(ctx context.Context, prior *hostState, detail string) (string, string) {
	before, err := time.Parse(time.RFC3339Nano, detail)
	if err != nil {
		h.log(ctx, "effect", effectFailed, "the journal's boot time is unreadable: "+detail)
		return outFailed, "the journal's boot time before the reboot is unreadable"
	}
	// Wait for the host: a reboot the stopped controller started may be
	// under way. The whole effect timeout when it surely ran.
	grace := min(h.r.cfg.EffectTimeout, max(20*h.r.cfg.PollEvery, 15*time.Second))
	if prior.effectRan {
		grace = h.r.cfg.EffectTimeout
	}
	for end := h.now().Add(grace); ; {
		now, err := h.bootTime(ctx)
		if err == nil && now.After(before.Add(2*time.Second)) {
			h.log(ctx, "effect", effectDone, "booted "+now.UTC().Format(time.RFC3339Nano)+" (the reboot started before the controller stopped)")
			return "", ""
		}
		if h.now().After(end) || ctx.Err() != nil {
			break
		}
		h.drop()
		sleep(ctx, h.r.cfg.PollEvery)
	}
	if ctx.Err() != nil {
		return "", ""
	}
	if !prior.effectRan {
		// The host kept the boot time of before for longer than the
		// shutdown's delay: the command never reached it. Reboot, once.
		return h.rebootFrom(ctx, before)
	}
	h.log(ctx, "effect", effectFailed, "the host did not come back from its reboot in time")
	return outUnreachable, fmt.Sprintf("not back %s after the reboot", h.r.cfg.EffectTimeout)
}

// recoverDetached: the restart task deletes itself when it starts, so a
// task still registered has not run; one the journal shows created and the
// host no longer has, has.
func (h *hostRun) recoverDetached(ctx context.Context, prior *hostState, cmds []string) (string, string) {
	if !prior.effectRan {
		exists, err := h.taskExists(ctx)
		if err != nil {
			// The host may be restarting HTTP right now.
			if werr := h.waitBack(ctx); werr != nil {
				h.log(ctx, "effect", effectFailed, oneLine(werr))
				return outUnreachable, "not back after the restart: " + oneLine(werr)
			}
			if exists, err = h.taskExists(ctx); err != nil {
				h.log(ctx, "effect", effectFailed, "asking the host for the restart task: "+oneLine(err))
				return outUnreachable, "asking the host for the restart task: " + oneLine(err)
			}
		}
		switch {
		case exists:
			// Created and never run: run it, once. The journal says
			// "created" before any /run, so that a task found gone later
			// is known to have run.
			if msg := h.lockoutCheck(ctx); msg != "" {
				h.log(ctx, "effect", effectFailed, msg)
				return outFailed, msg
			}
			if !prior.effectCreated {
				h.log(ctx, "effect", effectCreated, plan.RestartTaskName+" (found on the host)")
			}
			if out, detail, started := h.runTask(ctx, cmds[len(cmds)-1]); !started {
				return out, detail
			}
		case prior.effectCreated:
			h.log(ctx, "effect", effectRan, "the restart task ran before the controller stopped (it is gone from the host)")
		default:
			// Never created: start the restart from the beginning.
			return h.detached(ctx, cmds)
		}
	}
	return h.afterDetached(ctx, cmds)
}

// taskExists asks the host whether the restart task is registered.
func (h *hostRun) taskExists(ctx context.Context) (bool, error) {
	res, err := h.exec(ctx, "schtasks /query /tn "+plan.RestartTaskName)
	if err != nil {
		return false, err
	}
	if res.ExitCode == 0 {
		return true, nil
	}
	// "ERROR: The system cannot find the file specified." (in the host's
	// language): exit code 1 and no table.
	if res.ExitCode == 1 && !bytes.Contains(res.Stdout, []byte(plan.RestartTaskName)) {
		return false, nil
	}
	return false, fmt.Errorf("schtasks /query exited %d: %s", res.ExitCode, firstLine(res.Stderr, res.Stdout))
}

// restart restarts the services with their dependants: the dependants
// running now are read first (sc enumdepend) and started again after. An
// HTTP restart cuts WinRM, so it runs in a scheduled task, detached.
func (h *hostRun) restart(ctx context.Context, eff plan.Effect) (string, string) {
	var running []string
	for _, svc := range eff.Services {
		res, err := h.exec(ctx, "sc enumdepend "+svc)
		if err != nil {
			return h.unreachableAfter(ctx, err)
		}
		deps, err := parse.ParseSCEnumDepend(bytes.NewReader(res.Stdout), parse.Options{})
		if err != nil {
			msg := "reading the dependants of " + svc + ": " + err.Error()
			h.log(ctx, "effect", effectFailed, msg)
			return outFailed, msg
		}
		for _, d := range deps {
			if d.State.String() == "running" {
				running = append(running, d.Name)
			}
		}
	}
	cmds, detached, err := plan.EffectCommands(eff, h.hp.Release, running)
	if err != nil {
		h.log(ctx, "effect", effectFailed, err.Error())
		return outFailed, err.Error()
	}
	if !detached {
		h.log(ctx, "effect", effectStart, strings.Join(cmds, " && "))
		return h.runInSession(ctx, cmds, -1)
	}
	return h.detached(ctx, cmds)
}

// detached runs a restart that cuts WinRM: the lockout check on the host,
// then the task is created (after any stale copy is deleted) and run.
func (h *hostRun) detached(ctx context.Context, cmds []string) (string, string) {
	// Checked again on the host, right before: the list the restart puts
	// into effect must keep every address fleetport reaches it on.
	if msg := h.lockoutCheck(ctx); msg != "" {
		h.log(ctx, "effect", effectFailed, msg)
		return outFailed, msg
	}
	// A task left registered by an earlier, stopped rollout never ran:
	// replace it (2003's schtasks /create has no /f).
	if exists, err := h.taskExists(ctx); err != nil {
		return h.unreachableAfter(ctx, err)
	} else if exists {
		if _, err := h.exec(ctx, "schtasks /delete /tn "+plan.RestartTaskName+" /f"); err != nil {
			return h.unreachableAfter(ctx, err)
		}
	}
	h.log(ctx, "effect", effectStart, strings.Join(cmds, " && "))
	create, run := cmds[0], cmds[len(cmds)-1]
	res, err := h.exec(ctx, create)
	if err != nil {
		return h.unreachableAfter(ctx, err)
	}
	if res.ExitCode != 0 {
		msg := fmt.Sprintf("%s exited %d: %s", create, res.ExitCode, firstLine(res.Stderr, res.Stdout))
		h.log(ctx, "effect", effectFailed, msg)
		return outFailed, msg
	}
	h.log(ctx, "effect", effectCreated, plan.RestartTaskName)
	if out, detail, started := h.runTask(ctx, run); !started {
		return out, detail
	}
	return h.afterDetached(ctx, cmds)
}

// runTask runs the restart task (schtasks /run) and journals that it ran.
func (h *hostRun) runTask(ctx context.Context, run string) (string, string, bool) {
	res, err := h.exec(ctx, run)
	if err == nil && res.ExitCode != 0 {
		msg := fmt.Sprintf("%s exited %d: %s", run, res.ExitCode, firstLine(res.Stderr, res.Stdout))
		h.log(ctx, "effect", effectFailed, msg)
		return outFailed, msg, false
	}
	// An error is the restart cutting the session: expected.
	h.log(ctx, "effect", effectRan, "")
	return "", "", true
}

// afterDetached waits for the host to come back from a detached restart
// and for every service it started to run.
func (h *hostRun) afterDetached(ctx context.Context, cmds []string) (string, string) {
	h.drop()
	sleep(ctx, h.r.cfg.PollEvery)
	if err := h.waitBack(ctx); err != nil {
		h.log(ctx, "effect", effectFailed, oneLine(err))
		return outUnreachable, "not back after the restart: " + oneLine(err)
	}
	return h.servicesBack(ctx, startedBy(strings.Join(cmds, " ")))
}

var netStart = regexp.MustCompile(`(?i)\bnet start ([A-Za-z0-9_.$-]+)`)

// startedBy are the services a restart's command lines start.
func startedBy(lines string) []string {
	var out []string
	for _, m := range netStart.FindAllStringSubmatch(lines, -1) {
		if !slices.ContainsFunc(out, func(s string) bool { return strings.EqualFold(s, m[1]) }) {
			out = append(out, m[1])
		}
	}
	return out
}

// runInSession runs an in-session restart's command lines from the one
// after last (the last one a stopped controller started: sc query says
// whether it took place), each journaled before it runs.
func (h *hostRun) runInSession(ctx context.Context, cmds []string, last int) (string, string) {
	for i, line := range cmds {
		if i < last {
			continue
		}
		if i == last {
			if done, err := h.tookPlace(ctx, line); err != nil {
				return h.unreachableAfter(ctx, err)
			} else if done {
				continue
			}
		}
		h.log(ctx, "effect", effectCmd, strconv.Itoa(i))
		res, err := h.exec(ctx, line)
		if err != nil {
			return h.unreachableAfter(ctx, err)
		}
		if res.ExitCode != 0 {
			msg := fmt.Sprintf("%s exited %d: %s", line, res.ExitCode, firstLine(res.Stderr, res.Stdout))
			h.log(ctx, "effect", effectFailed, msg)
			return outFailed, msg
		}
	}
	h.log(ctx, "effect", effectRan, "")
	return h.servicesBack(ctx, startedBy(strings.Join(cmds, " ")))
}

// tookPlace says whether a net stop NAME or net start NAME line took
// place: the service is stopped, or running.
func (h *hostRun) tookPlace(ctx context.Context, line string) (bool, error) {
	f := strings.Fields(line)
	if len(f) < 3 || !strings.EqualFold(f[0], "net") {
		return false, nil
	}
	state, err := h.serviceState(ctx, f[2])
	if err != nil {
		return false, err
	}
	switch strings.ToLower(f[1]) {
	case "stop":
		return state == "stopped", nil
	case "start":
		return state == "running", nil
	}
	return false, nil
}

// serviceState reads a service's state with sc query ("" when it cannot be
// read from the answer).
func (h *hostRun) serviceState(ctx context.Context, svc string) (string, error) {
	res, err := h.exec(ctx, "sc query "+svc)
	if err != nil {
		return "", err
	}
	q, perr := parse.ParseSC(bytes.NewReader(res.Stdout), parse.Options{})
	if perr != nil {
		return "", nil
	}
	if sv, ok := q.Service(svc); ok {
		return sv.State.String(), nil
	}
	return "", nil
}

// servicesBack waits, within the effect timeout, for every service the
// restart started to run, and journals the effect done.
func (h *hostRun) servicesBack(ctx context.Context, svcs []string) (string, string) {
	deadline := h.now().Add(h.r.cfg.EffectTimeout)
	for _, svc := range svcs {
		for {
			if st, err := h.serviceState(ctx, svc); err == nil && st == "running" {
				break
			}
			if h.now().After(deadline) || ctx.Err() != nil {
				msg := svc + " is not running again after the restart"
				h.log(ctx, "effect", effectFailed, msg)
				return outFailed, msg
			}
			sleep(ctx, h.r.cfg.PollEvery)
		}
	}
	h.log(ctx, "effect", effectDone, "running again: "+strings.Join(svcs, ", "))
	return "", ""
}

func (h *hostRun) bootTime(ctx context.Context) (time.Time, error) {
	res, err := h.exec(ctx, "wmic os get LastBootUpTime /value")
	if err != nil {
		return time.Time{}, err
	}
	return parse.ParseBootTime(bytes.NewReader(res.Stdout), parse.Options{})
}

func (h *hostRun) reboot(ctx context.Context) (string, string) {
	before, err := h.bootTime(ctx)
	if err != nil {
		return outUnreachable, "reading the boot time before the reboot: " + oneLine(err)
	}
	return h.rebootFrom(ctx, before)
}

// rebootFrom reboots a host whose boot time is before, and waits for it to
// come back with a later one.
func (h *hostRun) rebootFrom(ctx context.Context, before time.Time) (string, string) {
	h.log(ctx, "effect", effectStart, "booted "+before.UTC().Format(time.RFC3339Nano))
	res, err := h.exec(ctx, plan.RebootCommand)
	if err == nil && res.ExitCode != 0 {
		msg := fmt.Sprintf("%s exited %d: %s", plan.RebootCommand, res.ExitCode, firstLine(res.Stderr, res.Stdout))
		h.log(ctx, "effect", effectFailed, msg)
		return outFailed, msg
	}
	h.log(ctx, "effect", effectRan, "")
	h.drop()
	deadline := h.now().Add(h.r.cfg.EffectTimeout)
	for {
		if ctx.Err() != nil {
			return "", ""
		}
		if now, err := h.bootTime(ctx); err == nil && now.After(before.Add(2*time.Second)) {
			h.log(ctx, "effect", effectDone, "booted "+now.UTC().Format(time.RFC3339Nano))
			return "", ""
		}
		h.drop()
		if h.now().After(deadline) {
			h.log(ctx, "effect", effectFailed, "the host did not come back from its reboot in time")
			return outUnreachable, fmt.Sprintf("not back %s after the reboot", h.r.cfg.EffectTimeout)
		}
		sleep(ctx, h.r.cfg.PollEvery)
	}
}

func (h *hostRun) unreachableAfter(ctx context.Context, err error) (string, string) {
	h.log(ctx, "effect", effectFailed, oneLine(err))
	return outUnreachable, oneLine(err)
}

// waitBack reconnects until the host answers, within EffectTimeout.
func (h *hostRun) waitBack(ctx context.Context) error {
	deadline := h.now().Add(h.r.cfg.EffectTimeout)
	for {
		_, err := h.exec(ctx, "ver")
		if err == nil {
			return nil
		}
		if h.now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("the host did not answer within %s: %w", h.r.cfg.EffectTimeout, err)
		}
		sleep(ctx, h.r.cfg.PollEvery)
	}
}

func (h *hostRun) now() time.Time { return h.r.cfg.Now() }

// lockoutCheck reads the configured listen list and says why restarting
// HTTP would lock fleetport out ("" when it would not): a non-empty list
// must reach every address fleetport connects to, the management address
// and 127.0.0.1, the same rule the plan applied.
func (h *hostRun) lockoutCheck(ctx context.Context) string {
	line, parser := "netsh http show iplisten", parse.ParseIPListen
	if h.hp.Release == "2003" {
		line, parser = "httpcfg query iplisten", parse.ParseHttpcfg
	}
	res, err := h.exec(ctx, line)
	if err != nil {
		return "reading the listen list before restarting HTTP: " + oneLine(err)
	}
	l, err := parser(bytes.NewReader(res.Stdout), parse.Options{})
	if err != nil {
		return "reading the listen list before restarting HTTP: " + err.Error()
	}
	var list []netip.Addr
	for _, e := range l.Entries {
		list = append(list, e.Addr)
	}
	if missing := lacks(list, h.hp.ManagementAddress, h.hp.ConnectAddresses); len(missing) > 0 {
		return fmt.Sprintf("refusing to restart HTTP: the configured listen list %v lacks %s, and WinRM would stop answering there", list, strings.Join(missing, ", "))
	}
	return ""
}
