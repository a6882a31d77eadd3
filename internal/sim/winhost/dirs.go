package winhost

// cmd's current directory and the few directories the model knows.
//
// There is no file system: the model knows the directories a command line
// of fleetport's may name (the system directories, the user's profile,
// IIS's C:\Inetpub and, with the metabase, C:\Inetpub\AdminScripts) and
// one file, adsutil.vbs. cd changes cmd's current directory for the rest
// of the command line (each WinRM command is a new cmd /c, which starts
// in the user's profile, %USERPROFILE%); a cd in one side of a pipe or in
// a nested cmd /c is lost, as it is on Windows.
//
// Sources: cmd's messages "The system cannot find the path specified."
// and "The system cannot find the drive specified." are the system
// messages of errors 3 and 15; cd with no argument prints the current
// directory. [chosen] Only drive C: exists; cd keeps the case of the
// known directory rather than the case typed.

import "strings"

// dir is cmd's current directory.
func (e *execEnv) dir() string {
	if e.cwd != "" {
		return e.cwd
	}
	if e.task {
		return e.h.systemRoot() + `\system32`
	}
	p, _ := e.envVar("USERPROFILE")
	return p
}

func (h *Host) systemRoot() string {
	if h.os == Server2003 {
		return `C:\WINDOWS`
	}
	return `C:\Windows`
}

// adsutilPath is where IIS keeps adsutil.vbs.
const adsutilPath = `C:\Inetpub\AdminScripts\adsutil.vbs`

// knownDirs are the directories that exist on the host for the user.
func (e *execEnv) knownDirs() []string {
	h := e.h
	root := h.systemRoot()
	profile, _ := e.envVar("USERPROFILE")
	dirs := []string{`C:\`, root, root + `\system32`, root + `\Temp`, `C:\Program Files`, profile,
		profile[:strings.LastIndexByte(profile, '\\')]}
	if h.findServiceKey("W3SVC") >= 0 || h.hasMetabase() {
		dirs = append(dirs, `C:\Inetpub`, `C:\Inetpub\wwwroot`)
	}
	if h.hasMetabase() {
		dirs = append(dirs, `C:\Inetpub\AdminScripts`)
	}
	return dirs
}

// fullPath resolves a path as GetFullPathName does against cmd's current
// directory: / taken as \, a drive-relative \x on drive C:, . and ..
// applied, the case kept as typed. ok is false for another drive.
func (e *execEnv) fullPath(p string) (string, bool) {
	p = strings.ReplaceAll(strings.Trim(p, `"`), "/", `\`)
	cur := e.dir()
	switch {
	case len(p) >= 2 && p[1] == ':':
		if !strings.EqualFold(p[:1], "C") {
			return "", false
		}
		rest := p[2:]
		if !strings.HasPrefix(rest, `\`) {
			// C:x is relative to drive C:'s current directory.
			rest = cur[2:] + `\` + rest
		}
		p = "C:" + rest
	case strings.HasPrefix(p, `\`):
		p = "C:" + p
	default:
		p = cur + `\` + p
	}
	parts := strings.Split(p[3:], `\`)
	var out []string
	for _, s := range parts {
		switch strings.TrimRight(s, " .") {
		case "":
			if s == ".." && len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, strings.TrimRight(s, " "))
		}
	}
	return `C:\` + strings.Join(out, `\`), true
}

// existingDir returns the known directory p names, in its own case.
func (e *execEnv) existingDir(p string) (string, bool) {
	for _, d := range e.knownDirs() {
		if strings.EqualFold(strings.TrimSuffix(d, `\`), strings.TrimSuffix(p, `\`)) {
			return d, true
		}
	}
	return "", false
}

// runCd is cmd's cd (chdir): with no path it prints the current
// directory; /d also changes the drive.
func runCd(e *execEnv, _ []string, rest string) int {
	arg := strings.TrimSpace(rest)
	if len(arg) >= 2 && strings.EqualFold(arg[:2], "/d") && (len(arg) == 2 || arg[2] == ' ' || arg[2] == '\t') {
		arg = strings.TrimSpace(arg[2:])
	}
	arg = strings.TrimSpace(strings.ReplaceAll(arg, `"`, ""))
	if arg == "" {
		e.out.print(e.dir() + "\r\n")
		return 0
	}
	if len(arg) == 2 && arg[1] == ':' {
		if !strings.EqualFold(arg[:1], "C") {
			e.err.print("The system cannot find the drive specified.\r\n")
			return 1
		}
		e.out.print(e.dir() + "\r\n")
		return 0
	}
	p, ok := e.fullPath(arg)
	if !ok {
		e.err.print("The system cannot find the drive specified.\r\n")
		return 1
	}
	d, ok := e.existingDir(p)
	if !ok {
		e.err.print("The system cannot find the path specified.\r\n")
		return 1
	}
	e.cwd = d
	return 0
}
