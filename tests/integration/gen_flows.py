#!/usr/bin/env python3
"""Writes a snare flow file (man/snare-flows.5) of N small HTTP flows, for the
web interface's memory test (Python 3 stdlib only; the protobuf encoding of
proto/flow.proto is written by hand).

  python3 gen_flows.py N OUT

Flow i: GET https://h{i%1000}.example.com/item/{i}, status 200 (404 for every
tenth), a 64-byte JSON response body, client 10.0.{x}.{y}.
"""
import struct
import sys
import uuid


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def key(field, wire):
    return varint(field << 3 | wire)


def f_varint(field, v):
    return key(field, 0) + varint(v)


def f_bytes(field, b):
    if isinstance(b, str):
        b = b.encode()
    return key(field, 2) + varint(len(b)) + b


def f_double(field, d):
    return key(field, 1) + struct.pack("<d", d)


def address(host, port):
    return f_bytes(1, host) + f_varint(2, port)


def header(name, value):
    return f_bytes(1, name) + f_bytes(2, value)


def flow(i, t0):
    ts = t0 + i * 0.001
    host = "h%d.example.com" % (i % 1000)
    status = 404 if i % 10 == 0 else 200
    body = b'{"item": %8d, "ok": true, "pad": "xxxxxxxxxxxxxxxxxxxxxxx"}' % i
    body = body[:64].ljust(64, b" ")
    client = f_bytes(2, address("10.0.%d.%d" % (i // 250 % 250, i % 250 + 1), 40000 + i % 20000))
    client += f_double(6, ts)
    server = f_bytes(2, address("192.0.2.%d" % (i % 200 + 1), 443)) + f_double(6, ts)
    req = (f_bytes(1, "GET") + f_bytes(2, "https") + f_bytes(3, host) + f_varint(4, 443) +
           f_bytes(5, "/item/%d?q=x" % i) + f_bytes(6, "HTTP/1.1") +
           f_bytes(7, header("Host", host)) + f_bytes(7, header("User-Agent", "gen/1")) +
           f_varint(9, 0) + f_double(13, ts) + f_double(14, ts + 0.0005))
    resp = (f_bytes(1, "HTTP/1.1") + f_varint(2, status) +
            f_bytes(3, "OK" if status == 200 else "Not Found") +
            f_bytes(4, header("Content-Type", "application/json")) + f_bytes(5, body) +
            f_varint(6, len(body)) + f_double(9, ts + 0.001) + f_double(10, ts + 0.002))
    return (f_varint(1, 1) + f_varint(2, 0) + f_bytes(3, str(uuid.UUID(int=i + 1, version=4))) +
            f_bytes(4, client) + f_bytes(5, server) + f_double(7, ts) + f_bytes(8, req) +
            f_bytes(9, resp))


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    with open(out, "wb") as f:
        f.write(b"SNAREFL1")
        for i in range(n):
            rec = flow(i, 1733450000.0)
            f.write(varint(len(rec)) + rec)


if __name__ == "__main__":
    main()
