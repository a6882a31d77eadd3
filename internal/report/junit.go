package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/fleetport/fleetport/internal/drift"
)

// The JUnit XML form: one test suite per policy, one test case per host
// the policy was judged on. fail and pending are failures (type is the
// severity), unknown an error, waived and not-applicable skipped (the
// message of a waived one names the waiver), pass a plain test case.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"timestamp,attr,omitempty"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	ClassName string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr,omitempty"`
}

func writeJUnit(w io.Writer, r *drift.Report) error {
	v := newView(r)
	doc := junitSuites{Name: "fleetport drift"}
	if !r.Generated.IsZero() {
		doc.Time = r.Generated.UTC().Format("2006-01-02T15:04:05")
	}
	for _, p := range v.InReportOrder {
		s := junitSuite{Name: cleanText(p.Name), Time: doc.Time}
		s.Properties = append(s.Properties, junitProperty{"severity", p.Severity.String()})
		if pv := r.Provenance; pv != nil {
			// Every suite says what made the report (testsuites has no
			// properties of its own).
			s.Properties = append(s.Properties, junitProperty{"fleetport", cleanText(pv.Fleetport)}, junitProperty{"run", fmt.Sprint(pv.Run)},
				junitProperty{"inventory", cleanText(pv.Inventory)}, junitProperty{"policies", cleanText(pv.Policies)})
		}
		if p.Description != "" {
			s.Properties = append(s.Properties, junitProperty{"description", cleanText(p.Description)})
		}
		if p.Source != "" {
			s.Properties = append(s.Properties, junitProperty{"source", cleanText(p.Source)})
		}
		for i := range r.Hosts {
			h := &r.Hosts[i]
			vd, ok := verdictOf(h, p.Name)
			if !ok {
				continue
			}
			c := junitCase{ClassName: cleanText(p.Name), Name: cleanText(h.Name)}
			var rows []row
			for _, rw := range v.hostRows[h] {
				if rw.Policy == p.Name {
					rows = append(rows, rw)
				}
			}
			switch vd.Result {
			case drift.Fail, drift.Pending:
				c.Failure = &junitProblem{Message: problemMessage(vd, rows), Type: p.Severity.String(), Text: problemText(h, rows)}
				s.Failures++
			case drift.Unknown:
				c.Error = &junitProblem{Message: problemMessage(vd, rows), Type: "unknown", Text: problemText(h, rows)}
				s.Errors++
			case drift.Waived:
				msg := "waived"
				for _, rw := range rows {
					if rw.Waiver != nil {
						msg = rw.Waiver.Text()
						break
					}
				}
				c.Skipped = &junitSkipped{Message: cleanText(oneLine(msg))}
				s.Skipped++
			case drift.NotApplicable:
				c.Skipped = &junitSkipped{Message: cleanText(orText(vd.Reason, "not applicable"))}
				s.Skipped++
			}
			s.Tests++
			s.Cases = append(s.Cases, c)
		}
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Skipped += s.Skipped
		doc.Suites = append(doc.Suites, s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// verdictOf finds the host's verdict on a policy.
func verdictOf(h *drift.HostReport, policy string) (drift.Verdict, bool) {
	for _, vd := range h.Verdicts {
		if vd.Policy == policy {
			return vd, true
		}
	}
	return drift.Verdict{}, false
}

func orText(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// problemMessage is one line: the result and the first finding, with how
// many more there are.
func problemMessage(vd drift.Verdict, rows []row) string {
	msg := vd.Result.String()
	if len(rows) > 0 {
		rw := rows[0]
		if rw.Finding != nil {
			msg += ": " + rw.Rule + ": expected " + orText(rw.Expected, "-") + ", actual " + orText(rw.Actual, "-")
		} else {
			msg += ": " + rw.Actual
		}
		if len(rows) > 1 {
			msg += fmt.Sprintf(" (and %d more)", len(rows)-1)
		}
	} else if vd.Reason != "" {
		msg += ": " + vd.Reason
	}
	return cleanText(oneLine(msg))
}

// problemText lists every finding with its fix and evidence.
func problemText(h *drift.HostReport, rows []row) string {
	var b strings.Builder
	if h.Status.String() != "ok" {
		fmt.Fprintf(&b, "collection: %s\n", hostError(h))
	}
	for _, rw := range rows {
		if rw.Finding == nil {
			fmt.Fprintf(&b, "%s: %s\n", rw.Result, rw.Actual)
			continue
		}
		fmt.Fprintf(&b, "%s %s", rw.Result, rw.Rule)
		if rw.Source != "" {
			fmt.Fprintf(&b, " (%s)", rw.Source)
		}
		fmt.Fprintf(&b, "\n  expected: %s\n  actual:   %s\n", rw.Expected, rw.Actual)
		if rw.Fix != "" {
			fmt.Fprintf(&b, "  in effect: %s\n", rw.Fix)
		}
		if len(rw.Evidence) > 0 {
			b.WriteString("  evidence:\n")
			for _, e := range rw.Evidence {
				src := evidenceSource(e)
				if src != "" {
					src += ": "
				}
				fmt.Fprintf(&b, "    %s%s\n", src, flat(capRunes(e.Text, maxEvidenceRunes)))
			}
		}
	}
	return cleanText(b.String())
}
