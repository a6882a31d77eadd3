package inventory

import (
	"encoding/json"
	"errors"
	"fmt"
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
}

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
		diags = append(diags, errorDiag(h.DeclRange, "Missing address",
			fmt.Sprintf("Host %q has no address. Add address = \"...\" with its IP address or DNS name.", h.Name)))
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
	Auth              string // AuthBasic, AuthNTLM or AuthKerberos
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
	Krb5Conf         string
	Realm            string
	KerberosName     string
	Keytab           string
	CCache           string
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
