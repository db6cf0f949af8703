# A small reader of snare's flow files (-w) for the integration tests: the magic, then
# varint-length-prefixed snare.Flow records (proto/flow.proto), decoded field by field with
# no schema (python3 has no protobuf module here). Trusts the file it is given.
MAGIC = b"SNAREFL1"


def varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return v, i


def fields(b):
    """{field number: [values]}: ints for varints, bytes for the rest."""
    i, out = 0, {}
    while i < len(b):
        key, i = varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 1:
            v, i = b[i:i + 8], i + 8
        elif wt == 5:
            v, i = b[i:i + 4], i + 4
        elif wt == 2:
            n, i = varint(b, i)
            v, i = b[i:i + n], i + n
        else:
            raise SystemExit("bad wire type")
        out.setdefault(num, []).append(v)
    return out


def records(path):
    """Each flow of the file as fields()."""
    data = open(path, "rb").read()
    assert data[:len(MAGIC)] == MAGIC, "not a flow file"
    i = len(MAGIC)
    while i < len(data):
        n, i = varint(data, i)
        yield fields(data[i:i + n])
        i += n
