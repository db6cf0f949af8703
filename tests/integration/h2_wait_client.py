#!/usr/bin/python3
"""A cleartext HTTP/2 client with prior knowledge (python3-h2) that waits for
the server's SETTINGS before it sends its first request, as RFC 9113 3.4
allows: preface, then read until the server's SETTINGS are in (and ACKed),
then the requests, one after the other, on the same connection.

usage: h2_wait_client.py PORT SCHEME AUTHORITY BODY_PREFIX PATH...
(a PATH of CONNECT sends a CONNECT request for AUTHORITY instead of a GET)
Prints the server's SETTINGS, then per request its status and response
fields; writes each body to BODY_PREFIX.N (N from 1).  Exits 1 when the
server sends nothing (no SETTINGS within 10 s) or ends the connection."""
import socket
import sys

import h2.config
import h2.connection
import h2.events


def read_events(s, conn):
    data = s.recv(65536)
    if not data:
        print("connection closed by the server")
        sys.exit(1)
    events = conn.receive_data(data)
    out = conn.data_to_send()
    if out:
        s.sendall(out)
    for ev in events:
        if isinstance(ev, h2.events.ConnectionTerminated):
            print(f"GOAWAY error {ev.error_code}")
            sys.exit(1)
    return events


def wait_settings(s, conn):
    try:
        while True:
            for ev in read_events(s, conn):
                if isinstance(ev, h2.events.RemoteSettingsChanged):
                    for k, v in sorted(ev.changed_settings.items()):
                        print(f"setting {int(k)} {v.new_value}")
                    return
    except socket.timeout:
        print("no SETTINGS from the server before the first request")
        sys.exit(1)


def request(s, conn, sid, scheme, authority, path, body_file):
    if path == "CONNECT":  # RFC 9113 8.5: no :scheme, no :path
        head = [(":method", "CONNECT"), (":authority", authority)]
    else:
        head = [(":method", "GET"), (":scheme", scheme), (":authority", authority),
                (":path", path)]
    conn.send_headers(sid, head, end_stream=path != "CONNECT")
    s.sendall(conn.data_to_send())
    body = b""
    while True:
        for ev in read_events(s, conn):
            if isinstance(ev, h2.events.ResponseReceived) and ev.stream_id == sid:
                for k, v in ev.headers:
                    print(f"{k.decode()}: {v.decode()}")
            elif isinstance(ev, h2.events.DataReceived) and ev.stream_id == sid:
                body += ev.data
                conn.acknowledge_received_data(ev.flow_controlled_length, sid)
                s.sendall(conn.data_to_send())
            elif isinstance(ev, h2.events.StreamReset) and ev.stream_id == sid:
                print(f"stream {sid} reset {ev.error_code}")
                return
            elif isinstance(ev, h2.events.StreamEnded) and ev.stream_id == sid:
                with open(body_file, "wb") as f:
                    f.write(body)
                print(f"stream {sid} ended, {len(body)} body bytes")
                return


def main():
    port, scheme, authority, prefix = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    # outbound checks off: python3-h2 wants :path even on a CONNECT
    cfg = h2.config.H2Configuration(client_side=True, validate_outbound_headers=False)
    conn = h2.connection.H2Connection(cfg)
    conn.initiate_connection()
    s.sendall(conn.data_to_send())
    wait_settings(s, conn)
    print("settings received before the first request")
    for i, path in enumerate(sys.argv[5:]):
        request(s, conn, 1 + 2 * i, scheme, authority, path, f"{prefix}.{i + 1}")
    conn.close_connection()
    s.sendall(conn.data_to_send())
    s.close()


main()
