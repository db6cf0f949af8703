#!/usr/bin/env python3
"""Origin for test_filter_cli.sh: plain, gzip-encoded JSON, binary and form
endpoints on 127.0.0.1.  Prints "ready" once listening."""
import argparse
import gzip
import http.server
import json


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def send(self, code, ctype, body, extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/json":
            body = gzip.compress(json.dumps({"greeting": "hello from gzip"}).encode())
            self.send(200, "application/json", body, [("Content-Encoding", "gzip"),
                                                      ("Set-Cookie", "sid=abc; Path=/; HttpOnly")])
        elif path == "/binary":
            self.send(200, "application/octet-stream", bytes(range(256)))
        elif path == "/missing":
            self.send(404, "text/plain", b"not here\n")
        else:
            self.send(200, "text/plain", b"plain text\n")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        self.send(201, "text/plain", b"got " + str(len(body)).encode() + b"\n")

    def log_message(self, *args):
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    a = ap.parse_args()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    print("ready", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
