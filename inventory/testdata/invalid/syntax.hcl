defaults {
  user     = env("FLEETPORT_USER")
  password = env("FLEETPORT_PASSWORD")
}

host "web01" {
  address = "10.0.0.1" "x" # ERROR: Missing newline after argument
}
