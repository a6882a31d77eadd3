#!/usr/bin/python3
"""The pywinrm side of bench/compare.sh: run the bench command set on every
host with Debian's python3-winrm, the way a script author would: one
winrm.Session per host, Session.run_cmd per command, hosts spread over a
concurrent.futures.ThreadPoolExecutor.

    pywinrm_collect.py --hosts HOSTS.json --commands COMMANDS.json
                       [--pool 32] [--auth ntlm|basic-https] [--ca CA.pem]

HOSTS.json is `fleetport inventory list --json` of the simulator's inventory
(name, address, port); COMMANDS.json a JSON list of command lines. The
credentials come from FLEETPORT_SIM_USER and FLEETPORT_SIM_PASSWORD (the
simulator's demo pair when unset) and are never printed. NTLM with message
encryption needs MD4: run with OPENSSL_CONF=testdata/openssl-legacy.cnf.

Prints one JSON object: hosts, ok, failed, pool and the first failures
(host and cause). Exit status 0 when every host answered every command with
exit code 0, 3 when some did not, 2 on usage errors.
"""

import argparse
import concurrent.futures
import json
import os
import sys

import winrm


def collect(host, commands, args, user, password):
    """Runs every command on one host; returns None or the cause of failure."""
    scheme = "https" if args.auth == "basic-https" else "http"
    url = "%s://%s:%d/wsman" % (scheme, host["address"], host["port"])
    kwargs = {}
    if args.auth == "ntlm":
        kwargs.update(transport="ntlm", message_encryption="always")
    else:
        # "ssl" is pywinrm's name for Basic over https.
        kwargs.update(transport="ssl", server_cert_validation="validate", ca_trust_path=args.ca)
    session = winrm.Session(url, auth=(user, password), **kwargs)
    try:
        for line in commands:
            r = session.run_cmd(line)
            if r.status_code != 0:
                return "%r exited %d" % (line, r.status_code)
            if not r.std_out:
                return "%r printed nothing" % line
        return None
    finally:
        # Close the host's connection now rather than when the garbage
        # collector gets to it.
        transport = session.protocol.transport
        if getattr(transport, "session", None) is not None:
            transport.session.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hosts", required=True)
    ap.add_argument("--commands", required=True)
    ap.add_argument("--pool", type=int, default=32)
    ap.add_argument("--auth", choices=["ntlm", "basic-https"], default="ntlm")
    ap.add_argument("--ca", help="CA file the https endpoints are verified against")
    args = ap.parse_args()
    if args.auth == "basic-https" and not args.ca:
        ap.error("--auth basic-https needs --ca")
    with open(args.hosts) as f:
        hosts = json.load(f)
    with open(args.commands) as f:
        commands = json.load(f)
    user = os.environ.get("FLEETPORT_SIM_USER") or "fleetadmin"
    password = os.environ.get("FLEETPORT_SIM_PASSWORD") or "Sim-Passw0rd!"

    failures = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.pool) as pool:
        futures = {pool.submit(collect, h, commands, args, user, password): h["name"] for h in hosts}
        for fut in concurrent.futures.as_completed(futures):
            name = futures[fut]
            try:
                cause = fut.result()
            except Exception as e:  # a failed host is a figure, not a crash
                cause = "%s: %s" % (type(e).__name__, e)
            if cause is not None:
                failures[name] = cause.replace(password, "***")[:300]

    out = {
        "hosts": len(hosts),
        "ok": len(hosts) - len(failures),
        "failed": len(failures),
        "pool": args.pool,
        "failures": [{"name": n, "error": failures[n]} for n in sorted(failures)[:20]],
    }
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 3 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
