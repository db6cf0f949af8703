#!/usr/bin/env python3
"""WebSocket over HTTP/2 (RFC 8441) test client for snare integration tests
(python3-h2).

  python3 wsh2client.py --port P --path /ws --send hello [--send ...]
      [--big N] [--protocol websocket] [--host 127.0.0.1]

Connects with TLS (ALPN h2, no certificate check: the test's own CA is not
needed to see the framing), sends GET /probe and reads its answer, then a
PING and waits for its ACK: a proxy that offers extended CONNECT once it
knows its server side (RFC 8441 lets SETTINGS_ENABLE_CONNECT_PROTOCOL come
in a later SETTINGS frame) has done so by then.  Prints
"enable_connect_protocol=<v>" from the server's SETTINGS, sends an extended
CONNECT (:protocol websocket; sent even when not offered) and prints
"status <code>" ("reset <code>" when the stream is reset).  On 200 it sends each --send as a masked text frame
(and with --big N one binary message of N bytes) and prints each echoed
text message on its own line ("binary <len> <ok|bad>" for binary ones),
then sends a close frame and prints "closed <code>" when the close comes
back.  With --count N it opens N WebSockets instead, prints "open <i>
<status>" for each, then while they are open sends GET --get PATH on the
same connection and prints "get <status>".  Exit 0; any error: a message on
stderr, exit 1.  Timeout 15 s.
"""

import argparse
import os
import socket
import ssl
import struct
import sys
import time

import h2.config
import h2.connection
import h2.events
import h2.settings

from wsframes import frame, frames

TIMEOUT = 15.0


class Client:
    def __init__(self, host, port):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["h2"])
        raw = socket.create_connection((host, port), timeout=TIMEOUT)
        self.sock = ctx.wrap_socket(raw, server_hostname=host)
        if self.sock.selected_alpn_protocol() != "h2":
            raise RuntimeError("ALPN did not select h2")
        cfg = h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
        self.conn = h2.connection.H2Connection(cfg)
        self.conn.initiate_connection()
        self.flush()
        self.deadline = time.time() + TIMEOUT

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def events(self):
        if time.time() > self.deadline:
            raise RuntimeError("timeout")
        data = self.sock.recv(65536)
        if not data:
            raise RuntimeError("connection closed")
        evs = self.conn.receive_data(data)
        self.flush()
        return evs


def get(c, a, path):
    """GET path on c; its status once its stream ended."""
    sid = c.conn.get_next_available_stream_id()
    c.conn.send_headers(sid, [(":method", "GET"), (":scheme", "https"), (":path", path),
                              (":authority", "%s:%d" % (a.host, a.port))], end_stream=True)
    c.flush()
    status = None
    while True:
        for ev in c.events():
            if isinstance(ev, h2.events.ResponseReceived) and ev.stream_id == sid:
                status = dict(ev.headers)[":status"]
            elif isinstance(ev, h2.events.DataReceived) and ev.stream_id == sid:
                c.conn.acknowledge_received_data(ev.flow_controlled_length, sid)
            elif isinstance(ev, h2.events.StreamEnded) and ev.stream_id == sid:
                return status
            elif isinstance(ev, h2.events.StreamReset) and ev.stream_id == sid:
                return "reset %d" % ev.error_code
        c.flush()


def offered(c, a):
    """The server's ENABLE_CONNECT_PROTOCOL after a request and a PING."""
    get(c, a, "/probe")
    c.conn.ping(b"wsh2ping")
    c.flush()
    acked = False
    while not acked:
        for ev in c.events():
            acked = acked or isinstance(ev, h2.events.PingAckReceived)
    return c.conn.remote_settings.get(h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL, 0)


def connect(c, a):
    """An extended CONNECT; its status, or "reset <code>"."""
    sid = c.conn.get_next_available_stream_id()
    c.conn.send_headers(sid, [(":method", "CONNECT"), (":protocol", a.protocol),
                              (":scheme", "https"), (":path", a.path),
                              (":authority", "%s:%d" % (a.host, a.port)),
                              ("sec-websocket-version", "13"),
                              ("sec-websocket-extensions", "permessage-deflate")])
    c.flush()
    while True:
        for ev in c.events():
            if isinstance(ev, h2.events.ResponseReceived) and ev.stream_id == sid:
                return sid, dict(ev.headers)[":status"]
            elif isinstance(ev, h2.events.StreamReset) and ev.stream_id == sid:
                return sid, "reset %d" % ev.error_code


def run(a):
    c = Client(a.host, a.port)
    print("enable_connect_protocol=%d" % offered(c, a), flush=True)
    if a.count:
        for i in range(a.count):
            print("open %d %s" % (i, connect(c, a)[1]), flush=True)
        print("get %s" % get(c, a, a.get), flush=True)
        return 0
    sid, status = connect(c, a)
    if status.startswith("reset"):
        print(status, flush=True)
        return 0
    print("status %s" % status, flush=True)
    if status != "200":
        return 0
    buf, ended = b"", False
    msgs = [frame(1, m.encode(), True) for m in a.send]
    big = os.urandom(a.big) if a.big else None
    if big:
        msgs.append(frame(2, big, True))
    msgs.append(frame(8, struct.pack("!H", 1000), True))
    out = b"".join(msgs)
    closed = None
    while closed is None or not ended:
        while out and c.conn.local_flow_control_window(sid) > 0:
            n = min(len(out), c.conn.local_flow_control_window(sid),
                    c.conn.max_outbound_frame_size)
            c.conn.send_data(sid, out[:n])
            out = out[n:]
        if closed is not None and not out and not ended:
            c.conn.end_stream(sid)
            ended = True
        c.flush()
        if closed is not None and ended:
            break
        for ev in c.events():
            if isinstance(ev, h2.events.DataReceived) and ev.stream_id == sid:
                c.conn.acknowledge_received_data(ev.flow_controlled_length, sid)
                buf += ev.data
                got_frames, buf = frames(buf)
                for op, p in got_frames:
                    if op == 1:
                        print(p.decode(), flush=True)
                    elif op == 2:
                        print("binary %d %s" % (len(p), "ok" if p == big else "bad"),
                              flush=True)
                    elif op == 8:
                        closed = struct.unpack("!H", p[:2])[0] if len(p) >= 2 else 1005
                        print("closed %d" % closed, flush=True)
            elif isinstance(ev, h2.events.StreamReset) and ev.stream_id == sid:
                raise RuntimeError("stream reset %d" % ev.error_code)
        c.flush()
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", default="/ws")
    p.add_argument("--protocol", default="websocket")
    p.add_argument("--send", action="append", default=[])
    p.add_argument("--big", type=int, default=0)
    p.add_argument("--count", type=int, default=0)
    p.add_argument("--get", default="/hello")
    a = p.parse_args()
    try:
        return run(a)
    except Exception as e:  # the test prints what went wrong
        print("error: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
