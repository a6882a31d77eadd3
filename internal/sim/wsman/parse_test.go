package wsman

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetport/fleetport/internal/xmltree"
)

// sameNode reports whether two node trees are equal, an empty attribute
// list equal to none.
func sameNode(a, b *node) bool {
	if a.Space != b.Space || a.Local != b.Local || a.Text != b.Text || len(a.Attrs) != len(b.Attrs) || len(a.Kids) != len(b.Kids) {
		return false
	}
	for i := range a.Attrs {
		if a.Attrs[i] != b.Attrs[i] {
			return false
		}
	}
	for i := range a.Kids {
		if !sameNode(a.Kids[i], b.Kids[i]) {
			return false
		}
	}
	return true
}

// TestFastParseMatchesDecoder: every recorded WinRM message that the fast
// reader takes gives the node tree encoding/xml gives, and the requests
// the real clients send all take the fast path.
func TestFastParseMatchesDecoder(t *testing.T) {
	root := filepath.Join("..", "..", "..", "testdata", "winrm")
	n, fast := 0, 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".xml") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		n++
		slow, serr := decodeXML(b)
		tree, ok := xmltree.Parse(b)
		if !ok {
			if strings.Contains(p, "request") && serr == nil && ascii(b) {
				t.Errorf("%s: a client's request took the slow path", p)
			}
			return nil
		}
		fast++
		if serr != nil {
			t.Errorf("%s: the fast reader took what encoding/xml refuses: %v", p, serr)
		} else if !sameNode(fromTree(tree), slow) {
			t.Errorf("%s: the readers disagree", p)
		}
		return nil
	})
	if err != nil || n < 100 || fast < n/2 {
		t.Fatalf("%d messages, %d on the fast path, %v", n, fast, err)
	}
}

func ascii(b []byte) bool {
	for _, c := range b {
		if c >= 0x7f {
			return false
		}
	}
	return true
}
