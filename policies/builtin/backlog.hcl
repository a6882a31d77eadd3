# Built-in pack: listen backlogs (windows-semantics.md §1 "Listen backlog", §4).

policy "afd_dynamic_backlog" {
  description = "2003: AFD's dynamic backlog stays within the recommended bounds (growth delta at most 10, maximum at most 20000); larger values exhaust nonpaged pool under a SYN flood (KB 951162)"
  severity    = "medium"
  references  = ["KB 951162", "KB 142641", "windows-semantics.md §1"]

  # Both values are absent by default (0), which passes; removed from AFD as of 2008.
  registry "DynamicBacklogGrowthDelta" {
    at_most = 10
  }
  registry "MaximumDynamicBacklog" {
    at_most = 20000
  }

  remediation {
    registry "DynamicBacklogGrowthDelta" {
      value = 10
    }
    registry "MaximumDynamicBacklog" {
      value = 20000
    }
  }
}

policy "sql2000_listen_backlog" {
  description = "SQL Server 2000: WinsockListenBacklog is set above the built-in 5, so bursts of connections are not refused with ACK+RESET (error 17832); SQL Server 2005 and later ignore it"
  severity    = "medium"
  # SQL Server (its MSSQLSERVER service) on Server 2003, the last release
  # SQL Server 2000 runs on; the group "sql2000" names such hosts too when
  # SQL Server runs as a named instance.
  applies_to = contains(host.groups, "sql2000") || (contains(host.roles, "sql") && host.os == "2003")
  references = ["KB 154628", "KB 328476", "windows-semantics.md §4"]

  registry "WinsockListenBacklog" { # absent: 5
    at_least = 6
  }
  # No remediation: the right backlog depends on the load; a change needs a
  # restart of the SQL Server service.
}
