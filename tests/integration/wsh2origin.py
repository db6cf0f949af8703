#!/usr/bin/env python3
"""An HTTP/2 WebSocket echo origin (RFC 8441) for snare integration tests
(python3-h2).

  python3 wsh2origin.py PORT CERT KEY [--no-extended] [--page FILE] [--late-settings]

TLS with ALPN h2.  Sends SETTINGS_ENABLE_CONNECT_PROTOCOL 1 unless
--no-extended (--late-settings: its SETTINGS only 0.5 s after the TLS
handshake, so that a proxy has its client's request first).  An extended CONNECT with :protocol websocket gets 200 and
its WebSocket frames are echoed (text and binary, a close answered with the
same code, then END_STREAM); GET /page.html gets FILE (--page) as text/html;
every other request gets 404.  Prints
"listening" once ready, then "connect <path> <protocol>" per extended
CONNECT and "ended" when a WebSocket stream ends.
"""

import socket
import ssl
import sys
import threading
import time

import h2.config
import h2.connection
import h2.events
import h2.settings

from wsframes import frame, frames


def serve(c, ctx, extended, page, late):
    try:
        c = ctx.wrap_socket(c, server_side=True)
    except (OSError, ssl.SSLError):
        return
    if late:
        time.sleep(0.5)
    conn = h2.connection.H2Connection(
        h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
    conn.initiate_connection()
    if extended:
        conn.update_settings({h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL: 1})
    c.sendall(conn.data_to_send())
    ws = {}  # stream id -> bytes not parsed yet
    pending = {}  # stream id -> bytes waiting for the window
    while True:
        try:
            data = c.recv(65536)
        except OSError:
            data = b""
        if not data:
            return
        for ev in conn.receive_data(data):
            if isinstance(ev, h2.events.RequestReceived):
                h = dict(ev.headers)
                if h.get(":method") == "CONNECT" and h.get(":protocol") == "websocket":
                    print("connect", h.get(":path"), h.get(":protocol"), flush=True)
                    ws[ev.stream_id] = b""
                    conn.send_headers(ev.stream_id, [(":status", "200")])
                elif h.get(":path") == "/page.html" and page is not None:
                    conn.send_headers(ev.stream_id, [(":status", "200"),
                                                     ("content-type", "text/html"),
                                                     ("content-length", str(len(page)))])
                    pending[ev.stream_id] = page + b"\0END"
                else:
                    conn.send_headers(ev.stream_id, [(":status", "404")], end_stream=True)
            elif isinstance(ev, h2.events.DataReceived) and ev.stream_id in ws:
                conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                got, ws[ev.stream_id] = frames(ws[ev.stream_id] + ev.data)
                for op, p in got:
                    out = frame(op if op != 9 else 10, p, False)
                    pending[ev.stream_id] = pending.get(ev.stream_id, b"") + out
                    if op == 8:
                        print("ended", flush=True)
            elif isinstance(ev, h2.events.StreamEnded) and ev.stream_id in ws:
                pending[ev.stream_id] = pending.get(ev.stream_id, b"") + b"\0END"
        for sid in list(pending):
            buf = pending[sid]
            end = buf.endswith(b"\0END")
            if end:
                buf = buf[:-4]
            while buf and conn.local_flow_control_window(sid) > 0:
                n = min(len(buf), conn.local_flow_control_window(sid),
                        conn.max_outbound_frame_size)
                conn.send_data(sid, buf[:n])
                buf = buf[n:]
            if not buf and end:
                conn.end_stream(sid)
                del pending[sid]
            else:
                pending[sid] = buf + (b"\0END" if end else b"")
        c.sendall(conn.data_to_send())


def main():
    port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    extended = "--no-extended" not in sys.argv[4:]
    late = "--late-settings" in sys.argv[4:]
    page = None
    if "--page" in sys.argv[4:]:
        with open(sys.argv[sys.argv.index("--page") + 1], "rb") as f:
            page = f.read()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["h2"])
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    print("listening", flush=True)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c, ctx, extended, page, late),
                         daemon=True).start()


if __name__ == "__main__":
    main()
