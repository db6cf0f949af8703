#!/usr/bin/python3
"""gRPC peers for test_http2.sh, with grpc's generic handlers and bytes
(no generated code).  `serve PORT CERT KEY` runs a TLS server (prints
"ready"); `call TARGET CA [--proxy URL] [--name HOST]` runs a unary, a
server-streaming, a client-streaming and a bidi call and one that fails on
purpose, printing one line per result."""
import sys
from concurrent import futures

import grpc

SVC = "snaretest.Echo"
ident = lambda b: b


def unary(req, ctx):
    ctx.set_trailing_metadata((("x-test-trailer", "t1"),))
    return b"unary:" + req


def server_stream(req, ctx):
    for i in range(5):
        yield b"part%d:" % i + req


def client_stream(it, ctx):
    return b"total:%d" % sum(len(m) for m in it)


def bidi(it, ctx):
    for m in it:
        yield b"echo:" + m


def fail(req, ctx):
    ctx.abort(grpc.StatusCode.PERMISSION_DENIED, "denied by the test")


def serve(port, cert, key):
    h = grpc.method_handlers_generic_handler(SVC, {
        "Unary": grpc.unary_unary_rpc_method_handler(unary, ident, ident),
        "ServerStream": grpc.unary_stream_rpc_method_handler(server_stream, ident, ident),
        "ClientStream": grpc.stream_unary_rpc_method_handler(client_stream, ident, ident),
        "Bidi": grpc.stream_stream_rpc_method_handler(bidi, ident, ident),
        "Fail": grpc.unary_unary_rpc_method_handler(fail, ident, ident),
    })
    srv = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    srv.add_generic_rpc_handlers((h,))
    creds = grpc.ssl_server_credentials(((open(key, "rb").read(), open(cert, "rb").read()),))
    srv.add_secure_port("127.0.0.1:%s" % port, creds)
    srv.start()
    print("ready", flush=True)
    srv.wait_for_termination()


def call(target, ca, proxy, name):
    opts = [("grpc.enable_http_proxy", 1 if proxy else 0)]
    if proxy:
        opts.append(("grpc.http_proxy", proxy))
    if name:
        opts.append(("grpc.ssl_target_name_override", name))
    creds = grpc.ssl_channel_credentials(root_certificates=open(ca, "rb").read())
    ch = grpc.secure_channel(target, creds, options=opts)
    m = lambda kind, n: getattr(ch, kind)("/%s/%s" % (SVC, n), request_serializer=ident,
                                         response_deserializer=ident)
    r, c = m("unary_unary", "Unary").with_call(b"hi", timeout=20)
    tr = dict(c.trailing_metadata())
    print("unary", r.decode(), "trailer", tr.get("x-test-trailer"), flush=True)
    parts = [x.decode() for x in m("unary_stream", "ServerStream")(b"s", timeout=20)]
    print("server_stream", len(parts), parts[-1], flush=True)
    r = m("stream_unary", "ClientStream")(iter([b"a" * 10, b"b" * 20, b"c" * 30]), timeout=20)
    print("client_stream", r.decode(), flush=True)
    out = [x.decode() for x in m("stream_stream", "Bidi")(iter([b"x", b"y", b"z"]), timeout=20)]
    print("bidi", ",".join(out), flush=True)
    try:
        m("unary_unary", "Fail")(b"no", timeout=20)
        print("fail none", flush=True)
    except grpc.RpcError as e:
        print("fail", e.code().name, e.details(), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(*sys.argv[2:5])
    else:
        args = sys.argv[2:]
        proxy = name = None
        if "--proxy" in args:
            proxy = args[args.index("--proxy") + 1]
        if "--name" in args:
            name = args[args.index("--name") + 1]
        call(args[0], args[1], proxy, name)
