# Settings every host starts from; groups and hosts override them.
defaults {
  transport         = "https"
  port              = 5986
  auth              = "ntlm"
  user              = env("FLEETPORT_USER")
  password          = env("FLEETPORT_PASSWORD")
  ca_file           = "pki/fleet-ca.pem"          # relative to this file
  tls_server_name   = "${host.name}.corp.example" # the name in each host's certificate
  connect_timeout   = "10s"
  operation_timeout = "60s"
  timeout           = "5m"
  concurrency       = 50 # hosts worked on at once, fleet-wide
  tags              = { env = "prod" }
}
