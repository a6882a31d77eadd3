# Per-host expressions and the functions policies may call.

policy "by_name_prefix" {
  applies_to = startswith(lower(host.name), "web") || endswith(host.name, "-iis")
  service "W3SVC" { state = "running" }
}

policy "by_subnet_and_site" {
  applies_to = cidrcontains("10.20.0.0/16", host.address) && host.site != "lab"
  service "W3SVC" { state = "running" }
}

policy "by_release" {
  applies_to = host.os_version >= 6.1 && can(regex("^20(1|2)", host.os))
  registry "TcpTimedWaitDelay" { at_most = 60 }
}

policy "by_tag_and_var" {
  severity   = "low"
  applies_to = lookup(host.tags, "role", "") == "web" && try(host.vars.strict, false)
  listen_list {
    only = concat([host.management_address, "127.0.0.1"], try(host.vars.extra_addresses, []))
  }
}

policy "remote_endpoint" {
  connections {
    state          = ["TIME_WAIT", "CLOSE_WAIT"]
    remote_address = try(host.vars.sql_address, "10.0.0.9")
    remote_port    = 1433
    max_total      = 20000
  }
}

policy "per_host_value" {
  registry "MaxUserPort" {
    at_least = try(host.vars.max_user_port, 65534)
  }
}
