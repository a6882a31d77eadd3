defaults {
  transport         = "htps"        # ERROR: Unsupported transport
  auth              = "NTLM"        # ERROR: Unsupported authentication method
  connect_timeout   = "10"          # ERROR: Invalid duration
  operation_timeout = 60            # ERROR: Invalid duration
  timeout           = "0s"          # ERROR: Invalid duration
  concurrency       = 0             # ERROR: Invalid concurrency
  site              = "dc 1"        # ERROR: Invalid site name
  insecure_skip_verify = "maybe"    # ERROR: Incorrect attribute value type
  address           = "10.0.0.1"    # ERROR: Argument not allowed here
  ca_file           = ""            # ERROR: Invalid CA file
  user              = env("FLEETPORT_USER")
  password          = env("FLEETPORT_PASSWORD")
}

group "web" {
  port        = 70000               # ERROR: Invalid port
  concurrency = 2.5                 # ERROR: Invalid concurrency
  tags        = ["web"]             # ERROR: Incorrect attribute value type
  vars        = "x"                 # ERROR: Incorrect attribute value type
  groups      = ["dmz"]             # ERROR: Argument not allowed here
}

host "a" {
  address     = "10.0.0.300"        # ERROR: Invalid address
  port        = "http"              # ERROR: Incorrect attribute value type
  concurrency = 3                   # ERROR: Argument not allowed here
}

host "b" {
  address            = "10.0.0.1:5985"  # ERROR: Invalid address
  management_address = "b.corp.example" # ERROR: Invalid management address
  tls_server_name    = "-bad-.example"  # ERROR: Invalid TLS server name
  tags               = { "a=b" = "x", os = ["2019"] } # ERROR: Invalid tag # ERROR: Incorrect attribute value type
}

host "c" {
  address = "http://c.corp.example" # ERROR: Invalid address
  port    = 0                       # ERROR: Invalid port
  groups  = "web"                   # ERROR: Incorrect attribute value type
}

host "d" {
  address = "[fd00::1]"             # ERROR: Invalid address
  port    = 5985.5                  # ERROR: Invalid port
}
