package winhost

// schtasks.exe: /create, /run, /query, /delete.
//
// A task runs its command line inside the host, not in a WinRM session:
// asynchronously, with no input and its output discarded, as the user it
// was created for (SYSTEM with /ru SYSTEM). So a task can stop WinRM and
// start it again, which is how fleetport applies a listen-list change
// without losing the host: `cmd /c "net stop http /y & net start http &
// net start winrm & net start w3svc"` run by /run brings WinRM back.
// A /sc once task also runs by itself at its /st time (real timer, from
// Options.Now), and a /sc onstart task at every boot.
//
// Sources: the SUCCESS lines of /create, /run and /delete, "ERROR: The
// system cannot find the file specified." (exit code 1) for an unknown
// task, and the /query table (Folder: \, three columns of 40, 22 and 15
// with trailing blanks, "=" rules) are captures (MITRE Caldera's parser
// tests, code index id 7888493434; recorded sessions, ids 70482402029,
// 55287844068, 9945235379, 34223744163). "WARNING: Task may not run
// because /ST is earlier than current time." is schtasks' message.
// [chosen] The replace and delete prompts, the syntax errors, and the
// INFO line of an empty /query are from memory.

import (
	"context"
	"fmt"
	"strings"
	"time"
)

type task struct {
	name       string
	line       string
	runAs      string
	sched      string // ONCE, ONSTART, DAILY, ...
	start      time.Time
	running    int
	lastResult int
	timer      *time.Timer
}

func (h *Host) findTaskLocked(name string) int {
	name = strings.TrimPrefix(name, `\`)
	for i, t := range h.tasks {
		if strings.EqualFold(t.name, name) {
			return i
		}
	}
	return -1
}

const schtasksNoTask = "ERROR: The system cannot find the file specified.\r\n"

func schtasksSyntax(op, msg string) string {
	return "ERROR: Invalid syntax. " + msg + "\r\nType \"SCHTASKS /" + strings.ToUpper(op) + " /?\" for usage.\r\n"
}

func runSchtasks(e *execEnv, args []string, _ string) int {
	if len(args) == 0 {
		return schtasksQuery(e, map[string]string{})
	}
	op := strings.ToLower(strings.TrimLeft(args[0], "/-"))
	if !isSwitch(args[0]) {
		e.err.print("ERROR: Invalid argument/option - '" + args[0] + "'.\r\nType \"SCHTASKS /?\" for usage.\r\n")
		return 1
	}
	opts := map[string]string{}
	for i := 1; i < len(args); i++ {
		a := args[i]
		if !isSwitch(a) {
			e.err.print("ERROR: Invalid argument/option - '" + a + "'.\r\nType \"SCHTASKS /" + strings.ToUpper(op) + " /?\" for usage.\r\n")
			return 1
		}
		k := strings.ToLower(a[1:])
		switch k {
		case "f", "v", "nh", "z", "it", "np", "hresult", "i":
			opts[k] = ""
		default:
			if i+1 >= len(args) {
				e.err.print(schtasksSyntax(op, "Value expected for '"+a+"'."))
				return 1
			}
			opts[k] = args[i+1]
			i++
		}
	}
	if (op == "create" || op == "run" || op == "delete" || op == "end" || op == "change") && e.limited() {
		e.err.print("ERROR: " + textAccessDenied + "\r\n")
		return 1
	}
	switch op {
	case "create":
		return schtasksCreate(e, opts)
	case "run":
		return schtasksRun(e, opts)
	case "query":
		return schtasksQuery(e, opts)
	case "delete":
		return schtasksDelete(e, opts)
	}
	e.err.print("ERROR: Invalid argument/option - '" + args[0] + "'.\r\nType \"SCHTASKS /?\" for usage.\r\n")
	return 1
}

func schtasksCreate(e *execEnv, o map[string]string) int {
	for _, k := range []string{"tn", "tr", "sc"} {
		if _, ok := o[k]; !ok {
			e.err.print(schtasksSyntax("create", "Mandatory option '/"+k+"' is missing."))
			return 1
		}
	}
	sched := strings.ToUpper(o["sc"])
	switch sched {
	case "ONCE", "MINUTE", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "ONSTART", "ONLOGON", "ONIDLE", "ONEVENT":
	default:
		e.err.print("ERROR: Invalid value for /SC option.\r\nType \"SCHTASKS /CREATE /?\" for usage.\r\n")
		return 1
	}
	h := e.h
	now := h.now()
	var start time.Time
	if st, ok := o["st"]; ok {
		t, err := time.Parse("15:04", st)
		if err != nil {
			t, err = time.Parse("15:04:05", st)
		}
		if err != nil {
			e.err.print("ERROR: Invalid Start Time.\r\n")
			return 1
		}
		start = time.Date(now.Year(), now.Month(), now.Day(), t.Hour(), t.Minute(), t.Second(), 0, now.Location())
	} else if sched == "ONCE" {
		e.err.print(schtasksSyntax("create", "Mandatory option '/st' is missing."))
		return 1
	}
	name := strings.TrimPrefix(o["tn"], `\`)
	runAs := e.user
	if ru, ok := o["ru"]; ok {
		runAs = ru
	}
	if _, force := o["f"]; !force {
		h.mu.Lock()
		exists := h.findTaskLocked(name) >= 0
		h.mu.Unlock()
		if exists {
			e.out.print("WARNING: The task name \"" + name + "\" already exists. Do you want to replace it (Y/N)? ")
			ans, ok := e.readAnswer()
			if !ok {
				return ExitTerminated
			}
			if !yes(ans) {
				e.out.print("\r\n")
				return 1
			}
		}
	}
	t := &task{name: name, line: o["tr"], runAs: runAs, sched: sched, start: start}
	h.mu.Lock()
	if i := h.findTaskLocked(name); i >= 0 {
		if old := h.tasks[i]; old.timer != nil {
			old.timer.Stop()
		}
		h.tasks = append(h.tasks[:i], h.tasks[i+1:]...)
	}
	h.tasks = append(h.tasks, t)
	if sched == "ONCE" && start.After(now) && !h.closed {
		h.armTaskLocked(t, start.Sub(now))
	}
	h.mu.Unlock()
	if sched == "ONCE" && !start.After(now) {
		e.out.print("WARNING: Task may not run because /ST is earlier than current time.\r\n")
	}
	e.out.print("SUCCESS: The scheduled task \"" + name + "\" has successfully been created.\r\n")
	return 0
}

// armTaskLocked starts the task after d, unless it is deleted or the
// host is closed first.
func (h *Host) armTaskLocked(t *task, d time.Duration) {
	h.bg.Add(1)
	t.timer = time.AfterFunc(d, func() {
		defer h.bg.Done()
		h.mu.Lock()
		alive := h.findTaskLocked(t.name) >= 0 && h.tasks[h.findTaskLocked(t.name)] == t && !h.closed
		h.mu.Unlock()
		if alive {
			h.runTask(t)
		}
	})
}

// stopTaskTimer stops a task's timer and releases its bg slot when the
// function will not run.
func (h *Host) stopTaskTimerLocked(t *task) {
	if t.timer != nil && t.timer.Stop() {
		h.bg.Done()
	}
	t.timer = nil
}

func schtasksRun(e *execEnv, o map[string]string) int {
	name, ok := o["tn"]
	if !ok {
		e.err.print(schtasksSyntax("run", "Mandatory option '/tn' is missing."))
		return 1
	}
	h := e.h
	h.mu.Lock()
	i := h.findTaskLocked(name)
	var t *task
	if i >= 0 {
		t = h.tasks[i]
		h.bg.Add(1)
	}
	h.mu.Unlock()
	if t == nil {
		e.err.print(schtasksNoTask)
		return 1
	}
	go func() {
		defer h.bg.Done()
		h.runTask(t)
	}()
	e.out.print("SUCCESS: Attempted to run the scheduled task \"" + t.name + "\".\r\n")
	return 0
}

// runTask runs the task's line inside the host and waits for it.
func (h *Host) runTask(t *task) {
	h.mu.Lock()
	if h.power != powerOn {
		h.mu.Unlock()
		return
	}
	t.running++
	h.mu.Unlock()
	user := t.runAs
	if user == "" {
		user = "SYSTEM"
	}
	start := h.now()
	e := &execEnv{h: h, ctx: context.Background(), user: user, task: true, stdin: strings.NewReader("")}
	e.setOut(nil, nil)
	code := e.runLine(t.line)
	h.mu.Lock()
	t.running--
	t.lastResult = code
	h.audit.add(AuditEntry{Time: start, User: user, Line: t.line, ExitCode: code, Task: true})
	h.mu.Unlock()
}

func schtasksDelete(e *execEnv, o map[string]string) int {
	name, ok := o["tn"]
	if !ok {
		e.err.print(schtasksSyntax("delete", "Mandatory option '/tn' is missing."))
		return 1
	}
	h := e.h
	h.mu.Lock()
	i := h.findTaskLocked(name)
	h.mu.Unlock()
	if i < 0 {
		e.err.print(schtasksNoTask)
		return 1
	}
	name = strings.TrimPrefix(name, `\`)
	if _, force := o["f"]; !force {
		e.out.print("WARNING: Are you sure you want to remove the task \"" + name + "\" (Y/N)? ")
		ans, ok := e.readAnswer()
		if !ok {
			return ExitTerminated
		}
		if !yes(ans) {
			e.out.print("\r\n")
			return 1
		}
	}
	h.mu.Lock()
	if i := h.findTaskLocked(name); i >= 0 {
		h.stopTaskTimerLocked(h.tasks[i])
		name = h.tasks[i].name
		h.tasks = append(h.tasks[:i], h.tasks[i+1:]...)
	}
	h.mu.Unlock()
	e.out.print("SUCCESS: The scheduled task \"" + name + "\" was successfully deleted.\r\n")
	return 0
}

// taskTime formats a time as the host's locale writes it in schtasks.
func (h *Host) taskTime(t time.Time) string {
	switch {
	case strings.HasPrefix(h.locale, "de-"), h.locale == "ru-RU", h.locale == "pl-PL", h.locale == "cs-CZ":
		return t.Format("02.01.2006 15:04:05")
	case strings.HasPrefix(h.locale, "fr-"), h.locale == "en-GB", h.locale == "es-ES", h.locale == "it-IT", h.locale == "pt-BR", h.locale == "nl-NL":
		return t.Format("02/01/2006 15:04:05")
	case h.locale == "zh-CN":
		return t.Format("2006/1/2 15:04:05")
	}
	return t.Format("1/2/2006 3:04:05 PM")
}

func schtasksQuery(e *execEnv, o map[string]string) int {
	h := e.h
	h.mu.Lock()
	var list []*task
	if name, ok := o["tn"]; ok {
		i := h.findTaskLocked(name)
		if i < 0 {
			h.mu.Unlock()
			e.err.print(schtasksNoTask)
			return 1
		}
		list = []*task{h.tasks[i]}
	} else {
		list = append(list, h.tasks...)
	}
	now := h.now()
	var b strings.Builder
	if len(list) == 0 {
		h.mu.Unlock()
		e.out.print("INFO: There are no scheduled tasks presently available at your access level.\r\n")
		return 0
	}
	b.WriteString("\r\nFolder: \\\r\n")
	if _, nh := o["nh"]; !nh {
		fmt.Fprintf(&b, "%-40s %-22s %-15s\r\n", "TaskName", "Next Run Time", "Status")
		b.WriteString(strings.Repeat("=", 40) + " " + strings.Repeat("=", 22) + " " + strings.Repeat("=", 15) + "\r\n")
	}
	for _, t := range list {
		next := "N/A"
		if t.sched == "ONCE" && t.start.After(now) {
			next = h.taskTime(t.start)
		}
		status := "Ready"
		if t.running > 0 {
			status = "Running"
		}
		fmt.Fprintf(&b, "%-40s %-22s %-15s\r\n", t.name, next, status)
	}
	h.mu.Unlock()
	e.out.print(b.String())
	return 0
}
