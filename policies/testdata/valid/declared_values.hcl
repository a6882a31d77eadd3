# Values outside the known table, declared with key and type, and every
# condition of the registry rule.

policy "declared_dword" {
  registry "EnablePMTUDiscovery" {
    key    = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters"
    type   = "REG_DWORD"
    equals = 1
  }
}

policy "declared_string" {
  registry "SearchList" {
    key    = "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters"
    type   = "reg_sz"
    one_of = ["", "corp.example"]
  }
}

policy "reserved_ports" {
  registry "ReservedPorts" {
    equals = ["1433-1434", "5985-5986"]
  }
  remediation {
    registry "ReservedPorts" { value = ["1433-1434", "5985-5986"] }
  }
}

policy "syn_attack_protect_off" {
  registry "SynAttackProtect" {
    present = false
  }
  remediation {
    registry "SynAttackProtect" { delete = true }
  }
}

policy "bounds" {
  registry "MaxHashTableSize" {
    at_least = 512
    at_most  = 65536
  }
  registry "MaxFreeTcbs" {
    at_least    = 2000
    when_absent = "fail"
  }
}
