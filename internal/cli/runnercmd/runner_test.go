package runnercmd_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fleetport/fleetport/internal/cli/cmdutil"
	"github.com/fleetport/fleetport/internal/cli/runnercmd"
)

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  string
		args []string
		want runnercmd.Options
		err  string
	}{
		{name: "minimal", args: []string{"--nats", "nats://n:4222", "--site", "lyon"},
			want: runnercmd.Options{NATS: "nats://n:4222", Site: "lyon", Concurrency: 50, DrainTimeout: time.Minute}},
		{name: "from the environment", env: "tls://n:4222", args: []string{"--site", "lyon.dc1", "--concurrency", "200", "--nats-ca", "ca.pem"},
			want: runnercmd.Options{NATS: "tls://n:4222", CA: "ca.pem", Site: "lyon.dc1", Concurrency: 200, DrainTimeout: time.Minute}},
		{name: "Kerberos from a keytab", args: []string{"--nats", "nats://n:4222", "--site", "lyon", "--krb5-conf", "krb5.conf",
			"--keytab", "runner.keytab", "--principal", "svc-runner@CORP.EXAMPLE", "--ccache", "/tmp/cc"},
			want: runnercmd.Options{NATS: "nats://n:4222", Site: "lyon", Concurrency: 50, DrainTimeout: time.Minute, Krb5Conf: "krb5.conf",
				Keytab: "runner.keytab", Principal: "svc-runner@CORP.EXAMPLE", CCache: "/tmp/cc"}},
		{name: "keytab without principal", args: []string{"--nats", "nats://n:4222", "--site", "lyon", "--keytab", "runner.keytab"}, err: "--principal"},
		{name: "no URL", args: []string{"--site", "lyon"}, err: "--nats is required"},
		{name: "bad scheme, password hidden", args: []string{"--nats", "http://u:s3cret@n:4222", "--site", "lyon"}, err: "scheme"},
		{name: "no site", args: []string{"--nats", "nats://n:4222"}, err: "--site"},
		{name: "bad site", args: []string{"--nats", "nats://n:4222", "--site", "a b"}, err: "site name"},
		{name: "negative concurrency", args: []string{"--nats", "nats://n:4222", "--site", "x", "--concurrency", "-1"}, err: "negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(cmdutil.EnvNATS, tc.env)
			ios, _, _, _ := cmdutil.Test()
			var got *runnercmd.Options
			cmd := runnercmd.NewCmdRunner(&cmdutil.Factory{IO: ios}, func(_ context.Context, o *runnercmd.Options) error {
				got = o
				return nil
			})
			cmd.SetArgs(tc.args)
			cmd.SetOut(ios.ErrOut)
			cmd.SetErr(ios.ErrOut)
			err := cmd.Execute()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one saying %q", err, tc.err)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Fatalf("the error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.IO, got.Logger = nil, nil
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("options %+v, want %+v", *got, tc.want)
			}
		})
	}
}
