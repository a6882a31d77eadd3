group "web" {
  tags = { role = "web" }
}

group "dc1" {
  site = "dc1"
}
