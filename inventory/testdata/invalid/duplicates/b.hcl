defaults { # ERROR: Duplicate defaults block
}

group "Web" { # ERROR: Duplicate group declaration
}

host "web01" { # ERROR: Duplicate host declaration
  address = "10.0.0.2"
}

host "WEB01" { # ERROR: Duplicate host declaration
  address = "10.0.0.3"
}
