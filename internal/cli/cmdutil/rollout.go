package cmdutil

import "path/filepath"

// MetaNoBuiltin is the key of a rollout's meta that says it was planned
// without the built-in pack (--no-builtin): resume and rollback verify
// against the same policies.
const MetaNoBuiltin = "no_builtin"

// RolloutMeta is what a rollout records of the command line that started
// it, so that rollout resume and rollback can load the same fleet and
// policies: the inventory, the --limit, the policies (when given or
// present), --no-builtin, and whether it dispatched hosts to site runners
// (never the NATS URL).
func RolloutMeta(sh Shared, policiesGiven, dispatched bool) map[string]string {
	inv, _ := filepath.Abs(sh.Inventory)
	meta := map[string]string{"inventory": inv, "limit": sh.Limit}
	if policiesGiven {
		pol, _ := filepath.Abs(sh.Policies)
		meta["policies"] = pol
	}
	if sh.NoBuiltin {
		meta[MetaNoBuiltin] = "true"
	}
	if dispatched {
		meta[MetaDispatched] = "true"
	}
	return meta
}
