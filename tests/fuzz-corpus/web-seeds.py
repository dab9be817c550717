#!/usr/bin/env python3
"""web-seeds.py - writes the seed corpus of tests/fuzz_web.c into
tests/fuzz-corpus/web/ (run from the source tree; the files are committed,
this script only documents and regenerates them).  Each seed is one
selector byte (see fuzz_web.c: bits 0-1 engineer, musician of bus 1,
musician of bus 2, or the request checks) followed by one WebSocket
message (an OSC packet), or by NUL-separated Host, Origin, URI, key, file
name for the request checks."""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from oscpack import bundle, osc, pad  # noqa: E402,F401

msg = osc

ENG, MUS1, MUS2, REQ = 0, 1, 2, 3
READS, STALL, METERS, CLOSE = 0x00, 0x04, 0x20, 0x80
seeds = {
    "eng-fader": (ENG, msg("/ch/1/fader/db", -6.0)),
    "eng-mute": (ENG | 0x08, msg("/ch/2/mute", 1)),
    "eng-subscribe": (ENG, msg("/subscribe")),
    "eng-meters": (ENG | METERS | 0x10, msg("/meters", 1)),
    "eng-dump": (ENG, msg("/dump")),
    "eng-query": (ENG, msg("/ch/1/eq/1/gain/db")),
    "eng-bundle": (ENG, bundle(msg("/ch/1/fader/db", 0.0), msg("/master/fader/db", -3.0))),
    "eng-stall": (ENG | STALL | METERS | 0x18, msg("/meters", 1)),
    "eng-close": (ENG | CLOSE, msg("/subscribe")),
    "eng-ping": (ENG, msg("/ping")),
    "eng-bad-type": (ENG, msg("/ch/1/fader/db", "loud")),
    "eng-unknown": (ENG, msg("/no/such/thing", 1.0)),
    "eng-record": (ENG, msg("/record/status")),
    "eng-truncated": (ENG, msg("/ch/1/fader/db", -6.0)[:-3]),
    "mus-own-send": (MUS1, msg("/ch/1/send/1/level/db", -10.0)),
    "mus-own-touch": (MUS1, msg("/ch/3/send/1/level/touch", 1)),
    "mus-other-send": (MUS1, msg("/ch/1/send/2/level/db", -10.0)),
    "mus-fader": (MUS2, msg("/ch/1/fader/db", 0.0)),
    "mus-query": (MUS2, msg("/ch/1/fader/db")),
    "mus-meters": (MUS2 | METERS, msg("/meters", 1)),
    "mus-bundle-forged": (MUS1, bundle(msg("/ch/1/send/1/level/db", 0.0), msg("/master/mute", 1))),
    "mus-nested": (MUS2, bundle(bundle(msg("/ch/2/send/2/pre", 1)))),
    "mus-empty": (MUS1, b""),
}
reqs = {
    "req-ok": [b"127.0.0.1:8080", b"http://127.0.0.1:8080", b"/app.js", b"0123456789abcdef0123456789abcdef",
               b"take-1.wav", b"caf\xc3\xa9 \"x\\y\" \x01"],
    "req-rebind": [b"evil.example:8080", b"http://evil.example:8080", b"/%2e%2e/%2e%2e/etc/passwd", b"", b"..",
                   b""],
    "req-v6": [b"[::1]:8080", b"https://[::1]:8080", b"/css/app.css", b"x", b"a%2fb.wav", b"\xff\xfe"],
    "req-double": [b"mixhost.local", b"null", b"/%252e%252e/x", b"0123456789abcdef0123456789abcdee", b".hidden.wav",
                   b"\xed\xa0\x80"],
}
here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "web")
os.makedirs(out, exist_ok=True)
for name, (sel, data) in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([sel]) + data)
for name, fields in reqs.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([REQ]) + b"\0".join(fields))
