package jobq_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/fleetport/fleetport/internal/dispatch"
	"github.com/fleetport/fleetport/internal/jobq"
	"github.com/fleetport/fleetport/internal/jobq/jobqtest"
)

// TestEnsureStream: the first call creates the jobs stream; later calls
// leave a stream already as configured alone (no update racing the
// sites' consumers); a stream configured otherwise is brought back.
func TestEnsureStream(t *testing.T) {
	srv := jobqtest.Start(t, jobqtest.Options{})
	nc := jobqtest.Connect(t, srv, "test")
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := jobq.EnsureStream(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	created := s.CachedInfo().Created
	// An update is visible to the server's update advisory; count them.
	updates, err := nc.SubscribeSync("$JS.EVENT.ADVISORY.STREAM.UPDATED." + dispatch.Stream)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jobq.EnsureStream(ctx, js); err != nil {
		t.Fatal(err)
	}
	if _, err := updates.NextMsg(300 * time.Millisecond); err == nil {
		t.Error("EnsureStream updated a stream that was already as configured")
	}
	cfg := jobq.StreamConfig()
	cfg.MaxAge = time.Hour
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := updates.NextMsg(2 * time.Second); err != nil {
		t.Fatalf("no advisory for the test's own update: %v", err)
	}
	s, err = jobq.EnsureStream(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().Config.MaxAge; got != 24*time.Hour {
		t.Errorf("MaxAge %s after EnsureStream, want 24h", got)
	}
	if !s.CachedInfo().Created.Equal(created) {
		t.Error("the stream was created again")
	}
}
