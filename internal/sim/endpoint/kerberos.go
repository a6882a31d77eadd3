package endpoint

// Kerberos as a domain member's WinRM does it: the client sends an AP-REQ
// for the host's service principal, wrapped in SPNEGO ("Authorization:
// Negotiate") or bare ("Authorization: Kerberos"); the host opens the
// ticket with its computer account's keys, checks the authenticator and the
// time, answers with the mutual-authentication AP-REP in the same wrapping,
// and from then on the TCP connection carries messages sealed with the
// context key (GSS Wrap, RFC 4121, in the DCE layout: internal/gsswrap).
// The host picks no subkey of its own: both sides seal with the initiator's
// subkey, or the ticket's session key when the authenticator has none.

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/asn1tools"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/asnAppTag"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/fleetport/fleetport/internal/gsswrap"
	"github.com/fleetport/fleetport/internal/sim/wsman"
)

// Kerberos makes an endpoint a domain member that accepts Kerberos.
type Kerberos struct {
	// Keytab holds the computer account's keys; tickets for any of the
	// account's SPNs are encrypted with them.
	Keytab *keytab.Keytab
	// Account is the computer account's principal name, "WEB0001$".
	Account string
	// Realm is the domain's realm, "FLEET.TEST".
	Realm string
	// Clock is the host's clock; nil means time.Now. A host whose clock
	// is more than MaxSkew from the client's refuses its authenticators.
	Clock func() time.Time
	// MaxSkew is the tolerated clock skew; 0 means 5 minutes, the domain
	// default.
	MaxSkew time.Duration
	// Administrators and RemoteManagementUsers are the SIDs of the domain
	// users and groups that are members of the host's local groups of
	// those names. As on Windows, the host reads the user's SID and group
	// SIDs from the ticket's PAC (the KDC puts them there): a user in
	// Administrators may do everything, a user in Remote Management Users
	// only runs commands without administrator rights, and a user in
	// neither is refused by WinRM (w:AccessDenied). Both nil: the local
	// groups are not modelled and every domain user is an administrator.
	Administrators, RemoteManagementUsers []string
}

// access decides what the ticket's client may do, from the PAC's SIDs.
func (k *Kerberos) access(apReq *messages.APReq, account *types.PrincipalName) (wsman.Access, error) {
	if k.Administrators == nil && k.RemoteManagementUsers == nil {
		return wsman.AccessAdmin, nil
	}
	isPAC, p, err := apReq.Ticket.GetPACType(k.Keytab, account, log.New(io.Discard, "", 0))
	if err != nil {
		return wsman.AccessDenied, fmt.Errorf("the ticket's PAC: %w", err)
	}
	if !isPAC || p.KerbValidationInfo == nil {
		// Windows refuses a domain logon without a PAC.
		return wsman.AccessDenied, errors.New("the ticket carries no PAC")
	}
	v := p.KerbValidationInfo
	sids := append(v.GetGroupMembershipSIDs(), fmt.Sprintf("%s-%d", v.LogonDomainID.String(), v.UserID))
	in := func(members []string) bool {
		for _, s := range sids {
			for _, m := range members {
				if strings.EqualFold(s, m) {
					return true
				}
			}
		}
		return false
	}
	switch {
	case in(k.Administrators):
		return wsman.AccessAdmin, nil
	case in(k.RemoteManagementUsers):
		return wsman.AccessLimited, nil
	}
	return wsman.AccessDenied, nil
}

const (
	// The protocol strings of sealed bodies: Negotiate (SPNEGO) and bare
	// Kerberos authentication.
	spnegoEncrypted   = "application/HTTP-SPNEGO-session-encrypted"
	kerberosEncrypted = "application/HTTP-Kerberos-session-encrypted"
)

// krbError is a refused AP-REQ: what the host's event log would say.
type krbError struct {
	code string
	err  error
}

func (e *krbError) Error() string { return e.code + ": " + e.err.Error() }

// accept verifies an initial Kerberos token. It returns the reply token in
// the client's wrapping, the security context and the client's name.
func (k *Kerberos) accept(token []byte) (reply []byte, ctx *gsswrap.Context, user string, acc wsman.Access, err error) {
	mech, spnegoWrapped, err := unwrapInitToken(token)
	if err != nil {
		return nil, nil, "", 0, &krbError{"KRB_AP_ERR_MSG_TYPE", err}
	}
	var kt spnego.KRB5Token
	if err := kt.Unmarshal(mech.token); err != nil {
		return nil, nil, "", 0, &krbError{"KRB_AP_ERR_MSG_TYPE", err}
	}
	if !kt.IsAPReq() {
		return nil, nil, "", 0, &krbError{"KRB_AP_ERR_MSG_TYPE", errors.New("the Kerberos token is not an AP-REQ")}
	}
	apReq := kt.APReq
	skew := k.MaxSkew
	if skew <= 0 {
		skew = 5 * time.Minute
	}
	// Every SPN of the account shares its keys: open the ticket with the
	// account's key whatever name it was asked for. A ticket for another
	// account's SPN does not open (KRB_AP_ERR_MODIFIED on Windows).
	account := types.NewPrincipalName(1, k.Account)
	if ok, err := apReq.Verify(k.Keytab, 1<<62, types.HostAddress{}, &account); err != nil || !ok {
		if err == nil {
			err = errors.New("the ticket is not valid")
		}
		return nil, nil, "", 0, &krbError{apErrorCode(err), err}
	}
	// The host's clock decides: Windows compares the authenticator's time
	// with its own.
	now := time.Now()
	if k.Clock != nil {
		now = k.Clock()
	}
	ctime := apReq.Authenticator.CTime.Add(time.Duration(apReq.Authenticator.Cusec) * time.Microsecond)
	if d := now.Sub(ctime); d > skew || -d > skew {
		return nil, nil, "", 0, &krbError{"KRB_AP_ERR_SKEW", fmt.Errorf("the client's clock is %v from the host's", d.Round(time.Second))}
	}
	if now.After(apReq.Ticket.DecryptedEncPart.EndTime.Add(skew)) {
		return nil, nil, "", 0, &krbError{"KRB_AP_ERR_TKT_EXPIRED", errors.New("the ticket has expired")}
	}
	acc, err = k.access(&apReq, &account)
	if err != nil {
		return nil, nil, "", 0, &krbError{"KRB_AP_ERR_MODIFIED", err}
	}
	sessionKey := apReq.Ticket.DecryptedEncPart.Key
	ctxKey := sessionKey
	if apReq.Authenticator.SubKey.KeyType != 0 {
		ctxKey = apReq.Authenticator.SubKey
	}
	seq, err := randomSeq()
	if err != nil {
		return nil, nil, "", 0, err
	}
	ctx, err = gsswrap.New(ctxKey, false, false, uint64(seq))
	if err != nil {
		return nil, nil, "", 0, &krbError{"KDC_ERR_ETYPE_NOSUPP", err}
	}
	apRep, err := marshalAPRep(apReq.Authenticator, sessionKey, seq)
	if err != nil {
		return nil, nil, "", 0, err
	}
	reply, err = krb5Token(apRep, mech.oid)
	if err != nil {
		return nil, nil, "", 0, err
	}
	if spnegoWrapped {
		resp := spnego.NegTokenResp{NegState: asn1.Enumerated(spnego.NegStateAcceptCompleted), SupportedMech: mech.oid, ResponseToken: reply}
		if reply, err = resp.Marshal(); err != nil {
			return nil, nil, "", 0, err
		}
	}
	cname := apReq.Ticket.DecryptedEncPart.CName.PrincipalNameString()
	return reply, ctx, strings.ToLower(cname), acc, nil
}

type mechToken struct {
	oid   asn1.ObjectIdentifier
	token []byte
}

// unwrapInitToken finds the Kerberos token in a SPNEGO NegTokenInit, or
// takes a bare Kerberos token as it is.
func unwrapInitToken(token []byte) (mechToken, bool, error) {
	var oid asn1.ObjectIdentifier
	if _, err := asn1.UnmarshalWithParams(token, &oid, "application,explicit,tag:0"); err != nil {
		return mechToken{}, false, fmt.Errorf("not a GSS-API initial context token: %w", err)
	}
	krb5, msKrb5 := gssapi.OIDKRB5.OID(), gssapi.OIDMSLegacyKRB5.OID()
	switch {
	case oid.Equal(krb5):
		return mechToken{oid: krb5, token: token}, false, nil
	case oid.Equal(gssapi.OIDSPNEGO.OID()):
	default:
		return mechToken{}, false, fmt.Errorf("mechanism %s is neither SPNEGO nor Kerberos", oid)
	}
	var st spnego.SPNEGOToken
	if err := st.Unmarshal(token); err != nil {
		return mechToken{}, true, err
	}
	if !st.Init || len(st.NegTokenInit.MechTypes) == 0 || len(st.NegTokenInit.MechTokenBytes) == 0 {
		return mechToken{}, true, errors.New("the SPNEGO token carries no optimistic mechanism token")
	}
	first := st.NegTokenInit.MechTypes[0]
	if !first.Equal(krb5) && !first.Equal(msKrb5) {
		// NTLM inside SPNEGO (a client without a ticket): not handled here.
		return mechToken{}, true, fmt.Errorf("the client prefers mechanism %s, not Kerberos", first)
	}
	return mechToken{oid: first, token: st.NegTokenInit.MechTokenBytes}, true, nil
}

// apErrorCode names the Kerberos error behind a refused AP-REQ.
func apErrorCode(err error) string {
	var ke messages.KRBError
	if errors.As(err, &ke) {
		switch ke.ErrorCode {
		case 41:
			return "KRB_AP_ERR_MODIFIED"
		case 44:
			return "KRB_AP_ERR_BADKEYVER"
		case 45:
			return "KRB_AP_ERR_NOKEY"
		case 37:
			return "KRB_AP_ERR_SKEW"
		case 32:
			return "KRB_AP_ERR_TKT_EXPIRED"
		}
		return "KRB_ERROR " + strconv.Itoa(int(ke.ErrorCode))
	}
	if strings.Contains(err.Error(), "matching key not found") || strings.Contains(err.Error(), "Could not get key") {
		return "KRB_AP_ERR_BADKEYVER"
	}
	return "KRB_AP_ERR_MODIFIED"
}

func randomSeq() (int64, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1<<30))
	if err != nil {
		return 0, err
	}
	return n.Int64(), nil
}

type encAPRepPartNoSubkey struct {
	CTime          time.Time `asn1:"generalized,explicit,tag:0"`
	Cusec          int       `asn1:"explicit,tag:1"`
	SequenceNumber int64     `asn1:"explicit,tag:3"`
}

// marshalAPRep builds the AP-REP (RFC 4120 5.5.2): the authenticator's time
// and this side's sequence number, encrypted with the session key.
func marshalAPRep(a types.Authenticator, sessionKey types.EncryptionKey, seq int64) ([]byte, error) {
	part, err := asn1.Marshal(encAPRepPartNoSubkey{CTime: a.CTime, Cusec: a.Cusec, SequenceNumber: seq})
	if err != nil {
		return nil, err
	}
	part = asn1tools.AddASNAppTag(part, asnAppTag.EncAPRepPart)
	ed, err := crypto.GetEncryptedData(part, sessionKey, keyusage.AP_REP_ENCPART, 0)
	if err != nil {
		return nil, err
	}
	rep, err := asn1.Marshal(messages.APRep{PVNO: 5, MsgType: msgtype.KRB_AP_REP, EncPart: ed})
	if err != nil {
		return nil, err
	}
	return asn1tools.AddASNAppTag(rep, asnAppTag.APREP), nil
}

// krb5Token frames an AP-REP as a GSS-API Kerberos token (RFC 1964 1.1):
// the mechanism OID, token id 02 00, the message.
func krb5Token(apRep []byte, oid asn1.ObjectIdentifier) ([]byte, error) {
	b, err := asn1.Marshal(oid)
	if err != nil {
		return nil, err
	}
	b = append(b, 0x02, 0x00)
	b = append(b, apRep...)
	return asn1tools.AddASNAppTag(b, 0), nil
}

// sealKerberos frames a sealed reply in the multipart/encrypted layout
// with the protocol the client used.
func sealKerberos(ctx *gsswrap.Context, protocol string, plain []byte) ([]byte, error) {
	header, data, err := ctx.Wrap(plain)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Grow(len(data) + len(header) + 256)
	b.WriteString("--Encrypted Boundary\r\n")
	b.WriteString("\tContent-Type: " + protocol + "\r\n")
	b.WriteString("\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=" + strconv.Itoa(len(plain)) + "\r\n")
	b.WriteString("--Encrypted Boundary\r\n")
	b.WriteString("\tContent-Type: application/octet-stream\r\n")
	b.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(header))))
	b.Write(header)
	b.Write(data)
	b.WriteString("--Encrypted Boundary--\r\n")
	return b.Bytes(), nil
}

func encryptedContentType(protocol string) string {
	return `multipart/encrypted;protocol="` + protocol + `";boundary="Encrypted Boundary"`
}

// openKerberos parses a sealed request body and opens it.
func openKerberos(ctx *gsswrap.Context, body []byte) (plain []byte, protocol string, err error) {
	const boundary = "--Encrypted Boundary\r\n"
	rest, ok := bytes.CutPrefix(body, []byte(boundary))
	if !ok {
		return nil, "", fmt.Errorf("encrypted body does not start with %q", boundary)
	}
	head, rest, ok := bytes.Cut(rest, []byte(boundary))
	if !ok {
		return nil, "", errors.New("encrypted body has no second boundary line")
	}
	length := -1
	for _, line := range strings.Split(string(head), "\r\n") {
		name, value, _ := strings.Cut(strings.TrimLeft(line, " \t"), ":")
		value = strings.TrimSpace(value)
		switch {
		case strings.EqualFold(name, "Content-Type"):
			protocol = value
		case strings.EqualFold(name, "OriginalContent"):
			for _, p := range strings.Split(value, ";") {
				if k, v, _ := strings.Cut(p, "="); strings.EqualFold(strings.TrimSpace(k), "Length") {
					n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 31)
					if err != nil {
						return nil, "", fmt.Errorf("OriginalContent Length %.20q is not a size", v)
					}
					length = int(n)
				}
			}
		}
	}
	if !strings.EqualFold(protocol, spnegoEncrypted) && !strings.EqualFold(protocol, kerberosEncrypted) {
		return nil, "", fmt.Errorf("encrypted body protocol %.60q is not Kerberos or SPNEGO", protocol)
	}
	if length < 0 {
		return nil, "", errors.New("encrypted body has no OriginalContent Length")
	}
	line, rest, ok := bytes.Cut(rest, []byte("\r\n"))
	name, value, _ := strings.Cut(strings.TrimLeft(string(line), " \t"), ":")
	if !ok || !strings.EqualFold(name, "Content-Type") || !strings.EqualFold(strings.TrimSpace(value), "application/octet-stream") {
		return nil, "", fmt.Errorf("encrypted body: want the line \"\\tContent-Type: application/octet-stream\", got %.60q", line)
	}
	data, ok := bytes.CutSuffix(rest, []byte("--Encrypted Boundary--\r\n"))
	if !ok {
		if data, ok = bytes.CutSuffix(rest, []byte("--Encrypted Boundary--")); !ok {
			return nil, "", errors.New("encrypted body does not end with the closing boundary")
		}
	}
	if len(data) < 4 {
		return nil, "", errors.New("encrypted body has no token header length")
	}
	n := int(binary.LittleEndian.Uint32(data))
	if n > len(data)-4 || n < 16 {
		return nil, "", fmt.Errorf("encrypted body: token header length %d does not fit %d bytes", n, len(data)-4)
	}
	plain, err = ctx.Unwrap(data[4:4+n], data[4+n:])
	if err != nil {
		return nil, "", err
	}
	if len(plain) != length {
		return nil, "", fmt.Errorf("encrypted body declares Length=%d but holds %d bytes", length, len(plain))
	}
	return plain, protocol, nil
}
