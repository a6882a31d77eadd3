package policies

import _ "embed" // the package documentation, for fleetport help

// docSource is this package's doc.go: its comment is the language
// reference.
//
//go:embed doc.go
var docSource string

// DocComment returns the package documentation (the comment of doc.go)
// as text, without the comment markers: the language reference that
// `fleetport help policies` prints.
func DocComment() string { return docText(docSource) }
