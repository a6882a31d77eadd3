# Inventory of the simulated fleet written by `fleetport sim` (seed 1, 2 hosts).
# Credentials are read from FLEETPORT_SIM_USER and FLEETPORT_SIM_PASSWORD; the simulator's demo pair is in the README.

defaults {
  transport = "https"
  port      = 5986
  auth      = "basic"
  ca_file   = "/root/.local/state/fleetport/sim/ca.pem"
  user      = env("FLEETPORT_SIM_USER")
  password  = env("FLEETPORT_SIM_PASSWORD")
}

group "app" {
  tags = {
    role = "app"
  }
}

group "smtp" {
  tags = {
    role = "smtp"
  }
}

host "app0001" {
  address         = "127.20.0.1"
  tls_server_name = "app0001.corp.example"
  groups          = ["app"]
  tags = {
    locale = "en-US"
    os     = "2022"
  }
  vars = {
    service_address = "10.20.0.1"
  }
}

host "smtp0001" {
  address         = "127.20.0.2"
  tls_server_name = "smtp0001.corp.example"
  groups          = ["smtp"]
  tags = {
    locale = "en-US"
    os     = "2019"
  }
  vars = {
    service_address = "10.20.0.2"
  }
}
