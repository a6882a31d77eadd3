defaults {
  user     = env("FLEETPORT_USER")
  password = env("FLEETPORT_PASSWORD")
}
