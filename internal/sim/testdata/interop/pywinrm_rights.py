"""Debian's python3-winrm with python3-requests-kerberos, as a user of the
domain (the ticket from KRB5CCNAME), over https with Kerberos: run a reg
query and a reg add of HKLM on one host, and print what pywinrm reports.

usage: pywinrm_rights.py CA_FILE PORT ADDRESS FQDN
Prints "<command> <exit code> <stderr>" per command, or
"<command> error <exception type> <message>" when pywinrm raises.
"""
import sys

import winrm

ca, port, addr, fqdn = sys.argv[1:5]
s = winrm.Session("https://%s:%s/wsman" % (addr, port), auth=(None, None), transport="kerberos",
                  server_cert_validation="validate", ca_trust_path=ca, kerberos_hostname_override=fqdn)
key = r"HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters"
for name, cmd, args in (("query", "reg", ["query", key]),
                        ("add", "reg", ["add", key, "/v", "TcpTimedWaitDelay", "/t", "REG_DWORD", "/d", "45", "/f"])):
    try:
        r = s.run_cmd(cmd, args)
        print(name, r.status_code, r.std_err.decode().strip())
    except Exception as e:  # pywinrm's fault, as its users see it
        print(name, "error", type(e).__name__, str(e))
