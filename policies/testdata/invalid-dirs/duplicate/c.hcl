policy "TCP_Timed_Wait_Delay" { # ERROR: Duplicate policy
  registry "TcpTimedWaitDelay" { at_most = 120 }
}

policy "max_user_port" {
  registry "MaxUserPort" { at_least = 65534 }
}
