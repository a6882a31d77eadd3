package collect

import (
	"bytes"
	"context"
	"errors"
	"sort"

	"github.com/fleetport/fleetport/internal/facts"
	"github.com/fleetport/fleetport/internal/parse"
	"github.com/fleetport/fleetport/internal/remote"
	"github.com/fleetport/fleetport/policies"
)

// collector runs one host's commands on its session and files what they
// print into the host's facts.
type collector struct {
	s Session
	h *facts.Host
}

// run runs one command. A session error (the host went away, a deadline)
// ends the host's collection; a command that failed or printed something
// unreadable only costs its own fact.
func (c *collector) run(ctx context.Context, line string) (remote.Result, error) {
	return c.s.Run(ctx, remote.Command{Line: line})
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
	return nil
}

// facts fetches what the needs name.
func (c *collector) facts(ctx context.Context, n policies.Needs) error {
	release := ""
	if c.h.OS != nil {
		release = c.h.OS.Release
	}
	if n.Sockets {
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
	if release != "2003" {
		for _, pr := range n.PortRanges {
			if err := c.portRange(ctx, pr); err != nil {
				return err
			}
		}
	}
	for _, sv := range n.Services {
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
	s, err := parse.ParseNetstat(bytes.NewReader(res.Stdout), parse.Options{})
	if err != nil {
		c.parseFailed(facts.FactSockets, line, res, err)
		return nil
	}
	c.h.Sockets = &s
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
	return nil
}
