# Diagnostics about a literal password (or anything that may hold one) point
# at its block, not at the password line, so that no snippet shows it.

host "a" { # ERROR: Password in plain text
  address  = "10.0.0.1"
  user     = "admin"
  password = "not-a-real-password"
}

host "b" {
  address  = "10.0.0.2"
  user     = env("A", "B")                # ERROR: Invalid credential reference
  password = prompt("Password please")    # ERROR: Invalid credential reference
}

host "c" { # ERROR: Function not allowed here
  address  = "10.0.0.3"
  user     = ""                            # ERROR: Empty user
  password = "${env("PW")}!"
}

host "d" {
  address  = "10.0.0.4"
  user     = env("")                       # ERROR: Invalid credential reference
  password = file(42)                      # ERROR: Invalid credential reference
}

host "e" { # ERROR: Missing user # ERROR: Missing password
  address = "10.0.0.5"
  auth    = "basic"                        # ERROR: Basic authentication over http
}

host "f" { # ERROR: Incorrect attribute value type
  address  = "10.0.0.6"
  user     = env("U")
  password = ["list", "of", "secrets"]
}

host "g" { # ERROR: Password in plain text
  address                = "10.0.0.7"
  user                   = env("U")
  password               = "lab"
  allow_password_literal = false
}
