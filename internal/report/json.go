package report

import (
	"encoding/json"
	"io"

	"github.com/fleetport/fleetport/internal/drift"
)

// writeJSON writes the report's JSON form: two-space indent, a trailing
// newline, and "<", ">" and "&" as themselves (evidence holds them).
func writeJSON(w io.Writer, r *drift.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
