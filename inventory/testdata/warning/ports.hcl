defaults {
  user     = env("FLEETPORT_USER")
  password = env("FLEETPORT_PASSWORD")
}

group "secure" {
  transport = "https"
  port      = 5985     # WARNING: Port does not match transport
}

host "a" {
  address = "10.0.0.1"
  groups  = ["secure"]
}

host "b" {
  address = "10.0.0.2"
  groups  = ["secure"]
}

host "c" {
  address = "10.0.0.3"
  port    = 5986 # WARNING: Port does not match transport
}

host "d" {
  address = "10.0.0.4"
  port    = 8443 # another port is the operator's business
}
