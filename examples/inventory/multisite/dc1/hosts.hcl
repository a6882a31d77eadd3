host "web01" {
  address = "10.1.0.11"
  groups  = ["web", "dc1"]
  tags    = { os = "2019" }
  vars    = { service_address = "10.1.10.11" }
}

host "web02" {
  address = "10.1.0.12"
  groups  = ["web", "dc1"]
  tags    = { os = "2022" }
  vars    = { service_address = "10.1.10.12" }
}

host "sql01" {
  address = "10.1.0.21"
  groups  = ["sql", "dc1"]
  tags    = { os = "2016" }
}

host "mail01" {
  address = "10.1.0.31"
  groups  = ["smtp", "dc1"]
  tags    = { os = "2012r2" }
}
