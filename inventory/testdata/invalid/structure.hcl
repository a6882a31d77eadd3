address = "10.0.0.1" # ERROR: Argument outside a block

hosts "a" { # ERROR: Unsupported block type
}

defaults "x" { # ERROR: Extraneous label for defaults
}

group { # ERROR: Missing name for group
}

host "web01" {
  address = "10.0.0.1"
  adress  = "10.0.0.2" # ERROR: Unsupported argument
  group "g" {          # ERROR: Unexpected nested block
  }
  tags { # ERROR: Unsupported block type
  }
  user     = env("FLEETPORT_USER")
  password = env("FLEETPORT_PASSWORD")
}

host "web02" { # ERROR: Missing address
  user     = env("FLEETPORT_USER")
  password = env("FLEETPORT_PASSWORD")
}
