defaults {
  user     = env("FLEETPORT_USER")
  password = env("FLEETPORT_PASSWORD")
}

group "web" {
  port = 5985
  tags = { role = "web", tier = "front" }
  vars = { vip = "10.0.0.80" }
}

group "dmz" {
  port = 5986                             # ERROR: Conflicting group settings
  tags = { role = "dmz", tier = "front" } # ERROR: Conflicting group settings
  vars = { vip = "10.9.0.80" }            # ERROR: Conflicting group settings
}

group "db" {
}

host "web01" {
  address = "10.0.0.1"
  groups  = ["web", "dmz", "wbe", "Db"] # ERROR: Reference to undeclared group # ERROR: Reference to undeclared group
}

host "web02" {
  address = "10.0.0.2"
  groups  = ["web", "dmz"]
}

host "web03" {
  address = "10.0.0.3"
  groups  = ["web", "dmz", "all"] # ERROR: Reference to undeclared group
  port    = 5985
  tags    = { role = "both" }
  vars    = { vip = "10.0.0.80" }
}
