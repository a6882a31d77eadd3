this is not HCL {
