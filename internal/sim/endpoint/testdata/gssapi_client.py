"""WinRM message encryption with MIT Kerberos's GSS library (python3-gssapi).

Authenticates to a simulated host's /wsman over plain http with SPNEGO
("Negotiate") or bare Kerberos ("Kerberos"), checks the host's
mutual-authentication token, then sends SOAP bodies sealed with
gss_wrap_iov in the DCE layout (HEADER, DATA, PADDING; no TRAILER), as
pyspnego and the Ruby winrm gem do for Windows, and opens the sealed replies
with gss_unwrap_iov. The ticket comes from the credential cache in
KRB5CCNAME.

usage: gssapi_client.py HOST PORT SPN SCHEME MESSAGE...
Prints one line per reply: "<status> <plain text>".
"""
import base64
import http.client
import struct
import sys

import gssapi
from gssapi.raw import IOV, IOVBufferType, unwrap_iov, wrap_iov

host, port, spn, scheme = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
messages = sys.argv[5:]

service, _, hostname = spn.partition("/")
name = gssapi.Name(service + "@" + hostname, gssapi.NameType.hostbased_service)
krb5 = gssapi.OID.from_int_seq("1.2.840.113554.1.2.2")
spnego = gssapi.OID.from_int_seq("1.3.6.1.5.5.2")
flags = (gssapi.RequirementFlag.mutual_authentication | gssapi.RequirementFlag.integrity
         | gssapi.RequirementFlag.confidentiality | gssapi.RequirementFlag.out_of_sequence_detection)
ctx = gssapi.SecurityContext(name=name, usage="initiate", mech=spnego if scheme == "Negotiate" else krb5, flags=flags)
token = ctx.step()

conn = http.client.HTTPConnection(host, port, timeout=30)
conn.request("POST", "/wsman", body=b"", headers={
    "Authorization": scheme + " " + base64.b64encode(token).decode(),
    "Content-Type": "application/soap+xml;charset=UTF-8", "Content-Length": "0"})
resp = conn.getresponse()
resp.read()
if resp.status != 200:
    sys.exit("authentication: HTTP %d" % resp.status)
got_scheme, _, reply = resp.getheader("WWW-Authenticate", "").partition(" ")
if got_scheme != scheme or not reply:
    sys.exit("authentication: no %s token in the 200 reply" % scheme)
ctx.step(base64.b64decode(reply))
if not ctx.complete:
    sys.exit("authentication: the context is not complete after the host's token")

protocol = ("application/HTTP-SPNEGO-session-encrypted" if scheme == "Negotiate"
            else "application/HTTP-Kerberos-session-encrypted")
boundary = b"--Encrypted Boundary\r\n"
for text in messages:
    plain = text.encode()
    iov = IOV(IOVBufferType.header, plain, IOVBufferType.padding, std_layout=False)
    wrap_iov(ctx, iov, confidential=True)
    header, data, padding = iov[0].value, iov[1].value, iov[2].value or b""
    body = (boundary + b"\tContent-Type: " + protocol.encode() + b"\r\n"
            + b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=%d\r\n" % len(plain)
            + boundary + b"\tContent-Type: application/octet-stream\r\n"
            + struct.pack("<I", len(header)) + header + data + padding + b"--Encrypted Boundary--\r\n")
    conn.request("POST", "/wsman", body=body, headers={
        "Content-Type": 'multipart/encrypted;protocol="%s";boundary="Encrypted Boundary"' % protocol})
    resp = conn.getresponse()
    raw = resp.read()
    ctype = resp.getheader("Content-Type", "")
    if protocol not in ctype:
        print("%d %s" % (resp.status, raw.decode(errors="replace")))
        continue
    part = raw.split(boundary)[2]
    part = part[part.index(b"\r\n") + 2:]
    part = part[:part.rindex(b"--Encrypted Boundary--")]
    hlen = struct.unpack("<I", part[:4])[0]
    iov = IOV((IOVBufferType.header, False, part[4:4 + hlen]), part[4 + hlen:], (IOVBufferType.data, False, b""),
              std_layout=False)
    unwrap_iov(ctx, iov)
    print("%d %s" % (resp.status, iov[1].value.decode()))
