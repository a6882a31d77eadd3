# The fleet bench/compare.sh serves: one role, one release, one locale, no
# drift and no faults, so that every host answers the same commands and
# every tool can be given exactly the command set fleetport runs. The
# harness sets hosts, latency, command time, network and ports by flags.

fleet {
  basic      = true # WinRM service/Auth/Basic: Basic over https for the second case
  os_mix     = { "2019" = 100 }
  locale_mix = { "en-US" = 100 }
}

role "app" {
  share = 100
}
