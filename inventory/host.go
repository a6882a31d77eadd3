package inventory

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// HostBlock is a decoded host block, before inheritance.
type HostBlock struct {
	Name      string
	NameRange hcl.Range
	DeclRange hcl.Range

	settings map[string]*setting
	groups   []groupRef
	source   string // the source that listed the host; "" for a block in a file
	// sourceTags are the tags a source gives the host: they come after
	// the groups' and before the host block's own.
	sourceTags  map[string]string
	sourceRange hcl.Range
	listed      bool // made from a source's entry, not a file
}

// missingAddress marks the diagnostic of a host block without an address.
type missingAddress string

// Attributes returns the arguments the block sets, by name.
func (h *HostBlock) Attributes() hcl.Attributes { return attributesOf(h.settings) }

// decodeHostBlock decodes a host block.
func decodeHostBlock(block *hcl.Block, src *evalSource) (*HostBlock, hcl.Diagnostics) {
	h := &HostBlock{Name: block.Labels[0], NameRange: block.LabelRanges[0], DeclRange: block.DefRange}
	var diags hcl.Diagnostics
	if !validName(h.Name) {
		diags = append(diags, errorDiag(h.NameRange, "Invalid host name",
			fmt.Sprintf("%q is not a valid host name. %s", h.Name, nameRule)))
	}
	settings, sd := decodeSettings(block.Body, inHost, src, block.DefRange)
	h.settings = settings
	diags = append(diags, sd...)
	if _, ok := settings["address"]; !ok {
		d := errorDiag(h.DeclRange, "Missing address",
			fmt.Sprintf("Host %q has no address. Add address = \"...\" with its IP address or DNS name, or list the host with a source.", h.Name))
		// A source that lists the host gives it its address: Load drops
		// this error then.
		d.Extra = missingAddress(strings.ToLower(h.Name))
		diags = append(diags, d)
	}
	if s := settings["groups"]; s != nil && s.state == valid {
		h.groups = s.val.([]groupRef)
	}
	return h, diags
}

// Host is a host with its settings resolved: the built-in defaults, then
// the defaults block, then its groups, then its own block. Credentials are
// references until [Host.ResolveCredentials].
//
// Hosts are shared: treat them as read-only.
type Host struct {
	Name              string
	Address           string // IP address or DNS name
	ManagementAddress string // the address fleetport's traffic arrives on at the host; "" when unknown
	Port              int
	Transport         string // TransportHTTP or TransportHTTPS
	Auth              string // AuthBasic, AuthNTLM, AuthKerberos or AuthNegotiate
	User              Secret
	Password          Secret
	CAFile            string // resolved against the declaring file's folder
	TLSServerName     string
	// InsecureSkipVerify turns off TLS certificate verification.
	InsecureSkipVerify bool
	// AllowUnencrypted permits Basic authentication over http.
	AllowUnencrypted bool
	// Kerberos: the krb5.conf (empty: KRB5_CONFIG, else /etc/krb5.conf),
	// the user's realm, the host's DNS name for its service principal
	// when it is addressed by IP, and where tickets come from (a keytab,
	// a credential cache; else the password, else KRB5CCNAME).
	Krb5Conf     string
	Realm        string
	KerberosName string
	Keytab       string
	CCache       string
	// The change credential, when one is set: the account apply,
	// rollout resume and rollback (and the TUI's fixes) change hosts with,
	// while collection reads with User and Password (or Keytab, CCache).
	// Least privilege: the read account is a member of the hosts' Remote
	// Management Users, the change account of their Administrators.
	ChangeUser       Secret
	ChangePassword   Secret
	ChangeKeytab     string
	ChangeCCache     string
	ConnectTimeout   time.Duration // to open a connection
	OperationTimeout time.Duration // for one remote call
	Timeout          time.Duration // for all of the host's work in a run
	// Concurrency is the tightest concurrency cap that applies to the host
	// (the fleet's and its groups'), 0 when none does. The caps themselves
	// are in [Inventory.Concurrency] and [Group.Concurrency].
	Concurrency int
	Site        string
	// Source names the source that listed the host, "" for a host block.
	Source    string
	Groups    []string // in the order the host lists them
	Tags      map[string]string
	Vars      map[string]cty.Value
	DeclRange hcl.Range
	// Origins says where each setting's value was set, by argument name
	// ("port", "tags.role"); built-in defaults have no entry.
	Origins map[string]hcl.Range
}

// ResolveCredentials returns a copy of the host with its user and password
// resolved through r. The error joins a *CredentialError for each
// credential that failed.
func (h *Host) ResolveCredentials(r Resolver) (*Host, error) {
	c := *h
	var errs []error
	var err error
	if c.User, err = h.User.Resolve(r, h.Name, "user"); err != nil {
		errs = append(errs, err)
	}
	if c.Password, err = h.Password.Resolve(r, h.Name, "password"); err != nil {
		errs = append(errs, err)
	}
	return &c, errors.Join(errs...)
}

// HasChangeCredential reports whether the host names a change credential
// (change_user, change_password, change_keytab or change_ccache).
func (h *Host) HasChangeCredential() bool {
	return h.ChangeUser.IsSet() || h.ChangePassword.IsSet() || h.ChangeKeytab != "" || h.ChangeCCache != ""
}

// ChangeReferences returns the host with the references of its change
// user and password in place of user and password, unresolved: a rollout
// job sent to a site runner carries them, and the runner resolves them on
// its machine. The host itself when it names no change user or password
// (a change keytab or cache is the runner's own business).
func (h *Host) ChangeReferences() *Host {
	if !h.ChangeUser.IsSet() && !h.ChangePassword.IsSet() {
		return h
	}
	c := *h
	c.User, c.Password = h.ChangeUser, h.ChangePassword
	c.ChangeUser, c.ChangePassword, c.ChangeKeytab, c.ChangeCCache = Secret{}, Secret{}, "", ""
	return &c
}

// ForChanges returns the host as changes reach it: with its change
// credential in place of its read credential when it names one (resolved
// through r), else the host itself. The error joins a *CredentialError
// for each credential that failed.
func (h *Host) ForChanges(r Resolver) (*Host, error) {
	if !h.HasChangeCredential() {
		return h, nil
	}
	c := *h
	c.Keytab, c.CCache = h.ChangeKeytab, h.ChangeCCache
	var errs []error
	var err error
	if c.User, err = h.ChangeUser.Resolve(r, h.Name, "change_user"); err != nil {
		errs = append(errs, err)
	}
	if c.Password, err = h.ChangePassword.Resolve(r, h.Name, "change_password"); err != nil {
		errs = append(errs, err)
	}
	c.ChangeUser, c.ChangePassword, c.ChangeKeytab, c.ChangeCCache = Secret{}, Secret{}, "", ""
	return &c, errors.Join(errs...)
}

// HostJSON is one host of `inventory list --json`. It never holds a
// credential: user and password are shown as references.
type HostJSON struct {
	Name               string                     `json:"name"`
	Address            string                     `json:"address"`
	ManagementAddress  string                     `json:"management_address,omitempty"`
	Port               int                        `json:"port"`
	Transport          string                     `json:"transport"`
	Auth               string                     `json:"auth"`
	User               CredentialJSON             `json:"user"`
	Password           CredentialJSON             `json:"password"`
	CAFile             string                     `json:"ca_file,omitempty"`
	TLSServerName      string                     `json:"tls_server_name,omitempty"`
	InsecureSkipVerify bool                       `json:"insecure_skip_verify"`
	AllowUnencrypted   bool                       `json:"allow_unencrypted"`
	Krb5Conf           string                     `json:"krb5_conf,omitempty"`
	Realm              string                     `json:"realm,omitempty"`
	KerberosName       string                     `json:"kerberos_name,omitempty"`
	Keytab             string                     `json:"keytab,omitempty"`
	CCache             string                     `json:"ccache,omitempty"`
	ChangeUser         *CredentialJSON            `json:"change_user,omitempty"`
	ChangePassword     *CredentialJSON            `json:"change_password,omitempty"`
	ChangeKeytab       string                     `json:"change_keytab,omitempty"`
	ChangeCCache       string                     `json:"change_ccache,omitempty"`
	ConnectTimeout     string                     `json:"connect_timeout"`
	OperationTimeout   string                     `json:"operation_timeout"`
	Timeout            string                     `json:"timeout"`
	Concurrency        int                        `json:"concurrency,omitempty"`
	Site               string                     `json:"site,omitempty"`
	Source             string                     `json:"source,omitempty"`
	Groups             []string                   `json:"groups"`
	Tags               map[string]string          `json:"tags"`
	Vars               map[string]json.RawMessage `json:"vars"`
	DeclaredAt         string                     `json:"declared_at"`
}

// ListJSON returns the host as `inventory list --json` shows it.
func (h *Host) ListJSON() HostJSON {
	j := HostJSON{
		Name:               h.Name,
		Address:            h.Address,
		ManagementAddress:  h.ManagementAddress,
		Port:               h.Port,
		Transport:          h.Transport,
		Auth:               h.Auth,
		User:               h.User.listing(true),
		Password:           h.Password.listing(false),
		CAFile:             h.CAFile,
		TLSServerName:      h.TLSServerName,
		InsecureSkipVerify: h.InsecureSkipVerify,
		AllowUnencrypted:   h.AllowUnencrypted,
		Krb5Conf:           h.Krb5Conf,
		Realm:              h.Realm,
		KerberosName:       h.KerberosName,
		Keytab:             h.Keytab,
		CCache:             h.CCache,
		ChangeKeytab:       h.ChangeKeytab,
		ChangeCCache:       h.ChangeCCache,
		ConnectTimeout:     h.ConnectTimeout.String(),
		OperationTimeout:   h.OperationTimeout.String(),
		Timeout:            h.Timeout.String(),
		Concurrency:        h.Concurrency,
		Site:               h.Site,
		Source:             h.Source,
		Groups:             append([]string{}, h.Groups...),
		Tags:               map[string]string{},
		Vars:               map[string]json.RawMessage{},
		DeclaredAt:         at(h.DeclRange),
	}
	if h.ChangeUser.IsSet() {
		u := h.ChangeUser.listing(true)
		j.ChangeUser = &u
	}
	if h.ChangePassword.IsSet() {
		p := h.ChangePassword.listing(false)
		j.ChangePassword = &p
	}
	for k, v := range h.Tags {
		j.Tags[k] = v
	}
	for k, v := range h.Vars {
		b, err := ctyjson.SimpleJSONValue{Value: v}.MarshalJSON()
		if err != nil {
			b = []byte("null")
		}
		j.Vars[k] = b
	}
	return j
}

// MarshalJSON encodes the host as [Host.ListJSON] does.
func (h Host) MarshalJSON() ([]byte, error) { return json.Marshal(h.ListJSON()) }
