defaults {
  user     = env("FLEETPORT_USER")
  password = file("secrets/${host.name}.txt")
  site     = lower("DC2")
  tags     = merge({ owner = "ops" }, { env = "test" })
  vars     = { fqdn = "${host.name}.example.org", list = concat([1], [2, 3]) }
}

group "app" {
  tags = { role = trimspace("  app  ") }
}

host "app01" {
  address = join(".", ["10", "0", "0", "1"])
  groups  = ["app"]
  tags    = { name = upper(host.name), quoted = "a=b" }
}
