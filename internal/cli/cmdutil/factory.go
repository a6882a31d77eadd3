package cmdutil

import (
	"log/slog"
	"time"
)

// Factory holds the dependencies commands share. Fields are set once by the
// root command and read by the commands; lazily built ones are functions.
type Factory struct {
	IO *IOStreams
	// Logger writes diagnostics to IO.ErrOut; it never receives a
	// credential.
	Logger func() *slog.Logger
	// Now is the clock (tests fix it).
	Now func() time.Time
}
