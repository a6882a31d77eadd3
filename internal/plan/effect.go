package plan

import (
	"errors"
	"fmt"
	"slices"
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
//     first deletes itself (so that whether it ran can be asked of the
//     host: a task still registered has not run), then
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
	// The task deletes itself first: while it is registered it has not
	// run, once it is gone it has. After a crash, apply asks the host
	// (schtasks /query) instead of running the restart a second time.
	lines = append([]string{"schtasks /delete /tn " + RestartTaskName + " /f"}, lines...)
	st, force := "00:00", " /f"
	if release == "2003" {
		st, force = "00:00:00", ""
	}
	create := `schtasks /create /tn ` + RestartTaskName + ` /tr "cmd /c \"` + strings.Join(lines, " ^& ") + `\"" /sc once /st ` + st + ` /ru SYSTEM` + force
	return []string{create, "schtasks /run /tn " + RestartTaskName}, true, nil
}

// Combine is the one effect step that puts into effect every change
// needing one of effs: a reboot stands for every restart, restarts are
// merged (each service once, in the order first named), and none needs
// nothing. Rollback combines the effects of the actions it undoes with it,
// and Read checks a host's effect against it.
func Combine(effs ...Effect) Effect {
	var svcs []string
	for _, e := range effs {
		switch e.Kind {
		case EffectReboot:
			return Effect{Kind: EffectReboot, Detached: true, Summary: "reboot: the values Windows reads at boot take effect"}
		case EffectServiceRestart:
			for _, s := range e.Services {
				if !slices.ContainsFunc(svcs, func(x string) bool { return strings.EqualFold(x, s) }) {
					svcs = append(svcs, s)
				}
			}
		}
	}
	if len(svcs) == 0 {
		return Effect{Kind: EffectNone, Summary: "none: the changes apply at once"}
	}
	e := Effect{Kind: EffectServiceRestart, Services: svcs}
	for _, s := range svcs {
		e.Detached = e.Detached || cutsSession(s)
	}
	e.Summary = "restart " + strings.Join(svcs, ", ") + " and the dependants that were running"
	if e.Detached {
		e.Summary += ", detached in a scheduled task (it stops WinRM)"
	}
	return e
}

// SameStep reports whether two effects are the same step: the same kind,
// the same services (in any order), detached alike. Summaries may differ.
func SameStep(a, b Effect) bool {
	ka, kb := a.Kind, b.Kind
	if ka == "" {
		ka = EffectNone
	}
	if kb == "" {
		kb = EffectNone
	}
	if ka != kb || a.Detached != b.Detached || len(a.Services) != len(b.Services) {
		return false
	}
	for _, s := range a.Services {
		if !slices.ContainsFunc(b.Services, func(x string) bool { return strings.EqualFold(x, s) }) {
			return false
		}
	}
	return true
}

// Needed is the effect a host's actions and pending values need.
func (h *HostPlan) Needed() Effect {
	var effs []Effect
	for _, a := range h.Actions {
		effs = append(effs, a.Effect)
	}
	for _, p := range h.Pending {
		effs = append(effs, p.Effect)
	}
	return Combine(effs...)
}
