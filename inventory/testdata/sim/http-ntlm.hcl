# Inventory of the simulated fleet written by `fleetport sim` (seed 1, 5 hosts).
# Credentials are read from FLEETPORT_SIM_USER and FLEETPORT_SIM_PASSWORD; the simulator's demo pair is in the README.

defaults {
  transport = "http"
  port      = 5985
  auth      = "ntlm"
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

group "web" {
  tags = {
    role = "web"
  }
}

host "app0001" {
  address = "127.20.0.1"
  groups  = ["app"]
  tags = {
    locale = "en-US"
    os     = "2022"
  }
  vars = {
    service_address = "10.20.0.1"
  }
}

host "smtp0001" {
  address = "127.20.0.2"
  groups  = ["smtp"]
  tags = {
    locale = "en-US"
    os     = "2019"
  }
  vars = {
    service_address = "10.20.0.2"
  }
}

host "web0001" {
  address = "127.20.0.3"
  groups  = ["web"]
  tags = {
    locale = "en-US"
    os     = "2019"
  }
  vars = {
    service_address = "10.20.0.3"
  }
}

host "app0002" {
  address = "127.20.0.4"
  groups  = ["app"]
  tags = {
    locale = "de-DE"
    os     = "2019"
  }
  vars = {
    service_address = "10.20.0.4"
  }
}

host "app0003" {
  address = "127.20.0.5"
  groups  = ["app"]
  tags = {
    locale = "fr-FR"
    os     = "2012r2"
  }
  vars = {
    service_address = "10.20.0.5"
  }
}
