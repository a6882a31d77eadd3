package collect

import (
	"context"

	"github.com/fleetport/fleetport/internal/remote"
)

// Open resolves the target's credentials and opens a WinRM session to it
// (remote.Open). A credential that cannot be resolved is returned as is.
func (t Target) Open(ctx context.Context) (*remote.Session, error) {
	cred, err := t.Credentials()
	if err != nil {
		return nil, err
	}
	return remote.Open(ctx, t.Endpoint, cred, t.Session)
}

// DeleteShells resolves the target's credentials and deletes the host's
// shells with these ids, without creating one (remote.DeleteShells).
func (t Target) DeleteShells(ctx context.Context, ids []string) ([]remote.ShellDeletion, error) {
	cred, err := t.Credentials()
	if err != nil {
		return nil, err
	}
	return remote.DeleteShells(ctx, t.Endpoint, cred, t.Session, ids)
}
