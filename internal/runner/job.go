package runner

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fleetport/fleetport/internal/collect"
	"github.com/fleetport/fleetport/internal/dispatch"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/jobq"
	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/inventory"
	"github.com/fleetport/fleetport/policies"
)

// gzipOver is the facts document size above which a result is
// compressed: most are (a document with a 12,000-socket TIME_WAIT pile
// goes from 1 MB to 38 KB).
const gzipOver = 4 << 10

// handle works on one delivered job.
func (r *runner) handle(ctx context.Context, m jetstream.Msg) {
	var j dispatch.Job
	if err := dispatch.Decode(m.Data(), dispatch.MaxJobBytes, &j); err != nil {
		r.o.Logger.Warn("refusing a job", "site", r.o.Site, "err", err)
		_ = m.TermWithReason("refused by runner " + r.o.ID + ": " + err.Error())
		return
	}
	log := r.o.Logger.With("job", j.ID, "host", j.Host.Name)
	if j.Site != r.o.Site {
		log.Warn("refusing a job of another site", "job_site", j.Site)
		_ = m.TermWithReason(fmt.Sprintf("refused by runner %s: the job is for site %s, the runner serves %s", r.o.ID, j.Site, r.o.Site))
		return
	}
	if time.Now().After(j.Deadline) {
		_ = m.TermWithReason("dropped by runner " + r.o.ID + ": past its deadline")
		return
	}
	if r.o.testOnlyAbandon != nil && r.o.testOnlyAbandon(&j) {
		return
	}
	delivered := uint64(1)
	if md, err := m.Metadata(); err == nil {
		delivered = md.NumDelivered
	}
	set, ok := r.spec(ctx, m, &j, delivered, log)
	if !ok {
		return
	}
	if a := j.Host.Endpoint.Auth; a == "kerberos" || a == "negotiate" {
		// The run's tickets, held while the job works (target finds them).
		_, release := r.krb.acquire(j.Controller)
		defer release()
	}
	switch j.Kind {
	case dispatch.KindCollect:
		r.collect(ctx, m, &j, set, log)
	case dispatch.KindApply:
		r.apply(ctx, m, &j, set, delivered, log)
	}
}

// request sends one request to the job's controller.
func (r *runner) request(ctx context.Context, j *dispatch.Job, op string, req any) (dispatch.Reply, error) {
	return jobq.Request(ctx, r.o.Conn, dispatch.ControllerSubject(j.Controller, op), req, r.o.RequestTimeout)
}

// spec returns the job's policy set, asking the controller when it is
// not cached. On failure it has already settled the message.
func (r *runner) spec(ctx context.Context, m jetstream.Msg, j *dispatch.Job, delivered uint64, log interface {
	Warn(string, ...any)
}) (*policies.Set, bool) {
	if s := r.specs.get(j.Spec); s != nil {
		return s, true
	}
	rep, err := r.request(ctx, j, dispatch.OpSpec, dispatch.SpecRequest{V: dispatch.Version, Hash: j.Spec})
	switch {
	case errors.Is(err, nats.ErrNoResponders) && delivered >= 2:
		_ = m.TermWithReason("dropped by runner " + r.o.ID + ": its controller is gone")
		return nil, false
	case err != nil:
		log.Warn("asking the controller for the run's policies", "err", err)
		_ = m.NakWithDelay(5 * time.Second)
		return nil, false
	case rep.Status == dispatch.StatusUnknown || rep.Spec == nil:
		_ = m.TermWithReason("dropped by runner " + r.o.ID + ": its controller does not know the run")
		return nil, false
	}
	set, err := loadSpec(rep.Spec)
	if err == nil && rep.Spec.Hash() != j.Spec {
		err = fmt.Errorf("the controller's spec has hash %s, the job names %s", rep.Spec.Hash(), j.Spec)
	}
	if err != nil {
		log.Warn("the run's policies", "err", err)
		_ = m.TermWithReason("refused by runner " + r.o.ID + ": the run's policies: " + err.Error())
		return nil, false
	}
	r.specs.put(j.Spec, set)
	return set, true
}

// loadSpec parses a spec's policy files and merges them as the controller
// did.
func loadSpec(s *dispatch.Spec) (*policies.Set, error) {
	files := make([]*policies.File, 0, len(s.Policies))
	for _, pf := range s.Policies {
		f, diags := policies.Parse(pf.Source, pf.Name)
		if diags.HasErrors() {
			return nil, fmt.Errorf("%s: %s", pf.Name, diags.Error())
		}
		files = append(files, f)
	}
	set, diags := policies.NewSet(files...)
	if diags.HasErrors() {
		return nil, errors.New(diags.Error())
	}
	return set, nil
}

// keepAlive sends an in-progress ack every third of the job's AckWait
// until stop closes or the work outlives its bound (workBound): a runner
// stuck past it gives the job back. tick, when set, runs at each beat.
func keepAlive(m jetstream.Msg, j *dispatch.Job, stop <-chan struct{}, tick func()) {
	t := time.NewTicker(max(j.AckWait/3, 50*time.Millisecond))
	defer t.Stop()
	end := time.Now().Add(workBound(j))
	if j.Deadline.Before(end) {
		end = j.Deadline
	}
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			if now.After(end) {
				return
			}
			_ = m.InProgress()
			if tick != nil {
				tick()
			}
		}
	}
}

// workBound is how long a job's work may take before the runner counts
// itself stuck: the host's timeout for a collection (every remote call
// has its own deadline within it), the effect timeout twice and the
// command timeout per step for a rollout host; plus a minute.
func workBound(j *dispatch.Job) time.Duration {
	if a := j.Apply; a != nil {
		steps := 2*len(a.Plan.Actions) + 10
		return 2*a.EffectTimeout + time.Duration(steps)*a.CommandTimeout + time.Minute
	}
	t := j.Host.Timeout
	if t <= 0 {
		t = 5 * time.Minute
	}
	return t + time.Minute
}

// target turns the job's host into a collection target, with credentials
// resolved on this machine.
func (r *runner) target(j *dispatch.Job, ph policies.Host) collect.Target {
	h := j.Host
	auth := remote.AuthNTLM
	switch h.Endpoint.Auth {
	case "basic":
		auth = remote.AuthBasic
	case "kerberos":
		auth = remote.AuthKerberos
	case "negotiate":
		auth = remote.AuthNegotiate
	}
	ep := remote.Endpoint{Host: h.Endpoint.Address, Port: h.Endpoint.Port, HTTPS: h.Endpoint.HTTPS, Auth: auth,
		AllowUnencrypted: h.Endpoint.AllowUnencrypted, CAFile: h.Endpoint.CAFile, TLSServerName: h.Endpoint.TLSServerName,
		InsecureSkipVerify: h.Endpoint.InsecureSkipVerify}
	sess := remote.Options{OperationTimeout: h.OperationTimeout, ConnectTimeout: h.ConnectTimeout}
	kerberos := auth == remote.AuthKerberos || auth == remote.AuthNegotiate
	if kerberos {
		// The runner's own Kerberos configuration; of the job, only the
		// host's name.
		k := r.o.Kerberos
		ep.Kerberos = remote.Kerberos{ConfigFile: k.ConfigFile, CCacheFile: k.CCacheFile, KeytabFile: k.KeytabFile,
			ServiceHost: h.Endpoint.KerberosName}
		sess.Kerberos = r.krb.lookup(j.Controller)
	}
	return collect.Target{
		Name:     h.Name,
		Endpoint: ep,
		Credentials: func() (remote.Credentials, error) {
			c, err := r.credentials(h)
			if err == nil && kerberos && r.o.Kerberos.KeytabFile != "" {
				c.User = r.o.Kerberos.Principal // the keytab's keys are this principal's
			}
			return c, err
		},
		Session: sess,
		Groups:  h.Groups,
		Timeout: h.Timeout,
		Policy:  ph,
	}
}

// credentials resolves the host's user and password from their
// references, as the inventory would.
func (r *runner) credentials(h dispatch.Host) (remote.Credentials, error) {
	resolve := func(c dispatch.Credential, what string) (string, error) {
		if c.Source == dispatch.SourceLiteral {
			return c.Value, nil // a literal user name; Validate refuses a literal password
		}
		s, err := inventory.SecretOf(inventory.Reference{Source: inventory.CredentialSource(c.Source), Name: c.Name})
		if err != nil {
			return "", fmt.Errorf("%s of host %s: %w", what, h.Name, err)
		}
		s, err = s.Resolve(r.o.Resolver, h.Name, what)
		if err != nil {
			return "", err
		}
		return s.Reveal(), nil
	}
	user, err := resolve(h.User, "user")
	if err != nil {
		return remote.Credentials{}, err
	}
	pass, err := resolve(h.Password, "password")
	if err != nil {
		return remote.Credentials{}, err
	}
	return remote.Credentials{User: user, Password: pass}, nil
}

// collect collects the job's host and sends its facts document.
func (r *runner) collect(ctx context.Context, m jetstream.Msg, j *dispatch.Job, set *policies.Set, log interface {
	Warn(string, ...any)
	Info(string, ...any)
}) {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { defer close(done); keepAlive(m, j, stop, nil) }()
	defer func() { close(stop); <-done }()

	if b, err := dispatch.Encode(dispatch.Started{V: dispatch.Version, Job: j.ID, Host: j.Host.Name, Runner: r.o.ID}); err == nil {
		_ = r.o.Conn.Publish(dispatch.ControllerSubject(j.Controller, dispatch.OpStart), b)
	}
	var got *facts.Host
	ph, err := j.Host.Policy.Host()
	if err != nil {
		got = facts.NewHost(j.Host.Name, j.Host.Endpoint.Address)
		got.Status, got.Error = facts.StatusProtocol, "the job's host variables: "+err.Error()
	} else {
		opts := collect.Options{Concurrency: 1, Policies: set, Open: r.o.Open}
		_ = collect.Run(ctx, []collect.Target{r.target(j, ph)}, opts, func(h *facts.Host) { got = h })
	}
	if ctx.Err() != nil {
		// The runner is stopping: give the job back unanswered.
		_ = m.Nak()
		return
	}
	doc, err := json.Marshal(got)
	if err != nil {
		log.Warn("encoding the facts", "err", err)
		_ = m.Nak()
		return
	}
	res := dispatch.Result{V: dispatch.Version, Job: j.ID, Host: j.Host.Name, Runner: r.o.ID, Facts: doc}
	if len(doc) > gzipOver {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(doc)
		_ = zw.Close()
		res.Facts, res.Gzip = buf.Bytes(), true
	}
	if limit := r.o.Conn.MaxPayload() - 4096; int64(len(res.Facts)) > limit {
		// The server would refuse it: send a result that says so, so that
		// the host ends with a reason instead of being delivered again.
		h := facts.NewHost(j.Host.Name, j.Host.Endpoint.Address)
		h.Status = facts.StatusProtocol
		h.Error = fmt.Sprintf("the facts document (%d bytes compressed) is larger than the NATS server's max_payload (%d bytes): raise max_payload", len(res.Facts), limit+4096)
		doc, _ = json.Marshal(h)
		res.Facts, res.Gzip = doc, false
	}
	r.finish(ctx, m, j, res, log)
}

// finish sends a result until the controller answers (a few tries within
// the job's deadline), then acknowledges the job.
func (r *runner) finish(ctx context.Context, m jetstream.Msg, j *dispatch.Job, res dispatch.Result, log interface {
	Warn(string, ...any)
	Info(string, ...any)
}) {
	var err error
	for try := 0; try < 4 && time.Now().Before(j.Deadline); try++ {
		if try > 0 {
			sleep(ctx, time.Duration(try)*time.Second)
		}
		if ctx.Err() != nil {
			break // the drain timed out: give the job back
		}
		var rep dispatch.Reply
		rep, err = r.request(ctx, j, dispatch.OpResult, res)
		if err != nil {
			if errors.Is(err, nats.ErrNoResponders) && try >= 1 {
				break
			}
			continue
		}
		switch rep.Status {
		case dispatch.StatusFenced:
			// Another delivery holds the host: its runner settles the job.
			return
		case dispatch.StatusUnknown:
			_ = m.TermWithReason("dropped by runner " + r.o.ID + ": its controller does not know the job")
			return
		}
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.o.RequestTimeout)
		if aerr := m.DoubleAck(actx); aerr != nil {
			log.Warn("acknowledging the job", "err", aerr)
		}
		cancel()
		return
	}
	log.Warn("the controller did not take the result; the job goes back to the queue", "err", err)
	_ = m.NakWithDelay(2 * time.Second)
}
