defaults {
  site            = lower(env("SITE"))     # ERROR: Function not allowed here
  tls_server_name = "${host.name}.${var.domain}" # ERROR: Unknown variable
  ca_file         = host.address           # ERROR: Unsupported attribute
  connect_timeout = secs(10)               # ERROR: Call to unknown function
  user            = env("FLEETPORT_USER")
  password        = env("FLEETPORT_PASSWORD")
}

group "web" {
  concurrency = length(host.name)          # ERROR: Reference not allowed here
  tags        = { role = format("%99999s", "x") } # ERROR: Invalid function argument
}

host "web01" {
  address = "10.0.0.1"
  groups  = [host.name]                    # ERROR: Reference not allowed here
  vars    = { x = file("x") }              # ERROR: Function not allowed here
}

host "web02" {
  address = "${host.name}..corp"           # ERROR: Invalid address
}
