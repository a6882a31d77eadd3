group "dc1" {
  site = "dc1"
}
