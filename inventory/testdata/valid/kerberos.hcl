# A domain: Kerberos with message encryption over http, the names the
# tickets are for derived from the host names.
defaults {
  transport     = "http"
  auth          = "kerberos"
  realm         = "CORP.EXAMPLE"
  krb5_conf     = "krb5.conf"
  kerberos_name = "${host.name}.corp.example"
}

group "scheduled" {
  keytab = "/etc/fleetport/collector.keytab"
  user   = "svc-fleetport@CORP.EXAMPLE"
}

host "web01" {
  address = "10.0.0.1"
}

host "web02" {
  address = "web02.corp.example"
  groups  = ["scheduled"]
  ccache  = "/tmp/krb5cc_fleetport"
}
