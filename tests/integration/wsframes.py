"""WebSocket frames (RFC 6455 5.2) for the WebSocket-over-HTTP/2 tests
(wsh2client.py, wsh2origin.py): frame() builds one final frame, masked
when it comes from a client; frames() takes the complete frames from the
start of a buffer, masked or not, and returns them with the rest."""

import os
import struct


def frame(opcode, payload, masked):
    n = len(payload)
    ext = b"" if n < 126 else struct.pack("!H" if n < 65536 else "!Q", n)
    code = n if n < 126 else (126 if n < 65536 else 127)
    head = bytes([0x80 | opcode, (0x80 if masked else 0) | code]) + ext
    if not masked:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i & 3] for i, b in enumerate(payload))


def frames(buf):
    """[(opcode, unmasked payload)] of the complete frames in buf, and the rest."""
    out = []
    while len(buf) >= 2:
        code, masked = buf[1] & 0x7F, bool(buf[1] & 0x80)
        width = {126: 2, 127: 8}.get(code, 0)
        start = 2 + width + (4 if masked else 0)
        if len(buf) < start:
            break
        n = int.from_bytes(buf[2:2 + width], "big") if width else code
        if len(buf) < start + n:
            break
        p = buf[start:start + n]
        if masked:
            key = buf[start - 4:start]
            p = bytes(b ^ key[i & 3] for i, b in enumerate(p))
        out.append((buf[0] & 0x0F, p))
        buf = buf[start + n:]
    return out, buf
