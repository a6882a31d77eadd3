package facts

import (
	"strings"
)

// The roles a host's facts show.
const (
	RoleWeb  = "web"  // IIS: the W3SVC service, or a site's URL registered with http.sys
	RoleSMTP = "smtp" // the SMTPSVC service, or a TCP listener on port 25
	RoleSQL  = "sql"  // SQL Server's default instance (MSSQLSERVER)
)

// RoleServices are the services whose presence (in any state) gives a
// host a role, by service name: what collection queries to tell a host's
// roles.
var RoleServices = map[string]string{"W3SVC": RoleWeb, "SMTPSVC": RoleSMTP, "MSSQLSERVER": RoleSQL}

// Roles returns the roles the host's facts show, sorted (web, smtp, sql
// as they apply), and whether they are known: every fact they rest on was
// collected (the role services' states, the socket table and, from 2008
// R2 on, the URLs registered with http.sys).
func (h *Host) Roles() (roles []string, known bool) {
	has := map[string]bool{}
	states := map[string]ServiceState{}
	for _, s := range h.Services {
		states[strings.ToUpper(s.Name)] = s.State
	}
	known = h.OS != nil && h.Sockets != nil && (h.HTTPURLs != nil || h.OS.Release == "2003")
	for name, role := range RoleServices {
		st, ok := states[name]
		if !ok || st == ServiceStateUnknown {
			known = false
			continue
		}
		if st != ServiceNotInstalled {
			has[role] = true
		}
	}
	for _, u := range h.HTTPURLs {
		// WinRM registers its own URL (/wsman): that is not a site.
		if !strings.HasPrefix(strings.ToLower(u.Path), "/wsman") {
			has[RoleWeb] = true
		}
	}
	if h.Sockets != nil {
		for i := range h.Sockets.Listeners {
			s := &h.Sockets.Listeners[i]
			if s.Proto == ProtoTCP && s.State == StateListen && s.Local.Port() == 25 {
				has[RoleSMTP] = true
			}
		}
	}
	for _, r := range []string{RoleWeb, RoleSMTP, RoleSQL} {
		if has[r] {
			roles = append(roles, r)
		}
	}
	if roles == nil {
		roles = []string{}
	}
	return roles, known
}
