package winhost

import (
	"fmt"
	"strings"
)

// OS is a Windows Server release the simulator can play.
type OS int

// The releases. The zero value is not a release: a [Spec] must name one.
const (
	Server2003 OS = iota + 1
	Server2008R2
	Server2012R2
	Server2016
	Server2019
	Server2022
)

// String returns the short name used in inventories and scenarios
// ("2003", "2008r2", "2012r2", "2016", "2019", "2022").
func (o OS) String() string {
	if i := o.info(); i != nil {
		return i.name
	}
	return fmt.Sprintf("OS(%d)", int(o))
}

// ParseOS parses the short name [OS.String] returns. It also accepts the
// long forms "Windows Server 2019", "Server2008R2" and "2008 R2",
// case-insensitively.
func ParseOS(s string) (OS, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimPrefix(t, "windows")
	t = strings.TrimSpace(t)
	t = strings.TrimPrefix(t, "server")
	t = strings.ReplaceAll(strings.TrimSpace(t), " ", "")
	for o := Server2003; o <= Server2022; o++ {
		if osTable[o].name == t {
			return o, nil
		}
	}
	return 0, fmt.Errorf("unknown Windows release %q (want one of 2003, 2008r2, 2012r2, 2016, 2019, 2022)", s)
}

// osInfo is what differs between releases. One table entry per release,
// shared by every host of that release.
type osInfo struct {
	name         string
	defaultBuild string // what `ver` prints when the spec gives no build
	productName  string // HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion ProductName
	curVersion   string // ... CurrentVersion (6.3 from 2012 R2 on, frozen there)
	psVersion    int    // Windows PowerShell major version, 0 = none
	netTCPIP     bool   // Get-NetTCPConnection exists (2012 R2 on)
	vistaStack   bool   // next-generation TCP/IP: netsh http, dynamic port range, IPv6 on
	// spoolerOnHTTP: Print Spooler depends on HTTP. Windows 10 1809 /
	// Server 2019 added that dependency; the captures in
	// windows-commands.md (Windows 10/11) show it, earlier servers do
	// not have it [chosen: the exact first build is not verified].
	spoolerOnHTTP bool
	// httpDisplay is the HTTP service's display name, which net.exe prints.
	httpDisplay string
}

var osTable = [...]osInfo{
	Server2003: {
		name: "2003", defaultBuild: "5.2.3790", productName: "Microsoft Windows Server 2003",
		curVersion: "5.2", psVersion: 0,
		// 2003: the HTTP driver's display name is "HTTP" [chosen: no
		// capture of `net stop http` on 2003 was found].
		httpDisplay: "HTTP",
	},
	Server2008R2: {
		name: "2008r2", defaultBuild: "6.1.7601", productName: "Windows Server 2008 R2 Standard",
		curVersion: "6.1", psVersion: 2, vistaStack: true, httpDisplay: "HTTP Service",
	},
	Server2012R2: {
		name: "2012r2", defaultBuild: "6.3.9600", productName: "Windows Server 2012 R2 Standard",
		curVersion: "6.3", psVersion: 4, netTCPIP: true, vistaStack: true, httpDisplay: "HTTP Service",
	},
	Server2016: {
		name: "2016", defaultBuild: "10.0.14393", productName: "Windows Server 2016 Standard",
		curVersion: "6.3", psVersion: 5, netTCPIP: true, vistaStack: true, httpDisplay: "HTTP Service",
	},
	Server2019: {
		name: "2019", defaultBuild: "10.0.17763", productName: "Windows Server 2019 Standard",
		curVersion: "6.3", psVersion: 5, netTCPIP: true, vistaStack: true, spoolerOnHTTP: true,
		httpDisplay: "HTTP Service",
	},
	Server2022: {
		name: "2022", defaultBuild: "10.0.20348", productName: "Windows Server 2022 Standard",
		curVersion: "6.3", psVersion: 5, netTCPIP: true, vistaStack: true, spoolerOnHTTP: true,
		httpDisplay: "HTTP Service",
	},
}

func (o OS) info() *osInfo {
	if o < Server2003 || o > Server2022 {
		return nil
	}
	return &osTable[o]
}

// ProductName is the release's ProductName, "Windows Server 2019 Standard":
// what a domain member writes into its computer account's operatingSystem.
func (o OS) ProductName() string {
	if i := o.info(); i != nil {
		return i.productName
	}
	return ""
}

// DefaultBuild is the release's build, "10.0.17763".
func (o OS) DefaultBuild() string {
	if i := o.info(); i != nil {
		return i.defaultBuild
	}
	return ""
}
