defaults {
  transport            = "https"
  port                 = 5986
  auth                 = "ntlm"
  user                 = "CORP\\fleetport"
  password             = file("secrets/password.txt")
  ca_file              = "ca.pem"
  tls_server_name      = "${host.name}.corp.example"
  insecure_skip_verify = false
  allow_unencrypted    = false
  connect_timeout      = "5s"
  operation_timeout    = "30s"
  timeout              = "10m"
  concurrency          = 100
  site                 = "dc1"
  tags                 = { env = "prod" }
  vars                 = { dns = ["10.0.0.53", "10.0.1.53"], mtu = 1500, ipv6 = false }
}

group "web" {
  concurrency     = 20
  operation_timeout = "90s"
  tags            = { role = "iis" }
  vars            = { vip = "10.0.0.80" }
}

group "dmz" {
  concurrency = 5
  site        = "dmz1"
  tags        = { zone = "dmz" }
}

host "web01" {
  address            = "web01.corp.example"
  management_address = "10.1.0.5"
  groups             = ["web", "dmz"]
  tags               = { os = 2019 }
  vars = {
    service_address = "10.20.0.1"
    bindings        = { http = 80, https = 443 }
  }
}

host "web02" {
  address       = "10.1.0.6"
  groups        = ["web"]
  auth          = "kerberos"
  password      = prompt()
  kerberos_name = "web02.corp.example"
  port          = null # null is unset: the defaults' port applies
}

host "db01" {
  address         = "fd00::10"
  tls_server_name = format("%s.db.corp.example", lower(host.name))
  user            = env("DB_USER")
  password        = env("${upper(host.name)}_PASSWORD")
}
