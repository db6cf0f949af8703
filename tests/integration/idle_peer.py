#!/usr/bin/env python3
"""Slow-but-steady and idle peers for test_idle_timeout.sh (stdlib only).

  idle_peer.py tunnel --target H:P [--proxy H:P] --interval S --count N
      CONNECT through the proxy (or connect straight to the target, e.g.
      through a TUN), then send a line every S seconds and read its echo.
      Prints "echoed N"; exit 0 when every line came back.
  idle_peer.py idle --target H:P [--proxy H:P] --wait S
      The same, one line, then silence: prints "open" after the echo, then
      "closed" when the proxy closes the connection (exit 0), or "still open"
      after S seconds (exit 1).
  idle_peer.py drip-server --port P [--bind A] [--tls CERT KEY]
      HTTP/1.1 origin: GET /drip/N/MS answers N bytes ("x"), one every MS
      milliseconds, with a Content-Length; POST /slow reads a body and
      answers its length.  Prints "ready".
  idle_peer.py upload --proxy H:P --url http://H:P/slow --interval S --count N
      POST a body of N bytes through the proxy, one every S seconds; prints
      the answer's body; exit 0 on status 200.
  idle_peer.py udp-echo --port P [--bind A]
      UDP server answering every datagram with the port it came from.
  idle_peer.py udp --target H:P --interval S --count N
      Sends N datagrams, one every S seconds, and prints "ports" and the
      source ports the server saw, in order (one port: one relayed flow).
  idle_peer.py socks-udp --proxy H:P --target IP:P --interval S --count N
      SOCKS5 UDP ASSOCIATE, then N datagrams to the target through the
      relay, one every S seconds, each answered; prints "relayed N".
"""

import argparse
import socket
import socketserver
import ssl
import struct
import sys
import time

TIMEOUT = 20.0


def hostport(s):
    host, _, port = s.rpartition(":")
    return host.strip("[]"), int(port)


def read_head(sock):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = sock.recv(4096)
        if not d:
            raise OSError("closed before the response head")
        buf += d
    head, rest = buf.split(b"\r\n\r\n", 1)
    return head.decode("latin-1"), rest


def open_stream(args):
    """A connected socket to the target, through a CONNECT tunnel if --proxy."""
    if not args.proxy:
        s = socket.create_connection(hostport(args.target), timeout=TIMEOUT)
        s.settimeout(TIMEOUT)
        return s
    s = socket.create_connection(hostport(args.proxy), timeout=TIMEOUT)
    s.settimeout(TIMEOUT)
    s.sendall(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (args.target, args.target)).encode())
    head, rest = read_head(s)
    if " 200" not in head.split("\r\n")[0] or rest:
        raise OSError("CONNECT failed: %r" % head.split("\r\n")[0])
    return s


def echo_line(s, i):
    line = b"<ping %d>\n" % i  # not HTTP-like: relayed raw
    s.sendall(line)
    got = b""
    while len(got) < len(line):
        d = s.recv(len(line) - len(got))
        if not d:
            raise OSError("closed after %d lines" % i)
        got += d
    if got != line:
        raise OSError("echo mismatch: %r" % got)


def cmd_tunnel(args):
    s = open_stream(args)
    for i in range(args.count):
        if i:
            time.sleep(args.interval)
        echo_line(s, i)
    print("echoed %d" % args.count, flush=True)
    s.close()
    return 0


def cmd_idle(args):
    s = open_stream(args)
    echo_line(s, 0)
    print("open", flush=True)
    s.settimeout(args.wait)
    try:
        d = s.recv(1)
    except socket.timeout:
        print("still open", flush=True)
        return 1
    except ConnectionResetError:
        d = b""
    print("closed" if not d else "unexpected data %r" % d, flush=True)
    return 0 if not d else 1


class Drip(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline().decode("latin-1").split()
        length = 0
        while True:
            h = self.rfile.readline()
            if h in (b"\r\n", b"\n", b""):
                break
            k, _, v = h.decode("latin-1").partition(":")
            if k.strip().lower() == "content-length":
                length = int(v)
        if len(line) >= 2 and line[0] == "GET" and line[1].startswith("/drip/"):
            n, ms = (int(x) for x in line[1].split("/")[2:4])
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n"
                             b"Content-Type: application/octet-stream\r\n\r\n" % n)
            self.wfile.flush()
            for _ in range(n):
                time.sleep(ms / 1000.0)
                self.wfile.write(b"x")
                self.wfile.flush()
        elif len(line) >= 2 and line[0] == "POST" and line[1] == "/slow":
            got = len(self.rfile.read(length))
            body = b"%d\n" % got
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        else:
            self.wfile.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def cmd_drip_server(args):
    srv = Server((args.bind, args.port), Drip)
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print("ready", flush=True)
    srv.serve_forever()


def cmd_upload(args):
    s = socket.create_connection(hostport(args.proxy), timeout=TIMEOUT)
    s.settimeout(TIMEOUT)
    host = args.url.split("/")[2]
    s.sendall(("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n"
               "Connection: close\r\n\r\n" % (args.url, host, args.count)).encode())
    for i in range(args.count):
        if i:
            time.sleep(args.interval)
        s.sendall(b"u")
    head, rest = read_head(s)
    while True:
        d = s.recv(4096)
        if not d:
            break
        rest += d
    print(rest.decode("latin-1").strip(), flush=True)
    return 0 if " 200" in head.split("\r\n")[0] else 1


def cmd_udp_echo(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((args.bind, args.port))
    while True:
        _, peer = s.recvfrom(2048)
        s.sendto(b"%d" % peer[1], peer)


def cmd_udp(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.connect(hostport(args.target))
    ports = []
    for i in range(args.count):
        if i:
            time.sleep(args.interval)
        s.send(b"dgram %d" % i)
        ports.append(s.recv(64).decode())
    print("ports " + " ".join(ports), flush=True)
    return 0


def cmd_socks_udp(args):
    c = socket.create_connection(hostport(args.proxy), timeout=TIMEOUT)
    c.sendall(b"\x05\x01\x00")
    if c.recv(2) != b"\x05\x00":
        raise OSError("SOCKS5 greeting refused")
    c.sendall(b"\x05\x03\x00\x01\x00\x00\x00\x00\x00\x00")
    r = c.recv(10)
    if len(r) < 10 or r[1] != 0:
        raise OSError("UDP ASSOCIATE refused: %r" % r)
    relay = (socket.inet_ntoa(r[4:8]), struct.unpack("!H", r[8:10])[0])
    host, port = hostport(args.target)
    hdr = b"\x00\x00\x00\x01" + socket.inet_aton(host) + struct.pack("!H", port)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(5)
    for i in range(args.count):
        if i:
            time.sleep(args.interval)
        u.sendto(hdr + b"dgram %d" % i, relay)
        try:
            u.recvfrom(2048)
        except socket.timeout:
            raise OSError("no answer to datagram %d" % i)
    print("relayed %d" % args.count, flush=True)
    c.close()
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("tunnel", "idle"):
        p = sub.add_parser(name)
        p.add_argument("--target", required=True)
        p.add_argument("--proxy")
        p.add_argument("--interval", type=float, default=0.5)
        p.add_argument("--count", type=int, default=10)
        p.add_argument("--wait", type=float, default=15)
    p = sub.add_parser("drip-server")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    p = sub.add_parser("upload")
    p.add_argument("--proxy", required=True)
    p.add_argument("--url", required=True)
    p.add_argument("--interval", type=float, default=0.5)
    p.add_argument("--count", type=int, default=10)
    p = sub.add_parser("udp-echo")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--bind", default="127.0.0.1")
    p = sub.add_parser("udp")
    p.add_argument("--target", required=True)
    p.add_argument("--interval", type=float, default=1)
    p.add_argument("--count", type=int, default=10)
    p = sub.add_parser("socks-udp")
    p.add_argument("--proxy", required=True)
    p.add_argument("--target", required=True)
    p.add_argument("--interval", type=float, default=0.5)
    p.add_argument("--count", type=int, default=10)
    args = ap.parse_args()
    fn = {"tunnel": cmd_tunnel, "idle": cmd_idle, "drip-server": cmd_drip_server,
          "upload": cmd_upload, "udp-echo": cmd_udp_echo, "udp": cmd_udp,
          "socks-udp": cmd_socks_udp}[args.cmd]
    try:
        return fn(args)
    except OSError as e:
        print("error: %s" % e, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
