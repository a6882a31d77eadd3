// Command simload measures how fast a running `fleetport sim` accepts work:
// it reaches every host of a fleet once, with bounded concurrency, and
// prints hosts per second and failures.
//
// Two modes:
//
//	-mode accept   TCP connect + one unauthenticated POST /wsman (answered 401):
//	               the simulator's accept and HTTP path alone.
//	-mode command  one command per host through masterzen/winrm with NTLM
//	               message encryption: Create, Command, Receive, Signal, Delete.
//
// usage: simload -first 127.20.0.1 -hosts 10000 -concurrency 256 [-mode accept|command]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/masterzen/winrm"
)

func main() {
	first := flag.String("first", "127.20.0.1", "address of the first host")
	hosts := flag.Int("hosts", 100, "number of hosts (addresses counted from -first, skipping .0 and .255)")
	conc := flag.Int("concurrency", 256, "requests in flight")
	port := flag.Int("port", 5985, "WinRM http port")
	mode := flag.String("mode", "accept", "accept or command")
	cmdLine := flag.String("command", "hostname", "command for -mode command")
	timeout := flag.Duration("timeout", 30*time.Second, "deadline per host")
	flag.Parse()

	addr, err := netip.ParseAddr(*first)
	if err != nil {
		fmt.Fprintln(os.Stderr, "simload:", err)
		os.Exit(2)
	}
	var addrs []netip.Addr
	for len(addrs) < *hosts {
		if last := addr.As4()[3]; last != 0 && last != 255 {
			addrs = append(addrs, addr)
		}
		addr = addr.Next()
	}
	user, pass := os.Getenv("FLEETPORT_SIM_USER"), os.Getenv("FLEETPORT_SIM_PASSWORD")
	if user == "" {
		user, pass = "fleetadmin", "Sim-Passw0rd!"
	}

	// masterzen's encrypted transport uses http.DefaultTransport, whose
	// idle pool keeps 100 connections in all: with more hosts in flight,
	// the connection an NTLM handshake authenticated is closed before the
	// sealed request goes out, the host answers 400 (no security context)
	// and masterzen panics on the empty body. Keep every host's connection.
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		t.MaxIdleConns = 0
		t.MaxIdleConnsPerHost = 2
		// A host is reached once: let its connection go soon after, or
		// the client itself ends up holding a connection per host.
		t.IdleConnTimeout = 3 * time.Second
	}
	var ok, failed atomic.Int64
	var errMu sync.Mutex
	var errs []string
	work := make(chan netip.Addr)
	var wg sync.WaitGroup
	start := time.Now()
	for range *conc {
		wg.Go(func() {
			for a := range work {
				ctx, cancel := context.WithTimeout(context.Background(), *timeout)
				var err error
				if *mode == "accept" {
					err = accept(ctx, a, *port)
				} else {
					err = command(ctx, a, *port, user, pass, *cmdLine, *timeout)
				}
				cancel()
				if err != nil {
					failed.Add(1)
					errMu.Lock()
					if len(errs) < 5 {
						errs = append(errs, fmt.Sprintf("%s: %v", a, err))
					}
					errMu.Unlock()
				} else {
					ok.Add(1)
				}
			}
		})
	}
	for _, a := range addrs {
		work <- a
	}
	close(work)
	wg.Wait()
	d := time.Since(start)
	fmt.Printf("mode=%s hosts=%d concurrency=%d ok=%d failed=%d wall=%.2fs hosts_per_s=%.0f\n",
		*mode, len(addrs), *conc, ok.Load(), failed.Load(), d.Seconds(), float64(len(addrs))/d.Seconds())
	for _, e := range errs {
		fmt.Println("error:", e)
	}
	if len(errs) > 0 {
		os.Exit(1)
	}
}

func accept(ctx context.Context, a netip.Addr, port int) error {
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf("http://%s/wsman", net.JoinHostPort(a.String(), fmt.Sprint(port))), strings.NewReader("<s:Envelope/>"))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		return fmt.Errorf("status %d, want 401", resp.StatusCode)
	}
	return nil
}

func command(ctx context.Context, a netip.Addr, port int, user, pass, line string, timeout time.Duration) error {
	params := *winrm.DefaultParameters
	params.TransportDecorator = func() winrm.Transporter {
		enc, _ := winrm.NewEncryption("ntlm")
		return enc
	}
	c, err := winrm.NewClientWithParameters(winrm.NewEndpoint(a.String(), port, false, false, nil, nil, nil, timeout), user, pass, &params)
	if err != nil {
		return err
	}
	_, stderr, code, err := c.RunCmdWithContext(ctx, line)
	if err != nil {
		return err
	}
	if code != 0 {
		return fmt.Errorf("exit %d: %s", code, stderr)
	}
	return nil
}
