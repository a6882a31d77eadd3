package plan

import (
	"errors"
	"fmt"
	"strings"
)

// RestartTaskName is the scheduled task that restarts HTTP and its
// dependants outside the WinRM session. After the host is back, apply
// deletes it (schtasks /delete /tn FleetportRestartHTTP /f): on 2003,
// whose schtasks /create has no /f, a task left behind would make the
// next /create ask whether to replace it.
const RestartTaskName = "FleetportRestartHTTP"

// RebootCommand reboots the host in 5 seconds, recorded as a planned
// reconfiguration (p:2:4), which leaves the session time to end cleanly.
const RebootCommand = `shutdown /r /t 5 /d p:2:4 /c "fleetport: put configuration into effect"`

// cutsSession reports whether stopping the service stops WinRM: HTTP
// (WinRM depends on it) and WinRM itself.
func cutsSession(svc string) bool {
	return strings.EqualFold(svc, "HTTP") || strings.EqualFold(svc, "WinRM")
}

// EffectCommands renders the effect step of a host: the command lines in
// order, and whether they cut the WinRM session (then apply runs them
// and reconnects, with a deadline, instead of waiting for their end).
// running are the services to start again after the restart: the
// dependants that were running right before it (apply reads them with
// sc enumdepend). Every name is checked against [A-Za-z0-9_.$-]+.
//
//   - EffectNone: no command.
//   - EffectReboot: [RebootCommand]; detached.
//   - A restart of HTTP (or WinRM): a scheduled task, run as SYSTEM, that
//     stops the services with their dependants and starts again the
//     services, WinRM (always: fleetport reaches the host through it) and
//     every one of running, joined with cmd's escaped ^& so that each
//     start runs whatever the one before did. The task is created and
//     run; it is never run inside the session it cuts. On 2003 /st takes
//     seconds and /create has no /f.
//   - A restart of other services: net stop NAME /y, net start NAME for
//     each, then net start for each of running; not detached.
func EffectCommands(e Effect, release string, running []string) (cmds []string, detached bool, err error) {
	switch e.Kind {
	case EffectNone, "":
		if len(e.Services) > 0 {
			return nil, false, errors.New("an effect of kind none names services")
		}
		return nil, false, nil
	case EffectReboot:
		return []string{RebootCommand}, true, nil
	case EffectServiceRestart:
	default:
		return nil, false, fmt.Errorf("unknown effect kind %q", e.Kind)
	}
	if len(e.Services) == 0 {
		return nil, false, errors.New("a service restart names no service")
	}
	for _, s := range append(append([]string(nil), e.Services...), running...) {
		if !validName(s) {
			return nil, false, fmt.Errorf("service name %q cannot be put on a command line", s)
		}
	}
	cut := e.Detached
	for _, s := range e.Services {
		cut = cut || cutsSession(s)
	}
	var stops, starts []string
	started := map[string]bool{}
	start := func(s string) {
		s = strings.ToLower(s)
		if !started[s] {
			started[s] = true
			starts = append(starts, "net start "+s)
		}
	}
	for _, s := range e.Services {
		stops = append(stops, "net stop "+strings.ToLower(s)+" /y")
	}
	for _, s := range e.Services {
		start(s)
	}
	if cut {
		start("winrm")
	}
	for _, s := range running {
		start(s)
	}
	lines := append(stops, starts...)
	if !cut {
		return lines, false, nil
	}
	st, force := "00:00", " /f"
	if release == "2003" {
		st, force = "00:00:00", ""
	}
	create := `schtasks /create /tn ` + RestartTaskName + ` /tr "cmd /c \"` + strings.Join(lines, " ^& ") + `\"" /sc once /st ` + st + ` /ru SYSTEM` + force
	return []string{create, "schtasks /run /tn " + RestartTaskName}, true, nil
}
