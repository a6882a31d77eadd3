// Package adsource lists an inventory's Active Directory sources: the
// enabled Windows computer objects under a base DN, over LDAPS or StartTLS,
// bound with Kerberos (the operator's ticket cache, a keytab, or a password
// by reference) or with a user and password. It pages through the
// directory, leaves out what is not a fleet host (disabled accounts,
// managed service accounts, computers not running Windows, computers that
// have not logged on for stale_after) and says why, and keeps the last good
// listing in the store, which it uses, with a warning, when the directory
// cannot be reached.
package adsource

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/go-ldap/ldap/v3/gssapi"
	"github.com/jcmturner/gokrb5/v8/config"

	"github.com/fleetport/fleetport/internal/store"
	"github.com/fleetport/fleetport/inventory"
)

// PageSize is the LDAP page size; Active Directory returns at most 1,000
// entries a page (MaxPageSize).
const PageSize = 1000

// MaxEntries bounds a listing, so that a filter that matches a whole forest
// does not exhaust memory.
const MaxEntries = 200_000

// Lister lists sources. It implements inventory.SourceLister.
type Lister struct {
	// StorePath is the store that keeps the last good listing of each
	// source; "" keeps none.
	StorePath string
	// Refresh fails instead of falling back to the stored listing.
	Refresh bool
	// Credentials resolves a simple bind's user and password, and a
	// Kerberos password.
	Credentials inventory.Resolver
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

func (l *Lister) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// List lists one source, or returns its stored listing when the directory
// cannot be reached.
func (l *Lister) List(src *inventory.Source) (*inventory.Listing, error) {
	ctx, cancel := context.WithTimeout(context.Background(), src.Timeout+5*time.Second)
	defer cancel()
	listing, err := l.list(ctx, src)
	if err == nil {
		if l.StorePath != "" {
			if serr := l.save(ctx, src, listing); serr != nil {
				listing.Notes = append(listing.Notes, "the listing could not be kept in the store: "+serr.Error())
			}
		}
		return listing, nil
	}
	var se *inventory.SourceError
	if errors.As(err, &se) || l.Refresh || l.StorePath == "" || !unreachable(err) {
		return nil, err
	}
	cached, cerr := l.load(ctx, src)
	if cerr != nil || cached == nil {
		return nil, fmt.Errorf("%w; and no earlier listing is stored", err)
	}
	cached.Cached = true
	cached.Problem = err.Error()
	return cached, nil
}

// unreachable reports the failures where a stored listing stands in: the
// directory could not be reached or answered nothing in time. A refused
// bind or a bad search is the operator's to fix, not to hide.
func unreachable(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var le *ldap.Error
	if errors.As(err, &le) {
		return le.ResultCode == ldap.ErrorNetwork || le.ResultCode == ldap.LDAPResultUnavailable || le.ResultCode == ldap.LDAPResultBusy ||
			le.ResultCode == ldap.LDAPResultServerDown || le.ResultCode == ldap.LDAPResultTimeout
	}
	return errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "KDC")
}

// attributes returns the computer attributes a listing reads: memberOf,
// which the directory computes, only when groups come from it.
func attributes(src *inventory.Source) []string {
	a := []string{"cn", "sAMAccountName", "dNSHostName", "operatingSystem", "operatingSystemVersion",
		"lastLogonTimestamp", "whenCreated", "userAccountControl"}
	if slices.Contains(src.GroupsFrom, "memberOf") {
		a = append(a, "memberOf")
	}
	return a
}

// Filter returns the LDAP filter a source searches with: computer objects
// that are not managed service accounts, ANDed with the source's own.
func Filter(src *inventory.Source) string {
	f := "(&(objectCategory=computer)(!(objectClass=msDS-GroupManagedServiceAccount))(!(objectClass=msDS-ManagedServiceAccount))"
	if src.Filter != "" {
		f += src.Filter
	}
	return f + ")"
}

func (l *Lister) list(ctx context.Context, src *inventory.Source) (*inventory.Listing, error) {
	c, err := l.connect(ctx, src)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	req := ldap.NewSearchRequest(src.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, MaxEntries, int(src.Timeout/time.Second),
		false, Filter(src), attributes(src), nil)
	res, err := c.SearchWithPaging(req, PageSize)
	if err != nil {
		var le *ldap.Error
		if errors.As(err, &le) {
			switch le.ResultCode {
			case ldap.LDAPResultNoSuchObject:
				return nil, &inventory.SourceError{Arg: "base_dn", Err: fmt.Errorf("the directory has no entry %s", src.BaseDN)}
			case ldap.LDAPResultInvalidDNSyntax:
				return nil, &inventory.SourceError{Arg: "base_dn", Err: fmt.Errorf("the directory refuses the base DN %s: %s", src.BaseDN, le.Err)}
			case ldap.LDAPResultFilterError, ldap.LDAPResultUndefinedAttributeType, ldap.LDAPResultInappropriateMatching:
				return nil, &inventory.SourceError{Arg: "filter", Err: fmt.Errorf("the directory refuses the filter %s: %s", src.Filter, le.Err)}
			case ldap.LDAPResultSizeLimitExceeded:
				return nil, &inventory.SourceError{Arg: "filter", Err: fmt.Errorf("the search matches more than %d computer objects: narrow base_dn or filter", MaxEntries)}
			}
		}
		return nil, fmt.Errorf("search %s: %w", src.BaseDN, err)
	}
	now := l.now()
	listing := &inventory.Listing{ListedAt: now}
	if n := len(res.Referrals); n > 0 {
		listing.Notes = append(listing.Notes, fmt.Sprintf("%d referrals to other directories were not followed", n))
	}
	base, _ := ldap.ParseDN(src.BaseDN)
	for _, e := range res.Entries {
		h, why := host(e, src, base, now)
		if why != "" {
			listing.Left = append(listing.Left, inventory.LeftOut{Name: name(e), Why: why})
			continue
		}
		listing.Hosts = append(listing.Hosts, h)
	}
	sort.Slice(listing.Hosts, func(i, j int) bool { return listing.Hosts[i].Name < listing.Hosts[j].Name })
	sort.Slice(listing.Left, func(i, j int) bool { return listing.Left[i].Name < listing.Left[j].Name })
	return listing, nil
}

func name(e *ldap.Entry) string {
	if n := e.GetAttributeValue("cn"); n != "" {
		return n
	}
	return strings.TrimSuffix(e.GetAttributeValue("sAMAccountName"), "$")
}

// Reasons an entry is left out.
const (
	WhyDisabled   = "disabled"
	WhyNotWindows = "not running Windows"
	WhyStale      = "stale"
	WhyNoDNSName  = "no DNS name"
	WhyBadName    = "a name fleetport cannot use"
)

// host makes a host of a computer object, or says why not.
func host(e *ldap.Entry, src *inventory.Source, base *ldap.DN, now time.Time) (inventory.SourceHost, string) {
	n := name(e)
	uac, _ := strconv.ParseInt(e.GetAttributeValue("userAccountControl"), 10, 64)
	switch {
	case uac&2 != 0: // ACCOUNTDISABLE
		return inventory.SourceHost{}, WhyDisabled
	case !strings.HasPrefix(strings.ToLower(e.GetAttributeValue("operatingSystem")), "windows"):
		return inventory.SourceHost{}, WhyNotWindows
	}
	last := fileTime(e.GetAttributeValue("lastLogonTimestamp"))
	if last.IsZero() {
		// Never logged on: judged by its creation, so that a computer
		// joined today is listed.
		last = generalizedTime(e.GetAttributeValue("whenCreated"))
	}
	if !last.IsZero() && now.Sub(last) > src.StaleAfter {
		return inventory.SourceHost{}, WhyStale
	}
	dns := strings.ToLower(strings.TrimSuffix(e.GetAttributeValue("dNSHostName"), "."))
	if dns == "" {
		return inventory.SourceHost{}, WhyNoDNSName
	}
	if !inventory.ValidName(n) {
		return inventory.SourceHost{}, WhyBadName
	}
	h := inventory.SourceHost{Name: strings.ToLower(n), Address: dns, Tags: map[string]string{
		"source": src.Name,
		"os":     e.GetAttributeValue("operatingSystem"),
	}}
	if v := e.GetAttributeValue("operatingSystemVersion"); v != "" {
		h.Tags["os_version"] = v
	}
	dn, err := ldap.ParseDN(e.DN)
	if err == nil {
		if ou := ouPath(dn, base); len(ou) > 0 {
			h.Tags["ou"] = strings.Join(ou, "/")
			if slices.Contains(src.GroupsFrom, "ou") {
				for _, o := range ou {
					h.Groups = append(h.Groups, groupName(o))
				}
			}
		}
	}
	if slices.Contains(src.GroupsFrom, "memberOf") {
		for _, g := range e.GetAttributeValues("memberOf") {
			gdn, err := ldap.ParseDN(g)
			if err != nil || len(gdn.RDNs) == 0 || len(gdn.RDNs[0].Attributes) == 0 {
				continue
			}
			h.Groups = append(h.Groups, groupName(gdn.RDNs[0].Attributes[0].Value))
		}
	}
	return h, ""
}

// ouPath returns the organizational units between base and the entry,
// outermost first.
func ouPath(dn, base *ldap.DN) []string {
	var out []string
	n := len(dn.RDNs)
	if base != nil {
		n -= len(base.RDNs)
	}
	for i := n - 1; i >= 1; i-- {
		for _, a := range dn.RDNs[i].Attributes {
			if strings.EqualFold(a.Type, "OU") {
				out = append(out, a.Value)
			}
		}
	}
	return out
}

// groupName makes a fleetport group name of an OU or AD group name:
// lower case, spaces and other characters as hyphens.
func groupName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-._")
	if out == "" {
		out = "group"
	}
	return out
}

// fileTime reads a Windows FILETIME (100 ns since 1601).
func fileTime(s string) time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	const epochDiff = 116444736000000000 // 1601 to 1970 in 100 ns
	return time.Unix(0, (n-epochDiff)*100).UTC()
}

// generalizedTime reads an LDAP GeneralizedTime ("20261207101500.0Z").
func generalizedTime(s string) time.Time {
	for _, layout := range []string{"20060102150405.0Z", "20060102150405Z"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// connect dials the directory over TLS and binds.
func (l *Lister) connect(ctx context.Context, src *inventory.Source) (*ldap.Conn, error) {
	u, err := url.Parse(src.URL)
	if err != nil {
		return nil, &inventory.SourceError{Arg: "url", Err: err}
	}
	serverName := src.ServerName
	if serverName == "" {
		serverName = u.Hostname()
	}
	tc := &tls.Config{ServerName: serverName, MinVersion: tls.VersionTLS12}
	if src.CAFile != "" {
		pem, err := os.ReadFile(src.CAFile)
		if err != nil {
			return nil, &inventory.SourceError{Arg: "ca_file", Err: fmt.Errorf("read the CA file: %w", err)}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, &inventory.SourceError{Arg: "ca_file", Err: fmt.Errorf("%s holds no PEM certificate", src.CAFile)}
		}
		tc.RootCAs = pool
	}
	d := &net.Dialer{Timeout: src.Timeout}
	if dl, ok := ctx.Deadline(); ok {
		d.Deadline = dl
	}
	addr := u.Host
	if u.Port() == "" {
		port := "636"
		if u.Scheme == "ldap" {
			port = "389"
		}
		addr = net.JoinHostPort(u.Hostname(), port)
	}
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", addr, err)
	}
	var nc net.Conn = raw
	if u.Scheme == "ldaps" {
		tlsConn := tls.Client(raw, tc)
		if err := tlsConn.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, fmt.Errorf("TLS with %s: %w", addr, err)
		}
		nc = tlsConn
	}
	// The SASL layer, when Kerberos negotiates one, sits above TLS.
	sc := &saslConn{Conn: nc}
	c := ldap.NewConn(sc, u.Scheme == "ldaps")
	c.Start()
	c.SetTimeout(src.Timeout)
	if u.Scheme == "ldap" && src.StartTLS {
		if err := c.StartTLS(tc); err != nil {
			c.Close()
			return nil, fmt.Errorf("StartTLS with %s: %w", addr, err)
		}
	}
	if err := l.bind(c, sc, src, u); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (l *Lister) bind(c *ldap.Conn, sc *saslConn, src *inventory.Source, u *url.URL) error {
	var user, password string
	if src.User.Source() != inventory.SourceNone {
		s, err := src.User.Resolve(l.Credentials, "source "+src.Name, "user")
		if err != nil {
			return &inventory.SourceError{Arg: "user", Err: err}
		}
		user = s.Reveal()
	}
	if src.Password.Source() != inventory.SourceNone {
		s, err := src.Password.Resolve(l.Credentials, "source "+src.Name, "password")
		if err != nil {
			return &inventory.SourceError{Arg: "password", Err: err}
		}
		password = s.Reveal()
	}
	if src.Bind == inventory.BindSimple {
		if err := c.Bind(user, password); err != nil {
			if ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
				return &inventory.SourceError{Arg: "user", Err: fmt.Errorf("the directory refused the user %s and its password", user)}
			}
			return fmt.Errorf("bind as %s: %w", user, err)
		}
		return nil
	}
	conf := src.Krb5Conf
	if conf == "" {
		conf = os.Getenv("KRB5_CONFIG")
	}
	if conf == "" {
		conf = "/etc/krb5.conf"
	}
	var kc *gssapi.Client
	var err error
	switch {
	case src.Keytab != "" || password != "":
		cfg, cerr := config.Load(conf)
		if cerr != nil {
			return &inventory.SourceError{Arg: "krb5_conf", Err: fmt.Errorf("read %s: %w", conf, cerr)}
		}
		name, realm, ok := strings.Cut(user, "@")
		if !ok {
			realm = cfg.LibDefaults.DefaultRealm
		}
		if name == "" {
			return &inventory.SourceError{Arg: "user", Err: errors.New("a Kerberos bind with a keytab or a password needs user = \"name@REALM\"")}
		}
		if src.Keytab != "" {
			kc, err = gssapi.NewClientWithKeytab(name, strings.ToUpper(realm), src.Keytab, conf)
		} else {
			kc, err = gssapi.NewClientWithPassword(name, strings.ToUpper(realm), password, conf)
		}
	default:
		cc := src.CCache
		if cc == "" {
			cc = strings.TrimPrefix(os.Getenv("KRB5CCNAME"), "FILE:")
		}
		if cc == "" {
			cc = fmt.Sprintf("/tmp/krb5cc_%d", os.Getuid())
		}
		kc, err = gssapi.NewClientFromCCache(cc, conf)
		if err != nil {
			return &inventory.SourceError{Arg: "ccache", Err: fmt.Errorf("no usable Kerberos ticket in %s (run kinit, or set keytab): %v", cc, err)}
		}
	}
	if err != nil {
		return fmt.Errorf("kerberos: %w", err)
	}
	defer kc.Close()
	server := u.Hostname()
	if src.ServerName != "" {
		server = src.ServerName
	}
	// A Windows DC registers ldap/<name>; a Samba DC only HOST/<name>,
	// whose key its LDAP service accepts too.
	gc := &sealingClient{Client: kc, conn: sc, tls: u.Scheme == "ldaps"}
	spn := "ldap/" + server
	err = c.GSSAPIBind(gc, spn, "")
	if err != nil && strings.Contains(err.Error(), "KDC_ERR_S_PRINCIPAL_UNKNOWN") {
		spn = "host/" + server
		err = c.GSSAPIBind(gc, spn, "")
	}
	if err != nil {
		if strings.Contains(err.Error(), "KDC_ERR_S_PRINCIPAL_UNKNOWN") {
			return &inventory.SourceError{Arg: "server_name", Err: fmt.Errorf("the KDC knows neither ldap/%s nor host/%s: set server_name to the DC's DNS name", server, server)}
		}
		if u.Scheme == "ldaps" && ldap.IsErrorWithCode(err, ldap.LDAPResultStrongAuthRequired) {
			return &inventory.SourceError{Arg: "url", Err: fmt.Errorf("the directory refuses a Kerberos bind over TLS (Samba's default, ldap server require strong auth = yes): use url = \"ldap://%s\", where Kerberos seals every message", u.Hostname())}
		}
		return fmt.Errorf("kerberos bind to %s: %w", spn, err)
	}
	sc.seal()
	return nil
}

// key names a source's listing in the store: another base DN or filter is
// another listing; another URL (another DC of the domain) is not.
func key(src *inventory.Source) string {
	return src.ID() + "|" + src.BaseDN + "|" + src.Filter
}

type stored struct {
	Hosts []inventory.SourceHost `json:"hosts"`
	Left  []inventory.LeftOut    `json:"left,omitempty"`
}

func (l *Lister) save(ctx context.Context, src *inventory.Source, li *inventory.Listing) error {
	st, err := store.Open(ctx, l.StorePath)
	if err != nil {
		return err
	}
	defer st.Close()
	b, err := json.Marshal(stored{Hosts: li.Hosts, Left: li.Left})
	if err != nil {
		return err
	}
	return st.PutListing(ctx, key(src), li.ListedAt, b)
}

func (l *Lister) load(ctx context.Context, src *inventory.Source) (*inventory.Listing, error) {
	if _, err := os.Stat(l.StorePath); err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, l.StorePath)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	b, at, err := st.Listing(ctx, key(src))
	if err != nil || b == nil {
		return nil, err
	}
	var s stored
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("the stored listing is unreadable: %w", err)
	}
	return &inventory.Listing{Hosts: s.Hosts, Left: s.Left, ListedAt: at}, nil
}
