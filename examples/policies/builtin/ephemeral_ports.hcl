# Built-in pack: ephemeral (client) ports and TIME_WAIT (windows-semantics.md §1, §4).
#
# A client that opens and closes connections without pooling leaves each in
# TIME_WAIT for TcpTimedWaitDelay seconds (240 by default). When the sockets
# toward one server approach the number of client ports, new connections fail.
# On 2003 the client ports are 1025..MaxUserPort (5000 by default); from 2008
# the dynamic port range (49152 + 16384 by default) replaces MaxUserPort.

policy "max_user_port" {
  description = "2003: MaxUserPort is raised to 65534, so clients have ports 1025..65534 instead of 1025..5000 (takes effect after a reboot)"
  severity    = "high"
  references  = ["KB 196271", "KB 328476", "windows-semantics.md §1"]

  registry "MaxUserPort" { # honoured on 2003 and earlier; not applicable from 2008
    at_least = 65534
  }

  remediation {
    registry "MaxUserPort" {
      value = 65534
    }
  }
}

policy "tcp_timed_wait_delay" {
  description = "TcpTimedWaitDelay is at most 30 s, so closed connections leave TIME_WAIT after 30 s instead of 240 s (takes effect after a reboot)"
  severity    = "medium"
  references  = ["KB 328476", "windows-semantics.md §1"]

  registry "TcpTimedWaitDelay" { # absent: 240 s
    at_most = 30
  }

  remediation {
    registry "TcpTimedWaitDelay" {
      value = 30
    }
  }
}

policy "dynamic_port_range" {
  description = "2008 and later: the TCP/IPv4 dynamic port range starts at 10000 with 55535 ports instead of 49152 with 16384 (applies at once)"
  severity    = "high"
  references  = ["KB 929851", "windows-semantics.md §1"]

  dynamic_port_range { # not applicable on 2003, where MaxUserPort sets the range
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

policy "time_wait_pressure" {
  description = "No remote endpoint holds more than 5000 connections in TIME_WAIT, nor more than half the client port range: beyond that, new connections to it start failing (WSAENOBUFS 10055)"
  severity    = "high"
  references  = ["KB 328476", "KB 196271", "windows-semantics.md §1", "windows-semantics.md §4"]

  connections {
    state              = "TIME_WAIT"
    max_per_remote     = 5000
    max_share_of_range = 0.5
  }
  # No remediation: the fix is connection pooling in the client, or the port
  # settings of max_user_port, tcp_timed_wait_delay and dynamic_port_range.
}
