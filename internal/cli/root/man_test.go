package root

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
)

// TestManPages: fleetport man writes a page per command, with its flags.
func TestManPages(t *testing.T) {
	dir := t.TempDir()
	ios, _, _, errOut := cmdutil.Test()
	if code := Run(context.Background(), &cmdutil.Factory{IO: ios, Now: time.Now}, []string{"man", "--dir", dir}); code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	for page, want := range map[string]string{
		"fleetport.1":                  ".SH NAME",
		"fleetport-apply.1":            `\fB--max-disruptive\fP`,
		"fleetport-rollout-rollback.1": `\fB--restore-service-state\fP`,
		"fleetport-drift.1":            ".SH SYNOPSIS",
	} {
		b, err := os.ReadFile(filepath.Join(dir, page))
		if err != nil {
			t.Errorf("%s: %v", page, err)
			continue
		}
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %q", page, want)
		}
	}
}
