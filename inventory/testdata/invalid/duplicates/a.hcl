defaults {
  user     = env("FLEETPORT_USER")
  password = env("FLEETPORT_PASSWORD")
}

group "web" {
}

host "web01" {
  address = "10.0.0.1"
}
