package dispatch

import (
	"fmt"
	"strings"
)

// Stream is the JetStream work-queue stream that holds the jobs of every
// site, on subjects [JobSubject].
const Stream = "FLEETPORT_JOBS"

// Subject prefixes. Jobs: fleetport.jobs.<site>; controller requests:
// fleetport.ctl.<controller>.<op>; runner heartbeats:
// fleetport.runners.<site>.
const (
	jobPrefix       = "fleetport.jobs."
	ctlPrefix       = "fleetport.ctl."
	heartbeatPrefix = "fleetport.runners."
)

// JobSubjects is the stream's subject filter.
const JobSubjects = jobPrefix + "*"

// Controller request operations, the last token of [ControllerSubject].
const (
	OpSpec    = "spec"
	OpStart   = "start"
	OpResult  = "result"
	OpClaim   = "claim"
	OpJournal = "journal"
	OpRenew   = "renew"
)

// token turns a site name into one subject token. Inventory site names are
// letters, digits, dots, hyphens and underscores; a dot separates subject
// tokens, so it becomes "~", which no site name has.
func token(site string) string { return strings.ReplaceAll(site, ".", "~") }

// CheckSite reports why a site name cannot be dispatched to, or nil.
func CheckSite(site string) error {
	if site == "" {
		return fmt.Errorf("empty site name")
	}
	if len(site) > 128 {
		return fmt.Errorf("site name %.20q... is longer than 128 characters", site)
	}
	for i, r := range site {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case i > 0 && (r == '.' || r == '-' || r == '_'):
		default:
			return fmt.Errorf("site name %q: a site starts with a letter or digit and has only letters, digits, dots, hyphens and underscores", site)
		}
	}
	return nil
}

// JobSubject is the subject a site's jobs are published on.
func JobSubject(site string) string { return jobPrefix + token(site) }

// ConsumerName is the durable pull consumer the runners of a site share.
func ConsumerName(site string) string { return "site-" + token(site) }

// HeartbeatSubject is where the runners of a site announce themselves;
// HeartbeatSubject("*") matches every site.
func HeartbeatSubject(site string) string {
	if site == "*" {
		return heartbeatPrefix + "*"
	}
	return heartbeatPrefix + token(site)
}

// ControllerSubject is the subject of one of a controller's request
// operations (OpSpec, ...); op "*" matches all of them.
func ControllerSubject(controller, op string) string {
	return ctlPrefix + controller + "." + op
}

// CheckController reports why a controller id cannot name subjects.
func CheckController(id string) error {
	if id == "" || len(id) > 64 {
		return fmt.Errorf("controller id %q: 1 to 64 characters", id)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Errorf("controller id %q: only letters, digits, - and _", id)
		}
	}
	return nil
}
