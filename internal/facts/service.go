package facts

import "fmt"

// ServiceState is a Windows service's state, numbered as the service
// control manager numbers it (sc query's "STATE : 4  RUNNING"), plus
// ServiceNotInstalled.
type ServiceState uint8

// The states. ServiceStateUnknown is the zero value.
const (
	ServiceStateUnknown    ServiceState = 0
	ServiceStopped         ServiceState = 1
	ServiceStartPending    ServiceState = 2
	ServiceStopPending     ServiceState = 3
	ServiceRunning         ServiceState = 4
	ServiceContinuePending ServiceState = 5
	ServicePausePending    ServiceState = 6
	ServicePaused          ServiceState = 7
	ServiceNotInstalled    ServiceState = 8 // sc: FAILED 1060, not an SCM state
	serviceStateSentinel   ServiceState = 9
)

var serviceStateNames = [...]string{
	ServiceStateUnknown:    "unknown",
	ServiceStopped:         "stopped",
	ServiceStartPending:    "start-pending",
	ServiceStopPending:     "stop-pending",
	ServiceRunning:         "running",
	ServiceContinuePending: "continue-pending",
	ServicePausePending:    "pause-pending",
	ServicePaused:          "paused",
	ServiceNotInstalled:    "not-installed",
}

func (s ServiceState) String() string {
	if s < serviceStateSentinel {
		return serviceStateNames[s]
	}
	return fmt.Sprintf("ServiceState(%d)", uint8(s))
}

// MarshalText returns String.
func (s ServiceState) MarshalText() ([]byte, error) {
	if s >= serviceStateSentinel {
		return nil, fmt.Errorf("facts: invalid service state %d", uint8(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText accepts the names String returns.
func (s *ServiceState) UnmarshalText(b []byte) error {
	for i, n := range serviceStateNames {
		if n == string(b) {
			*s = ServiceState(i)
			return nil
		}
	}
	return fmt.Errorf("facts: unknown service state %q", b)
}

// Service is the state of one service.
type Service struct {
	// Name is the service key name (W3SVC).
	Name        string       `json:"name"`
	DisplayName string       `json:"display_name,omitempty"`
	State       ServiceState `json:"state"`
	// ExitCode is WIN32_EXIT_CODE (1077: not started since boot).
	ExitCode uint32 `json:"exit_code,omitempty"`
}
