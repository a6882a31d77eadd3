group "all" { # ERROR: Reserved group name
}

group "web servers" { # ERROR: Invalid group name
}

host "web 01" { # ERROR: Invalid host name
  address = "10.0.0.1"
}

defaults {
  user     = env("FLEETPORT_USER")
  password = env("FLEETPORT_PASSWORD")
}
