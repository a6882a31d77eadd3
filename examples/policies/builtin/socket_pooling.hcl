# Built-in pack: socket pooling of the IIS SMTP service (windows-semantics.md §3).
#
# IIS SMTP (like IIS 5's W3SVC, NNTP and FTP) binds 0.0.0.0 even when it is
# configured for one address, unless the metabase property DisableSocketPooling
# is set; another service then cannot use port 25 on the other addresses.
#
# SMTP servers are told by their facts (host.roles has "smtp": the SMTPSVC
# service is installed, or something listens on port 25), not by a group name.

policy "smtp_socket_pooling" {
  description = "SMTP servers: SMTP is not bound to 0.0.0.0:25 (socket pooling off), so it listens only where it is configured to"
  severity    = "medium"
  applies_to  = contains(host.roles, "smtp")
  references  = ["KB 238131", "KB 813368", "windows-semantics.md §3"]

  listener {
    port         = 25
    not_wildcard = true
  }

  remediation {
    # cscript adsutil.vbs set smtpsvc/disablesocketpooling true, then restart SMTPSVC.
    command "iis_socket_pooling" {
      service = "smtpsvc"
    }
  }
}
