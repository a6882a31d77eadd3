package winhost

import "strings"

// A user who is not an administrator of the host (a member of its Remote
// Management Users group, say) runs commands with a token that holds no
// administrator rights: WinRM never elevates. Reading works (the registry
// keys, netsh's and netstat's tables, sc query are readable by Users);
// every change the model knows is refused with the text the Windows tool
// prints for ERROR_ACCESS_DENIED (5):
//
//   - reg add / reg delete outside HKEY_CURRENT_USER: "ERROR: Access is
//     denied." (reg.exe prints the system message after "ERROR: ");
//   - net start / net stop of a service: "System error 5 has occurred."
//     and "Access is denied.", exit 2, net.exe's layout for every system
//     error (as for 1058 and 1068);
//   - sc start / stop / config: "[SC] OpenService FAILED 5:" and the
//     message, exit 5;
//   - netsh http add / delete iplisten: the HTTP API's failure in netsh's
//     layout, "IP address add failed, Error: 5" and the message [chosen:
//     the layout of the failures the model has captures of, 183 and 1168];
//   - netsh interface ... set: netsh's interface contexts check the token
//     first: "The requested operation requires elevation (Run as
//     administrator)." [chosen: the text netsh prints in a non-elevated
//     console];
//   - schtasks /create, /run, /end, /change, /delete: "ERROR: Access is
//     denied.";
//   - shutdown /r, /s, /a: "Access is denied.(5)", exit 5 [chosen: the
//     layout of shutdown's other failures, "...(1116)"];
//   - httpcfg set / delete (Server 2003): "... completed with 5." [chosen:
//     httpcfg's layout for every status].
//
// reg's, net's, sc's and schtasks' texts are the ones Windows prints for
// error 5; the w:AccessDenied fault (internal/sim/wsman) is the one
// pywinrm users report (diyan/pywinrm#336), checked against pywinrm itself
// in internal/sim (TestPywinrmSeesTheRights).
//
// Commands the Task Scheduler runs are SYSTEM's and never limited.

const (
	textAccessDenied   = "Access is denied."
	textSystemError5   = "System error 5 has occurred.\r\n\r\nAccess is denied.\r\n\r\n"
	textNeedsElevation = "The requested operation requires elevation (Run as administrator).\r\n\r\n"
)

// limited reports whether the command runs without administrator rights.
func (e *execEnv) limited() bool { return e.limitedUser && !e.task }

// regWriteDenied reports (and prints) reg.exe's refusal of a change to a
// key outside the user's own hive.
func (e *execEnv) regWriteDenied(path string) bool {
	if !e.limited() || strings.HasPrefix(strings.ToUpper(path), `HKEY_CURRENT_USER`) {
		return false
	}
	e.err.print("ERROR: " + textAccessDenied + "\r\n")
	return true
}
