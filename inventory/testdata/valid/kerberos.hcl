# Kerberos may use the controller's ticket: no user or password needed.
defaults {
  auth = "kerberos"
}

host "dc01.corp.example" {
  address = "dc01.corp.example"
}
