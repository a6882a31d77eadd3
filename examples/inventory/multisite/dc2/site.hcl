# dc2 is across a WAN link: slower connections.
group "dc2" {
  site            = "dc2"
  connect_timeout = "20s"
}
