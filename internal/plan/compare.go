package plan

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Compare says how a host's part of a plan read from a file differs from
// the part fleetport derives now from the same run, inventory and policies
// ("" when it does not). apply --plan refuses a plan with any difference
// before it touches a host: a target value, an effect, an address or a
// verification edited into the file is never carried out.
func Compare(got, want *HostPlan) string {
	switch {
	case got.Address != want.Address:
		return fmt.Sprintf("its address is %s, the inventory's is %s", got.Address, want.Address)
	case got.ManagementAddress != want.ManagementAddress:
		return fmt.Sprintf("its management address is %s, the inventory gives %s", got.ManagementAddress, want.ManagementAddress)
	case !slices.Equal(got.ConnectAddresses, want.ConnectAddresses):
		return fmt.Sprintf("fleetport connects to %s, the plan says %s", describeList(want.ConnectAddresses), describeList(got.ConnectAddresses))
	case got.Release != want.Release:
		return fmt.Sprintf("its release is %q, the run's facts say %q", got.Release, want.Release)
	}
	byID := map[string]*Action{}
	for i := range want.Actions {
		byID[want.Actions[i].ID] = &want.Actions[i]
	}
	for i := range got.Actions {
		a := &got.Actions[i]
		w := byID[a.ID]
		if w == nil {
			return fmt.Sprintf("action %s (%s) is not one the run and the policies give", a.ID, a.Summary)
		}
		if d := compareAction(a, w); d != "" {
			return fmt.Sprintf("action %s: %s", a.ID, d)
		}
		delete(byID, a.ID)
	}
	for _, w := range want.Actions {
		if byID[w.ID] != nil {
			return fmt.Sprintf("it lacks action %s (%s), which the run and the policies give", w.ID, w.Summary)
		}
	}
	switch {
	case !SameStep(got.Effect, want.Effect):
		return fmt.Sprintf("its effect is %s, its actions need %s", describeStep(got.Effect), describeStep(want.Effect))
	case !slices.EqualFunc(got.Pending, want.Pending, func(a, b Pending) bool {
		return a.Check == b.Check && a.Rule == b.Rule && SameStep(a.Effect, b.Effect)
	}):
		return "its pending values are not the ones the run shows"
	case !got.BootTime.Equal(want.BootTime):
		return fmt.Sprintf("its boot time is %s, the run read %s", got.BootTime, want.BootTime)
	case !slices.Equal(got.Verify, want.Verify):
		return fmt.Sprintf("it verifies %s, the policies give %s", strings.Join(got.Verify, ", "), strings.Join(want.Verify, ", "))
	case got.Fingerprint != want.Fingerprint:
		return "its fingerprint is not the one of its actions"
	}
	return ""
}

// compareAction compares the typed changes of two actions.
func compareAction(a, w *Action) string {
	if a.Kind != w.Kind || a.Policy != w.Policy {
		return fmt.Sprintf("it is a %s change of policy %s, the policies give a %s change of %s", a.Kind, a.Policy, w.Kind, w.Policy)
	}
	if !SameStep(a.Effect, w.Effect) {
		return fmt.Sprintf("it needs %s, the policy says %s", describeStep(a.Effect), describeStep(w.Effect))
	}
	if ra, rw := a.Registry, w.Registry; ra != nil && rw != nil && !jsonEqual(ra.After, rw.After) {
		return fmt.Sprintf("it sets %s to %s, the policies give %s", rw.Name, describeReg(rw.Type, ra.After), describeReg(rw.Type, rw.After))
	}
	if !jsonEqual(changeOf(a), changeOf(w)) {
		return fmt.Sprintf("its change (%s) is not what the run and the policies give (%s)", a.Summary, w.Summary)
	}
	if a.Summary != w.Summary {
		return fmt.Sprintf("its summary %q is not %q", a.Summary, w.Summary)
	}
	return ""
}

// changeOf is an action's typed change.
func changeOf(a *Action) any {
	return struct {
		R *RegistryChange
		L *ListenListChange
		P *PortRangeChange
		S *ServiceChange
		T *SocketPoolingChange
	}{a.Registry, a.ListenList, a.PortRange, a.Service, a.SocketPooling}
}

func jsonEqual(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

func describeStep(e Effect) string {
	switch e.Kind {
	case EffectReboot:
		return "a reboot"
	case EffectServiceRestart:
		return "a restart of " + strings.Join(e.Services, ", ")
	}
	return "no restart or reboot"
}
