package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/fleetport/fleetport/internal/store"
)

// LatestRun stands for "latest" in a run id: the newest collect run.
const LatestRun int64 = -1

// ParseRunID reads a run id as the command line gives it: a positive
// number, or "latest".
func ParseRunID(s string) (int64, error) {
	if s == "latest" {
		return LatestRun, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a run id or latest (fleetport history lists them)", s)
	}
	return n, nil
}

// RunIDFlag is a flag that takes a run id or "latest" into *ID (0 when
// not given).
type RunIDFlag struct{ ID *int64 }

// Set implements pflag.Value.
func (f RunIDFlag) Set(s string) error {
	n, err := ParseRunID(s)
	if err != nil {
		return err
	}
	*f.ID = n
	return nil
}

// String implements pflag.Value.
func (f RunIDFlag) String() string {
	switch {
	case f.ID == nil || *f.ID == 0:
		return ""
	case *f.ID == LatestRun:
		return "latest"
	}
	return strconv.FormatInt(*f.ID, 10)
}

// Type implements pflag.Value.
func (f RunIDFlag) Type() string { return "run" }

// ResolveRun turns LatestRun into the id of the newest collect run of
// the store; other ids are returned as they are.
func ResolveRun(ctx context.Context, st *store.Store, id int64) (int64, error) {
	if id != LatestRun {
		return id, nil
	}
	r, err := st.Latest(ctx, "collect")
	if errors.Is(err, store.ErrNotFound) {
		return 0, WithHint(errors.New("latest: the store holds no collect run"), "fleetport collect makes one")
	}
	if err != nil {
		return 0, err
	}
	return r.ID, nil
}
