"""Drive the Debian python3-winrm (pywinrm 0.3.0) client against a test
endpoint and print what it got as JSON. Usage: pywinrm_run.py ENDPOINT CMD [ARG...]"""
import base64
import json
import sys

import winrm
from winrm.protocol import Protocol

endpoint, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3:]

# High level: Session.run_cmd = open_shell, run_command, get_command_output
# (retries WinRMOperationTimeoutError), cleanup_command (asserts RelatesTo),
# close_shell (asserts RelatesTo).
s = winrm.Session(endpoint, auth=("vagrant", "vagrant"), transport="plaintext",
                  operation_timeout_sec=1, read_timeout_sec=5)
r = s.run_cmd(cmd, args)

# Low level: the raw first Receive, to see how a fault surfaces.
p = Protocol(endpoint, transport="plaintext", username="vagrant", password="vagrant",
             operation_timeout_sec=1, read_timeout_sec=5)
shell = p.open_shell(codepage=65001, env_vars={"FOO": "bar"}, working_directory="C:\\Temp")
cid = p.run_command(shell, cmd, args)
out, err, code = p.get_command_output(shell, cid)
p.cleanup_command(shell, cid)
p.close_shell(shell)
fault = ""
try:
    p.close_shell(shell)
except Exception as e:  # the shell is gone: WinRMError with the Reason text
    fault = "%s: %s" % (type(e).__name__, e)

print(json.dumps({
    "stdout": base64.b64encode(r.std_out).decode(),
    "stderr": base64.b64encode(r.std_err).decode(),
    "status": r.status_code,
    "low_stdout": base64.b64encode(out).decode(),
    "low_code": code,
    "fault": fault,
}))
