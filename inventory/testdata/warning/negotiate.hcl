defaults {
  auth     = "negotiate" # WARNING: Negotiate will use NTLM
  user     = env("FLEETPORT_USER")
  password = env("FLEETPORT_PASSWORD")
}

# A name: Kerberos when the KDC has a ticket for HTTP/web01.corp.example.
host "web01" {
  address = "web01.corp.example"
}

# Addressed by IP, named for Kerberos.
host "web02" {
  address       = "10.0.0.2"
  kerberos_name = "web02.corp.example"
}

# Addressed by IP without a name: NTLM, with a warning at the auth it inherits.
host "web03" {
  address = "10.0.0.3"
}
