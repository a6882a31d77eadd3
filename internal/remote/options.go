package remote

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"
)

// Auth is how a session authenticates to a host.
type Auth int

const (
	// AuthNTLM is NTLMv2 carried in "Authorization: Negotiate". Over http
	// every message is sealed with the connection's NTLM session key
	// (message encryption, the Windows default); over https TLS protects
	// the messages. It authenticates each TCP connection once.
	AuthNTLM Auth = iota
	// AuthBasic sends the user name and password with every request. It
	// needs https (or [Endpoint.AllowUnencrypted]) and service/Auth/Basic
	// on the host.
	AuthBasic
	// AuthKerberos authenticates each TCP connection with a Kerberos
	// service ticket (SPNEGO, "Authorization: Negotiate") and checks the
	// host's mutual-authentication reply. Over http every message is
	// sealed with the Kerberos session key (message encryption, what a
	// domain member requires); over https TLS protects the messages.
	AuthKerberos
	// AuthNegotiate does what Windows clients do with Negotiate: Kerberos
	// (as [AuthKerberos]) when a service ticket for the host can be had,
	// NTLM (as [AuthNTLM], with the session's password) otherwise: no
	// krb5.conf or realm, a host addressed by IP without a name, an SPN the
	// KDC does not know, a KDC that cannot be reached, no ticket in the
	// cache and no password or keytab to get one. A host that refuses the
	// Kerberos ticket it was given is not retried with NTLM (Windows does
	// not either). [Session.Auth] says which one a session uses.
	AuthNegotiate
)

// String returns the name inventories use: "ntlm", "basic", "kerberos",
// "negotiate".
func (a Auth) String() string {
	switch a {
	case AuthNTLM:
		return "ntlm"
	case AuthBasic:
		return "basic"
	case AuthKerberos:
		return "kerberos"
	case AuthNegotiate:
		return "negotiate"
	}
	return "Auth(" + strconv.Itoa(int(a)) + ")"
}

// ParseAuth returns the Auth named s ("ntlm", "basic", "kerberos" or
// "negotiate", in any case).
func ParseAuth(s string) (Auth, error) {
	for _, a := range []Auth{AuthNTLM, AuthBasic, AuthKerberos, AuthNegotiate} {
		if strings.EqualFold(s, a.String()) {
			return a, nil
		}
	}
	return 0, fmt.Errorf("unknown WinRM authentication %q (want ntlm, basic, kerberos or negotiate)", s)
}

// Endpoint says where a host's WinRM listener is and how to talk to it.
type Endpoint struct {
	// Host is the DNS name or IP address of the host.
	Host string
	// Port is the listener port; 0 means 5985 for http and 5986 for https.
	Port int
	// HTTPS selects the https listener.
	HTTPS bool
	// Auth is the authentication scheme.
	Auth Auth
	// AllowUnencrypted permits SOAP in clear text over http: NTLM without
	// message encryption, Basic and Kerberos. The host must have
	// service/AllowUnencrypted=true. It has no effect over https.
	AllowUnencrypted bool

	// CAFile and CAPEM hold the certificate authorities that verify the
	// host's certificate (both are used when both are set). Without them
	// the system pool is used. The TLS settings are ignored over http.
	CAFile string
	CAPEM  []byte
	// TLSServerName is the name the certificate must carry; empty means
	// Host.
	TLSServerName string
	// InsecureSkipVerify accepts any certificate. It is the explicit
	// opt-in for lab hosts with self-signed certificates; never the default.
	InsecureSkipVerify bool

	// Kerberos configures AuthKerberos and the Kerberos side of
	// AuthNegotiate; ignored otherwise.
	Kerberos Kerberos
}

// Kerberos configures [AuthKerberos]. Tickets come from KeytabFile when it
// is set, else from the session's password when there is one, else from
// the credential cache (CCacheFile, else KRB5CCNAME, else
// /tmp/krb5cc_<uid>: what kinit wrote).
type Kerberos struct {
	// Realm is the user's realm; empty means the realm of a
	// "user@REALM" name, else the default realm of ConfigFile.
	Realm string
	// ConfigFile is the krb5.conf to use; empty means KRB5_CONFIG, else
	// /etc/krb5.conf.
	ConfigFile string
	// CCacheFile is a credential cache (as kinit writes it).
	CCacheFile string
	// KeytabFile is a keytab holding the user's keys (scheduled runs).
	KeytabFile string
	// ServiceHost is the host's DNS name for its service principal
	// (HTTP/<ServiceHost>) when Host is an IP address; empty means Host.
	ServiceHost string
	// SPN is the service principal; empty means HTTP/<ServiceHost or Host>.
	SPN string
}

// port returns the endpoint's port, with the WinRM default filled in.
func (e Endpoint) port() int {
	if e.Port != 0 {
		return e.Port
	}
	if e.HTTPS {
		return 5986
	}
	return 5985
}

// Address is "host:port", the form used in errors and logs.
func (e Endpoint) Address() string {
	return net.JoinHostPort(e.Host, strconv.Itoa(e.port()))
}

// url is the WS-Man endpoint URL.
func (e Endpoint) url() string {
	scheme := "http"
	if e.HTTPS {
		scheme = "https"
	}
	return scheme + "://" + e.Address() + "/wsman"
}

// sealed reports whether messages are encrypted (NTLM or Kerberos message
// encryption) on this endpoint.
func (e Endpoint) sealed() bool {
	return (e.Auth == AuthNTLM || e.Auth == AuthKerberos || e.Auth == AuthNegotiate) && !e.HTTPS && !e.AllowUnencrypted
}

func (e Endpoint) validate() error {
	if e.Host == "" {
		return errors.New("endpoint has no host")
	}
	if strings.ContainsAny(e.Host, "/ \t\r\n") || strings.Contains(e.Host, "://") {
		return fmt.Errorf("endpoint host %q is not a host name or address", e.Host)
	}
	if e.Port < 0 || e.Port > 65535 {
		return fmt.Errorf("endpoint port %d is out of range", e.Port)
	}
	switch e.Auth {
	case AuthNTLM, AuthKerberos, AuthNegotiate:
	case AuthBasic:
		if !e.HTTPS && !e.AllowUnencrypted {
			return fmt.Errorf("%s over http sends SOAP in clear text: use https, or set AllowUnencrypted where the host allows it", e.Auth)
		}
	default:
		return fmt.Errorf("unknown authentication %v", e.Auth)
	}
	return nil
}

// Credentials are a user name and password. The user may be "user",
// "DOMAIN\user" or "user@domain". Formatting Credentials with the fmt or
// slog packages never shows the password.
type Credentials struct {
	User     string
	Password string
}

// String shows the user and hides the password.
func (c Credentials) String() string { return "user " + strconv.Quote(c.User) + ", password hidden" }

// GoString shows the user and hides the password.
func (c Credentials) GoString() string {
	return "remote.Credentials{User: " + strconv.Quote(c.User) + ", Password: <hidden>}"
}

// LogValue shows the user and hides the password.
func (c Credentials) LogValue() slog.Value { return slog.StringValue(c.String()) }

// secret holds a password so that printing the struct that holds it shows
// an address, never the text.
type secret struct{ p *string }

func newSecret(s string) secret { return secret{&s} }

func (s secret) get() string {
	if s.p == nil {
		return ""
	}
	return *s.p
}

// splitUser splits "DOMAIN\user" and "user@domain" the way Windows does.
func splitUser(user string) (name, domain string) {
	if d, u, ok := strings.Cut(user, `\`); ok {
		return u, d
	}
	if u, d, ok := strings.Cut(user, "@"); ok {
		return u, d
	}
	return user, ""
}

// Options tunes a [Session]. The zero value means the defaults documented
// on each field.
type Options struct {
	// OperationTimeout is WS-Man's w:OperationTimeout: how long the host
	// may hold a request, in particular a Receive long poll, before it
	// answers with a TimedOut fault (which is polled again). Default 20 s;
	// Windows clamps it to MaxTimeoutms (60 s).
	OperationTimeout time.Duration
	// RequestTimeout bounds one HTTP exchange and must exceed
	// OperationTimeout. Default OperationTimeout + 10 s.
	RequestTimeout time.Duration
	// ConnectTimeout bounds opening a connection: TCP, TLS and the NTLM
	// handshake. Default 10 s.
	ConnectTimeout time.Duration
	// IdleTimeout closes the keep-alive connection after this long without
	// traffic. Default 90 s (http.sys closes idle connections at 120 s).
	IdleTimeout time.Duration
	// CloseTimeout bounds the cleanup that runs detached from the caller's
	// context: Signal and Delete after a cancelled or failed command, and
	// Delete in Close. Default 5 s.
	CloseTimeout time.Duration
	// MaxOutputBytes caps stdout plus stderr of one command. Default 64 MiB.
	MaxOutputBytes int64
	// MaxResponseBytes caps one HTTP response body. Default 1 MiB.
	MaxResponseBytes int64
	// EnvelopeSize is w:MaxEnvelopeSize, the largest SOAP answer the host
	// may send. Default 153600 (what masterzen, pywinrm and Ansible send).
	EnvelopeSize int
	// ShellIdleTimeout is the rsp:IdleTimeOut of the shells the session
	// creates: the host deletes a shell that sees no request for this
	// long. It bounds how long a shell outlives a process that died
	// before it could delete it or record it (a recorded one can be
	// deleted at once, [DeleteShells]); the host's own winrs/IdleTimeout
	// is 2 hours, and it clamps larger values to it. A session whose
	// shell idled out gets a new one with its next command. Default 10
	// minutes: above fleetport's longest deadlines for work in one session
	// (collection's 5 minutes per host, a rollout's 2 minutes per
	// command), while a command runs its Receive polls keep the shell
	// busy. A negative value sends none: the host's idle timeout applies.
	ShellIdleTimeout time.Duration
	// MaxCommandsPerShell replaces the shell after this many commands.
	// Every command counts against the host's
	// MaxConcurrentOperationsPerUser (1500; 15 on Server 2008 R2) until its
	// shell is deleted. 0 means no limit: the shell is replaced only when
	// the host answers with the operations quota fault.
	MaxCommandsPerShell int
	// Retry is the backoff for connection setup failures and quota faults.
	Retry Retry
	// Logger receives debug lines about retries and cleanup; nil discards
	// them. No line contains a credential.
	Logger *slog.Logger
	// Kerberos shares Kerberos tickets between the sessions of a run: one
	// TGT per run and one service ticket per host. nil: each session logs
	// in on its own.
	Kerberos *KerberosCache
}

// Retry is an exponential backoff with jitter.
type Retry struct {
	// Attempts is how often a step is tried in all; 1 disables retries.
	// Default 4.
	Attempts int
	// BaseDelay is the first wait; each later one doubles. Default 250 ms.
	BaseDelay time.Duration
	// MaxDelay caps one wait. Default 5 s.
	MaxDelay time.Duration
}

func (o Options) withDefaults() (Options, error) {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.OperationTimeout, 20*time.Second)
	def(&o.RequestTimeout, o.OperationTimeout+10*time.Second)
	def(&o.ConnectTimeout, 10*time.Second)
	def(&o.IdleTimeout, 90*time.Second)
	def(&o.CloseTimeout, 5*time.Second)
	def(&o.ShellIdleTimeout, 10*time.Minute)
	def(&o.Retry.BaseDelay, 250*time.Millisecond)
	def(&o.Retry.MaxDelay, 5*time.Second)
	if o.MaxOutputBytes == 0 {
		o.MaxOutputBytes = 64 << 20
	}
	if o.MaxResponseBytes == 0 {
		o.MaxResponseBytes = 1 << 20
	}
	if o.EnvelopeSize == 0 {
		o.EnvelopeSize = 153600
	}
	if o.Retry.Attempts == 0 {
		o.Retry.Attempts = 4
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case o.OperationTimeout < time.Millisecond:
		return o, fmt.Errorf("OperationTimeout %v is too short", o.OperationTimeout)
	case o.RequestTimeout <= o.OperationTimeout:
		return o, fmt.Errorf("RequestTimeout %v must exceed OperationTimeout %v, or every Receive long poll times out", o.RequestTimeout, o.OperationTimeout)
	case o.ConnectTimeout < 0 || o.IdleTimeout < 0 || o.CloseTimeout < 0 || o.Retry.BaseDelay < 0 || o.Retry.MaxDelay < 0:
		return o, errors.New("negative duration in options")
	case o.ShellIdleTimeout > 0 && o.ShellIdleTimeout < time.Second:
		return o, fmt.Errorf("ShellIdleTimeout %v is below the 1 s Windows accepts", o.ShellIdleTimeout)
	case o.MaxOutputBytes < 0 || o.MaxResponseBytes < 4096 || o.EnvelopeSize < 8192:
		return o, errors.New("MaxOutputBytes, MaxResponseBytes (at least 4096) or EnvelopeSize (at least 8192) out of range")
	case o.MaxResponseBytes < int64(o.EnvelopeSize):
		return o, fmt.Errorf("MaxResponseBytes %d is below EnvelopeSize %d", o.MaxResponseBytes, o.EnvelopeSize)
	case o.Retry.Attempts < 1 || o.MaxCommandsPerShell < 0:
		return o, errors.New("Retry.Attempts must be at least 1 and MaxCommandsPerShell not negative")
	}
	return o, nil
}

// wsmanDuration renders d as an xs:duration with milliseconds: PT20.000S.
func wsmanDuration(d time.Duration) string {
	ms := d.Milliseconds()
	return fmt.Sprintf("PT%d.%03dS", ms/1000, ms%1000)
}
