package adjoin

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-ldap/ldap/v3"
)

// Well-known relative ids of a domain's groups (MS-DTYP 2.4.2.4).
const RIDDomainAdmins = 512

// Groups are the domain users and groups a joined host puts into its local
// groups, as Add-Computer and Group Policy (Restricted Groups) do: Domain
// Admins joins Administrators; whom the domain grants least privilege
// joins Remote Management Users.
type Groups struct {
	// Administrators and RemoteManagementUsers are the members' SIDs.
	Administrators, RemoteManagementUsers []string
}

// LocalGroups resolves, in the directory, the names of the domain users
// and groups for the hosts' Administrators (Domain Admins is always one)
// and Remote Management Users groups, to their SIDs. A name is a
// sAMAccountName, optionally as "DOMAIN\name" or "name@domain". A name the
// directory does not know is an error.
func LocalGroups(ctx context.Context, dir Directory, admins, remoteManagement []string) (Groups, error) {
	c, err := dir.dial(ctx)
	if err != nil {
		return Groups{}, err
	}
	defer c.Close()
	domain, err := objectSID(c, BaseDN(dir.Realm), ldap.ScopeBaseObject, "(objectClass=domain)")
	if err != nil {
		return Groups{}, fmt.Errorf("adjoin: the domain's SID: %w", err)
	}
	g := Groups{Administrators: []string{domain + "-" + strconv.Itoa(RIDDomainAdmins)}}
	resolve := func(names []string) ([]string, error) {
		var out []string
		for _, n := range names {
			sid, err := objectSID(c, BaseDN(dir.Realm), ldap.ScopeWholeSubtree,
				"(sAMAccountName="+ldap.EscapeFilter(accountOnly(n))+")")
			if err != nil {
				return nil, fmt.Errorf("adjoin: domain account %q: %w", n, err)
			}
			out = append(out, sid)
		}
		return out, nil
	}
	more, err := resolve(admins)
	if err != nil {
		return Groups{}, err
	}
	g.Administrators = append(g.Administrators, more...)
	if g.RemoteManagementUsers, err = resolve(remoteManagement); err != nil {
		return Groups{}, err
	}
	if g.RemoteManagementUsers == nil {
		g.RemoteManagementUsers = []string{}
	}
	return g, nil
}

// accountOnly strips "DOMAIN\" and "@domain".
func accountOnly(n string) string {
	if _, u, ok := strings.Cut(n, `\`); ok {
		n = u
	}
	n, _, _ = strings.Cut(n, "@")
	return n
}

func objectSID(c *ldap.Conn, base string, scope int, filter string) (string, error) {
	res, err := c.Search(ldap.NewSearchRequest(base, scope, ldap.NeverDerefAliases, 2, 0, false, filter, []string{"objectSid"}, nil))
	if err != nil {
		return "", err
	}
	if len(res.Entries) != 1 {
		return "", fmt.Errorf("%d entries match %s", len(res.Entries), filter)
	}
	return SIDString(res.Entries[0].GetRawAttributeValue("objectSid"))
}

// SIDString renders a binary SID (MS-DTYP 2.4.2.2) as "S-1-5-21-...".
func SIDString(b []byte) (string, error) {
	if len(b) < 8 || b[0] != 1 || len(b) != 8+4*int(b[1]) {
		return "", errors.New("not a binary SID")
	}
	var auth uint64
	for _, x := range b[2:8] {
		auth = auth<<8 | uint64(x)
	}
	s := "S-1-" + strconv.FormatUint(auth, 10)
	for i := 0; i < int(b[1]); i++ {
		s += "-" + strconv.FormatUint(uint64(binary.LittleEndian.Uint32(b[8+4*i:])), 10)
	}
	return s, nil
}
