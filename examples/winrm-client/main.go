// Command winrm-client runs a few read-only Windows commands on simulated
// (or real) hosts over WinRM with NTLM message encryption, the Windows
// default, and prints what they answer. It is the client half of the
// README's first command until `fleetport demo` takes over.
//
//	FLEETPORT_SIM_USER=... FLEETPORT_SIM_PASSWORD=... go run ./examples/winrm-client 127.20.0.1 127.20.0.2
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/masterzen/winrm"
)

func main() {
	port := flag.Int("port", 5985, "WinRM http port")
	timeout := flag.Duration("timeout", 30*time.Second, "deadline of each command")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: winrm-client [-port N] [-timeout D] ADDRESS...\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	user, pass := os.Getenv("FLEETPORT_SIM_USER"), os.Getenv("FLEETPORT_SIM_PASSWORD")
	if user == "" || pass == "" {
		fmt.Fprintln(os.Stderr, "winrm-client: set FLEETPORT_SIM_USER and FLEETPORT_SIM_PASSWORD")
		os.Exit(2)
	}
	commands := []string{
		"hostname",
		"ver",
		"netsh http show iplisten",
		`reg query "HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters" /v TcpTimedWaitDelay`,
		"netstat -ano",
	}
	failed := false
	for _, addr := range flag.Args() {
		params := *winrm.DefaultParameters
		params.TransportDecorator = func() winrm.Transporter {
			enc, _ := winrm.NewEncryption("ntlm")
			return enc
		}
		ep := winrm.NewEndpoint(addr, *port, false, false, nil, nil, nil, *timeout)
		client, err := winrm.NewClientWithParameters(ep, user, pass, &params)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", addr, err)
			failed = true
			continue
		}
		fmt.Printf("===== %s =====\n", addr)
		for _, cmd := range commands {
			ctx, cancel := context.WithTimeout(context.Background(), *timeout)
			stdout, stderr, code, err := client.RunCmdWithContext(ctx, cmd)
			cancel()
			if err != nil {
				fmt.Printf("> %s\nerror: %v\n", cmd, err)
				failed = true
				continue
			}
			fmt.Printf("> %s   (exit %d)\n", cmd, code)
			out := strings.ReplaceAll(stdout+stderr, "\r\n", "\n")
			lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
			if len(lines) > 14 {
				lines = append(lines[:14], fmt.Sprintf("... (%d more lines)", len(lines)-14))
			}
			fmt.Println(strings.Join(lines, "\n"))
		}
	}
	if failed {
		os.Exit(1)
	}
}
