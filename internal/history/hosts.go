package history

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/fleetport/fleetport/policies"
)

// storedHost is the inventory's view of a host as a run keeps it: what
// the policies may know of the host besides its facts. It holds no
// credential and no connection setting.
type storedHost struct {
	Name              string               `json:"name"`
	Address           string               `json:"address"`
	ManagementAddress string               `json:"management_address,omitempty"`
	Site              string               `json:"site,omitempty"`
	OS                string               `json:"os,omitempty"`
	Groups            []string             `json:"groups,omitempty"`
	Tags              map[string]string    `json:"tags,omitempty"`
	Vars              map[string]storedVar `json:"vars,omitempty"`
}

// storedVar is one inventory variable: its cty type and its value in
// cty's JSON form, so that it reads back as the same value.
type storedVar struct {
	Type  json.RawMessage `json:"type"`
	Value json.RawMessage `json:"value"`
}

// EncodeHosts turns the inventory's view of a run's selected hosts into
// the documents [store.Store.PutRunHosts] keeps, by name.
func EncodeHosts(hosts []policies.Host) (map[string]json.RawMessage, error) {
	out := make(map[string]json.RawMessage, len(hosts))
	for _, h := range hosts {
		sh := storedHost{Name: h.Name, Address: h.Address, ManagementAddress: h.ManagementAddress, Site: h.Site, OS: h.OS,
			Groups: h.Groups, Tags: h.Tags}
		names := make([]string, 0, len(h.Vars))
		for k := range h.Vars {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			v := h.Vars[k]
			t, err := ctyjson.MarshalType(v.Type())
			if err != nil {
				return nil, fmt.Errorf("host %s: var %s: %w", h.Name, k, err)
			}
			b, err := ctyjson.Marshal(v, v.Type())
			if err != nil {
				return nil, fmt.Errorf("host %s: var %s: %w", h.Name, k, err)
			}
			if sh.Vars == nil {
				sh.Vars = map[string]storedVar{}
			}
			sh.Vars[k] = storedVar{Type: t, Value: b}
		}
		raw, err := json.Marshal(sh)
		if err != nil {
			return nil, fmt.Errorf("host %s: %w", h.Name, err)
		}
		out[h.Name] = raw
	}
	return out, nil
}

// decodeHost reads a document EncodeHosts made.
func decodeHost(raw json.RawMessage) (policies.Host, error) {
	var sh storedHost
	if err := json.Unmarshal(raw, &sh); err != nil {
		return policies.Host{}, err
	}
	h := policies.Host{Name: sh.Name, Address: sh.Address, ManagementAddress: sh.ManagementAddress, Site: sh.Site, OS: sh.OS,
		Groups: sh.Groups, Tags: sh.Tags}
	for k, sv := range sh.Vars {
		t, err := ctyjson.UnmarshalType(sv.Type)
		if err != nil {
			return policies.Host{}, fmt.Errorf("var %s: %w", k, err)
		}
		v, err := ctyjson.Unmarshal(sv.Value, t)
		if err != nil {
			return policies.Host{}, fmt.Errorf("var %s: %w", k, err)
		}
		if h.Vars == nil {
			h.Vars = map[string]cty.Value{}
		}
		h.Vars[k] = v
	}
	return h, nil
}
