# Connections, services, listeners and port ranges.

policy "unknown_state" {
  connections {
    state          = "TIME-WAIT" # ERROR: Unknown TCP state
    max_per_remote = 5000
  }
}

policy "listening_state" {
  connections {
    state     = "LISTENING" # ERROR: Listeners are not connections
    max_total = 10
  }
}

policy "share_above_one" {
  connections {
    state              = "TIME_WAIT"
    max_share_of_range = 1.5 # ERROR: Value out of range
  }
}

policy "bad_service_state" {
  service "W3SVC" {
    state = "runing" # ERROR: Invalid service state
  }
}

policy "bad_service_name" {
  service "World Wide Web" { # ERROR: Invalid service name
    state = "running"
  }
}

policy "listener_conflict" {
  listener {
    port         = 25
    listening    = false
    not_wildcard = true # ERROR: Conflicting arguments
  }
}

policy "small_range" {
  dynamic_port_range {
    min_size = 100 # ERROR: Value out of range
  }
}

policy "low_start" {
  dynamic_port_range {
    start = 80 # ERROR: Value out of range
  }
}

policy "bad_family" {
  dynamic_port_range {
    family   = "ipv5" # ERROR: Invalid address family
    min_size = 1000
  }
}
