package winhost

// Power: shutdown.exe and Reboot.
//
// shutdown /r takes the host down (WinRM unreachable at once, or after
// /t seconds), keeps it down for Options.RebootDuration, then boots it:
// the values the TCP/IP stack reads at boot take effect (MaxUserPort,
// TcpTimedWaitDelay), http.sys reads the listen list as it starts, the
// piles (TIME_WAIT and any other pile) are gone, the automatic services
// start, /sc onstart tasks run, and the boot time (wmic os get
// LastBootUpTime) becomes the moment the host came back up. shutdown /s
// takes the host down for good (until Reboot). shutdown prints nothing on
// success.
//
// Sources: windows-semantics.md section 1 (reboot needed for MaxUserPort
// and TcpTimedWaitDelay) and section 2. [chosen] The texts of shutdown's
// errors (/a with nothing pending: "Unable to abort the system shutdown
// because no shutdown was in progress.(1116)") are from memory.

import (
	"strconv"
	"strings"
	"time"
)

// Reboot power-cycles the host at once, as a forced restart does.
func (h *Host) Reboot() {
	h.powerCycle(true)
}

// powerCycle takes the host down; restart decides whether it boots again.
func (h *Host) powerCycle(restart bool) {
	h.update(func() {
		if h.closed {
			return
		}
		h.bootGen++
		if h.powerTimer != nil && h.powerTimer.Stop() {
			h.bg.Done()
		}
		h.powerTimer = nil
		for i := range h.svc {
			h.svc[i].state = stateStopped
		}
		h.listenNow = nil
		h.piles = nil
		if !restart {
			h.power = powerOff
			return
		}
		h.power = powerDown
		h.reboots++
		gen := h.bootGen
		h.bg.Add(1)
		h.powerTimer = time.AfterFunc(h.opts.RebootDuration, func() {
			defer h.bg.Done()
			h.boot(gen)
		})
	})
}

// boot brings the host up after a reboot.
func (h *Host) boot(gen int) {
	var onstart []*task
	h.update(func() {
		if h.bootGen != gen || h.power != powerDown || h.closed {
			return
		}
		h.powerTimer = nil
		h.bootTime = h.now().Round(0)
		h.bootLocked()
		for _, t := range h.tasks {
			if t.sched == "ONSTART" {
				onstart = append(onstart, t)
				h.bg.Add(1)
			}
		}
	})
	for _, t := range onstart {
		go func() {
			defer h.bg.Done()
			h.runTask(t)
		}()
	}
}

// scheduleShutdown takes the host down after d (at once for 0).
func (h *Host) scheduleShutdown(d time.Duration, restart bool) {
	if d <= 0 {
		h.powerCycle(restart)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	if h.powerTimer != nil && h.powerTimer.Stop() {
		h.bg.Done()
	}
	gen := h.bootGen
	h.bg.Add(1)
	h.powerTimer = time.AfterFunc(d, func() {
		defer h.bg.Done()
		h.mu.Lock()
		stale := h.bootGen != gen
		if !stale {
			h.powerTimer = nil
		}
		h.mu.Unlock()
		if !stale {
			h.powerCycle(restart)
		}
	})
}

func runShutdown(e *execEnv, args []string, _ string) int {
	var restart, poweroff, abort bool
	wait := 30 * time.Second
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !isSwitch(a) {
			e.err.print(shutdownUsage)
			return 1
		}
		switch strings.ToLower(a[1:]) {
		case "r", "g":
			restart = true
		case "s", "p":
			poweroff = true
			if strings.EqualFold(a[1:], "p") {
				wait = 0
			}
		case "a":
			abort = true
		case "f", "hybrid", "soft", "o":
		case "t", "c", "d", "m":
			if i+1 >= len(args) {
				e.err.print(shutdownUsage)
				return 1
			}
			i++
			if strings.EqualFold(a[1:], "t") {
				n, err := strconv.Atoi(args[i])
				if err != nil || n < 0 || n > 315360000 {
					e.err.print(shutdownUsage)
					return 1
				}
				wait = time.Duration(n) * time.Second
			}
		default:
			e.err.print(shutdownUsage)
			return 1
		}
	}
	h := e.h
	if (abort || restart || poweroff) && e.limited() {
		e.err.print(textAccessDenied + "(5)\r\n")
		return 5
	}
	switch {
	case abort:
		h.mu.Lock()
		pending := h.powerTimer != nil && h.power == powerOn
		if pending && h.powerTimer.Stop() {
			h.bg.Done()
		}
		if pending {
			h.powerTimer = nil
		}
		h.mu.Unlock()
		if !pending {
			e.err.print("Unable to abort the system shutdown because no shutdown was in progress.(1116)\r\n")
			return 1116
		}
		return 0
	case restart || poweroff:
		h.scheduleShutdown(wait, restart)
		return 0
	}
	e.err.print(shutdownUsage)
	return 1
}

// shutdownUsage is the start of shutdown's help [chosen: abridged].
const shutdownUsage = "Usage: shutdown [/i | /l | /s | /sg | /r | /g | /a | /p | /h | /e | /o] [/hybrid] [/soft] [/fw] [/f]\r\n" +
	"    [/m \\\\computer][/t xxx][/d [p|u:]xx:yy [/c \"comment\"]]\r\n\r\n"
