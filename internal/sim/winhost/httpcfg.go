package winhost

// httpcfg.exe (Windows Server 2003 Support Tools): the IP listen list.
//
// Sources: "HttpQueryServiceConfiguration completed with 1168." for an
// empty list is the corpus file httpcfg-query-iplisten-empty-msdocs.txt
// (MS docs, IIS SSL troubleshooting); "HttpSetServiceConfiguration
// completed with 0." is KB 813368 (seeds/001) and the tool's message file
// (HTTPCFG_SETSERVICE_STATUS), as are the delete message, the 78-dash
// record separator, "<arg> is not a valid IP address." and "<arg> is not a
// valid command." (windows-commands.md). [chosen] The record line of a
// query with entries ("    IP                      : 10.0.0.5", the layout
// httpcfg uses for its ssl records), the status numbers for a duplicate
// (183) and a missing entry (1168), and the exit code (the status number)
// are not verified.

import (
	"strconv"
	"strings"
)

const httpcfgSeparator = "------------------------------------------------------------------------------\r\n"

func runHttpcfg(e *execEnv, args []string, _ string) int {
	if len(args) < 2 {
		e.out.print(httpcfgUsage)
		return 1
	}
	verb := strings.ToLower(args[0])
	switch verb {
	case "query", "set", "delete":
	default:
		e.out.print(args[0] + " is not a valid command.\r\n")
		return 1
	}
	if !strings.EqualFold(args[1], "iplisten") {
		e.out.print(args[1] + " is not a valid command.\r\n")
		return 1
	}
	if verb == "query" {
		e.h.mu.Lock()
		entries := e.h.listenConfiguredLocked()
		e.h.mu.Unlock()
		if len(entries) == 0 {
			e.out.print("HttpQueryServiceConfiguration completed with 1168.\r\n")
			return 1168
		}
		var b strings.Builder
		for _, en := range entries {
			b.WriteString("    IP                      : " + en.String() + "\r\n")
			b.WriteString(httpcfgSeparator)
		}
		e.out.print(b.String())
		return 0
	}
	var addr string
	for i := 2; i < len(args); i++ {
		switch strings.ToLower(args[i]) {
		case "-i", "/i":
			if i+1 < len(args) {
				addr = args[i+1]
				i++
				continue
			}
		default:
			e.out.print(args[i] + " is not a valid command.\r\n")
			return 1
		}
	}
	if addr == "" {
		e.out.print(httpcfgUsage)
		return 1
	}
	entry, ok := parseListenEntry(addr)
	if !ok {
		e.out.print(addr + " is not a valid IP address.\r\n")
		return 1
	}
	api := "HttpSetServiceConfiguration"
	if verb == "delete" {
		api = "HttpDeleteServiceConfiguration"
	}
	if e.limited() {
		e.out.print(api + " completed with 5.\r\n")
		return 5
	}
	status := 0
	e.h.update(func() {
		if msg := e.h.changeListenListLocked(entry, verb == "set"); msg != "" {
			status = 183
			if verb == "delete" {
				status = 1168
			}
		}
	})
	e.out.print(api + " completed with " + strconv.Itoa(status) + ".\r\n")
	return status
}

// httpcfgUsage is the start of httpcfg's help [chosen: abridged].
const httpcfgUsage = "Usage: httpcfg ACTION STORE [OPTIONS]\r\n" +
	"ACTION                          -set | query  | delete\r\n" +
	"STORE                           -ssl | urlacl | iplisten\r\n" +
	"[OPTIONS]                       -See Below\r\n"
