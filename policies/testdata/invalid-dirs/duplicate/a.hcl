policy "tcp_timed_wait_delay" {
  registry "TcpTimedWaitDelay" { at_most = 30 }
}
