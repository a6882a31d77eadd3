# The smallest useful inventory: one host, credentials from the environment.
host "web01" {
  address  = "10.0.0.1"
  user     = env("FLEETPORT_USER")
  password = env("FLEETPORT_PASSWORD")
}
