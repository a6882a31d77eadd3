package remote_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/internal/sim"
)

// TestNoCredentialInErrorsOrLogs drives every failure a session reports
// with a canary password and looks for it in every error text, every
// formatting of the errors and the credentials, and the debug log.
func TestNoCredentialInErrorsOrLogs(t *testing.T) {
	const user, canary = "canaryuser", "Canary-Pw-7f3a9c1e"
	sc := sim.DefaultScenario()
	sc.Hosts = 6
	sc.Network = testNetwork(6)
	sc.Drift = nil
	sc.ServiceStep = time.Millisecond
	sc.OSMix = map[string]float64{"2019": 1}
	sc.LocaleMix = map[string]float64{"en-US": 1}
	sc.Roles = []sim.Role{{Name: "web", Share: 1, Services: []string{"W3SVC"}}}
	sc.Faults = []sim.Fault{
		{Kind: sim.FaultRefuse, Hosts: []string{"web0001"}},
		{Kind: sim.FaultHang, Hosts: []string{"web0002"}},
		{Kind: sim.FaultAuth, Hosts: []string{"web0003"}},
		{Kind: sim.FaultQuota, Hosts: []string{"web0004"}},
	}
	f := serve(t, sim.Options{Scenario: sc, Dir: t.TempDir(), Accounts: map[string]string{user: canary}})

	var logs syncBuffer
	opts := fastOptions()
	opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var errs []error
	try := func(h *sim.Host, tr transport, cred remote.Credentials, mutate func(*remote.Endpoint), lines ...string) {
		ep := endpoint(f, h, tr)
		if mutate != nil {
			mutate(&ep)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		s, err := remote.Open(ctx, ep, cred, opts)
		if err != nil {
			errs = append(errs, err)
			return
		}
		for _, l := range lines {
			if _, err := s.Run(ctx, remote.Command{Line: l, CheckExit: true}); err != nil {
				errs = append(errs, err)
			}
		}
		if err := s.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	good := remote.Credentials{User: user, Password: canary}
	wrong := remote.Credentials{User: user, Password: canary + "-wrong"}
	other, err := sim.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range []transport{ntlmEncrypted, basicHTTPS, ntlmHTTPS} {
		try(f.Host("web0001"), tr, good, nil)
		try(f.Host("web0002"), tr, good, nil)
		try(f.Host("web0003"), tr, good, nil)
		try(f.Host("web0004"), tr, good, nil)
		try(f.Host("web0005"), tr, wrong, nil)
		try(f.Host("web0005"), tr, remote.Credentials{User: `CORP\` + user, Password: canary}, nil, "frobnicate")
		h := f.Host("web0006")
		try(h, tr, good, nil, "hostname", "frobnicate")
		if tr != ntlmEncrypted {
			try(h, tr, good, func(ep *remote.Endpoint) { ep.CAFile, ep.CAPEM = "", other.CertPEM() })
		}
	}
	small := opts
	small.MaxOutputBytes = 100
	s, err := remote.Open(context.Background(), endpoint(f, f.Host("web0006"), ntlmEncrypted), good, small)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Run(context.Background(), remote.Command{Line: "netstat -ano"})
	errs = append(errs, err)
	s.Close()
	// Deleting shells by id: refused credentials, a host that hangs, an
	// id that cannot be sent.
	for _, c := range []struct {
		h    string
		cred remote.Credentials
		id   string
	}{{"web0005", wrong, "6F1903CA-E06A-4A8B-BDFC-B44203149D55"}, {"web0002", good, "6F1903CA-E06A-4A8B-BDFC-B44203149D55"}, {"web0006", good, "bad id"}} {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		_, err := remote.DeleteShells(ctx, endpoint(f, f.Host(c.h), ntlmEncrypted), c.cred, opts, []string{c.id})
		cancel()
		errs = append(errs, err)
	}
	krb := filepath.Join(t.TempDir(), "krb5.conf")
	if err := os.WriteFile(krb, []byte("[libdefaults]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = remote.Open(context.Background(), remote.Endpoint{Host: "127.0.0.1", HTTPS: true, Auth: remote.AuthKerberos,
		Kerberos: remote.Kerberos{ConfigFile: krb}}, good, opts)
	errs = append(errs, err)

	classes := map[remote.Class]bool{}
	for _, err := range errs {
		if err == nil {
			continue
		}
		classes[remote.ClassOf(err)] = true
		var e *remote.Error
		errors.As(err, &e)
		for _, text := range []string{err.Error(), fmt.Sprintf("%v %+v %#v", err, err, e), fmt.Sprintf("%#v", e.Err)} {
			if strings.Contains(text, canary) {
				t.Errorf("an error shows the password: %s", text)
			}
		}
	}
	for _, c := range []remote.Class{remote.ClassUnreachable, remote.ClassTimeout, remote.ClassAuth, remote.ClassQuota,
		remote.ClassTLS, remote.ClassProtocol, remote.ClassCommand, remote.ClassConfig} {
		if !classes[c] {
			t.Errorf("no error of class %v was checked", c)
		}
	}
	if strings.Contains(logs.String(), canary) {
		t.Errorf("the log shows the password:\n%s", logs.String())
	}
	if logs.Len() == 0 {
		t.Errorf("nothing was logged; the check is empty")
	}
	for _, text := range []string{fmt.Sprint(good), fmt.Sprintf("%+v %#v %s %q", good, good, good, good),
		fmt.Sprintf("%+v", struct{ C remote.Credentials }{good}), fmt.Sprintf("%+v", s)} {
		if strings.Contains(text, canary) {
			t.Errorf("formatting shows the password: %s", text)
		}
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "cred", good)
	if strings.Contains(buf.String(), canary) {
		t.Errorf("slog shows the password: %s", buf.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func (b *syncBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Len()
}
