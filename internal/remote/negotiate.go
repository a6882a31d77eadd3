package remote

// Negotiate as Windows clients do it: Kerberos when a service ticket for
// the host can be had, NTLM otherwise (see [AuthNegotiate]).

import (
	"context"
	"strings"
	"sync"

	"github.com/jcmturner/gokrb5/v8/client"
)

// method is the Auth the transport uses (see transport.auth).
func (t *transport) method() Auth { return Auth(t.auth.Load()) }

// negotiate chooses, once, before the first message of an AuthNegotiate
// session, what Windows' Negotiate would: Kerberos when a service ticket
// for the host can be had, else NTLM. A ticket that can be had but not
// used (an RC4-only host account) makes a Kerberos session, which then
// fails saying so: it is not a reason for NTLM. t.sem is held.
func (t *transport) negotiate(ctx context.Context) error {
	if t.method() != AuthNegotiate {
		return nil
	}
	why := t.tryKerberos(ctx)
	switch {
	case why == nil:
		t.auth.Store(int32(AuthKerberos))
		t.opts.Logger.Debug("negotiate: kerberos", "host", t.ep.Address(), "spn", t.krb.spn)
		return nil
	case ctx.Err() != nil:
		return why
	}
	reason := strings.TrimPrefix(firstLine(why.Error()), "credentials refused: ")
	reason = strings.TrimPrefix(reason, "kerberos: ")
	if t.ntUser == "" || t.pass.get() == "" {
		return &authError{"negotiate: Kerberos cannot be used (" + reason + "), and NTLM needs a user and a password"}
	}
	t.fallback = reason
	t.auth.Store(int32(AuthNTLM))
	t.opts.Logger.Debug("negotiate: ntlm", "host", t.ep.Address(), "kerberos", reason)
	return nil
}

// tryKerberos gets a service ticket for the host, within ctx.
func (t *transport) tryKerberos(ctx context.Context) error {
	k, err := newKerberos(t.ep, t.user, t.pass, t.opts.Kerberos)
	if err != nil {
		return err
	}
	login := t.opts.Kerberos.loginOf(k)
	done := make(chan error, 1)
	go func() {
		// gokrb5's KDC exchanges take no context; krb5.conf's timeouts
		// bound them, and ctx bounds the wait here.
		err := login.affirm(k) // a login that failed for one host is not tried again for the next
		if err != nil {
			err = kdcError(k.spn, err)
		} else {
			// In one of the run's KDC slots, as every Kerberos session.
			_, _, err = k.serviceTicket(ctx)
		}
		done <- err
	}()
	select {
	case err = <-done:
	case <-ctx.Done():
		go func() { <-done; k.close() }()
		return &setupError{"kerberos", ctx.Err()}
	}
	if err != nil {
		k.close()
		return err
	}
	t.krb = k
	return nil
}

// loginState is a shared Kerberos client's login for the negotiating
// sessions of a run: one AS exchange at a time, and a login that failed
// (a KDC out of reach, an unknown user) is not tried again by every other
// host, each waiting for the KDC's timeout before its NTLM.
type loginState struct {
	mu  sync.Mutex
	err error
}

// loginOf returns the login of k's client: shared when the client is the
// cache's, k's own otherwise (c may be nil).
func (c *KerberosCache) loginOf(k *kerberosAuth) *loginState {
	if c == nil || k.owned {
		return &loginState{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.logins == nil {
		c.logins = map[*client.Client]*loginState{}
	}
	l := c.logins[k.cl]
	if l == nil {
		l = &loginState{}
		c.logins[k.cl] = l
	}
	return l
}

// affirm makes sure k's client holds a TGT (an AS exchange unless it has
// one), or returns the error the first try met.
func (l *loginState) affirm(k *kerberosAuth) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.err
	}
	if err := k.cl.AffirmLogin(); err != nil {
		l.err = err
		return err
	}
	return nil
}
