// Command fleetport keeps a fleet of Windows servers' network configuration
// right. See the README and `fleetport --help`.
package main

import (
	"context"
	"os"

	"github.com/fleetport/fleetport/internal/cli/root"
)

func main() {
	os.Exit(root.Run(context.Background(), root.NewFactory(), os.Args[1:]))
}
