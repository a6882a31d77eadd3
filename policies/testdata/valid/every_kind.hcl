# One policy per rule kind, with remediation, as the language reference shows.

policy "http_listen_list" {
  description = "http.sys listens only on the service, management and loopback addresses"
  severity    = "high"
  applies_to  = contains(host.groups, "web") && host.os != "2003"
  references  = ["KB 813368", "windows-semantics.md §2"]

  listen_list {
    contains = [host.vars.service_address, host.management_address, "127.0.0.1"]
    excludes = ["0.0.0.0"]
  }
  remediation {
    listen_list { add = [host.vars.service_address, host.management_address, "127.0.0.1"] }
  }
}

policy "tcp_timed_wait_delay" {
  severity = "medium"
  registry "TcpTimedWaitDelay" {
    at_most = 30
  }
  remediation {
    registry "TcpTimedWaitDelay" { value = 30 }
  }
}

policy "smtp_socket_pooling" {
  listener {
    port         = 25
    not_wildcard = true
  }
  remediation {
    command "iis_socket_pooling" {
      service  = "smtpsvc"
      instance = 1
    }
  }
}

policy "time_wait_pressure" {
  connections {
    state              = "TIME_WAIT"
    max_per_remote     = 5000
    max_share_of_range = 0.5
  }
}

policy "dynamic_port_range" {
  dynamic_port_range {
    start    = 10000
    min_size = 55535
  }
  remediation {
    dynamic_port_range {
      start = 10000
      size  = 55535
    }
  }
}

policy "w3svc_running" {
  service "W3SVC" { state = "running" }
  remediation {
    service "W3SVC" { state = "running" }
  }
}
