package winhost

// cscript.exe (Windows Script Host, console) and the one script the model
// has: IIS's adsutil.vbs, get and set of DisableSocketPooling.
//
// cscript: host options start with // and are taken from anywhere on the
// line (//nologo, //logo, //B, //I, //T:nn, //E:engine, //H:host, //S,
// //X, //D, //U, //Job:id); the first other argument is the script, the
// rest are its arguments. The banner is printed unless //nologo or //B
// (batch mode). A script that does not exist: `Input Error: Can not find
// script file "FULLPATH".`, exit code 1. The script path is resolved
// against cmd's current directory (cd /d %SystemDrive%\Inetpub\AdminScripts
// && cscript adsutil.vbs ... works, as does the full path).
//
// Sources:
//   - the banners: real sessions, "Microsoft (R) Windows Script Host
//     Version 5.812" / "Copyright (C) Microsoft Corporation. All rights
//     reserved." on Windows 10/Server 2016 era hosts (code index ids
//     18068835157, 6687335529, 44462444674), "Version 5.8" with the same
//     copyright line on Windows 7/2008 R2, one of them run over WinRM with
//     cmd.exe /C (code index ids 11468388419, 1479419291), and "Version
//     5.6" / "Copyright (C) Microsoft Corporation 1996-2001. All rights
//     reserved." (WCF sample output in MicrosoftDocs, code index id
//     39257232583, which shows the sign as ©; the console writes (C)).
//     [chosen] 5.812 from 2012 R2 on.
//   - "Input Error: Can not find script file "%1"." and "Input Error:
//     There is no script file specified.": Wine/ReactOS's cscript string
//     table (code index id 55769893905), which also exits 1 and writes them
//     to stdout. [chosen] that //B suppresses the banner (batch mode), the
//     text for an unknown // option, and the abridged usage.
//   - adsutil.vbs: its source (the IIS 6 version with its StrRes string
//     table, code index id 13138330019; the IIS 5 version, code index id
//     6649221234). SET and GET print the property as typed, padded to 32
//     with blanks (its Spacer), then ": (" + the schema syntax upper-cased
//     + ") " + the value as VBScript writes it ("True"), as KB 238131
//     shows for `set w3svc/disablesocketpooling true`. GET of a property
//     not set at exactly that node: `The parameter "NAME" is not set at
//     this node.` and WScript.Quit(&H80005006), exit code -2147463162.
//     A node that does not exist: ReportError's "The path requested could
//     not be found." and "ErrNumber: -2147024893 (0x80070003)", then
//     "Error Trying To GET the Object (GetObject Failed): NODE" (GET) or
//     "Error Trying To Get the Object: NODE" (SET), exit code the error
//     (inspec's adsutil matchers, code index id 53594836763, expect these
//     lines). A value CBool rejects: VBScript's "Type mismatch", error 13,
//     then "Error Trying To SET the Property: NAME". [chosen] The error
//     for a property the model does not know (ADSI's E_ADS_BAD_PATHNAME
//     with an empty description) and for the machine node
//     (E_ADS_PROPERTY_NOT_FOUND, "The directory property cannot be found
//     in the cache."); adsutil's ENUM, DELETE, CREATE and the other verbs
//     are not modelled and answer as an unknown command does.

import (
	"fmt"
	"strconv"
	"strings"
)

// cscriptBanner is the release's Windows Script Host banner, with the
// blank line after it.
func cscriptBanner(o OS) string {
	switch o {
	case Server2003:
		return "Microsoft (R) Windows Script Host Version 5.6\r\nCopyright (C) Microsoft Corporation 1996-2001. All rights reserved.\r\n\r\n"
	case Server2008R2:
		return "Microsoft (R) Windows Script Host Version 5.8\r\nCopyright (C) Microsoft Corporation. All rights reserved.\r\n\r\n"
	}
	return "Microsoft (R) Windows Script Host Version 5.812\r\nCopyright (C) Microsoft Corporation. All rights reserved.\r\n\r\n"
}

// cscriptUsage is the start of cscript's usage [chosen: abridged].
const cscriptUsage = "Usage: CScript scriptname.extension [option...] [arguments...]\r\n\r\n" +
	"Options:\r\n" +
	" //B         Batch mode: Suppresses script errors and prompts from displaying\r\n" +
	" //D         Enable Active Debugging\r\n" +
	" //E:engine  Use engine for executing script\r\n" +
	" //H:CScript Changes the default script host to CScript.exe\r\n" +
	" //H:WScript Changes the default script host to WScript.exe (default)\r\n" +
	" //I         Interactive mode (default, opposite of //B)\r\n" +
	" //Job:xxxx  Execute a WSF job\r\n" +
	" //Logo      Display logo (default)\r\n" +
	" //Nologo    Prevent logo display: No banner will be shown at execution time\r\n" +
	" //S         Save current command line options for this user\r\n" +
	" //T:nn      Time out in seconds:  Maximum time a script is permitted to run\r\n" +
	" //X         Execute script in debugger\r\n" +
	" //U         Use Unicode for redirected I/O from the console\r\n"

func runCscript(e *execEnv, args []string, _ string) int {
	logo := true
	var script string
	var sargs []string
	for _, a := range args {
		if strings.HasPrefix(a, "//") {
			opt := strings.ToLower(a[2:])
			switch {
			case opt == "nologo", opt == "b":
				logo = false
			case opt == "logo":
				logo = true
			case opt == "i", opt == "s", opt == "x", opt == "d", opt == "u", opt == "?",
				strings.HasPrefix(opt, "e:"), strings.HasPrefix(opt, "h:"), strings.HasPrefix(opt, "job:"):
			case strings.HasPrefix(opt, "t:"):
				if n, err := strconv.Atoi(opt[2:]); err != nil || n < 0 {
					e.out.print("Input Error: Unknown option \"" + a + "\" specified.\r\n")
					return 1
				}
			default:
				e.out.print("Input Error: Unknown option \"" + a + "\" specified.\r\n")
				return 1
			}
			continue
		}
		if script == "" {
			script = a
			continue
		}
		sargs = append(sargs, a)
	}
	if logo {
		e.out.print(cscriptBanner(e.h.os))
	}
	if script == "" {
		if len(args) == 0 {
			e.out.print(cscriptUsage)
			return 0
		}
		e.out.print("Input Error: There is no script file specified.\r\n")
		return 1
	}
	full, ok := e.fullPath(script)
	if !ok || !strings.EqualFold(full, adsutilPath) || !e.h.hasMetabase() {
		if !ok {
			full = script
		}
		e.out.print("Input Error: Can not find script file \"" + full + "\".\r\n")
		return 1
	}
	return runAdsutil(e, sargs)
}

// adsutil's exit codes (WScript.Quit values).
const (
	adsGeneralFailure  = 2
	adsErrPathNotFound = -2147024893 // 0x80070003
	adsErrNotSet       = -2147463162 // 0x80005006, MD_ERROR_DATA_NOT_FOUND
	adsErrBadPath      = -2147463168 // 0x80005000, E_ADS_BAD_PATHNAME
	adsErrPropNotFound = -2147463155 // 0x8000500D, E_ADS_PROPERTY_NOT_FOUND
	vbTypeMismatch     = 13
)

// adsEcho collects adsutil's WScript.Echo lines.
type adsEcho struct{ b strings.Builder }

func (w *adsEcho) echo(s string) { w.b.WriteString(s + "\r\n") }

// reportError is adsutil's ReportError: the description (its own text
// for three Win32 errors), then the number in decimal and hex.
func (w *adsEcho) reportError(code int32, desc string) {
	switch uint32(code) {
	case 0x80070003:
		desc = "The path requested could not be found."
	case 0x80070005:
		desc = "Access is denied for the requested path or property."
	case 0x80070094:
		desc = "The requested path is being used by another application."
	}
	w.echo(desc)
	w.echo(fmt.Sprintf("ErrNumber: %d (0x%X)", code, uint32(code)))
}

// adsDisplay is adsutil's value line: the property as typed, padded to
// 32, the type in parentheses, the value.
func adsDisplay(param, typ, value string) string {
	if len(param) < 32 {
		return param + strings.Repeat(" ", 32-len(param)) + ": (" + typ + ") " + value
	}
	// Longer names get VBScript's TypeName instead of the schema syntax.
	return param + ": (Boolean) " + value
}

func runAdsutil(e *execEnv, args []string) int {
	var a []string
	for _, s := range args {
		if !strings.HasPrefix(strings.ToLower(s), "-s:") { // -s:server: always localhost here
			a = append(a, s)
		}
	}
	w := &adsEcho{}
	code := adsutil(e.h, w, a)
	e.out.print(w.b.String())
	return code
}

func adsutil(h *Host, w *adsEcho, a []string) int {
	if len(a) < 1 {
		w.echo("")
		w.echo("Usage:")
		w.echo("      ADSUTIL.VBS <cmd> [<path> [<value>]]")
		w.echo("")
		w.echo("Description:")
		w.echo("IIS administration utility that enables the configuration of metabase properties.")
		w.echo("")
		w.echo("Supported Commands:")
		w.echo("  GET, SET, ENUM, DELETE, CREATE, COPY, ")
		w.echo("  APPCREATEINPROC, APPCREATEOUTPROC, APPCREATEPOOLPROC, APPDELETE, APPUNLOAD, APPGETSTATUS ")
		w.echo("")
		w.echo("Samples:")
		w.echo("  adsutil.vbs GET W3SVC/1/ServerBindings")
		w.echo("  adsutil.vbs SET W3SVC/1/ServerBindings \":81:\"")
		w.echo("  adsutil.vbs CREATE W3SVC/1/Root/MyVdir \"IIsWebVirtualDir\"")
		w.echo("  adsutil.vbs START_SERVER W3SVC/1")
		w.echo("  adsutil.vbs ENUM /P W3SVC")
		w.echo("")
		w.echo("For Extended Help type:")
		w.echo("  adsutil.vbs HELP")
		return adsGeneralFailure
	}
	switch strings.ToUpper(a[0]) {
	case "SET":
		if len(a) < 3 {
			w.echo("Error: Wrong number of Args for the SET command")
			return adsGeneralFailure
		}
		return adsSet(h, w, a[1], a[2])
	case "GET":
		if len(a) != 2 {
			w.echo("Error: Wrong number of Args for the GET command")
			return adsGeneralFailure
		}
		return adsGet(h, w, a[1])
	}
	w.echo("Command not recognized: " + a[0])
	w.echo("For help, just type \"Cscript.exe adsutil.vbs\".")
	return adsGeneralFailure
}

// adsLookup finds the node and checks the property's schema; ok is false
// after the error lines are written (code is the exit code).
func adsLookup(h *Host, w *adsEcho, path, getMsg string) (node, param string, code int, ok bool) {
	p := sanitizeMBPath(path)
	node, param = splitMBParam(p)
	lnode := strings.ToLower(node)
	h.mu.Lock()
	exists := h.mbNodeExists(lnode)
	h.mu.Unlock()
	if !exists {
		w.reportError(adsErrPathNotFound, "")
		w.echo(getMsg + node)
		return "", "", adsErrPathNotFound, false
	}
	if !strings.EqualFold(param, propDisableSocketPooling) {
		w.reportError(adsErrBadPath, "")
		w.echo("Error Trying To GET the Schema of the property: IIS://localhost/Schema/" + param)
		return "", "", adsErrBadPath, false
	}
	return lnode, param, 0, true
}

func adsSet(h *Host, w *adsEcho, path, value string) int {
	node, param, code, ok := adsLookup(h, w, path, "Error Trying To Get the Object: ")
	if !ok {
		return code
	}
	v, ok := vbBool(value)
	if !ok {
		w.reportError(vbTypeMismatch, "Type mismatch")
		w.echo("Error Trying To SET the Property: " + param)
		return vbTypeMismatch
	}
	if node == "" {
		w.reportError(adsErrPropNotFound, "The directory property cannot be found in the cache.")
		w.echo("Error Trying To SET the Property: " + param)
		return adsErrPropNotFound
	}
	h.mu.Lock()
	if h.metabase == nil {
		h.metabase = map[mbKey]bool{}
	}
	h.metabase[mbKey{node, strings.ToLower(param)}] = v
	h.mu.Unlock()
	w.echo(adsDisplay(param, "BOOLEAN", vbString(v)))
	return 0
}

func adsGet(h *Host, w *adsEcho, path string) int {
	node, param, code, ok := adsLookup(h, w, path, "Error Trying To GET the Object (GetObject Failed): ")
	if !ok {
		return code
	}
	h.mu.Lock()
	v, set := h.metabase[mbKey{node, strings.ToLower(param)}]
	h.mu.Unlock()
	if !set {
		// GetDataPaths finds the property nowhere at or below the node
		// (a value inherited from above does not count).
		w.echo("The parameter \"" + param + "\" is not set at this node.")
		return adsErrNotSet
	}
	w.echo(adsDisplay(param, "BOOLEAN", vbString(v)))
	return 0
}
