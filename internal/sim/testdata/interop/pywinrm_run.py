"""Runs commands on one simulated host with Debian's python3-winrm (pywinrm
0.3.0) and prints what came back as JSON, for the Go interop tests.

usage: FLEETPORT_SIM_PASSWORD=... python3 pywinrm_run.py ENDPOINT TRANSPORT CA_FILE USER CMD [CMD ...]
TRANSPORT is "ssl" (Basic over https, certificate verified against CA_FILE)
or "ntlm" (NTLM with message encryption over http).
"""
import base64
import json
import os
import sys

import winrm


def main():
    endpoint, transport, ca_file, user = sys.argv[1:5]
    commands = sys.argv[5:]
    kwargs = dict(auth=(user, os.environ["FLEETPORT_SIM_PASSWORD"]), transport=transport,
                  operation_timeout_sec=10, read_timeout_sec=15)
    if transport == "ssl":
        kwargs.update(server_cert_validation="validate", ca_trust_path=ca_file)
    else:
        kwargs.update(message_encryption="always")
    session = winrm.Session(endpoint, **kwargs)
    results = []
    for cmd in commands:
        r = session.run_cmd(cmd)
        results.append({
            "command": cmd,
            "stdout": base64.b64encode(r.std_out).decode(),
            "stderr": base64.b64encode(r.std_err).decode(),
            "status": r.status_code,
        })
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
