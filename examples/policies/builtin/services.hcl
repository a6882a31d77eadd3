# Built-in pack: the services the web tier needs.

policy "w3svc_running" {
  description = "Web servers: the World Wide Web Publishing Service runs"
  severity    = "high"
  applies_to  = contains(host.roles, "web") # W3SVC installed, or a site registered with http.sys
  references  = ["KB 813368", "windows-commands.md (Service restarts)"]

  service "W3SVC" {
    state = "running"
  }

  remediation {
    # net start w3svc also starts what it depends on (WAS, HTTP).
    service "W3SVC" {
      state = "running"
    }
  }
}
