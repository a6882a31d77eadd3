package inventory

import _ "embed" // the package documentation, for fleetport help

// docSource is this package's doc.go: its comment is the language
// reference.
//
//go:embed doc.go
var docSource string

// DocSource returns this package's doc.go, whose comment is the language
// reference that `fleetport help inventory` prints.
func DocSource() string { return docSource }
