// Package jobqtest starts a NATS server with JetStream inside a test
// process, for the tests of dispatched runs. Only tests import it, so the
// fleetport binary carries no NATS server.
package jobqtest

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/fleetport/fleetport/internal/jobq"
)

// Options configures [Start].
type Options struct {
	// Host is the address to listen on; default 127.0.0.1.
	Host string
	// Port is the port; 0 picks a free one.
	Port int
	// StoreDir holds JetStream's files; default a temporary folder.
	StoreDir string
}

// Start runs a NATS server with JetStream until the test ends (or
// Shutdown). The server listens on loopback unless told otherwise.
func Start(t testing.TB, o Options) *server.Server {
	t.Helper()
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.Port == 0 {
		o.Port = server.RANDOM_PORT
	}
	if o.StoreDir == "" {
		o.StoreDir = t.TempDir()
	}
	s, err := server.NewServer(&server.Options{Host: o.Host, Port: o.Port, JetStream: true, StoreDir: o.StoreDir,
		NoLog: true, NoSigs: true, MaxPayload: 8 << 20})
	if err != nil {
		t.Fatalf("nats server: %v", err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		t.Fatal("nats server: not ready after 10s")
	}
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s
}

// URL is the server's client URL on host (the address clients dial).
func URL(s *server.Server, host string) string {
	addr := s.Addr().(*net.TCPAddr)
	return "nats://" + net.JoinHostPort(host, strconv.Itoa(addr.Port))
}

// Connect opens a client connection to the server, closed when the test
// ends.
func Connect(t testing.TB, s *server.Server, name string) *nats.Conn {
	t.Helper()
	nc, err := jobq.Connect(jobq.Options{URL: s.ClientURL(), Name: name, ConnectTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}
