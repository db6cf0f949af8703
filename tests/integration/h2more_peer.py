#!/usr/bin/python3
"""Peers for test_http2_more.sh (run with /usr/bin/python3, which has python3-h2).

  h2origin PORT CERT KEY   HTTP/2 over TLS (ALPN h2).  Prints "ready".  Paths:
                           /report          200, body: the request's regular header fields in
                                            order ("h name: value"), then its trailers ("t ...")
                           /refuse          RST_STREAM REFUSED_STREAM, no response
                           /goaway-early    GOAWAY (last stream 0, NO_ERROR): the stream was
                                            not processed; the connection then closes
                           /goaway-late     200 head and 5 body bytes, then GOAWAY (last stream
                                            = this one, INTERNAL_ERROR) and close
                           /goaway-once     the first time GOAWAY (last stream 0, INTERNAL_ERROR)
                                            and close: not processed; then 200 head and
                                            5 body bytes, and the connection closes (no GOAWAY)
                           /early-413       at the request's head (its body unread): 413 with
                                            END_STREAM, GOAWAY (NO_ERROR, this stream), close
                           anything else    200 "h2more\\n"
  h1origin PORT            HTTP/1.1, one request per connection: 200, body: the request's
                           chunked trailer lines ("t name: value").  Prints "ready".
  h2conce PORT             cleartext: the first connection speaks h2c (prior knowledge) and
                           goes away after its first answer (200 "h2c\\n"); every later one
                           speaks HTTP/1.1 only (200 "h1\\n"), and closes at an h2c preface.
                           Prints "ready".
  h1get HOST PORT PATH...  HTTP/1.1 client: GETs each PATH on one connection, 0.6 s apart (the
                           server side's idle release is 200 ms); prints "code N" and the body
                           of each.
  client HOST PORT PATH [--trailer NAME=VALUE] [--header NAME=VALUE] [--again PATH2]
                    [--method GET]...
                           TLS h2 client (no certificate check): sends the headers in the
                           order given, a body "x" and the trailers; prints "status N",
                           the body, and "reset CODE" or "goaway CODE LAST" when it sees one.
                           --again: once that stream ended or was reset, PATH2 on stream 3 of
                           the same connection, its lines prefixed "again ".  --method GET:
                           no body.
  upload HOST PORT PATH BYTES
                           TLS h2 client: POSTs a body of BYTES as fast as the windows let it,
                           after a response too; prints "status N", the body, "end" (the
                           response ended), "reset CODE", then "uploaded N" (bytes sent).
  flood rapid|continuation HOST PORT
                           TLS h2 client that floods: 1000 HEADERS each followed by its
                           RST_STREAM, or one header block in 400 one-byte CONTINUATION
                           frames; prints "goaway CODE LAST" when the server sends one.
Trusts its peers only as far as a test needs; loopback only.
"""

import socket
import ssl
import struct
import sys
import threading

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import hpack


def accepted(port):
    """Each connection accepted on 127.0.0.1:port ("ready" printed once listening)."""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(64)
    print("ready", flush=True)
    while True:
        yield ls.accept()[0]


def tls_server(port, cert, key, alpn):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols([alpn])
    for s in accepted(port):
        try:
            s = ctx.wrap_socket(s, server_side=True)
        except (ssl.SSLError, OSError):
            s.close()
            continue
        yield s


def tls_client(host, port):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2"])
    s = ctx.wrap_socket(socket.create_connection((host, port), timeout=30), server_hostname="localhost")
    if s.selected_alpn_protocol() != "h2":
        sys.exit("no h2: %r" % s.selected_alpn_protocol())
    return s


# ---- the h2 origin ----

class H2Conn:
    once = 0  # /goaway-once requests seen

    def __init__(self, sock):
        self.sock = sock
        self.h2 = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        self.req = {}  # stream id -> [path, headers, trailers]

    def flush(self):
        self.sock.sendall(self.h2.data_to_send())

    def answer(self, sid):
        path, headers, trailers = self.req.pop(sid)
        if path == "/refuse":
            self.h2.reset_stream(sid, h2.errors.ErrorCodes.REFUSED_STREAM)
            return True
        if path == "/goaway-once":
            H2Conn.once += 1
            if H2Conn.once > 1:
                self.h2.send_headers(sid, [(":status", "200"), ("content-type", "text/plain")])
                self.h2.send_data(sid, b"part\n")
                self.flush()
                return False
            self.h2.close_connection(h2.errors.ErrorCodes.INTERNAL_ERROR, last_stream_id=0)
            self.flush()
            return False
        if path == "/goaway-early":
            self.h2.close_connection(h2.errors.ErrorCodes.NO_ERROR, last_stream_id=0)
            self.flush()
            return False
        if path == "/goaway-late":
            self.h2.send_headers(sid, [(":status", "200"), ("content-type", "text/plain")])
            self.h2.send_data(sid, b"part\n")
            self.h2.close_connection(h2.errors.ErrorCodes.INTERNAL_ERROR, last_stream_id=sid)
            self.flush()
            return False
        if path == "/report":
            lines = ["h %s: %s" % (n, v) for n, v in headers if not n.startswith(":")]
            lines += ["t %s: %s" % (n, v) for n, v in trailers]
            body = ("\n".join(lines) + "\n").encode()
        else:
            body = b"h2more\n"
        self.h2.send_headers(sid, [(":status", "200"), ("content-length", str(len(body)))])
        self.h2.send_data(sid, body, end_stream=True)
        return True

    def early(self, sid):
        """Answers before the body (unread, never acknowledged) and goes away."""
        body = b"too large\n"
        self.h2.send_headers(sid, [(":status", "413"), ("content-length", str(len(body)))])
        self.h2.send_data(sid, body, end_stream=True)
        self.h2.close_connection(h2.errors.ErrorCodes.NO_ERROR, last_stream_id=sid)
        self.flush()
        return False

    def event(self, ev):
        if isinstance(ev, h2.events.RequestReceived):
            h = list(ev.headers)
            self.req[ev.stream_id] = [dict(h).get(":path", "/"), h, []]
            if dict(h).get(":path") == "/early-413":
                return self.early(ev.stream_id)
        elif isinstance(ev, h2.events.TrailersReceived):
            self.req[ev.stream_id][2] = list(ev.headers)
        elif isinstance(ev, h2.events.DataReceived):
            self.h2.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
        if isinstance(ev, (h2.events.RequestReceived, h2.events.TrailersReceived,
                           h2.events.DataReceived)) and ev.stream_ended is not None:
            return self.answer(ev.stream_id)
        return True

    def linger(self):
        """After a GOAWAY: FIN, then read until the peer closes, so that no unread byte turns
        the close into a TCP reset that could overtake the GOAWAY."""
        self.sock.shutdown(socket.SHUT_WR)
        self.sock.settimeout(10)
        while self.sock.recv(65536):
            pass

    def run(self):
        self.h2.initiate_connection()
        self.flush()
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return
                for ev in self.h2.receive_data(data):
                    if not self.event(ev):
                        self.linger()
                        return
                self.flush()
        except (OSError, h2.exceptions.ProtocolError) as e:
            print("connection error: %s" % e, flush=True)
        finally:
            self.sock.close()


def h2origin(port, cert, key):
    for s in tls_server(port, cert, key, "h2"):
        threading.Thread(target=H2Conn(s).run, daemon=True).start()


# ---- the HTTP/1.1 origin that reports chunked trailers ----

def h1serve(s):
    f = s.makefile("rb")
    te = False
    while True:
        line = f.readline()
        if line in (b"\r\n", b""):
            break
        if line.lower().startswith(b"transfer-encoding:") and b"chunked" in line.lower():
            te = True
    trailers = []
    while te:
        n = int(f.readline().split(b";")[0], 16)
        if n == 0:
            while True:
                line = f.readline()
                if line in (b"\r\n", b""):
                    break
                trailers.append("t " + line.decode("latin-1").rstrip("\r\n"))
            break
        f.read(n + 2)
    body = ("\n".join(trailers) + "\n").encode() if trailers else b"no trailers\n"
    s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
    print("request trailers %d" % len(trailers), flush=True)
    s.close()


def h1origin(port):
    for s in accepted(port):
        threading.Thread(target=h1serve, args=(s,), daemon=True).start()


# ---- h2c on the first connection only ----

def h2c_serve(s):
    c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
    c.initiate_connection()
    s.sendall(c.data_to_send())
    while True:
        data = s.recv(65536)
        if not data:
            break
        for ev in c.receive_data(data):
            if isinstance(ev, h2.events.RequestReceived):
                c.send_headers(ev.stream_id, [(":status", "200"), ("content-length", "4")])
                c.send_data(ev.stream_id, b"h2c\n", end_stream=True)
                c.close_connection(h2.errors.ErrorCodes.NO_ERROR, last_stream_id=ev.stream_id)
                s.sendall(c.data_to_send())
                print("h2c answered", flush=True)
                s.close()
                return
        s.sendall(c.data_to_send())
    s.close()


def h1_serve(s):
    f = s.makefile("rb")
    while True:
        line = f.readline()
        if line.startswith(b"PRI * HTTP/2.0"):
            print("h2c preface refused", flush=True)
            break
        if not line:
            break
        while line not in (b"\r\n", b"\n", b""):
            line = f.readline()
        s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nh1\n")
        print("h1 answered", flush=True)
    s.close()


def h2conce(port):
    first = True
    for s in accepted(port):
        threading.Thread(target=h2c_serve if first else h1_serve, args=(s,), daemon=True).start()
        first = False


def h1get(host, port, paths):
    import time
    s = socket.create_connection((host, port), timeout=20)
    f = s.makefile("rb")
    for i, path in enumerate(paths):
        if i:
            time.sleep(0.6)
        s.sendall(b"GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n" % path.encode())
        try:
            status = f.readline()
            n = 0
            while True:
                line = f.readline()
                if line in (b"\r\n", b""):
                    break
                if line.lower().startswith(b"content-length:"):
                    n = int(line.split(b":")[1])
            print("code %s" % status.split()[1].decode(), flush=True)
            sys.stdout.write(f.read(n).decode("latin-1"))
        except (OSError, IndexError) as e:
            print("error %s" % e, flush=True)
            return
    sys.stdout.flush()


# ---- the h2 client ----

def client(host, port, path, args):
    headers = [(":method", "POST"), (":scheme", "https"), (":authority", "localhost"), (":path", path)]
    trailers = []
    again = None
    for i in range(0, len(args), 2):
        if args[i] == "--again":
            again = args[i + 1]
            continue
        if args[i] == "--method":  # GET: no body, no trailers
            headers[0] = (":method", args[i + 1])
            continue
        n, v = args[i + 1].split("=", 1)
        (trailers if args[i] == "--trailer" else headers).append((n, v))
    s = tls_client(host, port)
    c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    c.initiate_connection()
    if headers[0][1] == "GET":
        c.send_headers(1, headers, end_stream=True)
    else:
        c.send_headers(1, headers)
        c.send_data(1, b"x", end_stream=not trailers)
    if trailers:
        c.send_headers(1, trailers, end_stream=True)
    s.sendall(c.data_to_send())
    done = False
    sid, pre = 1, ""
    while not done:
        data = s.recv(65536)
        if not data:
            print(pre + "eof")
            break
        for ev in c.receive_data(data):
            if getattr(ev, "stream_id", sid) != sid:
                continue
            if isinstance(ev, h2.events.ResponseReceived):
                print(pre + "status %s" % dict(ev.headers)[":status"])
            elif isinstance(ev, h2.events.DataReceived):
                c.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                sys.stdout.write(pre + ev.data.decode("latin-1"))
            elif isinstance(ev, h2.events.StreamReset):
                print(pre + "reset %d" % ev.error_code)
                done = True
            elif isinstance(ev, h2.events.ConnectionTerminated):
                print(pre + "goaway %d %s" % (ev.error_code, ev.last_stream_id))
                done, again = True, None
            elif isinstance(ev, h2.events.StreamEnded):
                print(pre + "end")
                done = True
        if done and again:
            sid, pre, done = 3, "again ", False
            c.send_headers(3, headers[:3] + [(":path", again)])
            c.send_data(3, b"x", end_stream=True)
            again = None
        s.sendall(c.data_to_send())
    sys.stdout.flush()


def upload(host, port, path, total):
    s = tls_client(host, port)
    c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    c.initiate_connection()
    c.send_headers(1, [(":method", "POST"), (":scheme", "https"), (":authority", "localhost"),
                       (":path", path), ("content-length", str(total))])
    sent, ended, closed = 0, False, False
    chunk = b"u" * 16384
    while not closed:
        while sent < total and c.local_flow_control_window(1) > 0:
            n = min(total - sent, c.local_flow_control_window(1), c.max_outbound_frame_size, len(chunk))
            c.send_data(1, chunk[:n], end_stream=sent + n == total)
            sent += n
        s.sendall(c.data_to_send())
        if ended and sent == total:
            break
        data = s.recv(65536)
        if not data:
            print("eof")
            break
        for ev in c.receive_data(data):
            if isinstance(ev, h2.events.ResponseReceived):
                print("status %s" % dict(ev.headers)[":status"])
            elif isinstance(ev, h2.events.DataReceived):
                c.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                sys.stdout.write(ev.data.decode("latin-1"))
            elif isinstance(ev, h2.events.StreamReset):
                print("reset %d" % ev.error_code)
                closed = True
            elif isinstance(ev, h2.events.ConnectionTerminated):
                print("goaway %d %s" % (ev.error_code, ev.last_stream_id))
                closed = True
            elif isinstance(ev, h2.events.StreamEnded):
                print("end")
                ended = True
    s.sendall(c.data_to_send())
    print("uploaded %d" % sent)
    sys.stdout.flush()


# ---- floods, as raw frames ----

def frame(ftype, flags, sid, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", sid) + payload


def read_frames(s, want, buf=b""):
    """Reads frames until one of type want (printing a GOAWAY's code); the bytes left over."""
    while True:
        try:
            data = s.recv(65536)
        except OSError:
            data = b""
        if not data:
            print("eof")
            return b""
        buf += data
        while len(buf) >= 9:
            n = int.from_bytes(buf[:3], "big")
            if len(buf) < 9 + n:
                break
            ftype, payload = buf[3], buf[9:9 + n]
            buf = buf[9 + n:]
            if ftype == 7:
                last, code = struct.unpack(">II", payload[:8])
                print("goaway %d %d" % (code, last & 0x7FFFFFFF), flush=True)
            if ftype == want:
                return buf


def flood(kind, host, port):
    s = tls_client(host, port)
    enc = hpack.Encoder()
    s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b""))
    buf = read_frames(s, 4)  # the server's SETTINGS, acknowledged with the flood
    out = [frame(4, 1, 0, b"")]
    req = [(":method", "GET"), (":scheme", "https"), (":authority", "localhost"), (":path", "/")]
    if kind == "rapid":
        for i in range(1000):
            sid = 2 * i + 1
            out.append(frame(1, 0x5, sid, enc.encode(req)))  # END_STREAM | END_HEADERS
            out.append(frame(3, 0, sid, struct.pack(">I", 8)))  # RST_STREAM CANCEL
    else:
        block = enc.encode(req + [("x-pad", "p" * 400)])
        out.append(frame(1, 0x1, 1, block[:1]))  # END_STREAM, no END_HEADERS
        for i in range(1, len(block)):
            out.append(frame(9, 0x4 if i == len(block) - 1 else 0, 1, block[i:i + 1]))
    try:
        s.sendall(b"".join(out))
    except OSError as e:
        print("send: %s" % e)
    read_frames(s, 7, buf)


def main():
    a = sys.argv[1:]
    if a[0] == "h2origin":
        h2origin(int(a[1]), a[2], a[3])
    elif a[0] == "h1origin":
        h1origin(int(a[1]))
    elif a[0] == "h2conce":
        h2conce(int(a[1]))
    elif a[0] == "h1get":
        h1get(a[1], int(a[2]), a[3:])
    elif a[0] == "client":
        client(a[1], int(a[2]), a[3], a[4:])
    elif a[0] == "upload":
        upload(a[1], int(a[2]), a[3], int(a[4]))
    elif a[0] == "flood":
        flood(a[1], a[2], int(a[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
