package winhost

// The IIS metabase, as far as socket pooling goes.
//
// IIS 5 and the IIS 6 services that bind with Winsock (SMTP, NNTP, FTP)
// pool their sockets: a virtual server configured for one address binds
// every address of the host (0.0.0.0:25 for SMTP) unless the metabase
// property DisableSocketPooling (ID 1029, BOOLEAN, INHERIT) is true at its
// node or above (windows-semantics.md section 3; KB 238131; the IIS 6
// metabase reference). The service reads the property when it starts, so a
// change takes effect at the next start of the service (KB 238131: restart
// the service after setting it). W3SVC has nodes too, but from IIS 6 on
// http.sys owns its sockets and the property has no effect (KB 813368).
//
// The model keeps the property at two levels per service, the service
// node ("smtpsvc") and instance 1 ("smtpsvc/1", the default virtual
// server), and nothing else. The metabase exists where the IIS Admin
// Service (IISADMIN) is installed: always on 2003 with IIS, from 2008 R2
// on only with the IIS 6 management compatibility that IIS SMTP brings.

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// mbServices are the services the metabase has nodes for, when installed.
var mbServices = []string{"W3SVC", "SMTPSVC", "NNTPSVC", "MSFTPSVC"}

// poolingService reports whether a service binds with Winsock and honours
// DisableSocketPooling.
func poolingService(name string) bool {
	switch strings.ToUpper(name) {
	case "SMTPSVC", "NNTPSVC", "MSFTPSVC":
		return true
	}
	return false
}

// propDisableSocketPooling is the one property the model knows, as the
// schema spells it.
const propDisableSocketPooling = "DisableSocketPooling"

// mbKey is a property at a node: both lower case, the node without
// leading or trailing slashes ("smtpsvc", "smtpsvc/1").
type mbKey struct{ node, prop string }

// sanitizeMBPath is adsutil's SanitizePath: blanks trimmed, \ turned
// into /, one leading and one trailing slash removed.
func sanitizeMBPath(p string) string {
	p = strings.Trim(p, " ")
	p = strings.ReplaceAll(p, `\`, "/")
	p = strings.TrimPrefix(p, "/")
	return strings.TrimSuffix(p, "/")
}

// splitMBParam is adsutil's SplitParam: the part after the last slash is
// the property, the rest the node ("" for the machine node).
func splitMBParam(p string) (node, param string) {
	i := strings.LastIndexByte(p, '/')
	if i < 0 || i == len(p)-1 {
		return "", p
	}
	return p[:i], p[i+1:]
}

// vbBool converts as VBScript's CBool does for the strings adsutil gets:
// True/False in any case, or a number (non-zero is True).
func vbBool(s string) (bool, bool) {
	t := strings.TrimSpace(s)
	switch strings.ToLower(t) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	if f, err := strconv.ParseFloat(t, 64); err == nil {
		return f != 0, true
	}
	return false, false
}

// mbNodeIn reports whether node (lower case) exists in a metabase whose
// host has the named services: the machine node "", a service node of an
// installed metabase service, or its instance 1.
func mbNodeIn(node string, has func(string) bool) bool {
	if node == "" {
		return true
	}
	svc, inst, _ := strings.Cut(node, "/")
	if inst != "" && inst != "1" {
		return false
	}
	for _, s := range mbServices {
		if strings.EqualFold(s, svc) {
			return has(s)
		}
	}
	return false
}

// checkMetabaseValue validates one entry of Spec.Metabase.
func checkMetabaseValue(s *Spec, path, v string) error {
	names := map[string]bool{}
	for _, d := range hostServices(s.OS, s.WithoutIIS) {
		names[strings.ToUpper(d.name)] = true
	}
	for _, sv := range s.Services {
		names[strings.ToUpper(sv.Name)] = true
	}
	if !names["IISADMIN"] {
		return errors.New("the host has no metabase (no IIS Admin Service)")
	}
	node, prop := splitMBParam(strings.ToLower(sanitizeMBPath(path)))
	if !strings.EqualFold(prop, propDisableSocketPooling) {
		return fmt.Errorf("property %q is not modelled (only DisableSocketPooling)", prop)
	}
	if node == "" || !mbNodeIn(node, func(n string) bool { return names[n] }) {
		return fmt.Errorf("node %q is not a service or instance 1 of an installed metabase service", node)
	}
	if _, ok := vbBool(v); !ok {
		return fmt.Errorf("value %q is not a boolean", v)
	}
	return nil
}

// hasMetabase reports whether the host has the IIS metabase (and with it
// C:\Inetpub\AdminScripts\adsutil.vbs).
func (h *Host) hasMetabase() bool { return h.findServiceKey("IISADMIN") >= 0 }

// mbNodeExists reports whether a node (lower case) exists on the host.
func (h *Host) mbNodeExists(node string) bool {
	return mbNodeIn(node, func(n string) bool { return h.findServiceKey(n) >= 0 })
}

// loadMetabase sets the spec's values (validated).
func (h *Host) loadMetabase(m map[string]string) {
	for path, v := range m {
		node, prop := splitMBParam(strings.ToLower(sanitizeMBPath(path)))
		b, _ := vbBool(v)
		if h.metabase == nil {
			h.metabase = map[mbKey]bool{}
		}
		h.metabase[mbKey{node, prop}] = b
	}
}

// poolingDisabledLocked is DisableSocketPooling as instance 1 of the
// service sees it: set there, else inherited from the service node, else
// false (socket pooling on).
func (h *Host) poolingDisabledLocked(svc string) bool {
	prop := strings.ToLower(propDisableSocketPooling)
	svc = strings.ToLower(svc)
	if v, ok := h.metabase[mbKey{svc + "/1", prop}]; ok {
		return v
	}
	return h.metabase[mbKey{svc, prop}]
}

// serviceListenersLocked are the sockets service i holds while it runs:
// its listeners, moved to the unspecified address of their family when it
// pools sockets (a metabase service started with DisableSocketPooling not
// in effect).
func (h *Host) serviceListenersLocked(i int) []Listener {
	d := h.svcDefs[i]
	if !poolingService(d.name) || h.svc[i].poolOff || !h.hasMetabase() {
		return d.listeners
	}
	out := make([]Listener, 0, len(d.listeners))
	for _, l := range d.listeners {
		if !l.Addr.Addr().IsUnspecified() {
			l.Addr = netip.AddrPortFrom(unspecifiedLike(l.Addr.Addr()), l.Addr.Port())
		}
		// Two instances of one pooled socket are one socket.
		dup := false
		for _, o := range out {
			if o.Proto == l.Proto && o.Addr == l.Addr {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, l)
		}
	}
	return out
}

// MetabaseValue returns a metabase property set at exactly the node of
// path ("smtpsvc/disablesocketpooling", any case), as adsutil get would
// find it: "True" or "False", ok false when not set there.
func (h *Host) MetabaseValue(path string) (string, bool) {
	node, prop := splitMBParam(strings.ToLower(sanitizeMBPath(path)))
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.metabase[mbKey{node, prop}]
	if !ok {
		return "", false
	}
	return vbString(v), true
}

// SocketPoolingInEffect reports whether a metabase service (SMTPSVC,
// NNTPSVC, MSFTPSVC) pools sockets now: it runs and started without
// DisableSocketPooling in effect. False for a stopped or unknown service.
func (h *Host) SocketPoolingInEffect(service string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	i := h.findServiceKey(service)
	if i < 0 || h.svc[i].state != stateRunning || !poolingService(h.svcDefs[i].name) || !h.hasMetabase() {
		return false
	}
	return !h.svc[i].poolOff
}

// vbString is VBScript's text for a Boolean.
func vbString(b bool) string {
	if b {
		return "True"
	}
	return "False"
}
