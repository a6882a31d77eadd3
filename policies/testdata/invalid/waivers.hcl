# Waivers: what each must say, and how.

waiver "no_reason" {
  policy = "max_user_port"
  hosts  = ["app0001"]
  reason = "  " # ERROR: Missing waiver reason
  until  = "2027-03-31"
}

waiver "bad_date" {
  policy = "max_user_port"
  hosts  = ["app0001"]
  reason = "CHG-1"
  until  = "31.03.2027" # ERROR: Invalid waiver date
}

waiver "not_a_day" {
  policy = "max_user_port"
  hosts  = ["app0001"]
  reason = "CHG-1"
  until  = "2027-02-30" # ERROR: Invalid waiver date
}

waiver "both" {
  policy = "max_user_port"
  hosts  = ["app0001"]
  limit  = "group:app" # ERROR: Both hosts and limit
  reason = "CHG-1"
  until  = "2027-03-31"
}

waiver "neither" { # ERROR: Waiver covers no host
  policy = "max_user_port"
  reason = "CHG-1"
  until  = "2027-03-31"
}

waiver "missing" { # ERROR: Missing required argument
  policy = "max_user_port"
  hosts  = ["app0001"]
  reason = "CHG-1"
}

waiver "empty_hosts" {
  policy = "max_user_port"
  hosts  = [] # ERROR: Empty waiver hosts
  reason = "CHG-1"
  until  = "2027-03-31"
}

waiver "hosts_string" {
  policy = "max_user_port"
  hosts  = "app0001" # ERROR: Incorrect value type
  reason = "CHG-1"
  until  = "2027-03-31"
}

waiver "file_limit" {
  policy = "max_user_port"
  limit  = "web*,@hosts.txt" # ERROR: File in a waiver limit
  reason = "CHG-1"
  until  = "2027-03-31"
}

waiver "per_host" {
  policy = "max_user_port"
  hosts  = [host.name] # ERROR: Host values not allowed here
  reason = "CHG-1"
  until  = "2027-03-31"
}

waiver "bad name!" { # ERROR: Invalid waiver name
  policy = "max_user_port"
  hosts  = ["app0001"]
  reason = "CHG-1"
  until  = "2027-03-31"
  rule   = "registry" # ERROR: Unsupported argument
}

waiver "huge" {
  policy = "max_user_port"
  hosts  = [for i in range(100000) : "h${i}"] # ERROR: Error in function call
  reason = "the evaluation budget holds in waivers too"
  until  = "2027-03-31"
}
