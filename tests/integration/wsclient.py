#!/usr/bin/env python3
"""WebSocket test client for snare integration tests (Python 3.11 stdlib only).

  python3 wsclient.py --proxy 127.0.0.1:PORT --url ws://127.0.0.1:OPORT/ws \\
      --send hello --send world [--binary] [--connect] [--direct] [--interval S]
      [--fire MSG] [--lenient]

Default: absolute-form "GET http://host:port/path HTTP/1.1" sent to the proxy.
--connect: CONNECT host:port through the proxy first, then origin-form GET.
--direct:  no proxy; origin-form GET straight to the origin.
wss:// URLs need --connect or --direct (TLS is then done end-to-end over the
tunnel; certificate verification only if --cafile is given).

Prints each echoed message on its own line, then "closed <code>"; exit 0.
On any error prints a message to stderr and exits 1. Timeout 10 s.
"""

import argparse
import base64
import hashlib
import os
import socket
import ssl
import struct
import sys
import time
from urllib.parse import urlsplit

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TIMEOUT = 10.0


class WSError(Exception):
    pass


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise WSError("connection closed by peer")
        self.buf += data

    def read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_head(self):
        """Read an HTTP response head; returns (status, reason, headers)."""
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > 65536:
                raise WSError("response head too large")
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/"):
            raise WSError("bad status line: %r" % lines[0])
        try:
            status = int(parts[1])
        except ValueError:
            raise WSError("bad status line: %r" % lines[0])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers.setdefault(k.strip().lower(), v.strip())
        return status, (parts[2] if len(parts) > 2 else ""), headers

    def send_frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            hdr = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            hdr = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        self.sock.sendall(hdr + mask + _mask(payload, mask))

    def recv_frame(self):
        b0, b1 = self.read_exact(2)
        opcode = b0 & 0x0F
        fin = bool(b0 & 0x80)
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", self.read_exact(2))
        elif n == 127:
            (n,) = struct.unpack("!Q", self.read_exact(8))
        if b1 & 0x80:
            raise WSError("server sent a masked frame")
        return fin, opcode, self.read_exact(n)

    def recv_message(self):
        """Return (opcode, payload) of the next data or close message,
        answering pings along the way."""
        msg_op, parts = None, []
        while True:
            fin, op, payload = self.recv_frame()
            if op == 0x9:
                self.send_frame(0xA, payload)
                continue
            if op == 0xA:
                continue
            if op == 0x8:
                return op, payload
            if op in (0x1, 0x2):
                if msg_op is not None:
                    raise WSError("new data frame inside fragmented message")
                msg_op, parts = op, [payload]
            elif op == 0x0:
                if msg_op is None:
                    raise WSError("unexpected continuation frame")
                parts.append(payload)
            else:
                raise WSError("unknown opcode %d" % op)
            if fin:
                return msg_op, b"".join(parts)


def _mask(payload, mask):
    n = len(payload)
    if n == 0:
        return payload
    m = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
    return (int.from_bytes(payload, "big") ^ m).to_bytes(n, "big")


def parse_hostport(s, default_port=None):
    if s.startswith("["):
        host, _, rest = s[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else None
    elif s.count(":") == 1:
        host, port = s.split(":")
    else:
        host, port = s, None
    if not port:
        if default_port is None:
            raise WSError("missing port in %r" % s)
        port = default_port
    return host, int(port)


def run(args):
    u = urlsplit(args.url)
    if u.scheme not in ("ws", "wss"):
        raise WSError("url must be ws:// or wss://")
    secure = u.scheme == "wss"
    host = u.hostname
    if not host:
        raise WSError("url has no host")
    port = u.port or (443 if secure else 80)
    hostport = ("[%s]" % host if ":" in host else host)
    if u.port:
        hostport += ":%d" % port
    target_path = u.path or "/"
    if u.query:
        target_path += "?" + u.query
    authority = "%s:%d" % ("[%s]" % host if ":" in host else host, port)

    if args.direct:
        addr = (host, port)
    else:
        if not args.proxy:
            raise WSError("--proxy is required unless --direct")
        addr = parse_hostport(args.proxy)
        if secure and not args.connect:
            raise WSError("wss:// through a proxy requires --connect")

    sock = socket.create_connection(addr, timeout=TIMEOUT)
    sock.settimeout(TIMEOUT)
    conn = Conn(sock)

    extra = "".join("%s\r\n" % h for h in args.header)
    if args.proxy_auth and not args.direct:
        cred = base64.b64encode(args.proxy_auth.encode()).decode()
        proxy_auth = "Proxy-Authorization: Basic %s\r\n" % cred
    else:
        proxy_auth = ""

    if args.connect and not args.direct:
        req = ("CONNECT %s HTTP/1.1\r\nHost: %s\r\n%s\r\n"
               % (authority, authority, proxy_auth))
        sock.sendall(req.encode("latin-1"))
        status, reason, _ = conn.read_head()
        if status != 200:
            raise WSError("CONNECT failed: %d %s" % (status, reason))
        if conn.buf:
            raise WSError("unexpected data after CONNECT response")

    if secure:
        if args.cafile:
            ctx = ssl.create_default_context(cafile=args.cafile)
        else:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        sock = ctx.wrap_socket(sock, server_hostname=host)
        sock.settimeout(TIMEOUT)
        conn = Conn(sock)

    if args.direct or args.connect:
        target = target_path
        proxy_auth_get = ""
    else:
        target = "http://%s%s" % (hostport, target_path)
        proxy_auth_get = proxy_auth

    key = base64.b64encode(os.urandom(16)).decode()
    req = ("GET %s HTTP/1.1\r\n"
           "Host: %s\r\n"
           "Upgrade: websocket\r\n"
           "Connection: Upgrade\r\n"
           "Sec-WebSocket-Key: %s\r\n"
           "Sec-WebSocket-Version: 13\r\n"
           "%s%s\r\n" % (target, hostport, key, proxy_auth_get, extra))
    sock.sendall(req.encode("latin-1"))
    status, reason, headers = conn.read_head()
    if status != 101:
        raise WSError("upgrade failed: %d %s" % (status, reason))
    expect = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
    if headers.get("sec-websocket-accept") != expect:
        raise WSError("bad Sec-WebSocket-Accept: %r" % headers.get("sec-websocket-accept"))
    if headers.get("upgrade", "").lower() != "websocket":
        raise WSError("bad Upgrade header in 101: %r" % headers.get("upgrade"))

    opcode = 0x2 if args.binary else 0x1
    for msg in args.fire:
        conn.send_frame(opcode, msg.encode("utf-8"))
    for i, msg in enumerate(args.send):
        if i and args.interval:
            time.sleep(args.interval)
        data = msg.encode("utf-8")
        conn.send_frame(opcode, data)
        op, payload = conn.recv_message()
        if op == 0x8:
            raise WSError("server closed the connection unexpectedly")
        print(payload.decode("utf-8", "replace"), flush=True)
        if op != opcode:
            raise WSError("echo opcode %d != sent opcode %d" % (op, opcode))
        if payload != data and not args.lenient:
            raise WSError("echo payload mismatch")

    conn.send_frame(0x8, struct.pack("!H", 1000))
    op, payload = conn.recv_message()
    while op != 0x8:
        op, payload = conn.recv_message()
    code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
    print("closed %d" % code, flush=True)
    try:
        sock.close()
    except OSError:
        pass
    if code != 1000:
        raise WSError("close code %d != 1000" % code)


def main():
    ap = argparse.ArgumentParser(description="WebSocket echo client via HTTP proxy")
    ap.add_argument("--proxy", help="proxy HOST:PORT")
    ap.add_argument("--url", required=True, help="ws://host:port/path")
    ap.add_argument("--send", action="append", default=[], help="message (repeatable)")
    ap.add_argument("--binary", action="store_true", help="send binary frames")
    ap.add_argument("--fire", action="append", default=[],
                    help="message sent first without waiting for its echo (repeatable)")
    ap.add_argument("--lenient", action="store_true",
                    help="print echoes that differ from what was sent instead of failing")
    ap.add_argument("--connect", action="store_true", help="use a CONNECT tunnel")
    ap.add_argument("--direct", action="store_true", help="no proxy, talk to origin")
    ap.add_argument("--proxy-auth", help="USER:PASS for Proxy-Authorization: Basic")
    ap.add_argument("--header", action="append", default=[],
                    help="extra 'Name: value' header on the upgrade request")
    ap.add_argument("--interval", type=float, default=0,
                    help="seconds to wait between messages")
    ap.add_argument("--cafile", help="verify wss:// server cert against this CA")
    args = ap.parse_args()
    try:
        run(args)
    except (WSError, OSError, ValueError) as e:
        print("wsclient error: %s" % (e or type(e).__name__), file=sys.stderr)
        sys.exit(1)
    sys.exit(0)


if __name__ == "__main__":
    main()
