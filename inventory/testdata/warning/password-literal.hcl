defaults { # WARNING: Password in plain text
  allow_password_literal = true
  user                   = "labadmin"
  password               = "lab-only"
}

group "lab" { # WARNING: Password in plain text
  password = "group-lab-only"
}

host "lab01" { # WARNING: Password in plain text
  address = "10.0.0.1"
  groups  = ["lab"]
  password = "host-lab-only"
}
