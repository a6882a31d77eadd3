package remote

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// sameAsSlow checks the fast reader against encoding/xml on b: when the
// fast reader takes b, encoding/xml must read the same envelope.
func sameAsSlow(t *testing.T, b []byte) (fast bool) {
	t.Helper()
	orig := bytes.Clone(b)
	env, ok := fastEnvelope(b)
	if !bytes.Equal(orig, b) {
		t.Fatalf("the fast reader wrote into its input:\n%q", orig)
	}
	if !ok {
		return false
	}
	slow, err := decodeEnvelope(b)
	if err != nil {
		t.Fatalf("the fast reader took an answer encoding/xml refuses (%v):\n%q", err, b)
	}
	if !reflect.DeepEqual(env, slow) {
		t.Fatalf("the readers disagree on\n%q\nfast: %+v\nslow: %+v", b, env, slow)
	}
	return true
}

// TestFastReaderTakesRealAnswers: every recorded Windows answer that is
// not a fault takes the fast path and reads as encoding/xml reads it;
// faults are left to encoding/xml.
func TestFastReaderTakesRealAnswers(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "wire", "*.xml"))
	if err != nil || len(files) < 10 {
		t.Fatalf("%d recorded answers, %v", len(files), err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		slow, err := decodeEnvelope(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		fast := sameAsSlow(t, b)
		if isFault := slow.Body.Fault != nil; fast == isFault {
			t.Errorf("%s: fault %v, fast path %v", f, isFault, fast)
		}
	}
}

// TestFastReaderLeavesTheUnusual: constructs the fast reader does not read
// exactly go to encoding/xml, which reads them (or refuses them) as before.
func TestFastReaderLeavesTheUnusual(t *testing.T) {
	const head = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><s:Body>`
	const tail = `</s:Body></s:Envelope>`
	stream := func(data string) string {
		return head + `<rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="C">` + data + `</rsp:Stream></rsp:ReceiveResponse>` + tail
	}
	for name, doc := range map[string]string{
		"comment":            stream(`aGk=<!-- x -->`),
		"carriage return":    stream("aGk=\r\n"),
		"non-ascii":          stream("aGk=\u00e9"),
		"undeclared prefix":  head + `<x:ReceiveResponse/>` + tail,
		"unknown entity":     stream(`&nbsp;`),
		"two receives":       head + `<rsp:ReceiveResponse/><rsp:ReceiveResponse/>` + tail,
		"mismatched end tag": head + `<rsp:ReceiveResponse></rsp:Shell>` + tail,
		"truncated":          stream(`aGk=`)[:len(stream(`aGk=`))-5],
		"trailing text":      stream(`aGk=`) + `junk`,
		"version 2.0":        `<?xml version="2.0"?>` + stream(`aGk=`),
		"fault":              head + `<s:Fault><s:Code><s:Value>s:Receiver</s:Value></s:Code></s:Fault>` + tail,
	} {
		t.Run(name, func(t *testing.T) {
			if _, ok := fastEnvelope([]byte(doc)); ok {
				t.Errorf("the fast reader took it")
			}
		})
	}
	// What it does take, it reads as encoding/xml does: entities,
	// character references, CDATA, single quotes, a default namespace, empty
	// elements, whitespace between elements.
	for _, doc := range []string{
		stream(`&#97;Gk&#x3d;`),
		stream(`aG<![CDATA[k=]]>`),
		`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Header><Action xmlns="urn:x">a&amp;b</Action></Header><Body><ReceiveResponse xmlns='http://schemas.microsoft.com/wbem/wsman/1/windows/shell'><Stream Name='stderr' CommandId='C'/><CommandState CommandId="C" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"><ExitCode>3</ExitCode></CommandState></ReceiveResponse></Body></Envelope>`,
		head + "\n\t" + `<rsp:CommandResponse> <rsp:CommandId>X</rsp:CommandId> </rsp:CommandResponse>` + "\n" + tail,
	} {
		if !sameAsSlow(t, []byte(doc)) {
			t.Errorf("the fast reader left it:\n%s", doc)
		}
	}
}

// FuzzFastEnvelope: whatever the fast reader takes, encoding/xml reads
// the same way.
func FuzzFastEnvelope(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "wire", "*.xml"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sameAsSlow(t, b)
	})
}

// receiveAnswer is a ReceiveResponse as Windows sends it, with n bytes of
// output.
func receiveAnswer(tb testing.TB, n int) []byte {
	out := bytes.Repeat([]byte("  TCP    10.0.0.5:49152     10.0.0.9:1433     TIME_WAIT       0\r\n"), n/64+1)[:n]
	return []byte(strings.Replace(string(wire(tb, "outputResponse.xml")), "VGhhdCdzIGFsbCBmb2xrcyEhIQ==", base64.StdEncoding.EncodeToString(out), 1))
}

// BenchmarkParseEnvelope compares the readers on a small answer and on a
// netstat-sized one.
func BenchmarkParseEnvelope(b *testing.B) {
	for _, size := range []int{100, 256 << 10} {
		doc := receiveAnswer(b, size)
		if _, ok := fastEnvelope(doc); !ok {
			b.Fatal("the fast reader left the bench answer")
		}
		for _, r := range []struct {
			name string
			read func([]byte) (*envelope, error)
		}{{"fast", parseEnvelope}, {"encoding-xml", decodeEnvelope}} {
			b.Run(r.name+"/"+map[int]string{100: "small", 256 << 10: "256KiB"}[size], func(b *testing.B) {
				b.SetBytes(int64(len(doc)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := r.read(doc); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
