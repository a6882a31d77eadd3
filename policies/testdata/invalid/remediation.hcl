# Remediation: typed templates only, fleetport's access kept, coherence.

policy "free_text_command" {
  service "SMTPSVC" { state = "running" }
  remediation {
    command "shell" { # ERROR: Unknown command template
      line = "cscript adsutil.vbs set smtpsvc/disablesocketpooling true"
    }
  }
}

policy "bad_iis_service" {
  listener {
    port         = 25
    not_wildcard = true
  }
  remediation {
    command "iis_socket_pooling" {
      service = "smtp" # ERROR: Invalid IIS service
    }
  }
}

policy "stop_http" {
  service "HTTP" { state = "running" }
  remediation {
    service "HTTP" {
      state = "stopped" # ERROR: Change would cut fleetport's access
    }
  }
}

policy "disable_winrm" {
  service "WinRM" { state = "running" }
  remediation {
    service "winrm" {
      start_mode = "disabled" # ERROR: Change would cut fleetport's access
    }
  }
}

policy "duplicate_item" {
  registry "TcpTimedWaitDelay" { at_most = 30 }
  remediation {
    registry "TcpTimedWaitDelay" { value = 30 }
    registry "tcptimedwaitdelay" { value = 30 } # ERROR: Duplicate remediation item
  }
}

policy "incoherent" {
  registry "TcpTimedWaitDelay" { at_most = 30 }
  remediation {
    registry "TcpTimedWaitDelay" { value = 60 } # WARNING: Remediation does not satisfy the rule
  }
}

policy "range_covers_winrm" {
  dynamic_port_range { min_size = 60000 }
  remediation {
    dynamic_port_range {
      start = 1025 # WARNING: Port range covers WinRM's port
      size  = 64511
    }
  }
}

policy "range_past_65535" {
  dynamic_port_range { start = 10000 }
  remediation {
    dynamic_port_range {
      start = 10000
      size  = 60000 # ERROR: Value out of range
    }
  }
}

policy "value_and_delete" {
  registry "SynAttackProtect" { absent = true }
  remediation {
    registry "SynAttackProtect" {
      delete = true
      value  = 0 # ERROR: Conflicting arguments
    }
  }
}
