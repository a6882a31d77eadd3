// Package jobq is the NATS side of dispatched runs, shared by the
// controller (internal/controller) and the site runners (internal/runner):
// connecting with deadlines and redacted errors, the jobs stream and the
// sites' consumers, and requests that always have a deadline.
//
// Runners and controllers only ever connect out to a NATS server (or a
// leaf node near them); nothing connects in to either.
package jobq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fleetport/fleetport/internal/dispatch"
)

// Options configures [Connect].
type Options struct {
	// URL is the NATS server (nats://host:4222, tls://..., several
	// comma-separated). User and password in it are used, never printed.
	URL string
	// CredsFile is a NATS credentials file (JWT and NKey seed).
	CredsFile string
	// CAFile verifies a tls:// server.
	CAFile string
	// Name names the connection on the server (monitoring).
	Name string
	// ConnectTimeout bounds the first connection; default 10 s.
	ConnectTimeout time.Duration
	// Logger receives connection events; nil logs nothing.
	Logger *slog.Logger
}

// Redact returns the URL(s) without user information, for messages.
func Redact(raw string) string {
	parts := strings.Split(raw, ",")
	for i, p := range parts {
		u, err := url.Parse(strings.TrimSpace(p))
		if err != nil || u.Host == "" {
			if strings.Contains(p, "@") {
				parts[i] = "(a URL with user information)"
			}
			continue
		}
		u.User = nil
		parts[i] = u.String()
	}
	return strings.Join(parts, ",")
}

// CheckURL reports why raw is not a NATS URL, without echoing user
// information.
func CheckURL(raw string) error {
	if strings.TrimSpace(raw) == "" {
		return errors.New("empty NATS URL")
	}
	for _, p := range strings.Split(raw, ",") {
		u, err := url.Parse(strings.TrimSpace(p))
		if err != nil {
			return fmt.Errorf("NATS URL %s: not a URL", Redact(p))
		}
		switch u.Scheme {
		case "nats", "tls", "ws", "wss":
		default:
			return fmt.Errorf("NATS URL %s: the scheme must be nats://, tls://, ws:// or wss://", Redact(p))
		}
		if u.Host == "" {
			return fmt.Errorf("NATS URL %s: no host", Redact(p))
		}
	}
	return nil
}

// Connect opens a client connection to NATS. It fails within
// ConnectTimeout when the server cannot be reached; once connected, the
// connection reconnects by itself for as long as it is open (requests
// meanwhile fail at their own deadlines).
func Connect(o Options) (*nats.Conn, error) {
	if err := CheckURL(o.URL); err != nil {
		return nil, err
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 10 * time.Second
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := []nats.Option{
		nats.Name(o.Name),
		nats.Timeout(o.ConnectTimeout),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.PingInterval(10 * time.Second),
		nats.MaxPingsOutstanding(3),
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			if err != nil {
				log.Warn("NATS connection lost", "server", nc.ConnectedUrlRedacted(), "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("NATS connection back", "server", nc.ConnectedUrlRedacted())
		}),
		nats.ErrorHandler(func(_ *nats.Conn, s *nats.Subscription, err error) {
			subj := ""
			if s != nil {
				subj = s.Subject
			}
			log.Warn("NATS", "subject", subj, "err", err)
		}),
	}
	if o.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(o.CredsFile))
	}
	if o.CAFile != "" {
		opts = append(opts, nats.RootCAs(o.CAFile))
	}
	nc, err := nats.Connect(o.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w", Redact(o.URL), scrub(err, o.URL))
	}
	return nc, nil
}

// scrub keeps a URL's user information out of an error from the client.
func scrub(err error, raw string) error {
	msg := err.Error()
	for _, p := range strings.Split(raw, ",") {
		if u, perr := url.Parse(strings.TrimSpace(p)); perr == nil && u.User != nil {
			msg = strings.ReplaceAll(msg, u.User.String(), "")
			if pw, ok := u.User.Password(); ok && pw != "" {
				msg = strings.ReplaceAll(msg, pw, "***")
			}
		}
	}
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}

// StreamConfig is the jobs stream: a work queue (a job is removed once a
// runner acknowledges it), on disk, jobs kept at most a day.
func StreamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        dispatch.Stream,
		Description: "fleetport host jobs, one subject per site",
		Subjects:    []string{dispatch.JobSubjects},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		MaxAge:      24 * time.Hour,
		MaxMsgSize:  dispatch.MaxJobBytes,
		Duplicates:  2 * time.Minute,
	}
}

// EnsureStream creates the jobs stream, or updates it to StreamConfig
// when it differs. A stream already as configured is left alone: the
// controller and every runner call this at start, and an update racing
// the sites' consumers being created is what the server handles worst.
func EnsureStream(ctx context.Context, js jetstream.JetStream) (jetstream.Stream, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	want := StreamConfig()
	fail := func(err error) (jetstream.Stream, error) {
		return nil, fmt.Errorf("the jobs stream %s: %w (does the NATS server run with JetStream enabled?)", dispatch.Stream, err)
	}
	s, err := js.Stream(ctx, want.Name)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		s, err = js.CreateStream(ctx, want)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			s, err = js.Stream(ctx, want.Name) // another process created it first
		}
		if err != nil {
			return fail(err)
		}
		return s, nil
	case err != nil:
		return fail(err)
	}
	if sameStream(s.CachedInfo().Config, want) {
		return s, nil
	}
	if s, err = js.UpdateStream(ctx, want); err != nil {
		return fail(err)
	}
	return s, nil
}

// sameStream compares what StreamConfig sets.
func sameStream(have, want jetstream.StreamConfig) bool {
	return have.Description == want.Description && slices.Equal(have.Subjects, want.Subjects) &&
		have.Retention == want.Retention && have.Storage == want.Storage && have.MaxAge == want.MaxAge &&
		have.MaxMsgSize == want.MaxMsgSize && have.Duplicates == want.Duplicates
}

// Consumer defaults: how long a runner may go without acking progress
// before its job is delivered again, and how many deliveries a job gets.
const (
	DefaultAckWait    = 30 * time.Second
	DefaultMaxDeliver = 5
)

// ConsumerConfig is the durable pull consumer the runners of a site share.
func ConsumerConfig(site string, ackWait time.Duration, maxDeliver int) jetstream.ConsumerConfig {
	if ackWait <= 0 {
		ackWait = DefaultAckWait
	}
	if maxDeliver <= 0 {
		maxDeliver = DefaultMaxDeliver
	}
	return jetstream.ConsumerConfig{
		Durable:       dispatch.ConsumerName(site),
		Description:   "fleetport runners of site " + site,
		FilterSubject: dispatch.JobSubject(site),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       ackWait,
		MaxDeliver:    maxDeliver,
		MaxAckPending: 100000,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}
}

// Request sends req to subj and decodes the reply, within timeout (and
// ctx). A reply with StatusError is returned as an error.
func Request(ctx context.Context, nc *nats.Conn, subj string, req any, timeout time.Duration) (dispatch.Reply, error) {
	b, err := dispatch.Encode(req)
	if err != nil {
		return dispatch.Reply{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	msg, err := nc.RequestWithContext(ctx, subj, b)
	if err != nil {
		return dispatch.Reply{}, err
	}
	var rep dispatch.Reply
	if err := dispatch.Decode(msg.Data, dispatch.MaxMessageBytes, &rep); err != nil {
		return dispatch.Reply{}, err
	}
	if rep.Status == dispatch.StatusError {
		return rep, errors.New(rep.Error)
	}
	return rep, nil
}

// Respond answers a request (a message with a reply subject); a message
// without one is ignored.
func Respond(m *nats.Msg, rep dispatch.Reply) {
	if m.Reply == "" {
		return
	}
	rep.V = dispatch.Version
	b, err := dispatch.Encode(rep)
	if err != nil {
		return
	}
	_ = m.Respond(b)
}
