package tui

import (
	"slices"
	"strings"
	"testing"
)

// applyTwo selects web0007, plans it (with web0008 in a second stage)
// and opens the confirmation.
func applyTwo(g *rig) []any {
	g.r.TwoStages = true
	return []any{"/", chars("web0007"), "enter", wait("1/1 of 40"), "a", wait("PLAN of run 7"), "a", wait("Apply this plan?")}
}

// TestProgramRolloutAsksEachStage: the confirmation starts stage 1 only;
// before stage 2 the rollout waits for the operator, who sees its hosts
// and the option to apply all stages without asking.
func TestProgramRolloutAsksEachStage(t *testing.T) {
	g := newRig(t)
	box := func(p *probe) string {
		var lines []string
		for _, l := range strings.Split(p.screen(), "\n") {
			if i := strings.Index(l, "|"); i >= 0 && strings.HasPrefix(strings.TrimSpace(l), "|") {
				lines = append(lines, strings.TrimSpace(l[i:]))
			}
		}
		return strings.Join(lines, "\n")
	}
	steps := append(applyTwo(g), func(p *probe) {
		want := `| Apply this plan?                                 |
|                                                  |
| It changes 2 hosts in 2 stages (1,10%,50%,100%), |
| up to 0 failed per stage: 2 actions,             |
| 2 reboots, 0 service restarts.                   |
|                                                  |
| y starts stage 1; each later stage asks first,   |
| unless:                                          |
| [ ] a: apply all stages without asking           |
|                                                  |
| y apply    n or esc cancel                       |`
		if got := box(p); got != want {
			t.Errorf("the confirmation:\n%s\nwant\n%s", got, want)
		}
	}, "y", wait("start stage 2 of 2?"), func(p *probe) {
		want := `| Rollout 3: start stage 2 of 2?                 |
|                                                |
| 1 host: web0008,                               |
| up to 0 may fail. Stage 1 is done.             |
|                                                |
| y start it    n or esc stop here (R resumes)   |
| a start it and apply all stages without asking |`
		if got := box(p); got != want {
			t.Errorf("stage 2's confirmation:\n%s\nwant\n%s", got, want)
		}
		if got := g.r.confirmations(); len(got) != 0 {
			t.Errorf("stage 2 was answered before the operator: %v", got)
		}
	}, "y", wait("rollout 3 complete"), wait("run 8: 2 hosts collected again"))
	flow(t, g.opts(), steps...)
	if got := g.r.confirmations(); !slices.Equal(got, []bool{true}) {
		t.Errorf("answers %v", got)
	}
}

// TestProgramRolloutConfirmsTheNextStage: y starts stage 2, and the
// rollout completes.
func TestProgramRolloutConfirmsTheNextStage(t *testing.T) {
	g := newRig(t)
	steps := append(applyTwo(g), "y", wait("start stage 2 of 2?"), "y", wait("rollout 3 complete"), wait("run 8: 2 hosts collected again"))
	m := flow(t, g.opts(), steps...)
	if got := g.r.confirmations(); !slices.Equal(got, []bool{true}) || m.ro.result == nil || m.ro.result.Fixed != 2 {
		t.Errorf("answers %v, result %+v", got, m.ro.result)
	}
}

// TestProgramRolloutStopsBeforeAStage: n stops the rollout before stage
// 2; R resumes it.
func TestProgramRolloutStopsBeforeAStage(t *testing.T) {
	g := newRig(t)
	steps := append(applyTwo(g), "y", wait("start stage 2 of 2?"), "n", wait("rollout 3 aborted"), wait("run 8: 2 hosts collected again"))
	m := flow(t, g.opts(), steps...)
	if got := g.r.confirmations(); !slices.Equal(got, []bool{false}) || !m.ro.resumable() || !strings.Contains(m.screen, "not confirmed before stage 2") {
		t.Errorf("answers %v, resumable %v:\n%s", got, m.ro.resumable(), m.screen)
	}
}

// TestProgramRolloutAllStages: the option shown in the confirmation (a)
// applies every stage without asking again.
func TestProgramRolloutAllStages(t *testing.T) {
	g := newRig(t)
	steps := append(applyTwo(g), "a", wait("[x] a: apply all stages without asking"), "y", wait("rollout 3 complete"), wait("run 8: 2 hosts collected again"))
	m := flow(t, g.opts(), steps...)
	if got := g.r.confirmations(); !slices.Equal(got, []bool{true}) || m.dialog != dlgNone {
		t.Errorf("answers %v, dialog %d", got, m.dialog)
	}
}

// TestProgramRolloutAllStagesFromTheStage: a in a stage's confirmation
// starts it and every later stage without asking.
func TestProgramRolloutAllStagesFromTheStage(t *testing.T) {
	g := newRig(t)
	steps := append(applyTwo(g), "y", wait("start stage 2 of 2?"), "a", wait("rollout 3 complete"), wait("run 8: 2 hosts collected again"))
	m := flow(t, g.opts(), steps...)
	if got := g.r.confirmations(); !slices.Equal(got, []bool{true}) || !m.ro.allStages {
		t.Errorf("answers %v, all stages %v", got, m.ro.allStages)
	}
}
