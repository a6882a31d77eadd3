package collectcmd

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/inventory"
)

// CredentialProblem is one credential reference that cannot be read, and
// the hosts that use it.
type CredentialProblem struct {
	What  string // "user", "password", "change_user" or "change_password"
	Ref   inventory.Reference
	Err   error
	Hosts []string // sorted
}

func (p CredentialProblem) String() string {
	names := p.Hosts
	more := ""
	if len(names) > 3 {
		names, more = names[:3], fmt.Sprintf(" and %d more", len(p.Hosts)-3)
	}
	n := "host"
	if len(p.Hosts) != 1 {
		n = "hosts"
	}
	return fmt.Sprintf("the %s %s of %d %s (%s%s): %v", p.What, p.Ref, len(p.Hosts), n, strings.Join(names, ", "), more, p.Err)
}

// CredentialProblems reads, through r, every credential of the hosts that
// comes from an environment variable or a file, and returns the references
// that cannot be read, once each with the hosts that use them. Prompts are
// left to the run (they are asked once per reference anyway). Nothing is
// returned or kept of a value.
func CredentialProblems(hosts []*inventory.Host, r inventory.Resolver) []CredentialProblem {
	return credentialProblems(hosts, r, false)
}

// ChangeCredentialProblems is [CredentialProblems] for the change
// credentials (change_user, change_password) of the hosts that name one.
func ChangeCredentialProblems(hosts []*inventory.Host, r inventory.Resolver) []CredentialProblem {
	return credentialProblems(hosts, r, true)
}

func credentialProblems(hosts []*inventory.Host, r inventory.Resolver, change bool) []CredentialProblem {
	byKey := map[string]*CredentialProblem{}
	var keys []string
	check := func(h *inventory.Host, s inventory.Secret, what string) {
		ref := s.Reference()
		if ref.Source != inventory.SourceEnv && ref.Source != inventory.SourceFile {
			return
		}
		_, err := s.Resolve(r, h.Name, what)
		if err == nil {
			return
		}
		var ce *inventory.CredentialError
		if errors.As(err, &ce) {
			err = ce.Err
		}
		k := what + "\x00" + ref.String() + "\x00" + err.Error()
		p := byKey[k]
		if p == nil {
			p = &CredentialProblem{What: what, Ref: ref, Err: err}
			byKey[k] = p
			keys = append(keys, k)
		}
		p.Hosts = append(p.Hosts, h.Name)
	}
	for _, h := range hosts {
		if change {
			check(h, h.ChangeUser, "change_user")
			check(h, h.ChangePassword, "change_password")
			continue
		}
		check(h, h.User, "user")
		check(h, h.Password, "password")
	}
	out := make([]CredentialProblem, 0, len(keys))
	for _, k := range keys {
		p := byKey[k]
		sort.Strings(p.Hosts)
		out = append(out, *p)
	}
	return out
}

// checkCredentials fails, before any host is contacted, when a credential
// the run needs cannot be read: one line per reference, not one per host.
// Hosts that site runners collect (--nats) are left out: their runners
// read their credentials.
func checkCredentials(hosts []*inventory.Host, r inventory.Resolver, dispatching bool) error {
	local := hosts
	if dispatching {
		local = nil
		for _, h := range hosts {
			if h.Site == "" {
				local = append(local, h)
			}
		}
	}
	ps := CredentialProblems(local, r)
	if len(ps) == 0 {
		return nil
	}
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return cmdutil.WithHint(fmt.Errorf("credentials cannot be read, so no host was contacted:\n  %s", strings.Join(lines, "\n  ")),
		"set the variables (or fix the files) the inventory names, then run again; fleetport validate warns about them too")
}

// CheckChangeCredentials fails, before any host is changed, when a change
// credential of the hosts cannot be read: one line per reference.
func CheckChangeCredentials(hosts []*inventory.Host, r inventory.Resolver) error {
	ps := ChangeCredentialProblems(hosts, r)
	if len(ps) == 0 {
		return nil
	}
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return cmdutil.WithHint(fmt.Errorf("the change credential cannot be read, so nothing was changed:\n  %s", strings.Join(lines, "\n  ")),
		"set the variables (or fix the files) the inventory's change_user and change_password name, then run again; fleetport validate checks them too")
}
