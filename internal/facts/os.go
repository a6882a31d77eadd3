package facts

import "fmt"

// OSVersion is the Windows version `ver` prints
// ("Microsoft Windows [Version 10.0.17763.1879]").
type OSVersion struct {
	// Version is the dotted number as printed.
	Version  string `json:"version"`
	Major    uint32 `json:"major"`
	Minor    uint32 `json:"minor"`
	Build    uint32 `json:"build"`
	Revision uint32 `json:"revision,omitempty"`
	// Release is the Windows Server release with this kernel and build
	// ("2003", "2008", "2008r2", "2012", "2012r2", "2016", "2019", "2022",
	// "2025"), "" when unknown. ver does not tell a server from a client
	// of the same build (Windows 7 answers as 2008 R2).
	Release string `json:"release,omitempty"`
}

func (v OSVersion) String() string {
	if v.Release != "" {
		return fmt.Sprintf("%s (%s)", v.Version, v.Release)
	}
	return v.Version
}

// ServerRelease names the Windows Server release of a kernel version and
// build number, "" when it is not a server release fleetport knows.
func ServerRelease(major, minor, build uint32) string {
	switch {
	case major == 5 && minor == 2:
		return "2003"
	case major == 6 && minor == 0:
		return "2008"
	case major == 6 && minor == 1:
		return "2008r2"
	case major == 6 && minor == 2:
		return "2012"
	case major == 6 && minor == 3:
		return "2012r2"
	case major == 10 && minor == 0:
		switch build {
		case 14393:
			return "2016"
		case 17763:
			return "2019"
		case 20348:
			return "2022"
		case 26100:
			return "2025"
		}
	}
	return ""
}
