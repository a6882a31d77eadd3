package plan

import (
	"fmt"
	"strings"
)

// undoSummary says a reversed action (Reverse) in one line, its arrow
// from the value the host has now (the forward action's After) to the one
// it restores: "undo TcpTimedWaitDelay 30 → absent".
func undoSummary(r Action, forward string) string {
	switch {
	case r.Registry != nil:
		c := r.Registry
		cur := c.Type
		if c.BeforeType != "" {
			cur = c.BeforeType
		}
		return fmt.Sprintf("undo %s %s → %s", c.Name, describeReg(cur, c.Before), describeReg(c.Type, c.After))
	case r.ListenList != nil:
		c := r.ListenList
		var parts []string
		if len(c.Add) > 0 {
			parts = append(parts, "add "+describeList(c.Add))
		}
		if len(c.Remove) > 0 {
			parts = append(parts, "remove "+describeList(c.Remove))
		}
		return fmt.Sprintf("undo listen list %s → %s (%s)", describeList(c.Before), describeList(c.After), strings.Join(parts, "; "))
	case r.PortRange != nil:
		c := r.PortRange
		return fmt.Sprintf("undo %s %s dynamic port range %s → %s", c.Family, c.Protocol, describeRange(c.Before), describeRange(c.After))
	case r.Service != nil:
		return fmt.Sprintf("undo %s %s → %s", r.Service.Name, r.Service.Before, r.Service.After)
	case r.SocketPooling != nil:
		c := r.SocketPooling
		path, err := c.metabasePath()
		if err == nil && c.Before != nil {
			return fmt.Sprintf("undo %s %t → %t", path, *c.Before, c.After)
		}
	}
	return "undo " + forward
}
