defaults {
  user     = env("FLEETPORT_USER")
  password = env("FLEETPORT_PASSWORD")
}

group "sql01" {
}

host "sql01" { # WARNING: Host and group share a name
  address = "10.0.0.1"
  groups  = ["sql01", "sql01"] # WARNING: Group listed twice
}
