# Policies for bench/compare.sh: they need exactly the facts the comparison
# collects (the connection table, the http.sys listen list and four
# Tcpip\Parameters values, read with one reg query of the key). The checks
# are permissive on purpose: the benchmark measures collection, not drift.
# The harness runs fleetport with --no-builtin, so these policies alone
# decide what it asks: with the listen list fleetport also reads the host's
# addresses and registered URLs, and with registry values the boot time
# (what its checks need to judge them). The harness finds the lines
# fleetport runs on a bench host and gives the other tools the same lines.

policy "bench_tcpip_values" {
  description = "bench: read TcpTimedWaitDelay, MaxUserPort, MaxFreeTcbs and MaxHashTableSize"
  severity    = "info"

  registry "TcpTimedWaitDelay" {
    at_most     = 240
    when_absent = "pass"
  }
  registry "MaxUserPort" {
    at_least    = 5000
    when_absent = "pass"
  }
  registry "MaxFreeTcbs" {
    at_least    = 1
    when_absent = "pass"
  }
  registry "MaxHashTableSize" {
    at_least    = 64
    when_absent = "pass"
  }
}

policy "bench_listen_list" {
  description = "bench: read the http.sys IP listen list"
  severity    = "info"

  listen_list {
    excludes    = ["192.0.2.1"] # TEST-NET-1: never on a simulated host
    allow_empty = true
  }
}

policy "bench_connections" {
  description = "bench: read the connection table"
  severity    = "info"

  connections {
    max_total = 1000000
  }
}
