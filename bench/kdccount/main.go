// Command kdccount is a TCP relay in front of a KDC that counts the
// exchanges it carries, for bench/kerberos.sh: AS-REP (a TGT issued),
// TGS-REP (a service ticket issued) and KRB-ERROR replies, by the first
// byte of each reply (its ASN.1 application tag). It listens until
// SIGTERM or SIGINT, then prints the counts as JSON on standard output.
//
//	kdccount -listen 127.66.0.1:8888 -kdc 127.66.0.1:88
//
// Clients reach it over TCP only (udp_preference_limit = 1 in their
// krb5.conf; fleetport always uses TCP).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"
)

type counts struct {
	AS, TGS, Errors, Requests atomic.Int64
}

func main() {
	listen := flag.String("listen", "", "address to listen on (TCP)")
	kdc := flag.String("kdc", "", "the KDC's address (TCP)")
	flag.Parse()
	if *listen == "" || *kdc == "" {
		fmt.Fprintln(os.Stderr, "usage: kdccount -listen ADDR:PORT -kdc ADDR:PORT")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kdccount:", err)
		os.Exit(1)
	}
	var c counts
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go relay(conn, *kdc, &c)
		}
	}()
	fmt.Fprintln(os.Stderr, "kdccount: ready on", ln.Addr())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	ln.Close()
	_ = json.NewEncoder(os.Stdout).Encode(map[string]int64{"requests": c.Requests.Load(), "as_rep": c.AS.Load(),
		"tgs_rep": c.TGS.Load(), "krb_error": c.Errors.Load()})
}

// relay carries one TCP exchange (a length-prefixed request, then the
// reply) and counts the reply by its application tag.
func relay(conn net.Conn, kdc string, c *counts) {
	defer conn.Close()
	up, err := net.DialTimeout("tcp", kdc, 5*time.Second)
	if err != nil {
		return
	}
	defer up.Close()
	deadline := time.Now().Add(60 * time.Second)
	_ = conn.SetDeadline(deadline)
	_ = up.SetDeadline(deadline)
	c.Requests.Add(1)
	go func() {
		_, _ = io.Copy(up, conn)
		up.Close()
	}()
	head := make([]byte, 5)
	if _, err := io.ReadFull(up, head); err != nil {
		return
	}
	switch head[4] {
	case 0x6b:
		c.AS.Add(1)
	case 0x6d:
		c.TGS.Add(1)
	case 0x7e:
		c.Errors.Add(1)
	}
	if _, err := conn.Write(head); err != nil {
		return
	}
	_, _ = io.Copy(conn, up)
}
