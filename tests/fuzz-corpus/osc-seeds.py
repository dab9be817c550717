#!/usr/bin/env python3
"""osc-seeds.py - writes the seed corpus of tests/fuzz_osc.c into
tests/fuzz-corpus/osc/ (run from the source tree; the files are committed,
this script only documents and regenerates them).  Each seed is one
selector byte (sender, time step, meters; see fuzz_osc.c) followed by one
OSC datagram: valid messages of every kind, bundles, and a few broken
ones."""
import os
import struct

def pad(b):
    return b + b"\0" * (4 - len(b) % 4)

def s(x):
    return pad(x.encode())

def msg(path, *args):
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
        elif isinstance(a, tuple) and a[0] == "d":
            tags += "d"
            data += struct.pack(">d", a[1])
        elif isinstance(a, tuple) and a[0] == "h":
            tags += "h"
            data += struct.pack(">q", a[1])
        elif isinstance(a, bytes):
            tags += "b"
            data += struct.pack(">i", len(a)) + a + b"\0" * ((4 - len(a) % 4) % 4)
        else:
            tags += "s"
            data += s(a)
    return s(path) + s(tags) + data

def bundle(*elems, tt=1):
    out = s("#bundle") + struct.pack(">Q", tt)
    for e in elems:
        out += struct.pack(">i", len(e)) + e
    return out

seeds = {
    "ping": msg("/ping"),
    "zz-curve-ch-eq": msg("/ch/2/eq/response"),
    "zz-curve-master-comp": msg("/master/comp/curve"),
    "info": msg("/info"),
    "stats": msg("/stats"),
    "dump": msg("/dump"),
    "dump-prefix": msg("/dump", "/ch/2"),
    "subscribe": msg("/subscribe"),
    "subscribe-all": msg("/subscribe", 0, 5, "all,/ch/1"),
    "subscribe-meters": msg("/subscribe", "meters"),
    "unsubscribe": msg("/unsubscribe"),
    "meters-on": msg("/meters", 1.0),
    "fader-db": msg("/ch/1/fader/db", -6.0),
    "fader-norm": msg("/ch/3/fader", 0.75),
    "fader-clamp": msg("/ch/2/fader/db", 99.0),
    "fader-query": msg("/ch/4/fader/db"),
    "fader-text": msg("/ch/1/fader/text"),
    "mute-i": msg("/ch/2/mute", 1),
    "mute-T": msg("/ch/2/mute", True),
    "toggle": msg("/ch/1/solo/toggle", 1.0),
    "toggle-bare": msg("/master/limiter/on/toggle"),
    "eq-type-name": msg("/ch/1/eq/2/type", "hshelf"),
    "eq-hz-norm": msg("/ch/004/eq/4/hz/norm", 0.5),
    "send-level": msg("/ch/1/send/2/level/db", ("d", -3.0)),
    "bus-name": msg("/bus/1/name", "Monitors"),
    "ch-name": msg("/ch/2/name", "Kick"),
    "master-width": msg("/master/width/norm", ("h", 1)),
    "meter-query": msg("/ch/1/meter"),
    "gr-query": msg("/master/limiter/gr"),
    "blob": msg("/ch/1/trim/db", b"\x01\x02\x03"),
    "two-args": msg("/ch/1/pan", 0.1, 0.2),
    "nan": msg("/ch/1/pan", float("nan")),
    "bad-index": msg("/ch/2147483647/mute", 1),
    "pattern": msg("/ch/*/mute", 1),
    "bundle": bundle(msg("/ch/1/mute", 0), msg("/bus/1/mute", 0)),
    "bundle-nested": bundle(bundle(msg("/ch/1/fader", 0.5)), msg("/ping")),
    "bundle-future": bundle(msg("/master/fader/db", -10.0), tt=0xFFFFFFF000000000),
    "no-typetag": s("/ping"),
    "truncated": msg("/ch/1/fader/db", -6.0)[:-2],
}
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "osc")
os.makedirs(here, exist_ok=True)
for i, (name, data) in enumerate(sorted(seeds.items())):
    sel = (i * 37) & 0xFF & ~0x18  # loopback senders for the seeds
    with open(os.path.join(here, name), "wb") as f:
        f.write(bytes([sel]) + data)
print(len(seeds), "seeds in", here)
