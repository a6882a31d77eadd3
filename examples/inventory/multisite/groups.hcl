# Roles. A host lists its groups; a group's settings, tags and vars apply to
# every member, and its concurrency caps how many members run at once.

group "web" {
  concurrency = 20
  tags        = { role = "iis" }
  vars        = { http_ports = [80, 443] }
}

group "sql" {
  concurrency       = 2 # never more than two database servers at a time
  operation_timeout = "2m"
  tags              = { role = "sql" }
}

group "smtp" {
  concurrency = 5
  tags        = { role = "smtp" }
}

# DMZ hosts are not in the domain: they have local accounts of their own,
# and at most five of them are worked on at once.
group "dmz" {
  concurrency = 5
  user        = env("FLEETPORT_DMZ_USER")
  password    = env("FLEETPORT_DMZ_PASSWORD")
  tags        = { zone = "dmz" }
}
