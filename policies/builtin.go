package policies

import (
	"embed"

	"github.com/hashicorp/hcl/v2"
)

// builtinFS holds the built-in policy pack. An identical copy lives in
// examples/policies/builtin for people to read and adapt; a test keeps the
// two the same.
//
//go:embed builtin/*.hcl
var builtinFS embed.FS

// BuiltinDir is the folder name of the built-in pack: file names in its
// diagnostics start with it ("builtin/listen_list.hcl").
const BuiltinDir = "builtin"

// Builtin loads the built-in policy pack (see the package documentation,
// "The built-in pack"). It loads without diagnostics; the return value
// exists so that a broken build shows the problem instead of hiding it.
// Merge it with a user's policies through [NewSet] with both sets' Files.
func Builtin() (*Set, hcl.Diagnostics) {
	return LoadDir(builtinFS, BuiltinDir)
}
