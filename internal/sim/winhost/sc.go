package winhost

// sc.exe: query, start, stop.
//
// Sources: the 2012 R2 `sc query` capture (code index id 46727831326):
// list mode with DISPLAY_NAME, the TYPE column with two trailing blanks,
// the STATE word followed by one blank, the accepted-controls line, and
// only active Win32 services listed, sorted by name; single-service
// captures on Windows 10/2016+ (code index ids 346365501, 5142082281,
// 9782253721): "SERVICE_NAME: <as typed> " with a trailing blank and no
// DISPLAY_NAME, no controls line for a stopped service, WIN32_EXIT_CODE
// 1077 (0x435) for a service not started since boot. [chosen] The
// START_PENDING/STOP_PENDING answers of sc start/stop (with PID and FLAGS
// for start) and the FAILED 1056/1062/1051/1060 messages are from memory.

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
)

func (h *Host) scBlockLocked(i int, typed string, list bool) string {
	d := h.svcDefs[i]
	st := h.svc[i]
	var b strings.Builder
	if list {
		b.WriteString("SERVICE_NAME: " + d.name + "\r\nDISPLAY_NAME: " + d.display + "\r\n")
	} else {
		b.WriteString("SERVICE_NAME: " + typed + " \r\n")
	}
	b.WriteString("        TYPE               : " + d.kind.scType() + "\r\n")
	fmt.Fprintf(&b, "        STATE              : %d  %s \r\n", st.state, st.state)
	if st.state != stateStopped {
		ctl := d.controls()
		if st.state == stateStartPending {
			ctl = "(NOT_STOPPABLE, NOT_PAUSABLE, IGNORES_SHUTDOWN)"
		}
		b.WriteString("                                " + ctl + "\r\n")
	}
	fmt.Fprintf(&b, "        WIN32_EXIT_CODE    : %d  (0x%x)\r\n", st.exit, st.exit)
	b.WriteString("        SERVICE_EXIT_CODE  : 0  (0x0)\r\n")
	b.WriteString("        CHECKPOINT         : 0x0\r\n")
	wait := "0x0"
	if st.state == stateStartPending || st.state == stateStopPending {
		wait = "0x7d0"
	}
	b.WriteString("        WAIT_HINT          : " + wait + "\r\n")
	return b.String()
}

func scFailed(api string, code int, msg string) string {
	return fmt.Sprintf("[SC] %s FAILED %d:\r\n\r\n%s\r\n\r\n", api, code, msg)
}

func runSc(e *execEnv, args []string, _ string) int {
	h := e.h
	if len(args) == 0 {
		e.out.print(scUsage)
		return 0
	}
	verb := strings.ToLower(args[0])
	if verb == "query" && (len(args) == 1 || strings.Contains(args[1], "=")) {
		h.mu.Lock()
		var idx []int
		for i, d := range h.svcDefs {
			if d.kind != kindDriver && h.svc[i].state != stateStopped {
				idx = append(idx, i)
			}
		}
		sort.Slice(idx, func(a, b int) bool {
			return strings.ToLower(h.svcDefs[idx[a]].name) < strings.ToLower(h.svcDefs[idx[b]].name)
		})
		var b strings.Builder
		for _, i := range idx {
			b.WriteString("\r\n" + h.scBlockLocked(i, "", true))
		}
		h.mu.Unlock()
		e.out.print(b.String() + "\r\n")
		return 0
	}
	if verb == "enumdepend" {
		return scEnumDepend(e, args[1:])
	}
	if len(args) < 2 {
		e.out.print(scUsage)
		return 1
	}
	name := args[1]
	h.mu.Lock()
	i := h.findServiceKey(name)
	if i < 0 {
		h.mu.Unlock()
		api := map[string]string{"query": "EnumQueryServicesStatus:OpenService", "start": "OpenService", "stop": "OpenService"}[verb]
		if api == "" {
			e.out.print(scUsage)
			return 1
		}
		e.out.print(scFailed(api, 1060, "The specified service does not exist as an installed service."))
		return 1060
	}
	if (verb == "start" || verb == "stop") && e.limited() {
		h.mu.Unlock()
		e.out.print(scFailed("OpenService", 5, textAccessDenied))
		return 5
	}
	switch verb {
	case "query":
		s := "\r\n" + h.scBlockLocked(i, name, false) + "\r\n"
		h.mu.Unlock()
		e.out.print(s)
		return 0
	case "start":
		if h.svc[i].state != stateStopped {
			h.mu.Unlock()
			e.out.print(scFailed("StartService", 1056, "An instance of the service is already running."))
			return 1056
		}
		order, _, ok := h.startOrderLocked(i)
		if !ok {
			h.mu.Unlock()
			e.out.print(scFailed("StartService", 1058, "The service cannot be started, either because it is disabled or because it has no enabled devices associated with it."))
			return 1058
		}
		h.svc[i].state = stateStartPending
		gen := h.bootGen
		s := "\r\n" + h.scBlockLocked(i, name, false) + fmt.Sprintf("        PID                : %d\r\n        FLAGS              : \r\n", h.svcDefs[i].pid)
		h.bg.Add(1)
		h.mu.Unlock()
		go func() {
			defer h.bg.Done()
			h.runStartSteps(order, gen)
		}()
		e.out.print(s)
		return 0
	case "stop":
		if h.svc[i].state != stateRunning {
			h.mu.Unlock()
			e.out.print(scFailed("ControlService", 1062, "The service has not been started."))
			return 1062
		}
		if !h.svcDefs[i].stoppable {
			h.mu.Unlock()
			e.out.print(scFailed("ControlService", 1052, "The requested control is not valid for this service."))
			return 1052
		}
		if len(h.dependantsLocked(i)) > 0 {
			h.mu.Unlock()
			e.out.print(scFailed("ControlService", 1051, "A stop control has been sent to a service that other running services are dependent on."))
			return 1051
		}
		h.svc[i].state = stateStopPending
		s := "\r\n" + h.scBlockLocked(i, name, false) + "\r\n"
		h.svc[i].state = stateRunning
		gen := h.bootGen
		h.bg.Add(1)
		h.mu.Unlock()
		go func() {
			defer h.bg.Done()
			h.stopStep(i, gen, nil)
		}()
		e.out.print(s)
		return 0
	}
	h.mu.Unlock()
	e.out.print(scUsage)
	return 1
}

// scEnumDependUsage is sc's help for enumdepend [chosen: from memory].
const scEnumDependUsage = "DESCRIPTION:\r\n        Enumerates the Services that are dependent on this one.\r\n" +
	"USAGE:\r\n        sc <server> enumdepend [service name] <bufsize>\r\n"

// scEnumDependBuffer is sc's default enumeration buffer (the sc
// enumdepend reference: "The default buffer size is 1,024 bytes").
const scEnumDependBuffer = 1024

// scEnumDepend is `sc enumdepend NAME [BUFSIZE]`: every service that
// depends on NAME, directly or not, in any state, in the order
// EnumDependentServices returns them (the reverse of the start order),
// each as sc query's list mode prints a service (sc shows them with the
// same routine; there is no PID, EnumDependentServices returns no
// process).
//
// Sources: "[SC] EnumDependentServices: entriesread = N" and a blank line
// before each block (a parser's test of sc output, code index id
// 41594638980; the same header quoted in a VBScript service library that
// runs `sc.exe EnumDepend NAME [BUFSIZE]` and accepts exit codes 0 and 234,
// code index id 46387982707); "[SC] EnumDependentServices: more data, need
// 6971 bytes" and the default buffer of 1,024 bytes (the sc enumdepend
// reference, learn.microsoft.com cc742075). [chosen] When the buffer is too
// small sc prints entriesread = 0, no block, the more-data line and exits
// 234 (ERROR_MORE_DATA): EnumDependentServices returns all or nothing. The
// bytes needed are what the Service Control Manager counts, an
// ENUM_SERVICE_STATUSW (48 bytes on x64, 36 on 2003's x86) plus both names
// in UTF-16 with their terminators. A blank line follows the last block,
// as it does in sc query's list mode.
func scEnumDepend(e *execEnv, args []string) int {
	if len(args) == 0 {
		e.out.print(scEnumDependUsage)
		return 1
	}
	buf := scEnumDependBuffer
	if len(args) > 1 {
		// sc reads the number with atoi: anything else is 0.
		n, err := strconv.Atoi(args[1])
		if err != nil || n < 0 {
			n = 0
		}
		buf = n
	}
	h := e.h
	h.mu.Lock()
	i := h.findServiceKey(args[0])
	if i < 0 {
		h.mu.Unlock()
		e.out.print(scFailed("OpenService", 1060, "The specified service does not exist as an installed service."))
		return 1060
	}
	deps := h.allDependantsLocked(i)
	entry := 48
	if h.os == Server2003 {
		entry = 36
	}
	need := 0
	for _, j := range deps {
		d := h.svcDefs[j]
		need += entry + 2*(len(utf16.Encode([]rune(d.name)))+1) + 2*(len(utf16.Encode([]rune(d.display)))+1)
	}
	if need > buf {
		h.mu.Unlock()
		e.out.print(fmt.Sprintf("[SC] EnumDependentServices: entriesread = 0\r\n[SC] EnumDependentServices: more data, need %d bytes\r\n", need))
		return 234
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[SC] EnumDependentServices: entriesread = %d\r\n", len(deps))
	for _, j := range deps {
		b.WriteString("\r\n" + h.scBlockLocked(j, "", true))
	}
	h.mu.Unlock()
	if len(deps) > 0 {
		b.WriteString("\r\n")
	}
	e.out.print(b.String())
	return 0
}

// findServiceKey finds a service by key name only, as sc does.
func (h *Host) findServiceKey(name string) int {
	for i, d := range h.svcDefs {
		if strings.EqualFold(d.name, name) {
			return i
		}
	}
	return -1
}

// scUsage is the start of sc's help [chosen: abridged].
const scUsage = "DESCRIPTION:\r\n        SC is a command line program used for communicating with the\r\n" +
	"        Service Control Manager and services.\r\nUSAGE:\r\n" +
	"        sc <server> [command] [service name] <option1> <option2>...\r\n\r\n"
