package policies

import (
	"reflect"
	"testing"
)

func TestNeeds(t *testing.T) {
	s := mustParse(t, `
policy "web_only" {
  applies_to = contains(host.groups, "web")
  listen_list { contains = [host.management_address] }
  service "W3SVC" { state = "running" }
}
policy "ports" {
  registry "MaxUserPort" { at_least = 65534 }
  registry "TcpTimedWaitDelay" { at_most = 30 }
  dynamic_port_range {
    family   = "ipv6"
    min_size = 16384
  }
}
policy "pressure" {
  connections {
    state              = "TIME_WAIT"
    max_share_of_range = 0.5
  }
}
policy "smtp" {
  applies_to = contains(host.groups, "smtp")
  listener {
    port         = 25
    not_wildcard = true
  }
  remediation {
    command "iis_socket_pooling" { service = "smtpsvc" }
  }
}
`)
	tcpip := func(name string) RegistryValue {
		k, _ := LookupKnown(name)
		return RegistryValue{Key: k.Key, Name: k.Name, Type: k.Type, Known: k}
	}
	cases := []struct {
		name string
		host Host
		want Needs
	}{
		{"web 2019", webHost("2019"), Needs{
			Registry:   []RegistryValue{tcpip("TcpTimedWaitDelay")},
			ListenList: true, Sockets: true,
			PortRanges: []PortRangeRef{{TCP, IPv4}, {TCP, IPv6}},
			Services:   []ServiceNeed{{Name: "W3SVC"}},
		}},
		{"web 2003", webHost("2003"), Needs{
			Registry:   []RegistryValue{tcpip("MaxUserPort"), tcpip("TcpTimedWaitDelay")},
			ListenList: true, Sockets: true,
			Services: []ServiceNeed{{Name: "W3SVC"}},
		}},
		{"web, release unknown: everything it might need", webHost(""), Needs{
			Release:    true,
			Registry:   []RegistryValue{tcpip("MaxUserPort"), tcpip("TcpTimedWaitDelay")},
			ListenList: true, Sockets: true,
			PortRanges: []PortRangeRef{{TCP, IPv4}, {TCP, IPv6}},
			Services:   []ServiceNeed{{Name: "W3SVC"}},
		}},
		{"smtp 2016", Host{Name: "smtp01", Address: "10.0.0.25", OS: "2016", Groups: []string{"smtp"}}, Needs{
			Registry:   []RegistryValue{tcpip("TcpTimedWaitDelay")},
			Sockets:    true,
			PortRanges: []PortRangeRef{{TCP, IPv4}, {TCP, IPv6}},
			Services:   []ServiceNeed{{Name: "SMTPSVC"}},
		}},
	}
	for _, c := range cases {
		got := s.Needs(c.host)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got  %+v\n want %+v", c.name, got, c.want)
		}
	}
}

func TestNeedsMerge(t *testing.T) {
	a := Needs{Sockets: true, Services: []ServiceNeed{{Name: "W3SVC"}}}
	a.Merge(Needs{ListenList: true, Services: []ServiceNeed{{Name: "w3svc", Dependants: true}, {Name: "HTTP"}}})
	want := Needs{Sockets: true, ListenList: true, Services: []ServiceNeed{{Name: "HTTP"}, {Name: "W3SVC", Dependants: true}}}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("got %+v", a)
	}
	if (&Needs{}).IsZero() != true || a.IsZero() {
		t.Error("IsZero")
	}
}
