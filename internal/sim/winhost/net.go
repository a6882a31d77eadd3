package winhost

// net start / net stop, and the service steps they share with sc and the
// boot.
//
// Sources: the start/stop lines are the corpus capture
// net-stop-start-w3svc-success-msdocs-kb969864.txt; the dependants list,
// the prompt "Do you want to continue this operation? (Y/N) [N]: ", the
// blank line after each "stopped successfully" and "The service is
// starting or stopping.  Please try again later." are real `net stop http`
// sessions (code index ids 70154449997, 38683268916); "The requested
// service has already been started." + NET HELPMSG 2182, "The service name
// is invalid." + NET HELPMSG 2185 (with stderr, exit code 2 and the
// trailing blank line, from a Python CompletedProcess of net.exe, code
// index id 42510876181), "The X service is not started." + NET HELPMSG
// 3521 (corpus notes, code index id 38683268916) and the trailing blank
// line after "started successfully." (a session, code index id
// 19037657288) are captures too. [chosen] "System error 1058/1068 has
// occurred." for a disabled service or dependency, NET HELPMSG 2191 for a
// service that cannot be stopped, the syntax messages, the output of
// `net start` with no argument, and what net prints when the prompt is
// answered No (nothing) are from memory. With /y the dependants are still
// listed, only the prompt is skipped (KB 969864's example).

import (
	"sort"
	"strings"
)

const netTryLater = "The service is starting or stopping.  Please try again later.\r\n\r\n"

func helpmsg(n string) string {
	return "More help is available by typing NET HELPMSG " + n + ".\r\n\r\n"
}

func runNet(e *execEnv, args []string, _ string) int {
	if len(args) == 0 {
		e.out.print(netSyntax)
		return 1
	}
	sub := strings.ToLower(args[0])
	var names []string
	yesFlag := false
	for _, a := range args[1:] {
		if isSwitch(a) {
			switch strings.ToLower(a[1:]) {
			case "y", "yes":
				yesFlag = true
			case "n", "no":
			default:
				e.out.print(netSyntax)
				return 1
			}
			continue
		}
		names = append(names, a)
	}
	name := strings.Join(names, " ")
	if (sub == "start" || sub == "stop") && name != "" && e.limited() {
		e.err.print(textSystemError5)
		return 2
	}
	switch sub {
	case "start":
		if name == "" {
			return netListStarted(e)
		}
		return netStart(e, name)
	case "stop":
		if name == "" {
			e.out.print("The syntax of this command is:\r\n\r\nNET STOP\r\nservice\r\n\r\n")
			return 1
		}
		return netStop(e, name, yesFlag)
	}
	e.out.print(netSyntax)
	return 1
}

const netSyntax = "The syntax of this command is:\r\n\r\nNET\r\n" +
	"    [ ACCOUNTS | COMPUTER | CONFIG | CONTINUE | FILE | GROUP | HELP |\r\n" +
	"      HELPMSG | LOCALGROUP | PAUSE | SESSION | SHARE | START |\r\n" +
	"      STATISTICS | STOP | TIME | USE | USER | VIEW ]\r\n\r\n"

func netListStarted(e *execEnv) int {
	h := e.h
	h.mu.Lock()
	var names []string
	for i, d := range h.svcDefs {
		if d.kind != kindDriver && h.svc[i].state == stateRunning {
			names = append(names, d.display)
		}
	}
	h.mu.Unlock()
	sort.Slice(names, func(i, j int) bool { return strings.ToLower(names[i]) < strings.ToLower(names[j]) })
	var b strings.Builder
	b.WriteString("These Windows services are started:\r\n\r\n")
	for _, n := range names {
		b.WriteString("   " + n + "\r\n")
	}
	b.WriteString("\r\nThe command completed successfully.\r\n\r\n")
	e.out.print(b.String())
	return 0
}

func netStart(e *execEnv, name string) int {
	h := e.h
	h.mu.Lock()
	i := h.findService(name)
	if i < 0 {
		h.mu.Unlock()
		e.err.print("The service name is invalid.\r\n\r\n" + helpmsg("2185"))
		return 2
	}
	d := h.svcDefs[i]
	switch h.svc[i].state {
	case stateRunning:
		h.mu.Unlock()
		e.err.print("The requested service has already been started.\r\n\r\n" + helpmsg("2182"))
		return 2
	case stateStartPending, stateStopPending:
		h.mu.Unlock()
		e.err.print(netTryLater)
		return 2
	}
	order, failed, ok := h.startOrderLocked(i)
	if !ok {
		h.mu.Unlock()
		if failed == i {
			e.err.print("System error 1058 has occurred.\r\n\r\nThe service cannot be started, either because it is disabled or because it has no enabled devices associated with it.\r\n\r\n")
		} else {
			e.err.print("System error 1068 has occurred.\r\n\r\nThe dependency service or group failed to start.\r\n\r\n")
		}
		return 2
	}
	h.svc[i].state = stateStartPending
	gen := h.bootGen
	h.mu.Unlock()

	e.out.print("The " + d.display + " service is starting.")
	if !h.runStartSteps(order, gen) {
		e.out.print("\r\nThe " + d.display + " service could not be started.\r\n\r\n")
		return 2
	}
	e.out.print("\r\nThe " + d.display + " service was started successfully.\r\n\r\n")
	return 0
}

// runStartSteps starts the services in order, one step each; false when
// the host was power-cycled meanwhile.
func (h *Host) runStartSteps(order []int, gen int) bool {
	for _, j := range order {
		aborted := false
		h.update(func() {
			if h.bootGen != gen || h.power != powerOn {
				aborted = true
				return
			}
			if h.svc[j].state == stateStopped {
				h.svc[j].state = stateStartPending
			}
		})
		if aborted {
			return false
		}
		sleepStep(h.opts.ServiceStepDelay)
		h.update(func() {
			if h.bootGen != gen || h.power != powerOn {
				aborted = true
				return
			}
			if h.svc[j].state == stateStartPending {
				h.setStateLocked(j, stateRunning)
				h.starts[j]++
			}
		})
		if aborted {
			return false
		}
	}
	return true
}

// stopStep stops one service (one step); false when it was not running
// or the host was power-cycled.
func (h *Host) stopStep(j, gen int, before func()) bool {
	ok := true
	h.update(func() {
		if h.bootGen != gen || h.power != powerOn || h.svc[j].state != stateRunning {
			ok = false
			return
		}
		h.svc[j].state = stateStopPending
	})
	if !ok {
		return false
	}
	if before != nil {
		before()
	}
	sleepStep(h.opts.ServiceStepDelay)
	h.update(func() {
		if h.bootGen != gen || h.power != powerOn {
			ok = false
			return
		}
		h.setStateLocked(j, stateStopped)
	})
	return ok
}

func netStop(e *execEnv, name string, yesFlag bool) int {
	h := e.h
	h.mu.Lock()
	i := h.findService(name)
	if i < 0 {
		h.mu.Unlock()
		e.err.print("The service name is invalid.\r\n\r\n" + helpmsg("2185"))
		return 2
	}
	d := h.svcDefs[i]
	switch {
	case h.svc[i].state == stateStopped:
		h.mu.Unlock()
		e.err.print("The " + d.display + " service is not started.\r\n\r\n" + helpmsg("3521"))
		return 2
	case h.svc[i].state != stateRunning:
		h.mu.Unlock()
		e.err.print(netTryLater)
		return 2
	case !d.stoppable:
		h.mu.Unlock()
		e.err.print("The requested pause, continue, or stop is not valid for this service.\r\n\r\n" + helpmsg("2191"))
		return 2
	}
	deps := h.dependantsLocked(i)
	gen := h.bootGen
	h.mu.Unlock()

	if len(deps) > 0 {
		var b strings.Builder
		b.WriteString("The following services are dependent on the " + d.display + " service.\r\n")
		b.WriteString("Stopping the " + d.display + " service will also stop these services.\r\n\r\n")
		for _, j := range deps {
			b.WriteString("   " + h.svcDefs[j].display + "\r\n")
		}
		b.WriteString("\r\n")
		e.out.print(b.String())
		if !yesFlag {
			e.out.print("Do you want to continue this operation? (Y/N) [N]: ")
			ans, ok := e.readAnswer()
			if !ok {
				return ExitTerminated
			}
			if !strings.HasPrefix(strings.ToLower(strings.TrimSpace(ans)), "y") {
				e.out.print("\r\n")
				return 2
			}
		}
	}
	for _, j := range append(deps, i) {
		disp := h.svcDefs[j].display
		if h.stopStep(j, gen, func() { e.out.print("The " + disp + " service is stopping.") }) {
			e.out.print("\r\nThe " + disp + " service was stopped successfully.\r\n\r\n")
		} else if j == i {
			e.err.print("The " + disp + " service could not be stopped.\r\n\r\n")
			return 2
		}
	}
	return 0
}
