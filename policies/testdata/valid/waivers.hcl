# Waivers: accepted drift, by host names or by a --limit pattern.

waiver "legacy-relay" {
  policy = "smtp_socket_pooling"
  hosts  = ["smtp0003", "SMTP0004"]
  reason = "the old relay binds every address until it is replaced (CHG-4711)"
  until  = "2027-03-31"
}

waiver "paris_web_ports" {
  policy = "fleetport.port_exhaustion"
  limit  = "group:web,&tag:site=paris,!web0007"
  reason = "load test of the Paris web tier until the end of the quarter"
  until  = "2027-03-31"
}
