package dispatch

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/fleetport/fleetport/internal/plan"
	"github.com/fleetport/fleetport/policies"
)

func validJob() Job {
	return Job{V: Version, ID: "c1.1", Kind: KindCollect, Controller: "c1", Site: "lyon.dc-1", Spec: "abc",
		Deadline: time.Now().Add(time.Hour), AckWait: time.Second,
		Host: Host{Name: "web01", Endpoint: Endpoint{Address: "10.0.0.1", Port: 5985, Auth: "ntlm"},
			User:     Credential{Source: SourceLiteral, Value: "admin"},
			Password: Credential{Source: SourceEnv, Name: "FLEETPORT_PASSWORD"}}}
}

func TestJobValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*Job)
		error string // "" = valid
	}{
		{"valid", func(*Job) {}, ""},
		{"another version", func(j *Job) { j.V = Version + 1 }, fmt.Sprintf("message version %d", Version+1)},
		{"no id", func(j *Job) { j.ID = "" }, "no id"},
		{"bad controller", func(j *Job) { j.Controller = "a.b" }, "controller id"},
		{"bad site", func(j *Job) { j.Site = "-x" }, "site name"},
		{"no address", func(j *Job) { j.Host.Endpoint.Address = "" }, "no host name or address"},
		{"bad port", func(j *Job) { j.Host.Endpoint.Port = 70000 }, "port"},
		{"bad auth", func(j *Job) { j.Host.Endpoint.Auth = "digest" }, "unknown auth"},
		{"literal password", func(j *Job) { j.Host.Password = Credential{Source: SourceLiteral, Value: "s3cret"} }, "a literal is never sent"},
		{"env with a value", func(j *Job) { j.Host.Password = Credential{Source: SourceEnv, Name: "X", Value: "s3cret"} }, "only that"},
		{"prompt", func(j *Job) { j.Host.Password = Credential{Source: SourcePrompt} }, ""},
		{"unknown source", func(j *Job) { j.Host.User = Credential{Source: "vault"} }, "unknown credential source"},
		{"no deadline", func(j *Job) { j.Deadline = time.Time{} }, "deadline"},
		{"unknown kind", func(j *Job) { j.Kind = "reboot" }, "unknown kind"},
		{"apply without plan", func(j *Job) { j.Kind = KindApply }, "without its rollout"},
		{"apply for another host", func(j *Job) {
			j.Kind, j.Apply = KindApply, &Apply{Rollout: 1, Stage: 1, Plan: plan.HostPlan{Host: "db01"}}
		}, "the plan is for"},
		{"apply", func(j *Job) {
			j.Kind, j.Apply = KindApply, &Apply{Rollout: 1, Stage: 1, Plan: plan.HostPlan{Host: "web01"}}
		}, ""},
		{"collect with a plan", func(j *Job) { j.Apply = &Apply{} }, "rollout part"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := validJob()
			tc.edit(&j)
			b, err := Encode(&j)
			if err != nil {
				t.Fatal(err)
			}
			var got Job
			err = Decode(b, MaxJobBytes, &got)
			switch {
			case tc.error == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.error != "" && (err == nil || !strings.Contains(err.Error(), tc.error)):
				t.Fatalf("error %v, want one saying %q", err, tc.error)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("the error shows the credential: %v", err)
			}
		})
	}
}

func TestDecodeRefuses(t *testing.T) {
	var j Job
	if err := Decode([]byte(strings.Repeat(" ", MaxJobBytes+1)), MaxJobBytes, &j); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("oversized: %v", err)
	}
	if err := Decode([]byte(`{"v":1,`), MaxJobBytes, &j); err == nil || !strings.Contains(err.Error(), "malformed") {
		t.Errorf("truncated: %v", err)
	}
	var r Reply
	if err := Decode([]byte(`{"v":7,"status":"ok"}`), MaxMessageBytes, &r); !errors.Is(err, ErrVersion) {
		t.Errorf("another version: %v", err)
	}
}

func TestSubjects(t *testing.T) {
	if got := JobSubject("lyon.dc1"); got != "fleetport.jobs.lyon~dc1" {
		t.Errorf("JobSubject: %s", got)
	}
	if got := ConsumerName("lyon.dc1"); strings.ContainsAny(got, ".*> ") {
		t.Errorf("ConsumerName: %s", got)
	}
	if JobSubject("a.b") == JobSubject("a_b") || JobSubject("a.b") == JobSubject("a-b") {
		t.Error("two sites share a subject")
	}
	for _, bad := range []string{"", "a b", "a*", "a>", ".a", "a/b"} {
		if CheckSite(bad) == nil {
			t.Errorf("site %q accepted", bad)
		}
	}
}

func TestPolicyHostKeepsVars(t *testing.T) {
	h := policies.Host{Name: "web01", Address: "10.0.0.1", Site: "lyon", Groups: []string{"web"}, Tags: map[string]string{"os": "2019"},
		Vars: map[string]cty.Value{
			"service_address": cty.StringVal("10.20.0.1"),
			"ports":           cty.ListVal([]cty.Value{cty.NumberIntVal(80), cty.NumberIntVal(443)}),
			"limits":          cty.ObjectVal(map[string]cty.Value{"max": cty.NumberIntVal(3), "on": cty.True}),
		}}
	w, err := NewPolicyHost(h)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(w)
	var back PolicyHost
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	got, err := back.Host()
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h.Vars {
		if !got.Vars[k].RawEquals(v) {
			t.Errorf("var %s: %#v, want %#v", k, got.Vars[k], v)
		}
	}
	if got.Name != h.Name || got.Site != h.Site || got.Tags["os"] != "2019" {
		t.Errorf("host %+v", got)
	}
}

func TestSpecHashIsContent(t *testing.T) {
	a := &Spec{V: Version, Policies: []PolicyFile{{Name: "a.hcl", Source: []byte("x")}}}
	b := &Spec{V: Version, Policies: []PolicyFile{{Name: "a.hcl", Source: []byte("y")}}}
	if a.Hash() == b.Hash() || a.Hash() != (&Spec{V: Version, Policies: []PolicyFile{{Name: "a.hcl", Source: []byte("x")}}}).Hash() {
		t.Error("the hash does not follow the content")
	}
}

// FuzzDecodeJob: any input is a job or an error, never a panic, and a job
// that decodes never carries a password's value.
func FuzzDecodeJob(f *testing.F) {
	j := validJob()
	b, _ := Encode(&j)
	f.Add(b)
	f.Add([]byte(`{"v":1,"kind":"apply","apply":{"rollout":1,"stage":1,"plan":{"host":"web01"}}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var j Job
		if err := Decode(data, MaxJobBytes, &j); err != nil {
			return
		}
		if j.Host.Password.Value != "" {
			t.Fatalf("a job with a password value decoded: %+v", j.Host.Password)
		}
	})
}
