package xmltree

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// oracle builds the tree with encoding/xml's Decoder.Token, as a reader
// that knows nothing of this package would: one root, nothing but
// whitespace, comments and processing instructions around it.
func oracle(b []byte) (*Element, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	var root *Element
	var stack []*Element
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if root == nil || len(stack) != 0 {
				return nil, io.ErrUnexpectedEOF
			}
			return root, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && len(stack) == 0 {
				return nil, errors.New("a second root")
			}
			n := &Element{Space: t.Name.Space, Local: t.Name.Local}
			for _, a := range t.Attr {
				n.Attrs = append(n.Attrs, Attr{Space: a.Name.Space, Local: a.Name.Local, Value: a.Value})
			}
			if len(stack) == 0 {
				root = n
			} else {
				p := stack[len(stack)-1]
				p.Kids = append(p.Kids, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].Text = append(stack[len(stack)-1].Text, t...)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, errors.New("text outside the root")
			}
		}
	}
}

// diff says where two trees differ, or "" when they are the same.
func diff(a, b *Element, path string) string {
	path += "/" + a.Local
	switch {
	case a.Space != b.Space || a.Local != b.Local:
		return path + ": name {" + a.Space + "}" + a.Local + " vs {" + b.Space + "}" + b.Local
	case !bytes.Equal(a.Text, b.Text):
		return path + ": text " + string(a.Text) + " vs " + string(b.Text)
	case len(a.Attrs) != len(b.Attrs):
		return path + ": attribute count"
	case len(a.Kids) != len(b.Kids):
		return path + ": child count"
	}
	for i := range a.Attrs {
		if a.Attrs[i] != b.Attrs[i] {
			return path + ": attribute " + a.Attrs[i].Local
		}
	}
	for i := range a.Kids {
		if d := diff(a.Kids[i], b.Kids[i], path); d != "" {
			return d
		}
	}
	return ""
}

// check: whatever Parse takes, encoding/xml reads the same way.
func check(t *testing.T, b []byte) bool {
	t.Helper()
	orig := bytes.Clone(b)
	fast, ok := Parse(b)
	if !bytes.Equal(orig, b) {
		t.Fatalf("Parse wrote into its input:\n%q\nbecame\n%q", orig, b)
	}
	if !ok {
		return false
	}
	slow, err := oracle(b)
	if err != nil {
		t.Fatalf("Parse took a document encoding/xml refuses (%v):\n%q", err, b)
	}
	if d := diff(fast, slow, ""); d != "" {
		t.Fatalf("Parse and encoding/xml disagree at %s on\n%q", d, b)
	}
	return true
}

// recorded are the WinRM messages recorded from Windows hosts and real
// clients (testdata/winrm at the repository's root).
func recorded(t testing.TB) map[string][]byte {
	out := map[string][]byte{}
	root := filepath.Join("..", "..", "testdata", "winrm")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".xml") {
			return err
		}
		b, err := os.ReadFile(p)
		out[p] = b
		return err
	})
	if err != nil || len(out) < 100 {
		t.Fatalf("%d recorded messages, %v", len(out), err)
	}
	return out
}

// TestRecordedMessages: Parse reads most recorded WinRM messages, and
// each as encoding/xml does; the ones it leaves have a reason it names.
func TestRecordedMessages(t *testing.T) {
	took := 0
	msgs := recorded(t)
	for name, b := range msgs {
		if check(t, b) {
			took++
			continue
		}
		// Left: it must hold one of the constructs Parse leaves alone.
		if !bytes.ContainsAny(b, "\r") && !bytes.Contains(b, []byte("<!")) && !bytes.Contains(b, []byte("<?")) && isASCII(b) {
			if _, err := oracle(b); err == nil {
				t.Errorf("%s: Parse left a plain document", name)
			}
		}
	}
	if took < len(msgs)/2 {
		t.Errorf("Parse took only %d of %d recorded messages", took, len(msgs))
	}
	t.Logf("Parse took %d of %d recorded messages", took, len(msgs))
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x7f {
			return false
		}
	}
	return true
}

func TestParse(t *testing.T) {
	for _, doc := range []string{
		`<a/>`,
		`<?xml version="1.0" encoding="utf-8" ?>` + "\n" + `<a x='1' y="&lt;&#65;&#x42;&amp;&quot;&apos;&gt;"></a>`,
		`<p:a xmlns:p="urn:p" xmlns="urn:d" p:x="1" xml:lang="en"><b>t<c/>u</b></p:a>`,
		`<a xmlns:p="urn:p"><p:b xmlns:p="urn:q"/><p:c/></a>`,
		"<a>\n\t<b >x</b\n></a>\n",
		`<a>x<![CDATA[<b>&amp;]]]]>y<![CDATA[]]></a>`,
	} {
		if !check(t, []byte(doc)) {
			t.Errorf("Parse left %q", doc)
		}
	}
	for _, doc := range []string{
		``, `<a>`, `<a></b>`, `<a/><b/>`, `<a/>x`, `x<a/>`, `<a><!-- c --></a>`, `<a><![CDATA[x]]</a>`, "<a><![CDATA[\r]]></a>",
		`<!DOCTYPE a><a/>`, `<a>&nbsp;</a>`, `<a>&#0;</a>`, "<a>\r\n</a>", "<a>\u00e9</a>", `<p:a/>`,
		`<a p:x="1"/>`, `<a x=1/>`, `<a x="1"y="2"/>`, `<a>x]]>y</a>`, `<?xml version="1.1"?><a/>`, `<?xml version="1.0" encoding="latin1"?><a/>`,
		`<a:b:c/>`, `<1a/>`, `<a x="<"/>`,
	} {
		if _, ok := Parse([]byte(doc)); ok {
			t.Errorf("Parse took %q", doc)
		}
	}
}

func TestLimits(t *testing.T) {
	deep := strings.Repeat("<a>", maxDepth+1) + strings.Repeat("</a>", maxDepth+1)
	if _, ok := Parse([]byte(deep)); ok {
		t.Error("Parse took a document deeper than its limit")
	}
	wide := "<a>" + strings.Repeat("<b/>", maxElements) + "</a>"
	if _, ok := Parse([]byte(wide)); ok {
		t.Error("Parse took more elements than its limit")
	}
}

// FuzzParse: whatever Parse takes, encoding/xml reads the same way.
func FuzzParse(f *testing.F) {
	for _, b := range recorded(f) {
		f.Add(b)
	}
	f.Add([]byte(`<p:a xmlns:p="urn:p" xmlns="urn:d" p:x="1" xml:lang="en"><b>t&amp;<c/>u</b></p:a>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		check(t, b)
	})
}

func BenchmarkParse(b *testing.B) {
	msgs := recorded(b)
	doc := msgs[filepath.Join("..", "..", "testdata", "winrm", "pywinrm", "command_request.xml")]
	if doc == nil {
		for _, m := range msgs {
			if _, ok := Parse(m); ok {
				doc = m
				break
			}
		}
	}
	b.SetBytes(int64(len(doc)))
	b.Run("xmltree", func(b *testing.B) {
		for b.Loop() {
			if _, ok := Parse(doc); !ok {
				b.Fatal("left")
			}
		}
	})
	b.Run("encoding-xml", func(b *testing.B) {
		for b.Loop() {
			if _, err := oracle(doc); err != nil {
				b.Fatal(err)
			}
		}
	})
}
