host "web01" {
  address = "10.0.0.1"
  groups  = ["web", "dc1"]
}
