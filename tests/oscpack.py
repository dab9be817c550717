"""oscpack.py - a small OSC 1.0 encoder for the test and benchmark scripts
(web_client.py, fuzz-corpus/web-seeds.py, contrib/perf/web_bench.py):
messages with int32, float32, string and True/False arguments, and
bundles with an immediate time tag; and messages(), which flattens a
received packet (the daemon sends a WebSocket client the meters of a tick
as one bundle)."""
import struct


def pad(b):
    return b + b"\0" * (4 - len(b) % 4)


def osc(path, *args):
    """One OSC message: path and arguments (bool -> T/F, int -> i,
    float -> f, anything else -> s)."""
    tags, data = ",", b""
    for a in args:
        if isinstance(a, bool):
            tags += "T" if a else "F"
        elif isinstance(a, int):
            tags += "i"
            data += struct.pack(">i", a)
        elif isinstance(a, float):
            tags += "f"
            data += struct.pack(">f", a)
        else:
            tags += "s"
            data += pad(a.encode())
    return pad(path.encode()) + pad(tags.encode()) + data


def bundle(*msgs):
    b = b"#bundle\0" + struct.pack(">Q", 1)
    for m in msgs:
        b += struct.pack(">i", len(m)) + m
    return b


def messages(b):
    """The messages of packet b in order, bundles flattened."""
    if not b.startswith(b"#bundle\0"):
        return [b]
    out, off = [], 16
    while off + 4 <= len(b):
        n = struct.unpack(">i", b[off:off + 4])[0]
        out += messages(b[off + 4:off + 4 + n])
        off += 4 + n
    return out
