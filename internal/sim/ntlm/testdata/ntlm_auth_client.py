"""NTLM client side for TestNTLMAuthInterop, driven line by line over stdin.

It authenticates the way requests_ntlm 1.1.0 does for pywinrm (the deprecated
ntlm_auth.ntlm.Ntlm wrapper, OEM-only NEGOTIATE) and frames messages with
pywinrm's own winrm.encryption.Encryption when that module is installed,
otherwise with a copy of its byte layout.

argv: user password domain
stdout: NEGOTIATE (base64); stdin: CHALLENGE (base64); stdout: AUTHENTICATE.
Then per line: "wrap <b64 plaintext>" -> "<b64 body>",
"unwrap <b64 body>" -> "ok <b64 plaintext>" or "err <message>".
"""
import base64
import struct
import sys

from ntlm_auth import ntlm

try:
    from winrm.encryption import Encryption
except ImportError:
    Encryption = None

BOUNDARY = b"--Encrypted Boundary"


class _Obj(object):
    pass


def main():
    user, password, domain = sys.argv[1:4]
    out = sys.stdout
    context = ntlm.Ntlm()
    out.write(context.create_negotiate_message(domain).decode("ascii") + "\n")
    out.flush()
    context.parse_challenge_message(sys.stdin.readline().strip())
    out.write(context.create_authenticate_message(user, password, domain).decode("ascii") + "\n")
    out.flush()

    session = _Obj()
    session.auth = _Obj()
    session.auth.session_security = context.session_security
    enc = Encryption(session, "ntlm") if Encryption else None

    for line in sys.stdin:
        cmd, _, arg = line.strip().partition(" ")
        data = base64.b64decode(arg)
        if cmd == "wrap":
            if enc:
                body = enc._encrypt_message(data, "windows-host") + BOUNDARY + b"--\r\n"
            else:
                sealed, sig = context.session_security.wrap(data)
                body = (BOUNDARY + b"\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
                        b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length="
                        + str(len(data)).encode() + b"\r\n" + BOUNDARY
                        + b"\r\n\tContent-Type: application/octet-stream\r\n"
                        + struct.pack("<i", len(sig)) + sig + sealed + BOUNDARY + b"--\r\n")
            out.write(base64.b64encode(body).decode("ascii") + "\n")
        elif cmd == "unwrap":
            try:
                if enc:
                    response = _Obj()
                    response.content = data
                    plain = enc._decrypt_response(response, "windows-host")
                else:
                    header, _, rest = data[len(BOUNDARY) + 2:].partition(BOUNDARY + b"\r\n")
                    rest = rest.replace(b"\tContent-Type: application/octet-stream\r\n", b"")
                    rest = rest[:-len(BOUNDARY + b"--\r\n")]
                    n = struct.unpack("<i", rest[:4])[0]
                    plain = context.session_security.unwrap(rest[4 + n:], rest[4:4 + n])
                    if len(plain) != int(header.split(b"Length=")[1]):
                        raise ValueError("length mismatch")
                out.write("ok " + base64.b64encode(plain).decode("ascii") + "\n")
            except Exception as e:  # reported to the Go test, which fails on it
                out.write("err %s: %s\n" % (type(e).__name__, e))
        else:
            out.write("err unknown command %r\n" % cmd)
        out.flush()


if __name__ == "__main__":
    main()
