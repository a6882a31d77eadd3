# Waivers: drift that is accepted, for a reason, until a date.
#
# A waiver makes the drift of one policy on the hosts it covers "waived":
# reports show it with the reason, the date and this file's line, it is
# counted apart, it does not make `fleetport drift` exit 2, and `plan`
# leaves it alone. From the day after `until` (UTC) it waives nothing: the
# drift fails again and drift warns about the waiver. `fleetport validate`
# checks that each waiver names a policy and covers hosts of the inventory.
#
#   fleetport validate -i examples/inventory/multisite -p examples/policies

waiver "mail01-relay" {
  policy = "smtp_socket_pooling"
  hosts  = ["mail01"]
  reason = "the old relay binds every address until it moves to the new SMTP pair (CHG-4711)"
  until  = "2027-06-30"
}

waiver "dc1-web-timed-wait" {
  policy = "tcp_timed_wait_delay"
  limit  = "group:web,&group:dc1" # the --limit language, without @file
  reason = "the dc1 web tier keeps the vendor's 120 s until its load test ends (CHG-4802)"
  until  = "2027-03-31"
}
