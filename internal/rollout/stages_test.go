package rollout

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/fleetport/fleetport/internal/plan"
)

func hosts(n int) []plan.HostPlan {
	var out []plan.HostPlan
	for i := 1; i <= n; i++ {
		h := plan.HostPlan{Host: fmt.Sprintf("h%02d", i), Groups: []string{"web"}, Tags: map[string]string{}}
		if i%4 == 0 {
			h.Groups = []string{"canary"}
			h.Tags["site"] = "lyon"
		}
		out = append(out, h)
	}
	return out
}

func TestAssign(t *testing.T) {
	for _, c := range []struct {
		spec string
		n    int
		want []int // stage sizes
	}{
		{"1,25%,100%", 20, []int{1, 4, 15}},
		{"1,10%,50%,100%", 5, []int{1, 2, 2}}, // 10% of 5 rounds up to 1: empty stage dropped
		{"1,2", 5, []int{1, 1, 3}},            // leftovers form a last stage
		{"group:canary,50%,100%", 8, []int{2, 2, 4}},
		{"tag:site=lyon,100%", 8, []int{2, 6}},
		{"100%", 0, nil},
	} {
		specs, err := ParseStages(c.spec)
		if err != nil {
			t.Fatalf("%s: %v", c.spec, err)
		}
		got := Assign(hosts(c.n), specs)
		var sizes []int
		seen := map[string]bool{}
		for _, st := range got {
			sizes = append(sizes, len(st))
			for _, h := range st {
				if seen[h] {
					t.Errorf("%s: %s in two stages", c.spec, h)
				}
				seen[h] = true
			}
		}
		if !reflect.DeepEqual(sizes, c.want) || len(seen) != c.n {
			t.Errorf("%s over %d hosts: stages %v, want %v", c.spec, c.n, sizes, c.want)
		}
	}
	specs, _ := ParseStages("group:canary,100%")
	if got := Assign(hosts(8), specs)[0]; !reflect.DeepEqual(got, []string{"h04", "h08"}) {
		t.Errorf("the canary group first: %v", got)
	}
}

func TestParseStagesAndBudget(t *testing.T) {
	for _, bad := range []string{"", "0", "10%,5%", "2,1", "101%", "half", "group:", "tag:site", "1,,2"} {
		if _, err := ParseStages(bad); err == nil {
			t.Errorf("ParseStages(%q): no error", bad)
		}
	}
	for _, c := range []struct {
		s       string
		n, want int
	}{{"0", 10, 0}, {"2", 10, 2}, {"10%", 25, 2}, {"50%", 1, 0}, {"100%", 7, 7}} {
		b, err := ParseBudget(c.s)
		if err != nil || b.Allowed(c.n) != c.want {
			t.Errorf("ParseBudget(%q).Allowed(%d) = %d, %v; want %d", c.s, c.n, b.Allowed(c.n), err, c.want)
		}
	}
	for _, bad := range []string{"-1", "x", "150%", "1.5"} {
		if _, err := ParseBudget(bad); err == nil {
			t.Errorf("ParseBudget(%q): no error", bad)
		}
	}
}
