"""Debian's python3-winrm with python3-requests-kerberos: run `hostname`
on each host given, over https with Kerberos (the ticket from KRB5CCNAME),
the host's certificate verified against the CA file.

usage: pywinrm_kerberos.py CA_FILE PORT ADDRESS=FQDN...
Prints "<address> <exit code> <stdout>" per host.
"""
import sys

import winrm

ca, port = sys.argv[1], sys.argv[2]
for arg in sys.argv[3:]:
    addr, fqdn = arg.split("=", 1)
    s = winrm.Session("https://%s:%s/wsman" % (addr, port), auth=(None, None), transport="kerberos",
                      server_cert_validation="validate", ca_trust_path=ca, kerberos_hostname_override=fqdn)
    r = s.run_cmd("hostname")
    print(addr, r.status_code, r.std_out.decode().strip())
