package inventory

import "fmt"

// SecretOf returns the unresolved Secret of a reference that says where a
// credential's value is (env, file, prompt, or none), for a process that
// received the reference alone, such as a site runner: resolving it with
// [Secret.Resolve] follows the same rules as for a host of this
// inventory. A literal has no value to give and is an error.
func SecretOf(ref Reference) (Secret, error) {
	switch ref.Source {
	case SourceNone, SourceEnv, SourceFile, SourcePrompt:
		return Secret{ref: ref}, nil
	}
	return Secret{}, fmt.Errorf("a %s credential cannot be made from a reference", ref.Source)
}
