host "web01" {
  address = "10.0.0.1"
  auth    = "kerberos" # ERROR: Kerberos needs the host's name
}

host "web02" {
  address       = "10.0.0.2"
  auth          = "kerberos" # ERROR: Kerberos needs the host's name
  kerberos_name = "10.0.0.2"
}

host "web03" {
  address       = "10.0.0.3"
  auth          = "kerberos"    # ERROR: Kerberos needs the host's name
  kerberos_name = "not a name!" # ERROR: Invalid Kerberos host name
}

host "web04" {
  address = "web04.corp.example"
  auth    = "kerberos"
}
