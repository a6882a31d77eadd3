package remote

// Kerberos, wired but not exercised end to end: the simulator has no KDC.
// Every request carries a SPNEGO token for the host's service principal
// (gokrb5, the library masterzen's ClientKerberos uses, but with the
// session's own HTTP transport and deadlines instead of masterzen's, which
// reloads krb5.conf and logs in again for every message). gokrb5 talks to
// the KDC without a context: its own krb5.conf timeouts bound those calls.
// Message encryption is not implemented, so Kerberos needs https or a host
// that allows unencrypted traffic.

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/spnego"
)

type kerberosAuth struct {
	cl  *client.Client
	spn string
}

// newKerberos checks the configuration and builds the client; it does not
// contact the KDC.
func newKerberos(ep Endpoint, user string, pass secret) (*kerberosAuth, error) {
	k := ep.Kerberos
	cfg, err := config.Load(k.ConfigFile)
	if err != nil {
		return nil, fmt.Errorf("kerberos configuration %s: %w", k.ConfigFile, err)
	}
	var cl *client.Client
	if k.CCacheFile != "" {
		cc, err := credentials.LoadCCache(k.CCacheFile)
		if err != nil {
			return nil, fmt.Errorf("kerberos credential cache %s: %w", k.CCacheFile, err)
		}
		if cl, err = client.NewFromCCache(cc, cfg, client.DisablePAFXFAST(true)); err != nil {
			return nil, fmt.Errorf("kerberos credential cache %s: %w", k.CCacheFile, err)
		}
	} else {
		name, realm := user, k.Realm
		if n, d := splitUser(user); d != "" {
			name = n
			if realm == "" {
				realm = strings.ToUpper(d)
			}
		}
		if realm == "" {
			realm = cfg.LibDefaults.DefaultRealm
		}
		switch {
		case name == "":
			return nil, errors.New("kerberos needs a user name or a credential cache")
		case realm == "":
			return nil, fmt.Errorf("kerberos: no realm for user %q and no default_realm in %s", name, k.ConfigFile)
		case pass.get() == "":
			return nil, errors.New("kerberos needs a password or a credential cache")
		}
		cl = client.NewWithPassword(name, realm, pass.get(), cfg, client.DisablePAFXFAST(true))
	}
	spn := k.SPN
	if spn == "" {
		spn = "HTTP/" + ep.Host
	}
	return &kerberosAuth{cl: cl, spn: spn}, nil
}

// setHeader puts a SPNEGO token for the host into req, logging in and
// fetching a service ticket first when the client has none.
func (k *kerberosAuth) setHeader(req *http.Request) error {
	if err := spnego.SetSPNEGOHeader(k.cl, req, k.spn); err != nil {
		return &authError{"kerberos: " + err.Error()}
	}
	return nil
}

// close stops gokrb5's ticket renewal goroutines.
func (k *kerberosAuth) close() { k.cl.Destroy() }
