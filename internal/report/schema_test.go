package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/policies"
)

var schemaPath = filepath.Join("..", "..", "docs", "schema", "drift-report.schema.json")

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	sch, err := c.Compile(schemaPath)
	if err != nil {
		t.Fatalf("compile %s: %v", schemaPath, err)
	}
	return sch
}

func validate(t *testing.T, sch *jsonschema.Schema, data []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	return sch.Validate(inst)
}

// TestJSONValidatesAgainstSchema validates the JSON form of the hand-built
// report, the simulator run and the odd reports against the schema, and
// checks that the schema rejects what it should.
func TestJSONValidatesAgainstSchema(t *testing.T) {
	sch := compileSchema(t)
	for _, in := range inputs(t) {
		out := render(t, JSON, in.r, Options{})
		if !bytes.HasSuffix(out, []byte("}\n")) || !bytes.HasPrefix(out, []byte("{\n  \"$schema\": ")) {
			t.Errorf("%s: not a 2-space indented object with a trailing newline", in.name)
		}
		if err := validate(t, sch, out); err != nil {
			t.Errorf("%s: %v", in.name, err)
		}
		// The JSON form decodes back to the same report.
		back, err := decodeReport(out)
		if err != nil {
			t.Fatalf("%s: decode: %v", in.name, err)
		}
		if again := render(t, JSON, back, Options{}); !bytes.Equal(again, out) {
			t.Errorf("%s: JSON does not survive a round trip", in.name)
		}
	}
	for name, r := range oddReports() {
		if name == "empty" || strings.Contains(name, "odd values") {
			continue // no $schema, invalid severities: not reports the engine makes
		}
		r.Schema, r.Version = drift.SchemaID, drift.SchemaVersion
		if err := validate(t, sch, render(t, JSON, r, Options{})); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	// What the schema must reject.
	good := render(t, JSON, handReport(), Options{})
	for name, mutate := range map[string]func(m map[string]any){
		"unknown key":      func(m map[string]any) { m["extra"] = 1 },
		"unknown host key": func(m map[string]any) { host(m)["password"] = "x" },
		"missing key":      func(m map[string]any) { delete(m, "summary") },
		"bad result":       func(m map[string]any) { host(m)["result"] = "failed" },
		"bad status":       func(m map[string]any) { host(m)["status"] = "down" },
		"bad severity":     func(m map[string]any) { m["policies"].([]any)[0].(map[string]any)["severity"] = "urgent" },
		"bad fix":          func(m map[string]any) { host(m)["findings"].([]any)[0].(map[string]any)["fix"] = "pray" },
		"bad change kind": func(m map[string]any) {
			m["changes"].(map[string]any)["items"].([]any)[0].(map[string]any)["kind"] = "gone"
		},
		"bad time":          func(m map[string]any) { m["generated"] = "yesterday" },
		"other schema":      func(m map[string]any) { m["$schema"] = "urn:fleetport:drift-report:v0" },
		"by_status key":     func(m map[string]any) { m["summary"].(map[string]any)["by_status"].(map[string]any)["down"] = 1 },
		"negative count":    func(m map[string]any) { m["summary"].(map[string]any)["results"].(map[string]any)["fail"] = -1 },
		"string for number": func(m map[string]any) { host(m)["build"] = "14393" },
	} {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		mutate(m)
		bad, _ := json.Marshal(m)
		if err := validate(t, sch, bad); err == nil {
			t.Errorf("%s: the schema accepts it", name)
		}
	}
}

func host(m map[string]any) map[string]any { return m["hosts"].([]any)[0].(map[string]any) }

// TestSchemaCoversTheModel reflects over every struct reachable from
// drift.Report and checks that the schema object for it (the root for
// Report, $defs/<TypeName> for the others) lists exactly its JSON keys,
// requires exactly the ones without omitempty/omitzero and forbids others,
// and that the enums hold exactly the Go names.
func TestSchemaCoversTheModel(t *testing.T) {
	data, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatal(err)
	}
	if schema["$id"] != drift.SchemaID {
		t.Errorf("$id = %v, want %s", schema["$id"], drift.SchemaID)
	}
	if schema["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v, want draft 2020-12", schema["$schema"])
	}
	defs, _ := schema["$defs"].(map[string]any)
	props := schema["properties"].(map[string]any)
	if c := props["version"].(map[string]any)["const"]; c != float64(drift.SchemaVersion) {
		t.Errorf("version const = %v, want %d", c, drift.SchemaVersion)
	}
	if c := props["$schema"].(map[string]any)["const"]; c != drift.SchemaID {
		t.Errorf("$schema const = %v, want %s", c, drift.SchemaID)
	}

	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Map {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || typ == reflect.TypeFor[time.Time]() || seen[typ] {
			return
		}
		seen[typ] = true
		node := schema
		if typ != reflect.TypeFor[drift.Report]() {
			n, ok := defs[typ.Name()].(map[string]any)
			if !ok {
				t.Errorf("schema has no $defs/%s for %s", typ.Name(), typ)
				return
			}
			node = n
		}
		var keys, required []string
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			tag := f.Tag.Get("json")
			name, opts, _ := strings.Cut(tag, ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			keys = append(keys, name)
			if !strings.Contains(","+opts+",", ",omitempty,") && !strings.Contains(","+opts+",", ",omitzero,") {
				required = append(required, name)
			}
			walk(f.Type)
		}
		var skeys []string
		for k := range node["properties"].(map[string]any) {
			skeys = append(skeys, k)
		}
		var sreq []string
		if rq, ok := node["required"].([]any); ok {
			for _, k := range rq {
				sreq = append(sreq, k.(string))
			}
		}
		sort.Strings(keys)
		sort.Strings(skeys)
		sort.Strings(required)
		sort.Strings(sreq)
		if !slices.Equal(keys, skeys) {
			t.Errorf("%s: Go keys %v, schema properties %v", typ, keys, skeys)
		}
		if !slices.Equal(required, sreq) {
			t.Errorf("%s: Go keys without omitempty %v, schema required %v", typ, required, sreq)
		}
		if node["additionalProperties"] != false {
			t.Errorf("%s: additionalProperties is not false", typ)
		}
	}
	walk(reflect.TypeFor[drift.Report]())
	if len(seen) < 10 {
		t.Errorf("walked only %d structs", len(seen))
	}

	enum := func(def string) []string {
		var out []string
		for _, v := range defs[def].(map[string]any)["enum"].([]any) {
			out = append(out, v.(string))
		}
		return out
	}
	var results, severities, statuses []string
	for r := drift.NotApplicable; ; r++ {
		if _, err := r.MarshalText(); err != nil {
			break
		}
		results = append(results, r.String())
	}
	for s := policies.SeverityInfo; s <= policies.SeverityCritical; s++ {
		severities = append(severities, s.String())
	}
	for s := facts.StatusUnknown; ; s++ {
		b, err := s.MarshalText()
		if err != nil {
			break
		}
		statuses = append(statuses, string(b))
	}
	fixes := []string{string(drift.FixNone), string(drift.FixServiceRestart), string(drift.FixReboot), string(drift.FixNewProcesses), string(drift.FixManual)}
	for def, want := range map[string][]string{
		"Result":     results,
		"Severity":   severities,
		"Status":     statuses,
		"Fix":        fixes,
		"ChangeKind": {drift.ChangeNew, drift.ChangeFixed, drift.ChangeChanged, drift.ChangeNowKnown, drift.ChangeNowUnknown, drift.ChangeWaived, drift.ChangeUnwaived},
	} {
		if got := enum(def); !slices.Equal(got, want) {
			t.Errorf("$defs/%s enum = %v, want %v", def, got, want)
		}
	}
	if !slices.Equal(results, []string{"not-applicable", "pass", "waived", "unknown", "pending", "fail"}) {
		t.Errorf("results = %v", results)
	}
}
