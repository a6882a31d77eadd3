# Built-in pack: connection limits (windows-semantics.md §1, §5).

policy "tcp_connection_limits" {
  description = "2003: the TCP connection limits are not lowered below Windows' defaults (MaxFreeTcbs 2000, MaxHashTableSize 512, TcpNumConnections 16777214)"
  severity    = "low"
  references  = ["windows-semantics.md §1", "KB 120642"]

  registry "MaxFreeTcbs" {
    at_least    = 2000
    when_absent = "pass" # the default depends on memory
  }
  registry "MaxHashTableSize" { # absent: 512
    at_least = 512
  }
  registry "TcpNumConnections" { # absent: 16777214
    at_least = 16777214
  }
  remediation { # the defaults come back (after a reboot) when the overrides go
    registry "MaxFreeTcbs" { delete = true }
    registry "MaxHashTableSize" { delete = true }
    registry "TcpNumConnections" { delete = true }
  }
}

policy "wininet_connections_per_server" {
  description = "WinInet keeps at least the HTTP/1.1 default of 2 connections per server machine-wide; a lower value serializes every request a client process makes"
  severity    = "info"
  references  = ["KB 183110", "windows-semantics.md §5"]

  registry "MaxConnectionsPerServer" { # absent: 2
    at_least = 2
  }
  remediation { # new processes get the default of 2
    registry "MaxConnectionsPerServer" { delete = true }
  }
}
