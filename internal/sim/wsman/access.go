package wsman

import "context"

// Access is what an authenticated user may do through the WinRM service,
// as the host's groups decide: WinRM's RootSDDL grants the Administrators
// and, where the domain grants least privilege, the Remote Management
// Users; a member of neither is refused before any shell exists.
type Access uint8

const (
	// AccessAdmin: a member of the host's Administrators (the default:
	// local accounts of the simulator are administrators).
	AccessAdmin Access = iota
	// AccessLimited: a member of Remote Management Users only: shells and
	// commands, which run without administrator rights.
	AccessLimited
	// AccessDenied: neither: every request gets the w:AccessDenied fault.
	AccessDenied
)

type accessKey struct{}

// WithAccess returns ctx carrying the user's access for [Service.Handle].
func WithAccess(ctx context.Context, a Access) context.Context {
	return context.WithValue(ctx, accessKey{}, a)
}

// AccessOf returns the access ctx carries; AccessAdmin when none.
func AccessOf(ctx context.Context) Access {
	a, _ := ctx.Value(accessKey{}).(Access)
	return a
}

// textAccessDenied is the reason and message of the fault Windows returns
// to an authenticated user the RootSDDL does not grant access (HTTP 500,
// w:AccessDenied, WSManFault code 5; pywinrm shows it as "Access is
// denied." with wsmanfault_code 5).
const textAccessDenied = "Access is denied. "

func faultAccessDenied() *fault { return newFault("w:AccessDenied", textAccessDenied, 5) }
