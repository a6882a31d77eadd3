package policies

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	// Time zones resolve without the system's zoneinfo too (a minimal
	// container): a window means the same wherever fleetport runs.
	_ "time/tzdata"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
)

// Window is a maintenance window of the rollout block: the days it opens
// (every day when Days is empty), the time it opens (From) and closes (To)
// on the clock of TimeZone (an IANA name, UTC when empty). A window whose
// To is at or before its From crosses midnight: it closes the next day,
// and Days name the day it opens.
//
//	window {
//	  days      = ["sat", "sun"]
//	  from      = "22:00"
//	  to        = "04:00"
//	  time_zone = "Europe/Paris"
//	}
type Window struct {
	Days     []string `json:"days,omitempty"`
	From     string   `json:"from"`
	To       string   `json:"to"`
	TimeZone string   `json:"time_zone,omitempty"`
}

// ParsedWindow is a Window read: Days[time.Sunday..time.Saturday] says
// whether it opens that day; From and To are offsets into the day on the
// clock of Location.
type ParsedWindow struct {
	Days     [7]bool
	From, To time.Duration
	Location *time.Location
}

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

// ParseDay reads a day name: mon..sun, or the whole English name.
func ParseDay(s string) (time.Weekday, error) {
	d, ok := dayNames[strings.ToLower(strings.TrimSpace(s))]
	if !ok {
		return 0, fmt.Errorf("%q is not a day: use mon, tue, wed, thu, fri, sat or sun", s)
	}
	return d, nil
}

// parseClock reads "HH:MM" (00:00 to 24:00).
func parseClock(s string) (time.Duration, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || len(h) != 2 || len(m) != 2 || err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || hh == 24 && mm != 0 {
		return 0, fmt.Errorf("%q is not a time of day such as \"22:00\"", s)
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}

// Parse checks the window and reads it.
func (w Window) Parse() (ParsedWindow, error) {
	var p ParsedWindow
	if len(w.Days) == 0 {
		p.Days = [7]bool{true, true, true, true, true, true, true}
	}
	for _, s := range w.Days {
		d, err := ParseDay(s)
		if err != nil {
			return p, err
		}
		p.Days[d] = true
	}
	var err error
	if p.From, err = parseClock(w.From); err != nil {
		return p, fmt.Errorf("from: %w", err)
	}
	if p.To, err = parseClock(w.To); err != nil {
		return p, fmt.Errorf("to: %w", err)
	}
	if p.From == p.To || p.From == 24*time.Hour {
		return p, fmt.Errorf("from %s to %s is an empty window", w.From, w.To)
	}
	tz := w.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	if strings.EqualFold(tz, "local") {
		return p, fmt.Errorf("time_zone %q: name the zone (Europe/Paris, UTC): the controller's local zone may differ from the hosts'", w.TimeZone)
	}
	if p.Location, err = time.LoadLocation(tz); err != nil {
		return p, fmt.Errorf("time_zone %q is not a time zone name such as \"Europe/Paris\" or \"UTC\"", w.TimeZone)
	}
	return p, nil
}

// String says the window as the rollout block writes it.
func (w Window) String() string {
	days := "every day"
	if len(w.Days) > 0 {
		days = strings.Join(w.Days, ",")
	}
	tz := w.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	return fmt.Sprintf("%s %s-%s %s", days, w.From, w.To, tz)
}

// Outside-window choices of the rollout block and of apply.
const (
	OutsideWindowWait   = "wait"
	OutsideWindowRefuse = "refuse"
)

// decodeWindow reads one window block, each error located at its
// attribute.
func decodeWindow(b *hcl.Block) (Window, hcl.Diagnostics) {
	var w Window
	attrs, diags := b.Body.JustAttributes()
	if diags.HasErrors() {
		return w, diags
	}
	bad := func(rng hcl.Range, detail string) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid maintenance window", Detail: detail, Subject: rng.Ptr()})
	}
	for name, a := range attrs {
		var ds hcl.Diagnostics
		switch name {
		case "days":
			ds = gohcl.DecodeExpression(a.Expr, nil, &w.Days)
			for _, d := range w.Days {
				if _, err := ParseDay(d); err != nil {
					bad(a.Expr.Range(), err.Error()+".")
				}
			}
		case "from", "to":
			var s string
			if ds = gohcl.DecodeExpression(a.Expr, nil, &s); !ds.HasErrors() {
				if _, err := parseClock(s); err != nil {
					bad(a.Expr.Range(), name+" "+err.Error()+".")
				}
			}
			if name == "from" {
				w.From = s
			} else {
				w.To = s
			}
		case "time_zone":
			if ds = gohcl.DecodeExpression(a.Expr, nil, &w.TimeZone); !ds.HasErrors() {
				if _, err := (Window{From: "00:00", To: "01:00", TimeZone: w.TimeZone}).Parse(); err != nil {
					bad(a.Expr.Range(), err.Error()+".")
				}
			}
		default:
			bad(a.NameRange, fmt.Sprintf("A window has days, from, to and time_zone; %q is not one of them.", name))
		}
		diags = append(diags, ds...)
	}
	for _, name := range []string{"from", "to"} {
		if _, ok := attrs[name]; !ok {
			bad(b.DefRange, fmt.Sprintf("A window needs %q (a time of day such as \"22:00\").", name))
		}
	}
	if !diags.HasErrors() {
		if _, err := w.Parse(); err != nil {
			bad(b.DefRange, err.Error()+".")
		}
	}
	slices.SortFunc(diags, func(x, y *hcl.Diagnostic) int {
		if x.Subject == nil || y.Subject == nil {
			return 0
		}
		return x.Subject.Start.Byte - y.Subject.Start.Byte
	})
	return w, diags
}
