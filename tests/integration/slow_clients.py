#!/usr/bin/env python3
"""Slow and idle clients for test_slow_clients.sh (stdlib only; loopback).

  slow_clients.py trickle --target H:P [--connect H:P] [--tls] --interval S
                  --duration D
      Sends a request head (after a CONNECT to --connect: a TLS ClientHello's
      first bytes with --tls) one byte every S seconds.  Prints "closed
      after T" when the proxy closes the connection, or "open after D".
  slow_clients.py tunnel --target H:P --connect H:P --first-delay S
                  --interval S --count N
      CONNECT, wait --first-delay seconds, then send N lines --interval
      apart through the tunnel to an echo server, each read back.  Prints
      "echoed N" (or how far it got).
  slow_clients.py keepalive --target H:P --url URL --wait S
      One GET through the proxy on a kept-alive connection, then silence:
      prints "answered", then "closed after T" or "open after S".
  slow_clients.py hold --target H:P --source A --count N --wait S
      N connections from source address A, each sending nothing; prints
      "open" or "refused" for each (refused: closed by the proxy within
      0.5 s), then keeps the open ones for S seconds.  A line "close" on
      stdin closes the first open one at once, "more" opens one more and
      prints its fate.
  slow_clients.py flood --target H:P --count N --interval S --duration D
                  [--sources A,B,...]
      N connections at once (sources in turn), each trickling a request
      head one byte every S seconds, for at most D seconds in all.  Prints
      "started" once every connection attempt is under way, "attempts done
      connected=K failed=F" once each has connected or failed, then "done
      connected=K closed=C open=O failed=F".
"""

import argparse
import asyncio
import resource
import socket
import sys
import time

HEAD = b"GET http://127.0.0.1:9/ HTTP/1.1\r\nHost: 127.0.0.1:9\r\nX-Slow: " + b"y" * 200


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
    return buf


def closed_now(sock, wait):
    """True when the peer closed (EOF or reset) within wait seconds."""
    sock.settimeout(wait)
    try:
        return sock.recv(4096) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


def connect_through(args):
    s = socket.create_connection(hostport(args.target), 10)
    if args.connect:
        s.sendall(b"CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (args.connect.encode(), args.connect.encode()))
        head = read_head(s)
        if b" 200" not in head.split(b"\r\n")[0]:
            raise OSError("CONNECT refused: %r" % head[:60])
    return s


def cmd_trickle(args):
    s = connect_through(args)
    data = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 100 if args.tls else HEAD
    t0 = time.time()
    for b in data:
        if time.time() - t0 > args.duration:
            break
        try:
            s.send(bytes([b]))
        except OSError:
            print("closed after %.1f" % (time.time() - t0))
            return 0
        if closed_now(s, args.interval):
            print("closed after %.1f" % (time.time() - t0))
            return 0
    print("open after %.1f" % (time.time() - t0))
    return 1


def cmd_tunnel(args):
    s = connect_through(args)
    time.sleep(args.first_delay)
    n = 0
    for i in range(args.count):
        if i:
            time.sleep(args.interval)
        line = b"<ping %d>\n" % i  # not HTTP-like: relayed raw
        s.sendall(line)
        got = b""
        s.settimeout(10)
        while len(got) < len(line):
            d = s.recv(100)
            if not d:
                break
            got += d
        if got != line:
            break
        n += 1
    print("echoed %d" % n)
    return 0 if n == args.count else 1


def cmd_keepalive(args):
    s = socket.create_connection(hostport(args.target), 10)
    host = args.url.split("/")[2]
    s.sendall(b"GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (args.url.encode(), host.encode()))
    head = read_head(s)
    if b" 200" not in head.split(b"\r\n")[0]:
        print("status %r" % head[:40])
        return 1
    print("answered", flush=True)
    t0 = time.time()
    # The body is small and already read with the head, or arrives now; then
    # nothing more may come before the close.
    s.settimeout(args.wait)
    try:
        while s.recv(4096):
            pass
        print("closed after %.1f" % (time.time() - t0))
        return 0
    except socket.timeout:
        print("open after %.1f" % (time.time() - t0))
        return 1
    except OSError:
        print("closed after %.1f" % (time.time() - t0))
        return 0


def hold_one(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((args.source, 0))
    s.connect(hostport(args.target))
    if closed_now(s, 0.5):
        s.close()
        return None
    return s


def cmd_hold(args):
    held = []
    for _ in range(args.count):
        s = hold_one(args)
        print("refused" if s is None else "open", flush=True)
        if s is not None:
            held.append(s)
    t_end = time.time() + args.wait
    while time.time() < t_end:
        line = sys.stdin.readline()
        if not line:
            time.sleep(0.1)
            continue
        if line.strip() == "close" and held:
            held.pop(0).close()
            print("closed one", flush=True)
        elif line.strip() == "more":
            s = hold_one(args)
            print("refused" if s is None else "open", flush=True)
            if s is not None:
                held.append(s)
        elif line.strip() == "quit":
            break
    still = sum(1 for s in held if not closed_now(s, 0.01))
    print("still open %d" % still, flush=True)
    return 0


def attempt_done(args, stats):
    if stats["connected"] + stats["failed"] == args.count:
        print("attempts done connected=%d failed=%d" % (stats["connected"], stats["failed"]),
              flush=True)


async def flood_one(args, source, t_end, stats):
    host, port = hostport(args.target)
    try:
        r, w = await asyncio.wait_for(
            asyncio.open_connection(host, port, local_addr=(source, 0) if source else None),
            max(0.1, t_end - time.time()))
    except (OSError, asyncio.TimeoutError):
        stats["failed"] += 1
        attempt_done(args, stats)
        return
    stats["connected"] += 1
    attempt_done(args, stats)
    i = 0
    try:
        while time.time() < t_end:
            w.write(HEAD[i % len(HEAD):i % len(HEAD) + 1])
            i += 1
            await w.drain()
            try:
                d = await asyncio.wait_for(r.read(100), min(args.interval, max(0.01, t_end - time.time())))
                if d == b"":
                    stats["closed"] += 1
                    return
            except asyncio.TimeoutError:
                pass
        stats["open"] += 1
    except OSError:
        stats["closed"] += 1
    finally:
        w.close()


async def flood(args):
    stats = {"connected": 0, "closed": 0, "open": 0, "failed": 0}
    sources = args.sources.split(",") if args.sources else [None]
    t_end = time.time() + args.duration
    tasks = [asyncio.ensure_future(flood_one(args, sources[i % len(sources)], t_end, stats))
             for i in range(args.count)]
    await asyncio.sleep(0)
    print("started", flush=True)
    await asyncio.gather(*tasks)
    print("done connected=%d closed=%d open=%d failed=%d" % (
        stats["connected"], stats["closed"], stats["open"], stats["failed"]), flush=True)
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("trickle")
    t.add_argument("--target", required=True)
    t.add_argument("--connect")
    t.add_argument("--tls", action="store_true")
    t.add_argument("--interval", type=float, default=0.5)
    t.add_argument("--duration", type=float, default=10)
    u = sub.add_parser("tunnel")
    u.add_argument("--target", required=True)
    u.add_argument("--connect", required=True)
    u.add_argument("--first-delay", type=float, default=0)
    u.add_argument("--interval", type=float, default=0.5)
    u.add_argument("--count", type=int, default=3)
    k = sub.add_parser("keepalive")
    k.add_argument("--target", required=True)
    k.add_argument("--url", required=True)
    k.add_argument("--wait", type=float, default=10)
    h = sub.add_parser("hold")
    h.add_argument("--target", required=True)
    h.add_argument("--source", required=True)
    h.add_argument("--count", type=int, default=1)
    h.add_argument("--wait", type=float, default=20)
    f = sub.add_parser("flood")
    f.add_argument("--target", required=True)
    f.add_argument("--count", type=int, default=2000)
    f.add_argument("--interval", type=float, default=2)
    f.add_argument("--duration", type=float, default=60)
    f.add_argument("--sources")
    args = p.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.cmd == "flood":
        return asyncio.run(flood(args))
    return {"trickle": cmd_trickle, "tunnel": cmd_tunnel, "keepalive": cmd_keepalive,
            "hold": cmd_hold}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
