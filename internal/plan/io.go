package plan

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// MaxBytes caps what Read accepts.
const MaxBytes = 64 << 20

const maxPlanBytes = MaxBytes

// Write writes the plan as indented JSON with a trailing newline.
func (p *Plan) Write(w io.Writer) error {
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	data = append(data, '\n')
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	return nil
}

// Read reads a plan that Write wrote and checks it before anything runs
// it: the version is SchemaVersion; host names and action IDs are unique;
// every action carries the one change its kind names, and its probe,
// commands and undo are exactly what the renderer makes of that change
// (so no command line can be edited in, and none holds a line break, a
// percent sign, a caret or an operator of cmd's outside quotes); every
// effect renders; every host's fingerprint is present and matches its
// actions. The error says what is wrong; on error the plan is nil.
func Read(r io.Reader) (*Plan, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxPlanBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	if len(data) > maxPlanBytes {
		return nil, fmt.Errorf("read plan: larger than %d bytes", maxPlanBytes)
	}
	var p Plan
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	return &p, nil
}

// check validates a plan read from outside.
func (p *Plan) check() error {
	if p.Version != SchemaVersion {
		return fmt.Errorf("version %d, this fleetport reads version %d", p.Version, SchemaVersion)
	}
	hosts := map[string]bool{}
	ids := map[string]bool{}
	for i := range p.Hosts {
		h := &p.Hosts[i]
		if h.Host == "" || hosts[h.Host] {
			return fmt.Errorf("host %q is empty or listed twice", h.Host)
		}
		hosts[h.Host] = true
		if err := checkText(h.Host); err != nil || strings.Contains(h.Host, "/") {
			return fmt.Errorf("host name %q is not a plain name", h.Host)
		}
		for j := range h.Actions {
			a := &h.Actions[j]
			if !strings.HasPrefix(a.ID, h.Host+"/") || ids[a.ID] {
				return fmt.Errorf("host %s: action ID %q is not host/policy/index or is not unique", h.Host, a.ID)
			}
			ids[a.ID] = true
			if err := a.check(); err != nil {
				return fmt.Errorf("host %s: action %s: %w", h.Host, a.ID, err)
			}
		}
		if h.Fingerprint == "" {
			return fmt.Errorf("host %s: no fingerprint", h.Host)
		}
		if fp := Fingerprint(h.Actions); fp != h.Fingerprint {
			return fmt.Errorf("host %s: the fingerprint does not match the actions' states before (the plan was edited)", h.Host)
		}
		if _, _, err := EffectCommands(h.Effect, h.Release, nil); err != nil {
			return fmt.Errorf("host %s: effect: %w", h.Host, err)
		}
		for j := range h.Actions {
			if _, _, err := EffectCommands(h.Actions[j].Effect, h.Release, nil); err != nil {
				return fmt.Errorf("host %s: action %s: effect: %w", h.Host, h.Actions[j].ID, err)
			}
		}
		for _, pe := range h.Pending {
			if _, _, err := EffectCommands(pe.Effect, h.Release, nil); err != nil {
				return fmt.Errorf("host %s: pending %s: effect: %w", h.Host, pe.Rule, err)
			}
			if err := noControl(pe.Check + pe.Rule); err != nil {
				return fmt.Errorf("host %s: %w", h.Host, err)
			}
		}
		if need := h.Needed(); !SameStep(h.Effect, need) {
			return fmt.Errorf("host %s: the effect %q is not what its actions need (%s): the plan was edited", h.Host, h.Effect.Kind, need.Summary)
		}
		if len(h.Actions) == 0 && h.Effect.Kind == EffectNone {
			return fmt.Errorf("host %s: nothing to do", h.Host)
		}
		for _, s := range append([]string{h.Effect.Summary, h.Release, h.Address}, h.Verify...) {
			if err := noControl(s); err != nil {
				return fmt.Errorf("host %s: %w", h.Host, err)
			}
		}
	}
	return nil
}

// check validates one action: its change renders to exactly its lines.
func (a *Action) check() error {
	if a.Policy == "" || noControl(a.Policy) != nil || noControl(a.Summary) != nil {
		return errors.New("policy or summary missing or holding a control character")
	}
	probe, cmds, undo, err := render(a)
	if err != nil {
		return err
	}
	if a.Probe != probe || !slices.Equal(a.Commands, cmds) || !slices.Equal(a.Undo, undo) {
		for _, l := range append(append([]string{a.Probe}, a.Commands...), a.Undo...) {
			if err := saneLine(l); err != nil {
				return err
			}
		}
		return errors.New("its commands are not the ones its change renders to (the plan was edited)")
	}
	for _, l := range append(append([]string{probe}, cmds...), undo...) {
		if err := saneLine(l); err != nil {
			return err
		}
	}
	return nil
}

func noControl(s string) error {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%q holds a control character", s)
		}
	}
	return nil
}

// effectCondition says when a host's effect runs.
func effectCondition(h *HostPlan) string {
	if h.Effect.Kind == EffectNone || h.Effect.Kind == "" {
		return ""
	}
	if len(h.Pending) == 0 {
		return " (only if a change is made)"
	}
	var rules []string
	for _, p := range h.Pending {
		rules = append(rules, p.Rule)
	}
	return " (only if a change is made, or while " + strings.Join(rules, ", ") + " is still not in effect)"
}

// Counts counts the hosts with something to change, their actions, and
// the hosts whose effect is a reboot or a service restart.
func (p *Plan) Counts() (hosts, actions, reboots, restarts int) {
	for _, h := range p.Hosts {
		actions += len(h.Actions)
		switch h.Effect.Kind {
		case EffectReboot:
			reboots++
		case EffectServiceRestart:
			restarts++
		}
	}
	return len(p.Hosts), actions, reboots, restarts
}

// ANSI styles of WriteText.
const (
	styleBold   = "\x1b[1m"
	styleDim    = "\x1b[2m"
	styleRed    = "\x1b[31m"
	styleYellow = "\x1b[33m"
	styleReset  = "\x1b[0m"
)

// WriteText writes the plan for people: per host its name, release and
// address, each action as "policy: summary" with its commands, the
// effect step with its commands, what is verified, and then the host's
// refusals and manual items; hosts with only refusals or manual items
// follow in name order too. A final line counts hosts, actions, reboots
// and service restarts. color adds ANSI styles.
func WriteText(w io.Writer, p *Plan, color bool) error {
	return WriteTextAs(w, p, fmt.Sprintf("plan of run %d, %s", p.Run, p.Created.UTC().Format("2006-01-02 15:04:05 UTC")), color)
}

// WriteTextAs is WriteText under another first line (a rollback's plan
// says whose rollback it is).
func WriteTextAs(w io.Writer, p *Plan, title string, color bool) error {
	st := func(style, s string) string {
		if !color {
			return s
		}
		return style + s + styleReset
	}
	var b strings.Builder
	byHost := map[string]*HostPlan{}
	var names []string
	add := func(n string) {
		if _, ok := byHost[n]; !ok {
			byHost[n] = nil
			names = append(names, n)
		}
	}
	for i := range p.Hosts {
		add(p.Hosts[i].Host)
		byHost[p.Hosts[i].Host] = &p.Hosts[i]
	}
	for _, r := range p.Refused {
		add(r.Host)
	}
	for _, m := range p.Manual {
		add(m.Host)
	}
	slices.Sort(names)
	b.WriteString(title + "\n")
	for _, n := range names {
		b.WriteString("\n")
		h := byHost[n]
		if h == nil {
			b.WriteString(st(styleBold, n) + "\n")
		} else {
			rel := h.Release
			if rel == "" {
				rel = "release unknown"
			}
			fmt.Fprintf(&b, "%s (%s, %s)\n", st(styleBold, n), rel, h.ManagementAddress)
			for _, a := range h.Actions {
				fmt.Fprintf(&b, "  %s: %s\n", a.Policy, a.Summary)
				for _, c := range a.Commands {
					b.WriteString("      " + st(styleDim, c) + "\n")
				}
			}
			fmt.Fprintf(&b, "  effect: %s%s\n", h.Effect.Summary, effectCondition(h))
			cmds, _, err := EffectCommands(h.Effect, h.Release, nil)
			if err != nil {
				return fmt.Errorf("write plan: host %s: %w", n, err)
			}
			for _, c := range cmds {
				b.WriteString("      " + st(styleDim, c) + "\n")
			}
			if len(h.Verify) > 0 {
				fmt.Fprintf(&b, "  verify: %s\n", strings.Join(h.Verify, ", "))
			}
		}
		for _, r := range p.Refused {
			if r.Host == n {
				fmt.Fprintf(&b, "  %s %s: %s\n", st(styleRed, "refused"), r.Policy, r.Reason)
			}
		}
		for _, m := range p.Manual {
			if m.Host == n {
				fmt.Fprintf(&b, "  %s %s %s: %s\n", st(styleYellow, "manual"), m.Policy, m.Rule, m.Detail)
			}
		}
	}
	hosts, actions, reboots, restarts := p.Counts()
	fmt.Fprintf(&b, "\n%d hosts, %d actions: %d reboots, %d service restarts\n", hosts, actions, reboots, restarts)
	_, err := io.WriteString(w, b.String())
	return err
}
