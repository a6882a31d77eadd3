package policies

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestRolloutGuardRails(t *testing.T) {
	f, diags := Parse([]byte(`rollout {
  max_restarts           = 2
  max_restarts_per_group = 1
  window {
    days      = ["sat", "sun"]
    from      = "22:00"
    to        = "04:00"
    time_zone = "Europe/Paris"
  }
  window {
    from = "12:00"
    to   = "13:30"
  }
  outside_window = "refuse"
}
`), "r.hcl")
	if diags.HasErrors() || f.Rollout == nil {
		t.Fatalf("%v", diags)
	}
	r := f.Rollout
	if r.MaxRestarts != 2 || r.MaxRestartsPerGroup != 1 || r.OutsideWindow != "refuse" || len(r.Windows) != 2 {
		t.Fatalf("%+v", r)
	}
	w, err := r.Windows[0].Parse()
	if err != nil {
		t.Fatal(err)
	}
	if !w.Days[time.Saturday] || !w.Days[time.Sunday] || w.Days[time.Monday] || w.From != 22*time.Hour || w.To != 4*time.Hour || w.Location.String() != "Europe/Paris" {
		t.Errorf("%+v", w)
	}
	if w, err := r.Windows[1].Parse(); err != nil || w.Location != time.UTC || !w.Days[time.Wednesday] || w.To != 13*time.Hour+30*time.Minute {
		t.Errorf("every day, UTC: %+v %v", w, err)
	}
}

// TestRolloutWindowErrors: each mistake is reported at the attribute
// that holds it (file:line:column), with what is expected.
func TestRolloutWindowErrors(t *testing.T) {
	for _, c := range []struct{ src, want, at string }{
		{`rollout {
  window {
    days = ["sat", "sonday"]
    from = "22:00"
    to   = "04:00"
  }
}`, `"sonday" is not a day`, "bad.hcl:3,12"},
		{`rollout {
  window {
    from = "25:00"
    to   = "04:00"
  }
}`, `from "25:00" is not a time of day`, "bad.hcl:3,12"},
		{`rollout {
  window {
    from      = "22:00"
    to        = "04:00"
    time_zone = "Europe/Pariss"
  }
}`, `time_zone "Europe/Pariss" is not a time zone`, "bad.hcl:5,17"},
		{`rollout {
  window {
    from = "22:00"
  }
}`, `needs "to"`, "bad.hcl:2,3"},
		{`rollout {
  window {
    from = "22:00"
    to   = "22:00"
  }
}`, `empty window`, "bad.hcl:2,3"},
		{`rollout {
  window {
    from  = "22:00"
    to    = "23:00"
    until = "monday"
  }
}`, `"until" is not one of them`, "bad.hcl:5,5"},
		{`rollout {
  max_restarts = -1
}`, `negative`, "bad.hcl:1,1"},
		{`rollout {
  outside_window = "skip"
}`, `not "wait" or "refuse"`, "bad.hcl:1,1"},
	} {
		_, diags := Parse([]byte(c.src), "bad.hcl")
		if !diags.HasErrors() {
			t.Errorf("%s: no error", c.src)
			continue
		}
		d := diags[0]
		at := ""
		if d.Subject != nil {
			at = d.Subject.Filename + ":" + strconv.Itoa(d.Subject.Start.Line) + "," + strconv.Itoa(d.Subject.Start.Column)
		}
		if !strings.Contains(d.Detail, c.want) || at != c.at {
			t.Errorf("%s:\n got %s at %s\nwant %q at %s", c.src, d.Detail, at, c.want, c.at)
		}
	}
}
