# A sub-folder is not read: this duplicate would be an error if it were.
policy "max_user_port" {
  registry "MaxUserPort" { at_least = 65534 }
}
