package report

import (
	"time"

	"github.com/fleetport/fleetport/internal/drift"
	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/policies"
)

// handReport is a small report built by hand, shaped like the drift
// engine's output on a simulated fleet: a failing IIS host with a pending
// reboot, an SMTP host binding every address, a client host piling up
// TIME_WAIT, a German 2003 host whose netstat did not parse, a host that
// timed out and one that refused the connection, and a compliant host. It
// carries changes since an earlier run.
func handReport() *drift.Report {
	at := time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC)
	pol := func(name, desc string, sev policies.Severity, src string, refs ...string) drift.PolicyInfo {
		return drift.PolicyInfo{Name: name, Description: desc, Severity: sev, Source: src, References: refs}
	}
	r := &drift.Report{
		Schema:    drift.SchemaID,
		Version:   drift.SchemaVersion,
		Generated: at,
		Run:       drift.RunInfo{ID: 42, Started: at.Add(-3 * time.Minute), Finished: at.Add(-time.Minute), Status: "done"},
		Provenance: &drift.Provenance{Fleetport: "v1.4.0", Run: 42,
			Inventory: "sha256:6f1c0e8a9b2d4c7e5a3f1b0d9c8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e",
			Policies:  "sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"},
		Policies: []drift.PolicyInfo{
			pol("winrm_listen_list_access", "The http.sys IP listen list must include the management address, or WinRM stops answering.", policies.SeverityCritical, "builtin/listen_list.hcl:52", "KB 954874"),
			pol("http_listen_list", "IIS hosts must list their service address in the http.sys IP listen list so http.sys does not listen on every address.", policies.SeverityHigh, "builtin/listen_list.hcl:1", "KB 954874", "windows-semantics.md#httpsys"),
			pol("max_user_port", "Servers that open many outbound connections need the whole ephemeral range (MaxUserPort 65534).", policies.SeverityHigh, "builtin/ephemeral_ports.hcl:1", "KB 196271"),
			pol("time_wait_pressure", "Fewer than 2000 sockets may wait in TIME_WAIT.", policies.SeverityHigh, "builtin/ephemeral_ports.hcl:40"),
			pol("tcp_timed_wait_delay", "TIME_WAIT lasts at most 30 seconds.", policies.SeverityMedium, "builtin/ephemeral_ports.hcl:20", "KB 149532"),
			pol("smtp_socket_pooling", "The SMTP service binds its service address only, not 0.0.0.0:25.", policies.SeverityMedium, "builtin/socket_pooling.hcl:1", "KB 281760"),
			pol("wininet_connections_per_server", "Clients may open more than two connections per server.", policies.SeverityInfo, "builtin/connection_limits.hcl:30"),
			{Name: "fleetport.wildcard_binds", Description: "Listeners on a wildcard address while a service address is configured.", Severity: policies.SeverityLow, CrossFact: true},
		},
	}
	ev := func(cmd string, line int, text string) drift.Evidence {
		return drift.Evidence{Command: cmd, Line: line, Text: text}
	}
	host := func(name, addr, os string, build uint32, locale string, status facts.Status, errText string, groups ...string) drift.HostReport {
		h := drift.HostReport{Name: name, Address: addr, OS: os, Build: build, Locale: locale, Status: status, Error: errText,
			Groups: groups, Site: "fra1", TimeWait: 12, WildcardBinds: 0, Findings: []drift.Finding{}}
		if status == facts.StatusOK || status == facts.StatusParseError {
			h.Collected = at.Add(-2 * time.Minute)
		}
		return h
	}
	verdicts := func(h *drift.HostReport, results map[string]drift.Result, reasons map[string]string) {
		for _, p := range r.Policies {
			res, ok := results[p.Name]
			if !ok {
				res = drift.Pass
			}
			h.Verdicts = append(h.Verdicts, drift.Verdict{Policy: p.Name, Result: res, Reason: reasons[p.Name]})
		}
	}
	na := "the host has no IIS role"

	app01 := host("app01", "10.10.1.21", "2016", 14393, "en-US", facts.StatusOK, "", "app")
	app01.TimeWait = 4712
	app01.Findings = []drift.Finding{
		{Host: "app01", Policy: "time_wait_pressure", Rule: "connections", Source: "builtin/ephemeral_ports.hcl:44", Severity: policies.SeverityHigh,
			Result: drift.Fail, Expected: "< 2000 in TIME_WAIT", Actual: "4712 in TIME_WAIT (3901 to 10.30.0.5:1433)",
			Evidence: []drift.Evidence{ev("netstat -ano", 0, "4712 sockets in TIME_WAIT; top remote 10.30.0.5:1433 (3901)")},
			Fix:      drift.FixManual, FixDetail: "find the client opening a connection per request"},
		{Host: "app01", Policy: "tcp_timed_wait_delay", Rule: `registry "TcpTimedWaitDelay"`, Source: "builtin/ephemeral_ports.hcl:23", Severity: policies.SeverityMedium,
			Result: drift.Fail, Expected: "<= 30", Actual: "240",
			Evidence: []drift.Evidence{ev(`reg query "HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters" /v TcpTimedWaitDelay`, 3, "    TcpTimedWaitDelay    REG_DWORD    0xf0")},
			Fix:      drift.FixReboot},
	}
	verdicts(&app01, map[string]drift.Result{"time_wait_pressure": drift.Fail, "tcp_timed_wait_delay": drift.Fail,
		"http_listen_list": drift.NotApplicable, "smtp_socket_pooling": drift.NotApplicable}, map[string]string{"http_listen_list": na, "smtp_socket_pooling": "the host has no SMTP role"})

	db07 := host("db07", "10.10.2.7", "", 0, "", facts.StatusTimeout, "no answer within 30s (WinRM operation timeout)", "db")
	db07.TimeWait, db07.WildcardBinds = -1, -1
	reasons := map[string]string{}
	results := map[string]drift.Result{}
	for _, p := range r.Policies {
		reasons[p.Name] = "host not collected: timeout"
		results[p.Name] = drift.Unknown
		db07.Findings = append(db07.Findings, drift.Finding{Host: "db07", Policy: p.Name, Rule: "host", Severity: p.Severity, Result: drift.Unknown,
			Expected: "collected facts", Actual: "not collected (timeout)", Evidence: []drift.Evidence{{Text: "no answer within 30s (WinRM operation timeout)"}}, Fix: drift.FixManual,
			FixDetail: "check that WinRM answers on 10.10.2.7:5985"})
	}
	verdicts(&db07, results, reasons)

	dc01 := host("dc01", "10.10.0.5", "2003", 3790, "de-DE", facts.StatusParseError, `netstat -ano: line 14: unknown state "ABHÖREN?"`, "dc")
	dc01.TimeWait, dc01.WildcardBinds = -1, -1
	dc01.Findings = []drift.Finding{
		{Host: "dc01", Policy: "time_wait_pressure", Rule: "connections", Source: "builtin/ephemeral_ports.hcl:44", Severity: policies.SeverityHigh,
			Result: drift.Unknown, Expected: "< 2000 in TIME_WAIT", Actual: "fact sockets missing (parse-error)",
			Evidence: []drift.Evidence{ev("netstat -ano", 14, "  TCP    0.0.0.0:135            0.0.0.0:0              ABHÖREN?       884")}, Fix: drift.FixManual},
		{Host: "dc01", Policy: "fleetport.wildcard_binds", Rule: "sockets", Severity: policies.SeverityLow,
			Result: drift.Unknown, Expected: "no wildcard listener", Actual: "fact sockets missing (parse-error)",
			Evidence: []drift.Evidence{{Text: "fact sockets missing: netstat -ano did not parse"}}, Fix: drift.FixManual},
	}
	verdicts(&dc01, map[string]drift.Result{"time_wait_pressure": drift.Unknown, "fleetport.wildcard_binds": drift.Unknown,
		"http_listen_list": drift.NotApplicable, "smtp_socket_pooling": drift.NotApplicable, "winrm_listen_list_access": drift.NotApplicable},
		map[string]string{"time_wait_pressure": "fact sockets missing", "fleetport.wildcard_binds": "fact sockets missing",
			"http_listen_list": na, "smtp_socket_pooling": "the host has no SMTP role", "winrm_listen_list_access": "Windows 2003 has no http.sys listen list for WinRM"})

	lb02 := host("lb02", "10.10.0.9", "", 0, "", facts.StatusUnreachable, "dial tcp 10.10.0.9:5985: connect: connection refused", "edge")
	lb02.TimeWait, lb02.WildcardBinds = -1, -1
	lb02.Findings = nil
	results, reasons = map[string]drift.Result{}, map[string]string{}
	for _, p := range r.Policies {
		results[p.Name] = drift.Unknown
		reasons[p.Name] = "host not collected: unreachable"
	}
	verdicts(&lb02, results, reasons)

	mail01 := host("mail01", "10.10.3.25", "2012 R2", 9600, "fr-FR", facts.StatusOK, "", "mail")
	mail01.WildcardBinds = 2
	mail01.Findings = []drift.Finding{
		{Host: "mail01", Policy: "smtp_socket_pooling", Rule: "listener 25/tcp", Source: "builtin/socket_pooling.hcl:6", Severity: policies.SeverityMedium,
			Result: drift.Fail, Expected: "10.20.3.25:25 only", Actual: "0.0.0.0:25 | [::]:25 (`SMTPSVC` pools every address)",
			Evidence: []drift.Evidence{
				ev("netstat -ano", 7, "  TCP    0.0.0.0:25             0.0.0.0:0              LISTENING       1876"),
				ev("netstat -ano", 31, "  TCP    [::]:25                [::]:0                 LISTENING       1876"),
			},
			Fix: drift.FixServiceRestart, FixDetail: "SMTPSVC"},
		{Host: "mail01", Policy: "fleetport.wildcard_binds", Rule: "listener 25/tcp", Severity: policies.SeverityLow,
			Result: drift.Fail, Expected: "bound to 10.20.3.25", Actual: "0.0.0.0:25, [::]:25",
			Evidence: []drift.Evidence{ev("netstat -ano", 7, "  TCP    0.0.0.0:25             0.0.0.0:0              LISTENING       1876")},
			Fix:      drift.FixServiceRestart, FixDetail: "SMTPSVC"},
	}
	verdicts(&mail01, map[string]drift.Result{"smtp_socket_pooling": drift.Fail, "fleetport.wildcard_binds": drift.Fail,
		"http_listen_list": drift.NotApplicable}, map[string]string{"http_listen_list": na})

	web01 := host("web01", "10.10.0.11", "2019", 17763, "en-US", facts.StatusOK, "", "web", "iis")
	web01.WildcardBinds = 1
	web01.Findings = []drift.Finding{
		{Host: "web01", Policy: "http_listen_list", Rule: "listen_list", Source: "builtin/listen_list.hcl:9", Severity: policies.SeverityHigh,
			Result: drift.Fail, Expected: "includes 10.20.0.11", Actual: "empty (http.sys listens on every address)",
			Evidence: []drift.Evidence{ev("netsh http show iplisten", 4, "IP addresses present in the IP listen list:"), ev("netsh http show iplisten", 5, "-------------------------------------------")},
			Fix:      drift.FixServiceRestart, FixDetail: "HTTP (and W3SVC, WinRM)"},
		{Host: "web01", Policy: "max_user_port", Rule: `registry "MaxUserPort"`, Source: "builtin/ephemeral_ports.hcl:5", Severity: policies.SeverityHigh,
			Result: drift.Pending, Expected: ">= 65534", Actual: "65534 configured, 5000 in effect until reboot",
			Evidence: []drift.Evidence{ev(`reg query "HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters" /v MaxUserPort`, 3, "    MaxUserPort    REG_DWORD    0xfffe")},
			Fix:      drift.FixReboot},
		{Host: "web01", Policy: "fleetport.wildcard_binds", Rule: "listener 80/tcp", Severity: policies.SeverityLow,
			Result: drift.Fail, Expected: "bound to 10.20.0.11", Actual: "0.0.0.0:80",
			Evidence: []drift.Evidence{ev("netstat -ano", 5, "  TCP    0.0.0.0:80             0.0.0.0:0              LISTENING       4")},
			Fix:      drift.FixServiceRestart, FixDetail: "HTTP"},
	}
	verdicts(&web01, map[string]drift.Result{"http_listen_list": drift.Fail, "max_user_port": drift.Pending, "fleetport.wildcard_binds": drift.Fail,
		"smtp_socket_pooling": drift.NotApplicable}, map[string]string{"smtp_socket_pooling": "the host has no SMTP role"})

	web02 := host("web02", "10.10.0.12", "2022", 20348, "en-US", facts.StatusOK, "", "web", "iis")
	verdicts(&web02, map[string]drift.Result{"smtp_socket_pooling": drift.NotApplicable}, map[string]string{"smtp_socket_pooling": "the host has no SMTP role"})

	web03 := host("web03", "10.10.0.13", "2022", 20348, "en-US", facts.StatusOK, "", "web", "iis")
	web03.Findings = []drift.Finding{
		{Host: "web03", Policy: "max_user_port", Rule: `registry "MaxUserPort"`, Source: "builtin/ephemeral_ports.hcl:5", Severity: policies.SeverityHigh,
			Result: drift.Pending, Expected: ">= 65534", Actual: "65534 configured, 16384 in effect until reboot",
			Evidence: []drift.Evidence{ev(`reg query "HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters" /v MaxUserPort`, 3, "    MaxUserPort    REG_DWORD    0xfffe")},
			Fix:      drift.FixReboot},
	}
	verdicts(&web03, map[string]drift.Result{"max_user_port": drift.Pending, "smtp_socket_pooling": drift.NotApplicable}, map[string]string{"smtp_socket_pooling": "the host has no SMTP role"})

	r.Hosts = []drift.HostReport{app01, db07, dc01, lb02, mail01, web01, web02, web03}
	r.Changes = &drift.Changes{
		Since: drift.RunInfo{ID: 41, Started: at.Add(-24 * time.Hour), Finished: at.Add(-24*time.Hour + 2*time.Minute), Status: "done"},
		Items: []drift.Change{
			{Kind: "new", Finding: web01.Findings[0]},
			{Kind: "new", Finding: web01.Findings[2]},
			{Kind: "fixed", Finding: drift.Finding{Host: "web02", Policy: "max_user_port", Rule: `registry "MaxUserPort"`, Source: "builtin/ephemeral_ports.hcl:5",
				Severity: policies.SeverityHigh, Result: drift.Fail, Expected: ">= 65534", Actual: "5000", Evidence: []drift.Evidence{}, Fix: drift.FixReboot}},
			{Kind: "changed", Finding: web01.Findings[1], BeforeResult: drift.Fail, BeforeActual: "5000"},
		},
	}
	finish(r)
	return r
}

// finish fills in what the drift engine derives: host roll-ups, the
// policies' counts, the summary and the change counts.
func finish(r *drift.Report) {
	r.Summary = drift.Summary{Hosts: len(r.Hosts), ByStatus: map[string]int{}, BySeverity: map[string]int{}, ByFix: map[string]int{}}
	for i := range r.Policies {
		r.Policies[i].Hosts = drift.Counts{}
	}
	for i := range r.Hosts {
		h := &r.Hosts[i]
		h.Result = drift.NotApplicable
		for _, v := range h.Verdicts {
			h.Result = max(h.Result, v.Result)
			for j := range r.Policies {
				if r.Policies[j].Name == v.Policy {
					r.Policies[j].Hosts.Add(v.Result)
				}
			}
		}
		r.Summary.ByStatus[h.Status.String()]++
		r.Summary.Results.Add(h.Result)
		for _, f := range h.Findings {
			r.Summary.Findings++
			if f.Result == drift.Waived {
				r.Summary.Waived++
			}
			if f.Result.IsDrift() {
				r.Summary.BySeverity[f.Severity.String()]++
				r.Summary.ByFix[string(f.Fix)]++
			}
		}
	}
	if c := r.Changes; c != nil {
		c.New, c.Fixed, c.Changed, c.Waived, c.Unwaived = 0, 0, 0, 0, 0
		for _, it := range c.Items {
			switch it.Kind {
			case drift.ChangeWaived:
				c.Waived++
			case drift.ChangeUnwaived:
				c.Unwaived++
			case "new":
				c.New++
			case "fixed":
				c.Fixed++
			case "changed":
				c.Changed++
			}
		}
	}
}

// waivedReport is the hand-built report with waivers: app01's
// TcpTimedWaitDelay and web03's pending MaxUserPort are waived (app01 still
// fails time_wait_pressure; web03 has nothing else, so it rolls up to
// waived), one waiver has expired, and the change since the earlier run
// says "waived" for app01's finding.
func waivedReport() *drift.Report {
	r := handReport()
	batch := &drift.WaiverRef{Name: "batch-window", Reason: "the nightly batch needs long TIME_WAIT until the job moves (CHG-4711)",
		Until: "2026-06-30", Source: "policies/waivers.hcl:3"}
	reboot := &drift.WaiverRef{Name: "web03-reboot", Reason: "reboot in the May window", Until: "2026-05-31", Source: "policies/waivers.hcl:10"}
	waive := func(host, policy string, ref *drift.WaiverRef) {
		for i := range r.Hosts {
			h := &r.Hosts[i]
			if h.Name != host {
				continue
			}
			for j := range h.Findings {
				if h.Findings[j].Policy == policy {
					h.Findings[j].Result, h.Findings[j].Waiver = drift.Waived, ref
				}
			}
			for j := range h.Verdicts {
				if h.Verdicts[j].Policy == policy {
					h.Verdicts[j].Result, h.Verdicts[j].Reason = drift.Waived, ref.Text()
				}
			}
		}
	}
	waive("app01", "tcp_timed_wait_delay", batch)
	waive("web03", "max_user_port", reboot)
	r.Waivers = []drift.WaiverInfo{
		{Name: "batch-window", Policy: "tcp_timed_wait_delay", Hosts: []string{"app01"}, Reason: batch.Reason, Until: batch.Until,
			Source: batch.Source, State: drift.WaiverActive, Waived: 1},
		{Name: "web03-reboot", Policy: "max_user_port", Limit: "web03", Reason: reboot.Reason, Until: reboot.Until,
			Source: reboot.Source, State: drift.WaiverActive, Waived: 1},
		{Name: "old-relay", Policy: "smtp_socket_pooling", Hosts: []string{"mail01"}, Reason: "relay replaced in January",
			Until: "2026-02-28", Source: "policies/waivers.hcl:17", State: drift.WaiverExpired},
	}
	for _, h := range r.Hosts {
		if h.Name == "app01" {
			for _, f := range h.Findings {
				if f.Result == drift.Waived {
					r.Changes.Items = append(r.Changes.Items, drift.Change{Kind: drift.ChangeWaived, Finding: f, BeforeResult: drift.Fail, BeforeActual: f.Actual})
				}
			}
		}
	}
	finish(r)
	return r
}
