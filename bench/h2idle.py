#!/usr/bin/python3
# Idle HTTP/2 client connections for bench case h2 (issue 17): opens N TLS connections with
# ALPN h2, sends one GET on each and reads its whole response, prints "ready OK FAILED", holds
# them all for HOLD seconds, then sends one more GET on each still open and prints
# "answered OK ASKED".  Uses Debian's python3-h2 (h2load cannot hold connections idle).
# Usage: h2idle.py HOST PORT PATH N HOLD
import socket
import ssl
import sys
import time

import h2.config
import h2.connection
import h2.events


def request(sock, conn, host, path):
    sid = conn.get_next_available_stream_id()
    conn.send_headers(sid, [(":method", "GET"), (":scheme", "https"),
                            (":authority", host), (":path", path)], end_stream=True)
    sock.sendall(conn.data_to_send())
    while True:
        data = sock.recv(65536)
        if not data:
            return False
        for ev in conn.receive_data(data):
            if isinstance(ev, h2.events.DataReceived):
                conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            if isinstance(ev, h2.events.StreamEnded) and ev.stream_id == sid:
                sock.sendall(conn.data_to_send())
                return True
            if isinstance(ev, (h2.events.StreamReset, h2.events.ConnectionTerminated)):
                return False
        sock.sendall(conn.data_to_send())


def open_one(ctx, host, port, path):
    raw = socket.create_connection((host, port), timeout=30)
    sock = ctx.wrap_socket(raw, server_hostname=host)
    if sock.selected_alpn_protocol() != "h2":
        sock.close()
        return None
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    return (sock, conn) if request(sock, conn, host, path) else None


def main():
    host, port, path, n, hold = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), \
        float(sys.argv[5])
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2"])
    held, failed = [], 0
    for _ in range(n):
        try:
            c = open_one(ctx, host, port, path)
        except OSError:
            c = None
        if c is None:
            failed += 1
        else:
            held.append(c)
    print(f"ready {len(held)} {failed}", flush=True)
    time.sleep(hold)
    answered = 0
    for sock, conn in held:
        try:
            answered += request(sock, conn, host, path)
        except OSError:
            pass
        sock.close()
    print(f"answered {answered} {len(held)}", flush=True)


if __name__ == "__main__":
    main()
