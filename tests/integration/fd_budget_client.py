#!/usr/bin/env python3
"""Keep-alive HTTP/1.1 clients for test_fd_budget.sh (a reverse proxy at
--target, plain HTTP).  Trusts nothing it reads: statuses are parsed, bodies
skipped by Content-Length.

  idle: opens --count connections one at a time, one GET each, keeps them
        open; samples the descriptors of --pid after each; then one more
        GET on every connection still open.  Prints
          opened N answered N unanswered N max_fds N
          recheck open N answered N closed N errors N
  one:  one connection, one GET; prints "status N" and the reason line's
        body text (or "status none <why>")."""
import argparse
import os
import socket
import time


def hostport(s):
    h, p = s.rsplit(":", 1)
    return h, int(p)


def get(sock, timeout):
    """One GET; the status (int), or None when nothing came in time."""
    sock.settimeout(timeout)
    sock.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return None, data
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    while len(rest) < length:
        chunk = sock.recv(4096)
        if not chunk:
            break
        rest += chunk
    return int(head.split(b" ")[1]), rest


def status_of(sock, timeout):
    """The status of one GET on sock, None when it failed."""
    try:
        return get(sock, timeout)[0]
    except OSError:
        return None


def fds_of(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return -1


def closed_by_peer(sock):
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        sock.setblocking(True)


def cmd_idle(a):
    conns, answered, unanswered, max_fds = [], 0, 0, 0
    for _ in range(a.count):
        s = socket.create_connection(hostport(a.target), 5)
        if status_of(s, a.timeout) == 200:
            answered += 1
            conns.append(s)
        else:
            unanswered += 1
            s.close()
        max_fds = max(max_fds, fds_of(a.pid))
    print("opened %d answered %d unanswered %d max_fds %d" %
          (a.count, answered, unanswered, max_fds), flush=True)
    time.sleep(a.hold)
    still = [s for s in conns if not closed_by_peer(s)]
    ok = errors = 0
    for s in still:
        if status_of(s, a.timeout) == 200:
            ok += 1
        else:
            errors += 1
    print("recheck open %d answered %d closed %d errors %d" %
          (len(still), ok, len(conns) - len(still), errors), flush=True)
    if a.wait_file:
        while not os.path.exists(a.wait_file):
            time.sleep(0.05)
    for s in conns:
        s.close()


def cmd_one(a):
    s = socket.create_connection(hostport(a.target), 5)
    try:
        st, body = get(s, a.timeout)
    except OSError as e:
        print("status none %s" % e)
        return
    print("status %s %s" % (st, body.decode("latin-1", "replace").replace("\n", " ").strip()[:300]))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    i = sub.add_parser("idle")
    i.add_argument("--target", required=True)
    i.add_argument("--count", type=int, default=10)
    i.add_argument("--pid", type=int, default=0)
    i.add_argument("--timeout", type=float, default=5)
    i.add_argument("--hold", type=float, default=1)
    i.add_argument("--wait-file")
    o = sub.add_parser("one")
    o.add_argument("--target", required=True)
    o.add_argument("--timeout", type=float, default=5)
    a = p.parse_args()
    {"idle": cmd_idle, "one": cmd_one}[a.cmd](a)


if __name__ == "__main__":
    main()
