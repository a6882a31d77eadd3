# Listen lists: addresses, contradictions, and fleetport's own access.

policy "lockout_exactly" {
  listen_list { contains = [host.vars.service_address] }
  remediation {
    listen_list {
      exactly = [host.vars.service_address, "127.0.0.1"] # ERROR: Listen list would lock fleetport out
    }
  }
}

policy "lockout_add" {
  listen_list { contains = [host.vars.service_address] }
  remediation {
    listen_list {
      add = [host.vars.service_address, host.management_address] # ERROR: Listen list would lock fleetport out
    }
  }
}

policy "lockout_add_from_var" {
  listen_list { contains = [host.vars.service_address] }
  remediation {
    listen_list {
      add = host.vars.addresses # ERROR: Listen list would lock fleetport out
    }
  }
}

policy "lockout_remove" {
  listen_list { excludes = ["192.168.33.1"] }
  remediation {
    listen_list {
      remove = ["192.168.33.1", host.management_address] # ERROR: Listen list would lock fleetport out
    }
  }
}

policy "registry_listen_list" {
  listen_list { contains = ["127.0.0.1"] }
  remediation {
    registry "ListenOnlyList" { # ERROR: Use listen_list for the listen list
      value = ["127.0.0.1"]
    }
  }
}

policy "bad_address" {
  listen_list {
    contains = ["10.0.0.300"] # ERROR: Invalid IP address
  }
}

policy "address_with_port" {
  listen_list {
    contains = [
      "127.0.0.1",
      "10.0.0.5:80", # ERROR: Invalid IP address
    ]
  }
}

policy "contradictory" {
  listen_list {
    contains = ["10.0.0.5"]
    excludes = ["10.0.0.5"] # ERROR: Contradictory listen list
  }
}

policy "exactly_and_contains" {
  listen_list {
    exactly  = ["10.0.0.5"] # ERROR: Listen list can only be met by locking fleetport out
    contains = ["10.0.0.5"] # ERROR: Conflicting arguments
  }
}
