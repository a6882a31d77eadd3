# Structural mistakes: unknown blocks and arguments, misplaced blocks.

policy "unknown_block" {
  registy "TcpTimedWaitDelay" { # ERROR: Unsupported block type
    at_most = 30
  }
  service "W3SVC" { state = "running" }
}

policy "unknown_argument" {
  severty = "high" # ERROR: Unsupported argument
  service "W3SVC" { state = "running" }
}

policy "unknown_rule_argument" {
  registry "TcpTimedWaitDelay" {
    at_most   = 30
    not_above = 30 # ERROR: Unsupported argument
  }
}

registry "MaxUserPort" { # ERROR: Block outside a policy
  at_least = 65534
}

host "web01" { # ERROR: Inventory block in a policy file
  address = "10.0.0.1"
}

policy "empty" { # ERROR: Policy without rules
  description = "checks nothing"
}

policy "9lives" { # ERROR: Invalid policy name
  service "W3SVC" { state = "running" }
}

policy "two_remediations" {
  service "W3SVC" { state = "running" }
  remediation {
    service "W3SVC" { state = "running" }
  }
  remediation { # ERROR: Duplicate remediation block
    service "W3SVC" { state = "running" }
  }
}

policy "no_condition" {
  registry "TcpTimedWaitDelay" { # ERROR: Missing condition
  }
}

policy "conflicting" {
  registry "TcpTimedWaitDelay" {
    equals  = 30
    at_most = 30 # ERROR: Conflicting arguments
  }
}

policy "missing_label" {
  service { # ERROR: Missing name for service
    state = "running"
  }
}

policy "empty_remediation" {
  service "W3SVC" { state = "running" }
  remediation { # ERROR: Empty remediation
  }
}
