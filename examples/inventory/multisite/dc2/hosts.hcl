host "web11" {
  address = "10.2.0.11"
  groups  = ["web", "dmz", "dc2"] # a web server in the DMZ
  tags    = { os = "2019" }
  vars    = { service_address = "198.51.100.11" }
}

host "sql11" {
  address = "10.2.0.21"
  groups  = ["sql", "dc2"]
  tags    = { os = "2019" }
}

host "legacy11" {
  address            = "legacy11.corp.example"
  management_address = "10.2.0.99"
  groups             = ["dc2"]
  transport          = "http" # a 2003 host without an https listener
  port               = 5985
  tags               = { os = "2003" }
}
