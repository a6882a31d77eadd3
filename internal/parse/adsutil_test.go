package parse_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/parse"
)

func TestAdsutilFiles(t *testing.T) {
	cases := []struct {
		file string
		want parse.AdsutilValue
		b    bool
	}{
		{"adsutil/set-true.txt", parse.AdsutilValue{Name: "disablesocketpooling", Set: true, Type: "BOOLEAN", Value: "True"}, true},
		{"adsutil/get-not-set.txt", parse.AdsutilValue{Name: "disablesocketpooling"}, false},
		{"adsutil/get-banner-false.txt", parse.AdsutilValue{Name: "DisableSocketPooling", Set: true, Type: "BOOLEAN", Value: "False"}, false},
		{"adsutil/get-list.txt", parse.AdsutilValue{Name: "ServerBindings", Set: true, Type: "LIST", Values: []string{":80:", "10.0.0.5:81:"}}, false},
		{"adsutil/get-string.txt", parse.AdsutilValue{Name: "ServerComment", Set: true, Type: "STRING", Value: "Default SMTP Virtual Server"}, false},
	}
	for _, c := range cases {
		in := readTestdata(t, c.file)
		got, err := parse.ParseAdsutil(bytes.NewReader(in), parse.Options{})
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.file, got, c.want)
		}
		if c.want.Type == "" || c.want.Type == "BOOLEAN" {
			if b, err := got.Bool(); err != nil || b != c.b {
				t.Errorf("%s: Bool() = %v, %v", c.file, b, err)
			}
		} else if _, err := got.Bool(); !errors.Is(err, parse.ErrInvalidValue) {
			t.Errorf("%s: Bool() of a %s: %v", c.file, got.Type, err)
		}
		v, err := parse.Parse(parse.KindAdsutil, bytes.NewReader(in), parse.Options{})
		if a, ok := v.(parse.AdsutilValue); err != nil || !ok || !reflect.DeepEqual(a, c.want) {
			t.Errorf("%s: Parse(adsutil) = %v, %v", c.file, v, err)
		}
		for _, k := range parse.Kinds() {
			if k.Name == parse.KindAdsutil {
				continue
			}
			if v, err := parse.Parse(k.Name, bytes.NewReader(in), parse.Options{}); err == nil {
				t.Errorf("%s parsed %s into %+v", k.Name, c.file, v)
			} else {
				asParseError(t, err, k.Name)
			}
		}
	}
}

func TestAdsutilErrors(t *testing.T) {
	cases := []struct {
		name, in string
		cause    error
		line     int
		msg      string
	}{
		{"path not found", string(readTestdata(t, "adsutil/get-path-not-found.txt")), parse.ErrFailed, 2,
			"0x80070003: The path requested could not be found. (Error Trying To GET the Object (GetObject Failed): smtpsvc/2)"},
		{"type mismatch", "Type mismatch\r\nErrNumber: 13 (0xD)\r\nError Trying To SET the Property: disablesocketpooling\r\n", parse.ErrFailed, 2, "0xD: Type mismatch"},
		{"wrong arguments", "Error: Wrong number of Args for the GET command\r\n", parse.ErrFailed, 1, "Wrong number"},
		{"unknown command", "Command not recognized: GIT\r\nFor help, just type \"Cscript.exe adsutil.vbs\".\r\n", parse.ErrFailed, 1, "GIT"},
		{"script not found", "Input Error: Can not find script file \"C:\\Users\\Administrator\\adsutil.vbs\".\r\n", parse.ErrUnknownFormat, 1, ""},
		{"a translated not-set sentence", "Der Parameter \"disablesocketpooling\" ist auf diesem Knoten nicht festgelegt.\r\n", parse.ErrUnknownFormat, 1, ""},
		{"two properties", "a                               : (BOOLEAN) True\r\nb                               : (BOOLEAN) True\r\n", parse.ErrUnknownFormat, 2, ""},
		{"banner only", "Microsoft (R) Windows Script Host Version 5.8\r\nCopyright (C) Microsoft Corporation. All rights reserved.\r\n\r\n", parse.ErrEmpty, 0, ""},
		{"empty", "", parse.ErrEmpty, 0, ""},
		{"unquoted string", "x                               : (STRING) abc\r\n", parse.ErrInvalidValue, 1, ""},
		{"short list", "x                               : (LIST)  (2 Items)\r\n  \"a\"\r\n", parse.ErrUnknownFormat, 0, ""},
	}
	for _, c := range cases {
		_, err := parse.ParseAdsutil(strings.NewReader(c.in), parse.Options{})
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		pe := asParseError(t, err, parse.KindAdsutil)
		if !errors.Is(err, c.cause) || pe.Line != c.line || !strings.Contains(pe.Msg, c.msg) {
			t.Errorf("%s: %v (line %d), want %v at line %d with %q", c.name, err, pe.Line, c.cause, c.line, c.msg)
		}
		if c.cause == parse.ErrFailed && pe.Fact("x", "y").Status != facts.StatusCommandFailed {
			t.Errorf("%s: not a command failure", c.name)
		}
	}
	// set prints a LIST on one line.
	v, err := parse.ParseAdsutil(strings.NewReader("ServerBindings                  : (LIST) \":80:\" \"10.0.0.5:81:\" \r\n"), parse.Options{})
	if err != nil || !reflect.DeepEqual(v.Values, []string{":80:", "10.0.0.5:81:"}) {
		t.Errorf("set LIST: %+v, %v", v, err)
	}
	// A name of 32 characters or more is followed by VBScript's type name.
	v, err = parse.ParseAdsutil(strings.NewReader("AVeryLongPropertyNameOfThirtyTwoChars: (Boolean) True\r\n"), parse.Options{})
	if b, berr := v.Bool(); err != nil || berr != nil || !b {
		t.Errorf("long name: %+v, %v, %v", v, err, berr)
	}
}

func TestSCEnumDependFiles(t *testing.T) {
	in := readTestdata(t, "enumdepend/http-2019.txt")
	got, err := parse.ParseSCEnumDepend(bytes.NewReader(in), parse.Options{})
	want := []facts.Service{
		{Name: "W3SVC", DisplayName: "World Wide Web Publishing Service", State: facts.ServiceRunning},
		{Name: "SSDPSRV", DisplayName: "SSDP Discovery", State: facts.ServiceStopped, ExitCode: 1077},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("http-2019: %+v, %v", got, err)
	}
	if v, err := parse.Parse(parse.KindSCEnumDepend, bytes.NewReader(in), parse.Options{}); err != nil || !reflect.DeepEqual(v, want) {
		t.Errorf("Parse(enumdepend): %v, %v", v, err)
	}
	got, err = parse.ParseSCEnumDepend(bytes.NewReader(readTestdata(t, "enumdepend/none.txt")), parse.Options{})
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("none: %#v, %v", got, err)
	}
	for _, f := range []string{"enumdepend/http-2019.txt", "enumdepend/none.txt", "enumdepend/more-data.txt"} {
		for _, k := range parse.Kinds() {
			if k.Name == parse.KindSCEnumDepend {
				continue
			}
			if v, err := parse.Parse(k.Name, bytes.NewReader(readTestdata(t, f)), parse.Options{}); err == nil {
				t.Errorf("%s parsed %s into %+v", k.Name, f, v)
			}
		}
	}
}

func TestSCEnumDependErrors(t *testing.T) {
	cases := []struct {
		name, in string
		cause    error
		line     int
		msg      string
	}{
		{"more data", string(readTestdata(t, "enumdepend/more-data.txt")), parse.ErrFailed, 2, "needs 6971 bytes"},
		{"no such service", "[SC] OpenService FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service.\r\n\r\n", parse.ErrFailed, 1, "does not exist"},
		// The parser fixture this layout comes from announces 5 and lists 2.
		{"count mismatch", string(readTestdata(t, "enumdepend/fixture-five-listed-two.txt")), parse.ErrUnknownFormat, 20, "entriesread = 5, but 2"},
		{"sc query output", "\r\nSERVICE_NAME: W3SVC \r\n        TYPE               : 20  WIN32_SHARE_PROCESS  \r\n        STATE              : 4  RUNNING \r\n", parse.ErrUnknownFormat, 2, "entriesread"},
		{"no STATE", "[SC] EnumDependentServices: entriesread = 1\r\n\r\nSERVICE_NAME: X\r\nDISPLAY_NAME: Y\r\n", parse.ErrUnknownFormat, 4, "no STATE"},
		{"bad count", "[SC] EnumDependentServices: entriesread = -1\r\n", parse.ErrInvalidValue, 1, ""},
		{"empty", "\r\n", parse.ErrEmpty, 0, ""},
	}
	for _, c := range cases {
		_, err := parse.ParseSCEnumDepend(strings.NewReader(c.in), parse.Options{})
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		pe := asParseError(t, err, parse.KindSCEnumDepend)
		if !errors.Is(err, c.cause) || pe.Line != c.line || !strings.Contains(pe.Msg, c.msg) {
			t.Errorf("%s: %v (line %d), want %v at line %d with %q", c.name, err, pe.Line, c.cause, c.line, c.msg)
		}
	}
}
