# A syntax error stops the file: HCL reports it and nothing else.

policy "broken" {
  applies_to = contains(host.groups "web") # ERROR: Missing argument separator
  service "W3SVC" { state = "running" }
}
