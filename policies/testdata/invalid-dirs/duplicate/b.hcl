policy "tcp_timed_wait_delay" { # ERROR: Duplicate policy
  registry "TcpTimedWaitDelay" { at_most = 60 }
}
