# Registry rules: the known table drives names, keys, types and ranges.

policy "misspelt_value" {
  registry "TcpTimedWaitDelya" { # ERROR: Unknown registry value
    at_most = 30
  }
}

policy "misspelt_value_known_key_no_type" {
  registry "MaxUserPorts" { # ERROR: Unknown registry value
    key      = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters"
    at_least = 65534
  }
}

policy "misspelt_value_declared" {
  registry "MaxUserPorts" { # WARNING: Unknown registry value name
    key      = "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters"
    type     = "REG_DWORD"
    at_least = 65534
  }
}

policy "unknown_key" {
  registry "Foo" {
    key     = "HKLM\\SOFTWARE\\Contoso" # ERROR: Unknown registry key
    type    = "REG_DWORD"
    present = true
  }
}

policy "out_of_range" {
  registry "MaxUserPort" {
    at_least = 70000 # ERROR: Value out of range
  }
}

policy "below_range" {
  registry "TcpTimedWaitDelay" {
    at_most = 10 # ERROR: Value out of range
  }
}

policy "type_mismatch_data" {
  registry "TcpTimedWaitDelay" {
    at_most = "30" # ERROR: Type mismatch
  }
}

policy "type_mismatch_declared" {
  registry "TcpTimedWaitDelay" {
    type    = "REG_SZ" # ERROR: Type mismatch
    at_most = 30
  }
}

policy "key_mismatch" {
  registry "MaxUserPort" {
    key      = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\AFD\\Parameters" # ERROR: Registry key mismatch
    at_least = 65534
  }
}

policy "comparison_on_string" {
  registry "ReservedPorts" {
    at_least = 1 # ERROR: Type mismatch
  }
}

policy "empty_range" {
  registry "MaxUserPort" {
    at_least = 60000 # ERROR: Empty range
    at_most  = 50000
  }
}

policy "not_a_power_of_two" {
  registry "MaxHashTableSize" {
    equals = 1000 # ERROR: Invalid registry data
  }
}

policy "bad_reserved_ports" {
  registry "ReservedPorts" {
    equals = ["1433-1434", "50000"] # ERROR: Invalid registry data
  }
}

policy "unsafe_string" {
  registry "Banner" {
    key    = "HKLM\\SOFTWARE\\Microsoft\\MSSQLServer\\MSSQLServer"
    type   = "REG_SZ"
    equals = "100%" # ERROR: Invalid registry data
  }
}

policy "bad_value_name" {
  registry "Tcp\"Delay" { # ERROR: Invalid registry value name
    at_most = 30
  }
}

policy "per_user_key" {
  registry "ProxyEnable" {
    key    = "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings" # WARNING: Per-user registry key
    type   = "REG_DWORD"
    equals = 0
  }
}

policy "absent_and_compare" {
  registry "SynAttackProtect" {
    absent = true
    equals = 1 # ERROR: Conflicting arguments
  }
}

policy "bad_when_absent" {
  registry "MaxFreeTcbs" {
    at_least    = 2000
    when_absent = "ignore" # ERROR: Invalid when_absent
  }
}

policy "no_default" {
  registry "MaxFreeTcbs" {
    at_least    = 2000
    when_absent = "default" # WARNING: No known default
  }
}
