defaults {
  user     = env("FLEETPORT_USER")
  password = env("FLEETPORT_PASSWORD")
}

host "lab01" {
  address              = "10.0.0.1"
  transport            = "https"
  insecure_skip_verify = true  # WARNING: TLS certificate verification disabled
}

host "lab02" {
  address           = "10.0.0.2"
  auth              = "basic"
  allow_unencrypted = true     # WARNING: Unencrypted traffic allowed
}
