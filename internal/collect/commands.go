package collect

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/parse"
	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/policies"
)

// How much of a TIME_WAIT pile netstat's evidence keeps: a few rows per
// remote endpoint, for the first endpoints.
const (
	evidenceRowsPerRemote = 3
	evidenceRemotes       = 16
)

// collector runs one host's commands on its session and files what they
// print into the host's facts.
type collector struct {
	s Session
	h *facts.Host
	// ran holds the command lines run so far: a fact the roles needed
	// is not asked for twice.
	ran map[string]bool
}

// run runs one command. A session error (the host went away, a deadline)
// ends the host's collection; a command that failed or printed something
// unreadable only costs its own fact.
func (c *collector) run(ctx context.Context, line string) (remote.Result, error) {
	if c.ran == nil {
		c.ran = map[string]bool{}
	}
	c.ran[line] = true
	return c.s.Run(ctx, remote.Command{Line: line})
}

// roles fetches what the host's roles rest on (facts.Host.Roles): the
// role services' states, the socket table and, from 2008 R2 on, the URLs
// registered with http.sys.
func (c *collector) roles(ctx context.Context) error {
	if err := c.sockets(ctx); err != nil {
		return err
	}
	names := make([]string, 0, len(facts.RoleServices))
	for name := range facts.RoleServices {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := c.service(ctx, name); err != nil {
			return err
		}
	}
	if c.h.OS != nil && c.h.OS.Release != "2003" {
		return c.httpURLs(ctx)
	}
	return nil
}

// parseFailed records a fact that could not be read.
func (c *collector) parseFailed(fact, line string, res remote.Result, err error) {
	fe := facts.FactError{Fact: fact, Command: line, Status: facts.StatusParseError, ExitCode: res.ExitCode, Message: err.Error()}
	var pe *parse.Error
	if errors.As(err, &pe) {
		fe.Kind, fe.Line, fe.Text = pe.Kind, pe.Line, pe.Text
	}
	c.h.AddFactError(fe)
}

// unreadable records a fact whose output could not be parsed: a command
// that failed when it exited non-zero (its output is an error message, as
// on a release without the tool), an unreadable output otherwise. For
// commands whose non-zero exits carry data (httpcfg's 1168), the parse is
// tried first.
func (c *collector) unreadable(fact, line string, res remote.Result, err error) {
	if res.ExitCode != 0 {
		c.commandFailed(fact, line, res)
		return
	}
	c.parseFailed(fact, line, res, err)
}

func (c *collector) commandFailed(fact, line string, res remote.Result) {
	msg := string(bytes.TrimSpace(res.Stderr))
	if msg == "" {
		msg = string(bytes.TrimSpace(res.Stdout))
	}
	if len(msg) > 200 {
		msg = msg[:200]
	}
	c.h.AddFactError(facts.FactError{Fact: fact, Command: line, Status: facts.StatusCommandFailed, ExitCode: res.ExitCode, Message: msg})
}

// keep files a small command's whole output as evidence.
func (c *collector) keep(fact, line string, res remote.Result) {
	lines, _, err := parse.Lines(res.Stdout, parse.Options{})
	if err != nil {
		return
	}
	c.h.Outputs = append(c.h.Outputs, facts.NewOutput(fact, line, lines))
}

// keepReg files the lines of a reg query output that name the requested
// values (and the key's header line).
func (c *collector) keepReg(line string, res remote.Result, names []string) {
	lines, _, err := parse.Lines(res.Stdout, parse.Options{})
	if err != nil {
		return
	}
	o := facts.Output{Fact: facts.FactRegistry, Command: line, Total: len(lines)}
	for i, l := range lines {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		if strings.HasPrefix(strings.ToUpper(f[0]), "HKEY_") || len(f) >= 2 && strings.HasPrefix(f[1], "REG_") && slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, f[0]) }) {
			o.Keep(i+1, l)
		}
	}
	c.h.Outputs = append(c.h.Outputs, o)
}

// identity runs ver: the release decides which commands the rest needs.
func (c *collector) identity(ctx context.Context) error {
	const line = "ver"
	res, err := c.run(ctx, line)
	if err != nil {
		return err
	}
	v, err := parse.ParseVer(bytes.NewReader(res.Stdout), parse.Options{})
	if err != nil {
		c.parseFailed(facts.FactOS, line, res, err)
		return nil
	}
	c.h.OS = &v
	c.keep(facts.FactOS, line, res)
	return nil
}

// facts fetches what the needs name.
func (c *collector) facts(ctx context.Context, n policies.Needs) error {
	release := ""
	if c.h.OS != nil {
		release = c.h.OS.Release
	}
	if n.Sockets && !c.ran["netstat -ano"] {
		if err := c.sockets(ctx); err != nil {
			return err
		}
	}
	if n.ListenList {
		if err := c.listenList(ctx, release); err != nil {
			return err
		}
	}
	if err := c.registry(ctx, n.Registry); err != nil {
		return err
	}
	if len(n.Registry) > 0 {
		if err := c.bootTime(ctx); err != nil {
			return err
		}
	}
	if release != "2003" {
		for _, pr := range n.PortRanges {
			if err := c.portRange(ctx, pr); err != nil {
				return err
			}
		}
	}
	for _, sv := range n.Services {
		if c.ran["sc query "+sv.Name] {
			continue
		}
		if err := c.service(ctx, sv.Name); err != nil {
			return err
		}
	}
	return nil
}

func (c *collector) sockets(ctx context.Context) error {
	const line = "netstat -ano"
	res, err := c.run(ctx, line)
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		c.commandFailed(facts.FactSockets, line, res)
		return nil
	}
	out := facts.Output{Fact: facts.FactSockets, Command: line}
	perRemote := map[netip.AddrPort]int{}
	s, err := parse.ParseNetstat(bytes.NewReader(res.Stdout), parse.Options{Row: func(n int, text string, s *facts.Socket) {
		switch {
		case s.IsListener():
			out.Keep(n, text)
		case s.State == facts.StateTimeWait && perRemote[s.Remote] < evidenceRowsPerRemote && (perRemote[s.Remote] > 0 || len(perRemote) < evidenceRemotes):
			perRemote[s.Remote]++
			out.Keep(n, text)
		}
	}})
	if err != nil {
		c.parseFailed(facts.FactSockets, line, res, err)
		return nil
	}
	c.h.Sockets = &s
	out.Total = max(out.Total, bytes.Count(res.Stdout, []byte("\n")))
	c.h.Outputs = append(c.h.Outputs, out)
	return nil
}

func (c *collector) listenList(ctx context.Context, release string) error {
	line, parser := "netsh http show iplisten", parse.ParseIPListen
	if release == "2003" {
		line, parser = "httpcfg query iplisten", parse.ParseHttpcfg
	}
	res, err := c.run(ctx, line)
	if err != nil {
		return err
	}
	l, err := parser(bytes.NewReader(res.Stdout), parse.Options{})
	if err != nil {
		c.unreadable(facts.FactListenList, line, res, err)
		return nil
	}
	c.h.ListenList = &l
	c.keep(facts.FactListenList, line, res)
	if err := c.addresses(ctx); err != nil {
		return err
	}
	if release == "2003" || c.ran["netsh http show servicestate"] {
		return nil
	}
	return c.httpURLs(ctx)
}

// addresses reads the host's own IP addresses (ipconfig): a listen-list
// entry the host lacks is stale, and the planner never adds one.
func (c *collector) addresses(ctx context.Context) error {
	const line = "ipconfig"
	res, err := c.run(ctx, line)
	if err != nil {
		return err
	}
	addrs, err := parse.ParseIPConfig(bytes.NewReader(res.Stdout), parse.Options{})
	if err != nil {
		c.unreadable(facts.FactAddresses, line, res, err)
		return nil
	}
	if addrs == nil {
		addrs = []netip.Addr{}
	}
	c.h.Addresses = addrs
	c.keep(facts.FactAddresses, line, res)
	return nil
}

// httpURLs lists what is registered with http.sys (2008 R2 and later): a
// site bound to an address the listen list lacks is unreachable.
func (c *collector) httpURLs(ctx context.Context) error {
	const line = "netsh http show servicestate"
	res, err := c.run(ctx, line)
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		c.commandFailed(facts.FactHTTPURLs, line, res)
		return nil
	}
	urls, err := parse.ParseServiceState(bytes.NewReader(res.Stdout), parse.Options{})
	if err != nil {
		c.parseFailed(facts.FactHTTPURLs, line, res, err)
		return nil
	}
	if urls == nil {
		urls = []facts.HTTPURL{}
	}
	c.h.HTTPURLs = urls
	out := facts.Output{Fact: facts.FactHTTPURLs, Command: line}
	if lines, _, err := parse.Lines(res.Stdout, parse.Options{}); err == nil {
		out.Total = len(lines)
		for i, l := range lines {
			if f := strings.Fields(l); len(f) > 0 && strings.Contains(strings.ToLower(f[0]), "://") {
				out.Keep(i+1, l)
			}
		}
	}
	c.h.Outputs = append(c.h.Outputs, out)
	return nil
}

// bootTime asks when the host last started: a boot-time registry value
// changed after it is not in effect yet.
func (c *collector) bootTime(ctx context.Context) error {
	const line = "wmic os get LastBootUpTime /value"
	res, err := c.run(ctx, line)
	if err != nil {
		return err
	}
	t, err := parse.ParseBootTime(bytes.NewReader(res.Stdout), parse.Options{})
	if err != nil {
		c.unreadable(facts.FactBootTime, line, res, err)
		return nil
	}
	c.h.BootTime = t
	c.keep(facts.FactBootTime, line, res)
	return nil
}

// registry reads each needed key once (reg query KEY lists its values) and
// files the needed values, absent ones included.
func (c *collector) registry(ctx context.Context, vals []policies.RegistryValue) error {
	byKey := map[policies.RegistryKey][]string{}
	for _, v := range vals {
		byKey[v.Key] = append(byKey[v.Key], v.Name)
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	for _, k := range keys {
		// The key comes from the known set (policies.RegistryKey), so it
		// is safe to quote into the command line.
		line := `reg query "` + k + `"`
		res, err := c.run(ctx, line)
		if err != nil {
			return err
		}
		q, err := parse.ParseRegQueryOutput(res.Stdout, res.Stderr, res.ExitCode, parse.Options{})
		if err != nil {
			c.parseFailed(facts.FactRegistry, line, res, err)
			continue
		}
		for _, name := range byKey[policies.RegistryKey(k)] {
			c.h.Registry = append(c.h.Registry, q.Value(facts.CanonicalRegPath(k), name))
		}
		c.keepReg(line, res, byKey[policies.RegistryKey(k)])
	}
	return nil
}

func (c *collector) portRange(ctx context.Context, pr policies.PortRangeRef) error {
	line := "netsh int " + pr.Family.String() + " show dynamicport " + pr.Protocol.String()
	res, err := c.run(ctx, line)
	if err != nil {
		return err
	}
	r, err := parse.ParseDynamicPort(bytes.NewReader(res.Stdout), parse.Options{})
	if err != nil {
		c.unreadable(facts.FactDynamicPorts, line, res, err)
		return nil
	}
	r.Family = pr.Family.String()
	c.h.DynamicPorts = append(c.h.DynamicPorts, r)
	c.keep(facts.FactDynamicPorts, line, res)
	return nil
}

func (c *collector) service(ctx context.Context, name string) error {
	// Service names are validated by the policies (letters, digits, _-.$).
	line := "sc query " + name
	res, err := c.run(ctx, line)
	if err != nil {
		return err
	}
	q, err := parse.ParseSC(bytes.NewReader(res.Stdout), parse.Options{})
	if err != nil {
		c.parseFailed(facts.FactServices, line, res, err)
		return nil
	}
	if sv, ok := q.Service(name); ok {
		c.h.Services = append(c.h.Services, sv)
	} else if q.NotInstalled {
		c.h.Services = append(c.h.Services, facts.Service{Name: name, State: facts.ServiceNotInstalled})
	}
	c.keep(facts.FactServices, line, res)
	return nil
}
