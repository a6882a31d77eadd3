# A simulated fleet for rehearsals: `fleetport sim --scenario examples/sim/demo.hcl`.
#
# Every setting here is optional; what is left out keeps the simulator's
# defaults. Shares are percentages of the hosts a kind can apply to, rounded
# to whole hosts, so the same seed always gives the same fleet.

fleet {
  hosts             = 300
  seed              = 7
  network           = "127.20.0.0/16" # management addresses, in order
  http_port         = 5985
  https_port        = 5986
  basic             = true  # WinRM service/Auth/Basic (https only unless allow_unencrypted)
  allow_unencrypted = false # WinRM service/AllowUnencrypted, the Windows default
  domain            = "corp.example"
  reboot_time       = "5s"   # how long a rebooting host is unreachable
  service_step      = "50ms" # how long one service takes to stop or start

  os_mix     = { "2003" = 4, "2008r2" = 10, "2012r2" = 20, "2016" = 22, "2019" = 28, "2022" = 16 }
  locale_mix = { "en-US" = 70, "de-DE" = 25, "fr-FR" = 5 }
}

role "web" {
  share    = 50
  services = ["W3SVC"]
}

role "smtp" {
  share    = 15
  services = ["SMTPSVC"]
}

role "sql" {
  share    = 10
  services = ["MSSQLSERVER"]
}

role "app" {
  share = 25
}

# Drift: the states a known share of hosts is left in.
drift "listen_list_empty" { share = 20 }          # http.sys listens on every address
drift "listen_list_stale" { share = 5 }           # the list names an address the host lacks
drift "listen_list_lockout_pending" { share = 5 } # the next HTTP restart cuts WinRM off
drift "smtp_wildcard" { share = 40 }              # SMTP on 0.0.0.0:25
drift "maxuserport_default" { share = 50 }        # 2003: ephemeral ports 1025..5000
drift "timedwaitdelay_default" { share = 20 }     # TIME_WAIT lasts 240 s
drift "dynamic_range_default" { share = 30 }      # 2008 R2+: 49152..65535
drift "pending_reboot" { share = 10 }             # TcpTimedWaitDelay set, not in effect
drift "site_binding_unlisted" { share = 5 }       # 2008 R2+: a site on an address the listen list lacks
drift "w3svc_stopped" { share = 5 }

drift "timewait_pile" {
  share = 10
  roles = ["web", "app"]
  # count = 12000 # TIME_WAIT sockets toward the SQL server; default 80 % of the range
}

# Faults: how a known share of hosts misbehaves on the wire.
fault "latency" {
  share   = 100
  latency = "2ms"
  jitter  = "3ms"
}

fault "refuse" { share = 1 } # nothing listens
fault "hang" { share = 1 }   # requests are never answered
fault "auth" { share = 1 }   # every credential is refused
fault "quota" { share = 1 }  # the shell quota is spent
fault "garble" { share = 1 } # command output arrives corrupted

fault "slow" {
  share    = 2
  duration = "3s" # added to every command
}
