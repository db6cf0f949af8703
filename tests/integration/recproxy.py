#!/usr/bin/env python3
"""Recording upstream HTTP proxy for snare's integration tests (stdlib only).

Usage: python3 recproxy.py --port P --log FILE [--bind 127.0.0.1]
                           [--refuse-connect CODE] [--refuse-plain CODE]
                           [--tls CERT KEY]

Prints "ready" on stdout once listening.  Every request head it receives is
appended to FILE before anything is forwarded:

    > REQUEST-LINE
    REQUEST-LINE | Name: value        (one line per header, in order)

so a test can grep for a header on one kind of request.  With --tls the
proxy itself speaks TLS (a "secure web proxy") and logs "# tls sni=NAME
alpn=PROTO" per connection.  Plain requests
(absolute-form) are forwarded to their origin in origin-form with
Proxy-Authorization removed and "Connection: close"; the answer is relayed
and the client connection closed.  CONNECT opens a tunnel (bytes relayed
untouched, never recorded).  --refuse-* answer with that status instead.
Only loopback destinations are served (the tests never leave 127.0.0.0/8).
"""

import argparse
import ipaddress
import socket
import ssl
import sys
import threading
import urllib.parse

REASONS = {403: "Forbidden", 407: "Proxy Authentication Required", 502: "Bad Gateway"}
MAX_HEAD = 64 * 1024


class Recorder:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    def note(self, text):
        with self.lock, open(self.path, "a", encoding="latin-1") as f:
            f.write("# %s\n" % text)

    def record(self, line, headers):
        out = ["> %s\n" % line] + ["%s | %s: %s\n" % (line, k, v) for k, v in headers]
        with self.lock, open(self.path, "a", encoding="latin-1") as f:
            f.write("".join(out))


def read_head(sock, buf):
    """Reads until the blank line; returns (head bytes, rest) or (None, buf)."""
    while b"\r\n\r\n" not in buf:
        if len(buf) > MAX_HEAD:
            return None, buf
        d = sock.recv(65536)
        if not d:
            return None, buf
        buf += d
    head, rest = buf.split(b"\r\n\r\n", 1)
    return head, rest


def parse_head(head):
    lines = head.decode("latin-1").split("\r\n")
    headers = []
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        headers.append((k.strip(), v.strip()))
    return lines[0], headers


def header(headers, name):
    for k, v in headers:
        if k.lower() == name:
            return v
    return None


def loopback_only(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def split_authority(auth):
    if auth.startswith("["):
        host, _, port = auth[1:].partition("]:")
    else:
        host, _, port = auth.rpartition(":")
    return host, int(port)


def refuse(sock, code):
    body = b"refused by the recording proxy\n"
    sock.sendall(b"HTTP/1.1 %d %s\r\nContent-Length: %d\r\nConnection: close\r\n"
                 b"Proxy-Authenticate: Basic realm=\"rec\"\r\n\r\n"
                 % (code, REASONS.get(code, "Refused").encode(), len(body)) + body)


def pipe(src, dst):
    try:
        while True:
            d = src.recv(65536)
            if not d:
                break
            dst.sendall(d)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def tunnel(client, target, rest, args):
    host, port = split_authority(target)
    if args.refuse_connect:
        return refuse(client, args.refuse_connect)
    if not loopback_only(host):
        return refuse(client, 403)
    try:
        server = socket.create_connection((host, port), timeout=10)
    except OSError:
        return refuse(client, 502)
    server.settimeout(None)
    client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    if rest:
        server.sendall(rest)
    t = threading.Thread(target=pipe, args=(server, client), daemon=True)
    t.start()
    pipe(client, server)
    t.join(30)
    server.close()


def forward(client, line, headers, rest, args):
    method, url, version = line.split(" ", 2)
    u = urllib.parse.urlsplit(url)
    if args.refuse_plain:
        return refuse(client, args.refuse_plain)
    if u.scheme != "http" or not u.hostname or not loopback_only(u.hostname):
        return refuse(client, 403)
    length = int(header(headers, "content-length") or 0)
    while len(rest) < length:
        d = client.recv(65536)
        if not d:
            return
        rest += d
    path = (u.path or "/") + ("?" + u.query if u.query else "")
    drop = ("proxy-authorization", "proxy-connection", "connection", "keep-alive")
    out = ["%s %s %s" % (method, path, version)]
    out += ["%s: %s" % (k, v) for k, v in headers if k.lower() not in drop]
    out.append("Connection: close")
    server = socket.create_connection((u.hostname, u.port or 80), timeout=10)
    server.sendall(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + rest[:length])
    resp, body = read_head(server, b"")
    if resp is not None:
        status, rh = parse_head(resp)
        rh = [(k, v) for k, v in rh if k.lower() not in ("connection", "keep-alive")]
        rh.append(("Connection", "close"))
        client.sendall(("\r\n".join([status] + ["%s: %s" % kv for kv in rh]) +
                        "\r\n\r\n").encode("latin-1") + body)
        pipe(server, client)
    server.close()


def serve(client, rec, args):
    try:
        if args.ctx is not None:
            client = args.ctx.wrap_socket(client, server_side=True)
            rec.note("tls sni=%s alpn=%s" % (getattr(client, "sni", None),
                                             client.selected_alpn_protocol()))
        head, rest = read_head(client, b"")
        if head is None:
            return
        line, headers = parse_head(head)
        rec.record(line, headers)
        parts = line.split(" ")
        if len(parts) != 3:
            return refuse(client, 400)
        if parts[0].upper() == "CONNECT":
            tunnel(client, parts[1], rest, args)
        else:
            forward(client, line, headers, rest, args)
    except (OSError, ValueError):
        pass
    finally:
        client.close()


def tls_context(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["http/1.1"])

    def remember_sni(sock, name, _ctx):
        sock.sni = name

    ctx.sni_callback = remember_sni
    return ctx


def main():
    ap = argparse.ArgumentParser(description="recording upstream proxy")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--log", required=True)
    ap.add_argument("--refuse-connect", type=int, default=0)
    ap.add_argument("--refuse-plain", type=int, default=0)
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    args = ap.parse_args()
    args.ctx = tls_context(*args.tls) if args.tls else None

    rec = Recorder(args.log)
    open(args.log, "a").close()
    ls = socket.socket(socket.AF_INET6 if ":" in args.bind else socket.AF_INET)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((args.bind, args.port))
    ls.listen(64)
    print("ready", flush=True)
    while True:
        c, _ = ls.accept()
        c.settimeout(60)
        threading.Thread(target=serve, args=(c, rec, args), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
