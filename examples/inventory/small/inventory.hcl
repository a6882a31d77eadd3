# A small inventory in one file: `fleetport inventory list -i examples/inventory/small`.
#
# The credentials are read from the environment when fleetport connects:
# export FLEETPORT_USER and FLEETPORT_PASSWORD first. The file never holds them.

defaults {
  transport = "http" # WinRM's default listener; NTLM encrypts the messages
  auth      = "ntlm"
  user      = env("FLEETPORT_USER")
  password  = env("FLEETPORT_PASSWORD")
}

group "web" {
  tags = { role = "iis" }
}

group "sql" {
  operation_timeout = "2m" # registry and netstat queries are slow on busy SQL hosts
  tags              = { role = "sql" }
}

host "web01" {
  address = "10.10.0.11"
  groups  = ["web"]
  tags    = { os = "2019" }
  vars    = { service_address = "10.10.1.11" }
}

host "web02" {
  address = "10.10.0.12"
  groups  = ["web"]
  tags    = { os = "2022" }
  vars    = { service_address = "10.10.1.12" }
}

host "sql01" {
  address            = "sql01.corp.example"
  management_address = "10.10.0.21" # the address WinRM traffic arrives on
  groups             = ["sql"]
  tags               = { os = "2016" }
}
