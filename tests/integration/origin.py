#!/usr/bin/env python3
"""Test ORIGIN server for snare integration tests (Python 3.11 stdlib only).

Usage: python3 origin.py --port P [--tls CERT KEY] [--bind 127.0.0.1]

Prints "ready" on stdout once listening, then serves until killed.
Every response carries "X-Origin: snare-test".

Routes:
  GET  /hello       200 "hello\\n"
  GET  /headers     200, body = request headers as received ("Name: value" lines)
  GET  /size/N      200, Content-Length N, deterministic pattern, streamed
  GET  /chunked     200 chunked "alpha\\n" "beta\\n" "gamma\\n" + trailer X-Trailer: done
  GET  /chunked/N   200 chunked, N pattern bytes in 32 KiB chunks
  POST|PUT /echo    200, echoes request body (Content-Length or chunked)
  POST /sha256      200, "<hex sha256>\\n<byte count>\\n" (streamed hashing)
  GET  /ws          WebSocket echo (RFC 6455)
  anything else     404
"""

import argparse
import base64
import hashlib
import socket
import ssl
import struct
import sys
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PATTERN_MOD = 251
BLOCK = 64 * 1024
CHUNK = 32 * 1024
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

# The pattern byte at index i is (i*7+3) % 251, so it repeats every 251 bytes.
# Precompute one period and slice blocks out of a doubled buffer.
_PERIOD = bytes((i * 7 + 3) % PATTERN_MOD for i in range(PATTERN_MOD))
_REPEATED = _PERIOD * ((BLOCK // PATTERN_MOD) + 2)


def pattern_block(offset, length):
    """Pattern bytes for indices [offset, offset+length), length <= BLOCK."""
    start = offset % PATTERN_MOD
    return _REPEATED[start:start + length]


def pattern_blocks(total, block):
    off = 0
    while off < total:
        n = min(block, total - off)
        yield pattern_block(off, n)
        off += n


class BodyError(Exception):
    pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "snare-test-origin/1.0"
    sys_version = ""

    def version_string(self):
        return self.server_version
    timeout = 120

    # ---- plumbing -------------------------------------------------------

    def log_message(self, format, *args):  # quiet
        pass

    def send_response(self, code, message=None):
        super().send_response(code, message)
        self.send_header("X-Origin", "snare-test")

    # "Expect: 100-continue": the inherited handle_expect_100() is invoked by
    # parse_request() for HTTP/1.1 requests and writes+flushes
    # "HTTP/1.1 100 Continue\r\n\r\n" (no extra headers) before the route
    # handler reads the body.

    def simple(self, code, body, ctype="text/plain", extra=None):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or []):
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def not_found(self):
        self.simple(404, "not found\n")

    # ---- request body reading ------------------------------------------

    def _readline(self):
        line = self.rfile.readline(65537)
        if not line:
            raise BodyError("unexpected EOF in chunked body")
        if len(line) > 65536:
            raise BodyError("chunked line too long")
        return line

    def _read_exact(self, n):
        data = self.rfile.read(n)
        if data is None or len(data) != n:
            raise BodyError("unexpected EOF in body")
        return data

    def iter_body(self):
        """Yield request body pieces (Content-Length or chunked). Trailers
        of a chunked body are read and stored in self.req_trailers."""
        self.req_trailers = []
        te = self.headers.get("Transfer-Encoding")
        if te is not None:
            codings = [c.strip().lower() for c in te.split(",") if c.strip()]
            if not codings or codings[-1] != "chunked":
                raise BodyError("unsupported Transfer-Encoding: %s" % te)
            while True:
                line = self._readline()
                size_s = line.split(b";", 1)[0].strip()
                try:
                    size = int(size_s, 16)
                except ValueError:
                    raise BodyError("bad chunk size %r" % line)
                if size < 0:
                    raise BodyError("bad chunk size %r" % line)
                if size == 0:
                    break
                remaining = size
                while remaining:
                    piece = self._read_exact(min(remaining, BLOCK))
                    remaining -= len(piece)
                    yield piece
                if self._read_exact(2) != b"\r\n":
                    raise BodyError("missing CRLF after chunk data")
            # trailer section
            while True:
                line = self._readline()
                if line in (b"\r\n", b"\n"):
                    break
                self.req_trailers.append(line.rstrip(b"\r\n").decode("latin-1"))
            return
        cl = self.headers.get("Content-Length")
        if cl is None:
            return
        try:
            remaining = int(cl.strip())
        except ValueError:
            raise BodyError("bad Content-Length %r" % cl)
        if remaining < 0:
            raise BodyError("bad Content-Length %r" % cl)
        while remaining:
            piece = self._read_exact(min(remaining, BLOCK))
            remaining -= len(piece)
            yield piece

    def body_error(self, e):
        self.close_connection = True
        body = ("bad request body: %s\n" % e).encode()
        try:
            self.send_response(400)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass

    # ---- routes ----------------------------------------------------------

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/hello":
            return self.simple(200, "hello\n")
        if path == "/headers":
            lines = "".join("%s: %s\n" % (k, v) for k, v in self.headers.items())
            return self.simple(200, lines.encode("latin-1", "replace"))
        if path.startswith("/size/"):
            n = self._parse_n(path[len("/size/"):])
            if n is None:
                return self.not_found()
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(n))
            self.end_headers()
            for blk in pattern_blocks(n, BLOCK):
                self.wfile.write(blk)
            return
        if path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Trailer", "X-Trailer")
            self.end_headers()
            for part in (b"alpha\n", b"beta\n", b"gamma\n"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\nX-Trailer: done\r\n\r\n")
            return
        if path.startswith("/chunked/"):
            n = self._parse_n(path[len("/chunked/"):])
            if n is None:
                return self.not_found()
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for blk in pattern_blocks(n, CHUNK):
                self.wfile.write(b"%x\r\n" % len(blk) + blk + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
            return
        if path == "/ws":
            return self.websocket()
        self.drain_and_404()

    def do_POST(self):
        path = self.path.split("?", 1)[0]
        if path == "/echo":
            return self.echo()
        if path == "/sha256":
            h = hashlib.sha256()
            count = 0
            try:
                for piece in self.iter_body():
                    h.update(piece)
                    count += len(piece)
            except BodyError as e:
                return self.body_error(e)
            return self.simple(200, "%s\n%d\n" % (h.hexdigest(), count))
        self.drain_and_404()

    def do_PUT(self):
        path = self.path.split("?", 1)[0]
        if path == "/echo":
            return self.echo()
        self.drain_and_404()

    def do_HEAD(self):
        path = self.path.split("?", 1)[0]
        if path == "/hello":
            return self.simple(200, "hello\n")
        if path.startswith("/size/"):
            n = self._parse_n(path[len("/size/"):])
            if n is None:
                return self.not_found()
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(n))
            self.end_headers()
            return
        self.drain_and_404()

    def do_DELETE(self):
        self.drain_and_404()

    def do_PATCH(self):
        self.drain_and_404()

    def do_OPTIONS(self):
        self.drain_and_404()

    def drain_and_404(self):
        # Consume any request body so the connection stays usable.
        try:
            for _ in self.iter_body():
                pass
        except BodyError as e:
            return self.body_error(e)
        self.not_found()

    def echo(self):
        try:
            body = b"".join(self.iter_body())
        except BodyError as e:
            return self.body_error(e)
        ctype = self.headers.get("Content-Type", "application/octet-stream")
        self.simple(200, body, ctype=ctype)

    @staticmethod
    def _parse_n(s):
        if not s.isdigit():
            return None
        return int(s)

    # ---- WebSocket -------------------------------------------------------

    def websocket(self):
        def tokens(name):
            return [t.strip().lower() for t in self.headers.get(name, "").split(",")]

        key = self.headers.get("Sec-WebSocket-Key", "").strip()
        ok = "websocket" in tokens("Upgrade") and "upgrade" in tokens("Connection")
        try:
            ok = ok and len(base64.b64decode(key, validate=True)) == 16
        except ValueError:
            ok = False
        if not ok:
            return self.simple(400, "bad websocket upgrade\n")
        if self.headers.get("Sec-WebSocket-Version", "").strip() != "13":
            return self.simple(426, "unsupported websocket version\n",
                               extra=[("Sec-WebSocket-Version", "13")])
        accept = base64.b64encode(
            hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.close_connection = True  # no more HTTP after the WS session
        try:
            self.ws_loop()
        except (BodyError, OSError):
            pass

    def ws_send(self, opcode, payload):
        n = len(payload)
        if n < 126:
            hdr = struct.pack("!BB", 0x80 | opcode, n)
        elif n < 65536:
            hdr = struct.pack("!BBH", 0x80 | opcode, 126, n)
        else:
            hdr = struct.pack("!BBQ", 0x80 | opcode, 127, n)
        self.wfile.write(hdr + payload)

    def ws_recv_frame(self):
        b0, b1 = self._read_exact(2)
        fin = bool(b0 & 0x80)
        rsv = b0 & 0x70
        opcode = b0 & 0x0F
        masked = bool(b1 & 0x80)
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", self._read_exact(2))
        elif n == 127:
            (n,) = struct.unpack("!Q", self._read_exact(8))
        mask = self._read_exact(4) if masked else None
        if n > 256 * 1024 * 1024:
            raise BodyError("ws frame too large")
        payload = self._read_exact(n) if n else b""
        if mask:
            payload = _unmask(payload, mask)
        return fin, rsv, opcode, masked, payload

    def ws_loop(self):
        msg_opcode = None
        parts = []
        while True:
            fin, rsv, opcode, masked, payload = self.ws_recv_frame()
            if not masked or rsv:
                # client frames MUST be masked; no extensions negotiated
                self.ws_send(0x8, struct.pack("!H", 1002))
                return
            if opcode == 0x8:  # close
                if len(payload) >= 2:
                    self.ws_send(0x8, payload[:2])
                else:
                    self.ws_send(0x8, b"")
                return
            if opcode == 0x9:  # ping
                self.ws_send(0xA, payload)
                continue
            if opcode == 0xA:  # pong
                continue
            if opcode in (0x1, 0x2):
                if msg_opcode is not None:
                    self.ws_send(0x8, struct.pack("!H", 1002))
                    return
                msg_opcode, parts = opcode, [payload]
            elif opcode == 0x0:
                if msg_opcode is None:
                    self.ws_send(0x8, struct.pack("!H", 1002))
                    return
                parts.append(payload)
            else:
                self.ws_send(0x8, struct.pack("!H", 1002))
                return
            if fin:
                self.ws_send(msg_opcode, b"".join(parts))
                msg_opcode, parts = None, []


def _unmask(payload, mask):
    n = len(payload)
    if n == 0:
        return payload
    m = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
    return (int.from_bytes(payload, "big") ^ m).to_bytes(n, "big")


class OriginServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    ssl_context = None

    def finish_request(self, request, client_address):
        # TLS handshake happens in the worker thread (not in the accept loop),
        # so a slow or broken client cannot stall other connections.
        if self.ssl_context is not None:
            request.settimeout(Handler.timeout)
            try:
                request = self.ssl_context.wrap_socket(request, server_side=True)
            except (OSError, ssl.SSLError):
                return
            try:
                self.RequestHandlerClass(request, client_address, self)
            finally:
                try:
                    request.close()
                except OSError:
                    pass
            return
        self.RequestHandlerClass(request, client_address, self)

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, ssl.SSLError, socket.timeout)):
            return
        traceback.print_exc(file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description="snare integration-test origin server")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    args = ap.parse_args()

    if ":" in args.bind:
        OriginServer.address_family = socket.AF_INET6
    server = OriginServer((args.bind, args.port), Handler)
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        ctx.set_alpn_protocols(["http/1.1"])
        server.ssl_context = ctx
    print("ready", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
