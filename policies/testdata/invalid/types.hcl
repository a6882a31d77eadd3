# Values of the wrong type, bad severities, bad expressions.

policy "wrong_type" {
  description = ["not", "a", "string"] # ERROR: Incorrect value type
  service "W3SVC" { state = "running" }
}

policy "bad_severity" {
  severity = "hihg" # ERROR: Invalid severity
  service "W3SVC" { state = "running" }
}

policy "unknown_function" {
  applies_to = starts_with(host.name, "web") # ERROR: Call to unknown function
  service "W3SVC" { state = "running" }
}

policy "unknown_host_attribute" {
  applies_to = contains(host.group, "web") # ERROR: Unsupported attribute
  service "W3SVC" { state = "running" }
}

policy "unknown_variable" {
  applies_to = contains(hots.groups, "web") # ERROR: Unknown variable
  service "W3SVC" { state = "running" }
}

policy "applies_to_not_bool" {
  applies_to = host.name # ERROR: Incorrect value type
  service "W3SVC" { state = "running" }
}

policy "bad_operator" {
  applies_to = host.os_version + "x" > 6 # ERROR: Invalid operand
  service "W3SVC" { state = "running" }
}

policy "host_value_in_static_argument" {
  severity = host.tags.severity # ERROR: Host values not allowed here
  service "W3SVC" { state = "running" }
}

policy "port_not_a_number" {
  listener {
    port         = "smtp" # ERROR: Incorrect value type
    not_wildcard = true
  }
}

policy "port_out_of_range" {
  listener {
    port         = 70000 # ERROR: Value out of range
    not_wildcard = true
  }
}

policy "bool_expected" {
  listener {
    port         = 25
    not_wildcard = "maybe" # ERROR: Incorrect value type
  }
}

policy "missing_argument" {
  applies_to = contains(host.groups, ) # ERROR: Not enough function arguments
  service "W3SVC" { state = "running" }
}
