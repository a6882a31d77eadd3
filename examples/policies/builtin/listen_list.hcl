# Built-in pack: the http.sys IP listen list (windows-semantics.md §2).
#
# From IIS 6 (Windows Server 2003), http.sys owns ports 80 and 443 and ignores
# the metabase's DisableSocketPooling: it listens on every address unless the
# IP listen list (HTTP\Parameters\ListenOnlyList) names some. The list is read
# when the HTTP service starts. WinRM listens through http.sys too, so a list
# without the management address cuts fleetport off at the next HTTP restart.
#
# Web servers are told by their facts (host.roles has "web": the W3SVC
# service is installed, or a site's URL is registered with http.sys), not by
# a group name; they declare the address their sites serve as
# vars.service_address.

policy "http_listen_list" {
  description = "Web servers: the http.sys listen list names the service address, the management address and 127.0.0.1, so http.sys does not listen on every address"
  severity    = "high"
  applies_to  = contains(host.roles, "web")
  references  = ["KB 813368", "KB 331062", "windows-semantics.md §2"]

  listen_list {
    contains = [host.vars.service_address, host.management_address, "127.0.0.1"]
  }

  remediation {
    listen_list {
      add = [host.vars.service_address, host.management_address, "127.0.0.1"]
    }
  }
}

policy "http_listen_list_stale" {
  description = "Web servers: the listen list names no address beyond the service, management and loopback addresses; a stale entry (an address the host lacks) stops http.sys binding and takes the sites down (event 15005 / 1005, W3SVC event 1004)"
  severity    = "medium"
  applies_to  = contains(host.roles, "web")
  references  = ["Event ID 15005", "windows-semantics.md §2"]

  # The host's interface addresses are not collected, so "an address the host
  # lacks" is expressed as "an address the inventory does not declare".
  listen_list {
    only = [host.vars.service_address, host.management_address, "127.0.0.1"]
  }

  remediation {
    listen_list {
      exactly = [host.vars.service_address, host.management_address, "127.0.0.1"]
    }
  }
}

policy "winrm_listen_list_access" {
  description = "Every host: a non-empty listen list keeps the management address and 127.0.0.1, or the next HTTP restart cuts WinRM (and fleetport) off"
  severity    = "critical"
  references  = ["KB 813368", "windows-semantics.md §2"]

  listen_list {
    contains    = [host.management_address, "127.0.0.1"]
    allow_empty = true # an empty list means every address: WinRM stays reachable
  }

  remediation {
    listen_list {
      add = [host.management_address, "127.0.0.1"]
    }
  }
}
