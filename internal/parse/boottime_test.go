package parse_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/parse"
)

// bootFiles are the wmic outputs of testdata/boottime (see its README)
// and the instant each holds.
var bootFiles = []struct {
	file string
	want time.Time
}{
	{"boottime/en-US-table-win10.txt", time.Date(2026, 6, 21, 14, 51, 8, 500000000, time.FixedZone("", -300*60))},
	{"boottime/value-2003.txt", time.Date(2017, 10, 19, 9, 44, 24, 510250000, time.UTC)},
	{"boottime/value-utf16le-redirected.txt", time.Date(2023, 7, 12, 8, 55, 30, 500000000, time.FixedZone("", 120*60))},
	{"boottime/table-three-columns.txt", time.Date(2024, 2, 29, 23, 59, 59, 500000000, time.FixedZone("", 330*60))},
}

func TestBootTimeVariants(t *testing.T) {
	for _, f := range bootFiles {
		in := readTestdata(t, f.file)
		got, err := parse.ParseBootTime(bytes.NewReader(in), parse.Options{})
		if err != nil {
			t.Errorf("%s: %v", f.file, err)
			continue
		}
		_, off := got.Zone()
		_, wantOff := f.want.Zone()
		if !got.Equal(f.want) || off != wantOff {
			t.Errorf("%s: %v, want %v", f.file, got, f.want)
		}
		// Through Parse, by kind, as `fleetport parse boottime` runs it.
		v, err := parse.Parse(parse.KindBootTime, bytes.NewReader(in), parse.Options{})
		if tm, ok := v.(time.Time); err != nil || !ok || !tm.Equal(f.want) {
			t.Errorf("%s: Parse(boottime) = %v, %v", f.file, v, err)
		}
		// No other parser turns wmic's output into a fact.
		for _, k := range parse.Kinds() {
			if k.Name == parse.KindBootTime {
				continue
			}
			if v, err := parse.Parse(k.Name, bytes.NewReader(in), parse.Options{}); err == nil {
				t.Errorf("%s parsed %s into %+v", k.Name, f.file, v)
			} else {
				asParseError(t, err, k.Name)
			}
		}
	}
}

func TestBootTimeEdges(t *testing.T) {
	const eol = "\r\r\n"
	ok := func(in string, want time.Time) {
		t.Helper()
		got, err := parse.ParseBootTime(strings.NewReader(in), parse.Options{})
		if err != nil || !got.Equal(want) {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	ok("LastBootUpTime=20200102030405.000000+000", time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC))
	ok("lastbootuptime=20200102030405.000001-720\n", time.Date(2020, 1, 2, 15, 4, 5, 1000, time.UTC))
	ok(eol+eol+"CSName=WEB01"+eol+"LastBootUpTime=20200102030405.000000+060"+eol+"LocalDateTime=20200103030405.000000+060"+eol+eol,
		time.Date(2020, 1, 2, 2, 4, 5, 0, time.UTC))
	// The table with the column in the middle; the value cut at the
	// header's column, the next column's value not mixed in.
	ok("CSName  LastBootUpTime             Version     "+eol+"WEB01   20200102030405.500000+000  10.0.17763  "+eol+eol,
		time.Date(2020, 1, 2, 3, 4, 5, 5e8, time.UTC))
	ok("LastBootUpTime\n20200102030405.500000+000", time.Date(2020, 1, 2, 3, 4, 5, 5e8, time.UTC))

	for _, tc := range []struct {
		name, in string
		line     int
		cause    error
		quoted   string
	}{
		{"empty", eol + eol, 0, parse.ErrEmpty, ""},
		{"header alone", "LastBootUpTime  " + eol + eol, 1, parse.ErrUnknownFormat, "LastBootUpTime  "},
		{"another property", "Caption=Microsoft Windows" + eol, 1, parse.ErrUnknownFormat, "Caption=Microsoft Windows"},
		{"garbage", "\r\nsome text\r\n", 2, parse.ErrUnknownFormat, "some text"},
		{"not name=value", eol + "LastBootUpTime=20200102030405.000000+000" + eol + "oops" + eol, 3, parse.ErrUnknownFormat, "oops"},
		{"two values", "LastBootUpTime=20200102030405.000000+000\nLastBootUpTime=20200102030405.000000+000\n", 2, parse.ErrUnknownFormat, ""},
		{"two rows", "LastBootUpTime\n20200102030405.000000+000\n20200102030405.000000+000\n", 3, parse.ErrUnknownFormat, ""},
		{"short row", "CSName  LastBootUpTime\nWEB01\n", 2, parse.ErrUnknownFormat, "WEB01"},
		{"month 13", "LastBootUpTime=20201302030405.000000+000", 1, parse.ErrInvalidValue, ""},
		{"February 30", "LastBootUpTime=20200230030405.000000+000", 1, parse.ErrInvalidValue, ""},
		{"no offset", "LastBootUpTime=20200102030405.000000", 1, parse.ErrInvalidValue, ""},
		{"offset beyond 14 h", "LastBootUpTime=20200102030405.000000+900", 1, parse.ErrInvalidValue, ""},
		{"wildcards", "LastBootUpTime=2020010203****.******+000", 1, parse.ErrInvalidValue, ""},
		{"PowerShell's rendering", "\r\nSunday, June 21, 2026 2:51:08 PM\r\n", 2, parse.ErrUnknownFormat, ""},
		{"wmic error", "Node - WEB01" + eol + "ERROR:" + eol + "Description = Invalid query" + eol, 3, parse.ErrFailed, "Description = Invalid query"},
		{"utf-16 without a bom", "L\x00a\x00s\x00t\x00\r\x00\n\x00", 1, parse.ErrUnknownFormat, ""},
	} {
		_, err := parse.ParseBootTime(strings.NewReader(tc.in), parse.Options{})
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		pe := asParseError(t, err, parse.KindBootTime)
		if pe.Line != tc.line || !errors.Is(err, tc.cause) || (tc.quoted != "" && pe.Text != tc.quoted) {
			t.Errorf("%s: %v (line %d), want line %d %v quoting %q", tc.name, err, pe.Line, tc.line, tc.cause, tc.quoted)
		}
	}
	if fe := asParseError(t, func() error {
		_, err := parse.ParseBootTime(strings.NewReader("ERROR:\r\r\nDescription = Access denied\r\r\n"), parse.Options{})
		return err
	}(), parse.KindBootTime).Fact("boot_time", "wmic os get LastBootUpTime /value"); fe.Status.String() != "command-failed" || !strings.Contains(fe.Message, "Access denied") {
		t.Errorf("wmic failure as a fact error: %+v", fe)
	}
}
