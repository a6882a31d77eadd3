"""A WinRM host's Kerberos side built on MIT's GSS library (python3-gssapi).

Accepts "Authorization: Negotiate" (SPNEGO) with the keytab in KRB5_KTNAME,
answers with the mutual-authentication token, then opens every sealed
request with gss_unwrap_iov (DCE layout: HEADER, DATA, empty DATA), passes
the SOAP text to a WS-Man backend over plain http with Basic, and seals the
answer with gss_wrap_iov (HEADER, DATA, PADDING), as Windows frames it.
It checks fleetport's client against an implementation nobody here wrote.

usage: gssapi_acceptor.py PORT_FILE BACKEND_HOST BACKEND_PORT USER PASSWORD
Listens on 127.0.0.1 on a free port, written to PORT_FILE once listening.
"""
import base64
import http.client
import http.server
import struct
import sys

import gssapi
from gssapi.raw import IOV, IOVBufferType, unwrap_iov, wrap_iov

port_file, backend_host, backend_port, user, password = sys.argv[1:6]
basic = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
creds = gssapi.Credentials(usage="accept")
PROTOCOL = b"application/HTTP-SPNEGO-session-encrypted"
BOUNDARY = b"--Encrypted Boundary\r\n"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    ctx = None

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        authz = self.headers.get("Authorization")
        extra = []
        if authz:
            scheme, _, token = authz.partition(" ")
            if scheme != "Negotiate":
                return self.reply(401, headers=[("WWW-Authenticate", "Negotiate")])
            ctx = gssapi.SecurityContext(creds=creds, usage="accept")
            out = ctx.step(base64.b64decode(token))
            if not ctx.complete:
                return self.reply(401, headers=[("WWW-Authenticate", "Negotiate")])
            self.ctx = ctx
            extra = [("WWW-Authenticate", "Negotiate " + base64.b64encode(out or b"").decode())]
            if not body:
                return self.reply(200, headers=extra)
        if self.ctx is None:
            return self.reply(401, headers=[("WWW-Authenticate", "Negotiate")])
        if PROTOCOL not in self.headers.get("Content-Type", "").encode():
            return self.reply(401, headers=[("WWW-Authenticate", "Negotiate")])
        part = body.split(BOUNDARY)[2]
        part = part[part.index(b"\r\n") + 2:]
        part = part[:part.rindex(b"--Encrypted Boundary--")]
        hlen = struct.unpack("<I", part[:4])[0]
        iov = IOV((IOVBufferType.header, False, part[4:4 + hlen]), part[4 + hlen:], (IOVBufferType.data, False, b""),
                  std_layout=False)
        unwrap_iov(self.ctx, iov)
        soap = iov[1].value
        conn = http.client.HTTPConnection(backend_host, int(backend_port), timeout=60)
        conn.request("POST", "/wsman", body=soap, headers={"Authorization": basic,
                                                            "Content-Type": "application/soap+xml;charset=UTF-8"})
        resp = conn.getresponse()
        answer = resp.read()
        conn.close()
        iov = IOV(IOVBufferType.header, answer, IOVBufferType.padding, std_layout=False)
        wrap_iov(self.ctx, iov, confidential=True)
        header, data, padding = iov[0].value, iov[1].value, iov[2].value or b""
        sealed = (BOUNDARY + b"\tContent-Type: " + PROTOCOL + b"\r\n"
                  + b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=%d\r\n" % len(answer)
                  + BOUNDARY + b"\tContent-Type: application/octet-stream\r\n"
                  + struct.pack("<I", len(header)) + header + data + padding + b"--Encrypted Boundary--\r\n")
        ctype = 'multipart/encrypted;protocol="%s";boundary="Encrypted Boundary"' % PROTOCOL.decode()
        self.reply(resp.status, sealed, extra + [("Content-Type", ctype)])


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
