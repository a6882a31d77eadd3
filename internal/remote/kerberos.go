package remote

// Kerberos as a domain member's WinRM expects it. Each TCP connection is
// authenticated once, in the dial: an empty POST carries a SPNEGO token
// ("Authorization: Negotiate") with an AP-REQ for the host's service
// principal, and the host's 200 carries its AP-REP, which is checked
// (mutual authentication) before anything is sent. Over http every message
// is then sealed with the context key (RFC 4121 wrap tokens in the DCE
// layout, internal/gsswrap), as Windows requires when AllowUnencrypted is
// false; over https TLS protects the messages.
//
// Tickets come from gokrb5: a credential cache (kinit's), a keytab, or a
// password. The client, its TGT and its service tickets are shared by
// every session of a [KerberosCache], so that a run asks the KDC for one
// TGT and one service ticket per host.

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/asn1tools"
	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/chksumtype"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/fleetport/fleetport/internal/gsswrap"
)

// kdcSlots is how many exchanges with the KDC a run has in flight at
// most. A run that opens hundreds of sessions at once would otherwise send
// hundreds of TGS-REQs together; a KDC answers them one by one (Samba's in
// tens of milliseconds each) and the last ones outwait gokrb5's fixed 5 s
// deadline: hosts failed with "i/o timeout". Queued here, a session waits
// within its own deadline instead.
const kdcSlots = 8

// KerberosCache shares Kerberos clients (and so their TGTs and service
// tickets) between the sessions of one run. The zero value is not usable;
// make it with [NewKerberosCache] and Close it when the run ends.
type KerberosCache struct {
	// kdc bounds the exchanges with the KDC in flight (see kdcSlots).
	kdc     chan struct{}
	mu      sync.Mutex
	clients map[kerberosKey]*sharedClient
	closed  bool
	// mac keys the password part of a client's key: the same password
	// finds the same client, and the key says nothing about it.
	mac [32]byte

	// logins are the shared clients' logins for negotiating sessions
	// (negotiate.go); guarded by mu.
	logins map[*client.Client]*loginState
}

// NewKerberosCache makes an empty cache.
func NewKerberosCache() *KerberosCache {
	c := &KerberosCache{clients: map[kerberosKey]*sharedClient{}, kdc: make(chan struct{}, kdcSlots)}
	_, _ = rand.Read(c.mac[:])
	return c
}

// String says how many clients the cache holds, and nothing else.
func (c *KerberosCache) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return fmt.Sprintf("Kerberos ticket cache (%d clients)", len(c.clients))
}

// GoString is String.
func (c *KerberosCache) GoString() string { return c.String() }

func (c *KerberosCache) passwordTag(p string) string {
	h := hmac.New(sha256.New, c.mac[:])
	h.Write([]byte(p))
	return string(h.Sum(nil))
}

// Close forgets every ticket and stops the clients' renewals.
func (c *KerberosCache) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, sc := range c.clients {
		sc.cl.Destroy()
	}
	c.clients, c.closed = nil, true
}

// kerberosKey names a client by where its credentials come from; a
// password login by user, realm and a keyed hash of the password, so that
// a wrong password never borrows the ticket a right one got.
type kerberosKey struct {
	config, ccache, keytab, user, realm, password string
}

type kerberosAuth struct {
	cl    *client.Client
	spn   string
	owned bool // not shared: close destroys it
	// login serializes the TGT's AS exchange between the sessions sharing
	// a client that logs in itself (password, keytab): without it, every
	// session that starts before the first TGT arrives asks the KDC for
	// one of its own. nil for a credential cache's client.
	login *sync.Mutex
	// kdc holds the run's KDC slots; nil without a cache.
	kdc chan struct{}
}

// sharedClient is a client of a [KerberosCache], with the lock that makes
// its sessions wait for one AS exchange.
type sharedClient struct {
	cl    *client.Client
	login sync.Mutex
}

// krb5Config loads the krb5.conf: the named file, else KRB5_CONFIG, else
// /etc/krb5.conf.
func krb5Config(name string) (*config.Config, string, error) {
	if name == "" {
		name = os.Getenv("KRB5_CONFIG")
		if i := strings.IndexByte(name, ':'); i >= 0 {
			name = name[:i] // MIT allows a list; the first one wins here
		}
	}
	if name == "" {
		name = "/etc/krb5.conf"
	}
	cfg, err := config.Load(name)
	if err != nil {
		return nil, name, fmt.Errorf("kerberos configuration %s: %w", name, err)
	}
	// The KDC is asked over TCP only. A domain's tickets carry the user's
	// PAC and rarely fit a UDP datagram: over UDP an Active Directory KDC
	// answers KRB_ERR_RESPONSE_TOO_BIG, and every exchange costs a second
	// round over TCP (which gokrb5, under load, does not always make:
	// hosts failed with that error). Windows clients end up on TCP too.
	cfg.LibDefaults.UDPPreferenceLimit = 1
	return cfg, name, nil
}

// ccachePath resolves KRB5CCNAME: a FILE: cache or a path. Other cache
// types (KEYRING:, KCM:, API:) are not readable here.
func ccachePath(name string) (string, error) {
	if typ, rest, ok := strings.Cut(name, ":"); ok && !strings.HasPrefix(name, "/") {
		if !strings.EqualFold(typ, "FILE") {
			return "", fmt.Errorf("credential cache %q: only FILE: caches can be read; run kinit with KRB5CCNAME=FILE:/path", name)
		}
		name = rest
	}
	return name, nil
}

// servicePrincipal is the SPN to ask for: the explicit one, else HTTP/ and
// the host's DNS name. A host addressed by IP needs its name from the
// inventory: the KDC knows no principal for an address.
func servicePrincipal(ep Endpoint) (string, error) {
	k := ep.Kerberos
	if k.SPN != "" {
		return k.SPN, nil
	}
	name := k.ServiceHost
	if name == "" {
		name = ep.Host
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return "", fmt.Errorf("kerberos: host %s is addressed by IP and has no DNS name for its service principal (set kerberos_name, or an explicit SPN): the KDC knows HTTP/<name>, never HTTP/<address>", ep.Host)
	}
	return "HTTP/" + strings.ToLower(name), nil
}

// newKerberos checks the configuration and finds or builds the client; it
// does not contact the KDC.
func newKerberos(ep Endpoint, user string, pass secret, cache *KerberosCache) (*kerberosAuth, error) {
	k := ep.Kerberos
	spn, err := servicePrincipal(ep)
	if err != nil {
		return nil, err
	}
	cfg, cfgName, err := krb5Config(k.ConfigFile)
	if err != nil {
		return nil, err
	}
	name, realm := user, k.Realm
	if n, d := splitUser(user); d != "" {
		name = n
		// "user@corp.example" names the realm; "CORP\user" names the
		// NetBIOS domain, which is not a realm.
		if realm == "" && strings.Contains(d, ".") {
			realm = strings.ToUpper(d)
		}
	}
	if realm == "" {
		realm = cfg.LibDefaults.DefaultRealm
	}
	key := kerberosKey{config: cfgName, user: strings.ToLower(name), realm: strings.ToUpper(realm)}
	build := func() (*client.Client, error) {
		switch {
		case k.KeytabFile != "":
			if name == "" || realm == "" {
				return nil, fmt.Errorf("kerberos keytab %s: a user name and a realm are needed to pick its key", k.KeytabFile)
			}
			kt, err := keytab.Load(k.KeytabFile)
			if err != nil {
				return nil, fmt.Errorf("kerberos keytab %s: %w", k.KeytabFile, err)
			}
			return client.NewWithKeytab(name, realm, kt, cfg, client.DisablePAFXFAST(true)), nil
		case pass.get() != "":
			if name == "" {
				return nil, errors.New("kerberos needs a user name with the password")
			}
			if realm == "" {
				return nil, fmt.Errorf("kerberos: no realm for user %q and no default_realm in %s", name, cfgName)
			}
			return client.NewWithPassword(name, realm, pass.get(), cfg, client.DisablePAFXFAST(true)), nil
		default:
			path := k.CCacheFile
			if path == "" {
				path = os.Getenv("KRB5CCNAME")
			}
			if path == "" {
				path = fmt.Sprintf("/tmp/krb5cc_%d", os.Getuid())
			}
			path, err := ccachePath(path)
			if err != nil {
				return nil, err
			}
			cc, err := credentials.LoadCCache(path)
			if err != nil {
				if errors.Is(err, os.ErrNotExist) {
					return nil, &authError{fmt.Sprintf("no Kerberos ticket: the credential cache %s does not exist (run kinit, or name a keytab or a password)", path)}
				}
				return nil, fmt.Errorf("kerberos credential cache %s: %w", path, err)
			}
			cl, err := client.NewFromCCache(cc, cfg, client.DisablePAFXFAST(true))
			if err != nil {
				return nil, &authError{fmt.Sprintf("no usable Kerberos ticket in %s: %v (run kinit)", path, err)}
			}
			if end, ok := tgtEnd(cc); ok && !time.Now().Before(end) {
				return nil, &authError{fmt.Sprintf("kerberos: the ticket in %s expired at %s (run kinit again)", path, end.UTC().Format(time.RFC3339))}
			}
			return cl, nil
		}
	}
	switch {
	case k.KeytabFile != "":
		key.keytab = k.KeytabFile
	case pass.get() != "":
	default:
		key.ccache = k.CCacheFile
		if key.ccache == "" {
			key.ccache = "env:" + os.Getenv("KRB5CCNAME")
		}
		key.user, key.realm = "", ""
	}
	if key.keytab == "" && key.ccache == "" && cache != nil {
		key.password = cache.passwordTag(pass.get())
	}
	logsIn := k.KeytabFile != "" || pass.get() != ""
	if cache == nil {
		cl, err := build()
		if err != nil {
			return nil, err
		}
		a := &kerberosAuth{cl: cl, spn: spn, owned: true}
		if logsIn {
			a.login = new(sync.Mutex)
		}
		return a, nil
	}
	cache.mu.Lock()
	defer cache.mu.Unlock()
	if cache.closed {
		return nil, errors.New("kerberos: the run's ticket cache is closed")
	}
	sc, ok := cache.clients[key]
	if !ok {
		cl, err := build()
		if err != nil {
			return nil, err
		}
		sc = &sharedClient{cl: cl}
		cache.clients[key] = sc
	}
	a := &kerberosAuth{cl: sc.cl, spn: spn, kdc: cache.kdc}
	if logsIn {
		a.login = &sc.login
	}
	return a, nil
}

// serviceTicket returns the ticket for the host's SPN: from the client's
// cache, else from the KDC (after a TGT, when the client holds none), in
// one of the run's KDC slots, waited for within ctx.
func (k *kerberosAuth) serviceTicket(ctx context.Context) (messages.Ticket, types.EncryptionKey, error) {
	if tkt, key, ok := k.cl.GetCachedTicket(k.spn); ok {
		return tkt, key, nil
	}
	if k.kdc != nil {
		select {
		case k.kdc <- struct{}{}:
			defer func() { <-k.kdc }()
		case <-ctx.Done():
			return messages.Ticket{}, types.EncryptionKey{}, &setupError{"kerberos", ctx.Err()}
		}
	}
	if err := k.tgt(); err != nil {
		return messages.Ticket{}, types.EncryptionKey{}, kdcError(k.spn, err)
	}
	tkt, key, err := k.cl.GetServiceTicket(k.spn)
	if err != nil {
		return messages.Ticket{}, types.EncryptionKey{}, kdcError(k.spn, err)
	}
	return tkt, key, nil
}

// tgt makes sure the client holds a TGT, asking the KDC for one (an AS
// exchange) only when it holds none or an expired one; the sessions that
// share the client wait for the first one's answer.
func (k *kerberosAuth) tgt() error {
	if k.login == nil {
		return nil // a credential cache holds the TGT kinit got
	}
	k.login.Lock()
	defer k.login.Unlock()
	return k.cl.AffirmLogin()
}

// close stops gokrb5's ticket renewal of a client the session owns.
func (k *kerberosAuth) close() {
	if k.owned {
		k.cl.Destroy()
	}
}

// GSS context flags asked for (RFC 2743): mutual authentication,
// sequencing, confidentiality and integrity.
var gssFlags = []int{gssapi.ContextFlagMutual, gssapi.ContextFlagSequence, gssapi.ContextFlagConf, gssapi.ContextFlagInteg}

// pendingContext is an AP-REQ sent, waiting for the host's AP-REP.
type pendingContext struct {
	sessionKey types.EncryptionKey
	auth       types.Authenticator
}

// initToken makes the SPNEGO token with an AP-REQ for the host: a service
// ticket (from the client's cache or the KDC), and a fresh authenticator
// with a subkey and a sequence number.
func (k *kerberosAuth) initToken(ctx context.Context) ([]byte, *pendingContext, error) {
	tkt, sessionKey, err := k.serviceTicket(ctx)
	if err != nil {
		return nil, nil, err
	}
	switch sessionKey.KeyType {
	case etypeID.AES128_CTS_HMAC_SHA1_96, etypeID.AES256_CTS_HMAC_SHA1_96:
	default:
		return nil, nil, &authError{fmt.Sprintf("kerberos: the ticket for %s has an RC4 (or older) session key: the host's account offers only RC4 "+
			"(set its msDS-SupportedEncryptionTypes to AES, 24); fleetport encrypts with AES only", k.spn)}
	}
	auth, err := types.NewAuthenticator(k.cl.Credentials.Domain(), k.cl.Credentials.CName())
	if err != nil {
		return nil, nil, err
	}
	cksum := make([]byte, 24)
	cksum[0] = 16 // length of the (empty) channel bindings hash
	var f uint32
	for _, fl := range gssFlags {
		f |= uint32(fl)
	}
	cksum[20], cksum[21], cksum[22], cksum[23] = byte(f), byte(f>>8), byte(f>>16), byte(f>>24)
	auth.Cksum = types.Checksum{CksumType: chksumtype.GSSAPI, Checksum: cksum}
	et, err := crypto.GetEtype(sessionKey.KeyType)
	if err != nil {
		return nil, nil, err
	}
	if err := auth.GenerateSeqNumberAndSubKey(sessionKey.KeyType, et.GetKeyByteSize()); err != nil {
		return nil, nil, err
	}
	apReq, err := messages.NewAPReq(tkt, sessionKey, auth)
	if err != nil {
		return nil, nil, err
	}
	types.SetFlag(&apReq.APOptions, flags.APOptionMutualRequired)
	raw, err := apReq.Marshal()
	if err != nil {
		return nil, nil, err
	}
	oid, err := asn1.Marshal(gssapi.OIDKRB5.OID())
	if err != nil {
		return nil, nil, err
	}
	mech := asn1tools.AddASNAppTag(append(append(oid, 0x01, 0x00), raw...), 0)
	st := spnego.SPNEGOToken{Init: true, NegTokenInit: spnego.NegTokenInit{
		MechTypes: []asn1.ObjectIdentifier{gssapi.OIDKRB5.OID()}, MechTokenBytes: mech}}
	token, err := st.Marshal()
	if err != nil {
		return nil, nil, err
	}
	return token, &pendingContext{sessionKey: sessionKey, auth: auth}, nil
}

// complete checks the host's AP-REP (mutual authentication) and makes the
// security context.
func (p *pendingContext) complete(token []byte) (*gsswrap.Context, error) {
	var resp spnego.NegTokenResp
	if err := resp.Unmarshal(token); err != nil {
		return nil, protof("kerberos: the host's Negotiate token is not a SPNEGO reply: %v", err)
	}
	if resp.NegState != asn1.Enumerated(spnego.NegStateAcceptCompleted) {
		return nil, &authError{fmt.Sprintf("kerberos: the host did not complete the SPNEGO negotiation (state %d)", resp.NegState)}
	}
	var kt spnego.KRB5Token
	if err := kt.Unmarshal(resp.ResponseToken); err != nil {
		return nil, protof("kerberos: the host's reply token: %v", err)
	}
	if kt.IsKRBError() {
		return nil, &authError{"kerberos: the host refused the ticket: " + kt.KRBError.Error()}
	}
	if !kt.IsAPRep() {
		return nil, protof("kerberos: the host's reply token is not an AP-REP")
	}
	plain, err := crypto.DecryptEncPart(kt.APRep.EncPart, p.sessionKey, keyusage.AP_REP_ENCPART)
	if err != nil {
		return nil, &authError{"kerberos: mutual authentication failed: the host's AP-REP does not open with the session key (not the host the ticket is for)"}
	}
	var part messages.EncAPRepPart
	if err := part.Unmarshal(plain); err != nil {
		return nil, protof("kerberos: the host's AP-REP: %v", err)
	}
	if !part.CTime.Equal(p.auth.CTime.Truncate(time.Second)) && !part.CTime.Equal(p.auth.CTime) || part.Cusec != p.auth.Cusec {
		return nil, &authError{"kerberos: mutual authentication failed: the host's AP-REP answers another authenticator"}
	}
	key, acceptorSubkey := p.auth.SubKey, false
	if part.Subkey.KeyType != 0 {
		key, acceptorSubkey = part.Subkey, true
	}
	ctx, err := gsswrap.New(key, true, acceptorSubkey, uint64(p.auth.SeqNumber))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotEncrypted, err)
	}
	return ctx, nil
}

// kdcError turns a failure to get a service ticket into an actionable one.
func kdcError(spn string, err error) error {
	s := err.Error()
	switch {
	case strings.Contains(s, "KDC_ERR_S_PRINCIPAL_UNKNOWN"):
		return &authError{fmt.Sprintf("kerberos: the KDC does not know the service principal %s (is the host's DNS name right? a host addressed by IP needs kerberos_name)", spn)}
	case strings.Contains(s, "KRB_AP_ERR_SKEW") || strings.Contains(s, "KRB_AP_ERR_TKT_NYV"):
		return &authError{"kerberos: clock skew: this machine's clock differs from the KDC's by more than the allowed skew (5 minutes)"}
	case strings.Contains(s, "KDC_ERR_ETYPE_NOSUPP"):
		return &authError{fmt.Sprintf("kerberos: no common encryption type for %s: its account offers only RC4 (set msDS-SupportedEncryptionTypes to AES)", spn)}
	case strings.Contains(s, "TGT has expired") || strings.Contains(s, "KRB_AP_ERR_TKT_EXPIRED") || strings.Contains(s, "expired") ||
		strings.Contains(s, "no valid existing session"):
		return &authError{"kerberos: the ticket has expired (run kinit again)"}
	case strings.Contains(s, "KDC_ERR_PREAUTH_FAILED") || strings.Contains(s, "KDC_ERR_C_PRINCIPAL_UNKNOWN"):
		return &authError{"kerberos: the KDC refused the user's credentials"}
	case strings.Contains(s, "communicate with KDC") || strings.Contains(s, "networking_error") || strings.Contains(s, "connection refused"):
		return &authError{"kerberos: KDC unreachable: " + firstLine(s)}
	}
	return &authError{"kerberos: " + firstLine(s)}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

// kerberosHandshake authenticates c: an empty POST with the AP-REQ, a 200
// with the AP-REP. Its deadline is ctx's.
func (t *transport) kerberosHandshake(ctx context.Context, c *ntlmConn, _ *tls.ConnectionState) (err error) {
	if d, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer func() {
		if !stop() && err == nil {
			err = &setupError{"kerberos", ctx.Err()}
			return
		}
		_ = c.SetDeadline(time.Time{})
	}()
	token, pending, err := t.krb.initToken(ctx)
	if err != nil {
		return err
	}
	br := bufio.NewReader(c)
	resp, err := t.handshakeLeg(c, br, token)
	if err != nil {
		return &setupError{"kerberos", err}
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return &authError{fmt.Sprintf("kerberos: the host refused the ticket for %s (a stale key version after the host's password changed, a ticket for another host's name, or the host's clock is off)", t.krb.spn)}
	case resp.StatusCode != http.StatusOK:
		return &HTTPError{Status: resp.StatusCode, Detail: "answer to the Kerberos AP-REQ"}
	case resp.Close:
		return protof("the host closes the connection after Kerberos authentication")
	case br.Buffered() > 0:
		return protof("unexpected data after the Kerberos handshake")
	}
	reply, err := replyToken(resp.Header)
	if err != nil {
		return err
	}
	ctxt, err := pending.complete(reply)
	if err != nil {
		return err
	}
	c.krb = ctxt
	if l := t.opts.Logger; l != nil {
		l.Debug("kerberos: connection authenticated, host verified", "host", t.ep.Address(), "spn", t.krb.spn, "sealed", t.seal)
	}
	return nil
}

// replyToken returns the token of "WWW-Authenticate: Negotiate <base64>".
func replyToken(h http.Header) ([]byte, error) {
	for _, v := range h.Values("WWW-Authenticate") {
		scheme, tok, _ := strings.Cut(strings.TrimSpace(v), " ")
		if strings.EqualFold(scheme, "Negotiate") && strings.TrimSpace(tok) != "" {
			b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(tok))
			if err != nil {
				return nil, protof("kerberos: the host's Negotiate token is not base64")
			}
			return b, nil
		}
	}
	return nil, &authError{"kerberos: mutual authentication failed: the host's 200 carries no AP-REP"}
}

var _ net.Conn = (*ntlmConn)(nil)

// CheckKerberosConfig loads the krb5.conf Kerberos sessions would use (file,
// else KRB5_CONFIG, else /etc/krb5.conf) and checks that it names a KDC for
// realm (empty: its default realm). It returns the file it read.
func CheckKerberosConfig(file, realm string) (string, error) {
	cfg, name, err := krb5Config(file)
	if err != nil {
		return name, err
	}
	if realm == "" {
		realm = cfg.LibDefaults.DefaultRealm
	}
	if realm == "" {
		return name, fmt.Errorf("%s has no default_realm and no realm is set", name)
	}
	if cfg.LibDefaults.DNSLookupKDC {
		return name, nil // the KDCs come from DNS SRV records
	}
	for _, r := range cfg.Realms {
		if strings.EqualFold(r.Realm, realm) && len(r.KDC) > 0 {
			return name, nil
		}
	}
	return name, fmt.Errorf("%s names no KDC for realm %s, and dns_lookup_kdc is off", name, realm)
}

// CheckKeytab checks a keytab as Kerberos sessions would use it: readable,
// a keytab, and, when user is known, holding a key for the user's
// principal (user "name", "name@REALM" or "DOMAIN\name"; realm, else the
// user's, else configFile's default realm; configFile "" as
// [Kerberos.ConfigFile]).
func CheckKeytab(file, user, realm, configFile string) error {
	kt, err := keytab.Load(file)
	if err != nil {
		return fmt.Errorf("keytab %s: %w", file, err)
	}
	if user == "" {
		return nil
	}
	name, d := splitUser(user)
	if realm == "" && strings.Contains(d, ".") {
		realm = strings.ToUpper(d)
	}
	if realm == "" {
		if cfg, _, err := krb5Config(configFile); err == nil {
			realm = cfg.LibDefaults.DefaultRealm
		}
	}
	for _, e := range kt.Entries {
		if strings.EqualFold(e.Principal.Realm, realm) && len(e.Principal.Components) == 1 &&
			strings.EqualFold(e.Principal.Components[0], name) {
			return nil
		}
	}
	return fmt.Errorf("keytab %s holds no key for %s@%s", file, name, realm)
}

// CheckCCache checks the credential cache Kerberos sessions would read
// (file, else KRB5CCNAME, else /tmp/krb5cc_<uid>): that it holds a TGT
// that has not expired. It returns the cache's path.
func CheckCCache(file string) (string, error) {
	path := file
	if path == "" {
		path = os.Getenv("KRB5CCNAME")
	}
	if path == "" {
		path = fmt.Sprintf("/tmp/krb5cc_%d", os.Getuid())
	}
	path, err := ccachePath(path)
	if err != nil {
		return path, err
	}
	cc, err := credentials.LoadCCache(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return path, fmt.Errorf("no Kerberos ticket: the credential cache %s does not exist", path)
		}
		return path, fmt.Errorf("credential cache %s: %w", path, err)
	}
	end, ok := tgtEnd(cc)
	switch {
	case !ok:
		return path, fmt.Errorf("the credential cache %s holds no ticket-granting ticket", path)
	case !time.Now().Before(end):
		return path, fmt.Errorf("the ticket in %s expired at %s", path, end.UTC().Format(time.RFC3339))
	}
	return path, nil
}

// tgtEnd is when the TGT of a credential cache's default principal ends.
func tgtEnd(cc *credentials.CCache) (time.Time, bool) {
	realm := cc.DefaultPrincipal.Realm
	c, ok := cc.GetEntry(types.PrincipalName{NameType: nametype.KRB_NT_SRV_INST, NameString: []string{"krbtgt", realm}})
	if !ok {
		return time.Time{}, false
	}
	return c.EndTime, true
}
