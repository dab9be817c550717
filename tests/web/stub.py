#!/usr/bin/env python3
"""stub.py - a stand-in for the daemon's web surface, to look at the web app
without JACK: serves www/ at /, /api/params (built from `jackmixd
--dump-osc`), /api/info, /takes/, and a WebSocket at /ws that speaks the
daemon's OSC (a subset: values, queries, /dump, /meters with moving fake
meters, /engine/status, /record/..., /snapshot/..., /jack/..., <base>/auto,
<ch>/eq/response).  For screenshots and manual checks only: the real surface
is the daemon's (--http); nothing here is installed.

Usage: stub.py [--port 8089] [--channels 16] [--buses 4] [--jackmixd PATH]
"""
import argparse, base64, hashlib, json, math, os, socketserver, struct, subprocess, sys, threading, time
from http.server import ThreadingHTTPServer, SimpleHTTPRequestHandler

RECEIVED = []  # [address, args] the page sent, newest last
HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, '..', '..'))


def params_json(jackmixd, channels, buses):
    """The /api/params document the app reads, from --dump-osc's table."""
    out = subprocess.run([jackmixd, '--dump-osc'], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        if line.startswith('#') or not line.startswith('/'):
            continue
        f = line.split('\t')
        if len(f) < 8:
            continue
        path, norm, typ, unit, rng, taper, dflt, doc = f[:8]
        r = {'path': path, 'npath': None if norm == '-' else norm, 'type': typ, 'unit': '' if unit == '-' else unit,
             'taper': None if taper == '-' else taper, 'doc': doc,
             'dims': [d for d in ('n', 'a', 'b') if '<%s>' % d in path]}
        if '..' in rng:
            lo, hi = rng.split('..')
            r['min'], r['max'] = float(lo), float(hi)
        if typ == 'enum':
            r['enum'] = unit.split('|')
            r['unit'] = ''
            r['default'] = dflt.split(',')
        elif typ == 'string':
            r['default'] = ''
        elif dflt not in ('-', ''):
            d = [float(x) for x in dflt.split(',')]
            r['default'] = d if len(d) > 1 else d[0]
        rows.append(r)
    return {'channels': channels, 'buses': buses, 'bands': 4, 'params': rows}


# ---- OSC (just enough) ----
def pad(b):
    return b + b'\0' * (4 - len(b) % 4)


def osc_msg(addr, *args):
    tags, data = ',', b''
    for a in args:
        if isinstance(a, bool):
            tags += 'T' if a else 'F'
        elif isinstance(a, int):
            tags += 'i'; data += struct.pack('>i', a)
        elif isinstance(a, float):
            tags += 'f'; data += struct.pack('>f', a)
        elif isinstance(a, str):
            tags += 's'; data += pad(a.encode())
        elif isinstance(a, tuple) and a[0] == 'h':
            tags += 'h'; data += struct.pack('>q', a[1])
    return pad(addr.encode()) + pad(tags.encode()) + data


def osc_bundle(msgs):
    b = b'#bundle\0' + struct.pack('>Q', 1)
    for m in msgs:
        b += struct.pack('>i', len(m)) + m
    return b


def osc_parse(b):
    def rs(o):
        e = b.index(b'\0', o)
        return b[o:e].decode(), (e + 4) & ~3
    if b.startswith(b'#bundle\0'):
        o, out = 16, []
        while o < len(b):
            n = struct.unpack('>i', b[o:o + 4])[0]
            out += osc_parse(b[o + 4:o + 4 + n])
            o += 4 + n
        return out
    addr, o = rs(0)
    if o >= len(b):
        return [(addr, [])]
    tags, o = rs(o)
    args = []
    for t in tags[1:]:
        if t == 'i':
            args.append(struct.unpack('>i', b[o:o + 4])[0]); o += 4
        elif t == 'f':
            args.append(struct.unpack('>f', b[o:o + 4])[0]); o += 4
        elif t == 's':
            s, o = rs(o); args.append(s)
        elif t in 'TF':
            args.append(t == 'T')
    return [(addr, args)]


def fader_to_db(f):
    if f <= 0: return -90.0
    if f >= 1: return 10.0
    if f >= .5: return 40 * f - 30
    if f >= .25: return 80 * f - 50
    if f >= .0625: return 160 * f - 70
    return 480 * f - 90


class Console:
    """The fake console: concrete unit addresses -> value."""

    def __init__(self, doc):
        self.doc = doc
        self.values = {}
        n, a = doc['channels'], doc['buses']
        names = ['Kick', 'Snare', 'Hat', 'Tom 1', 'Tom 2', 'OH L', 'OH R', 'Bass', 'Gtr', 'Keys', 'Vox 1', 'Vox 2']
        for p in doc['params']:
            if p['type'] == 'meter':
                continue
            for idx in self.indices(p):
                addr = p['path'].replace('<n>', str(idx.get('n', 0))).replace('<a>', str(idx.get('a', 0))).replace('<b>', str(idx.get('b', 0)))
                d = p.get('default', 0)
                if isinstance(d, list):
                    d = d[idx.get('b', 1) - 1]
                self.values[addr] = d
        for i in range(1, n + 1):
            self.values['/ch/%d/name' % i] = names[i - 1] if i <= len(names) else ''
            self.values['/ch/%d/fader/db' % i] = [0.0, -3.0, -8.5, -12.0, -20.0, -5.0, -5.0, 2.0][(i - 1) % 8]
            self.values['/ch/%d/pan' % i] = [0.5, 0.5, 0.3, 0.25, 0.75, 0.0, 1.0, 0.5][(i - 1) % 8]
        self.values['/ch/2/mute'] = 1.0
        self.values['/ch/5/solo'] = 1.0
        self.values['/ch/1/eq/on'] = 1.0
        self.values['/ch/1/eq/1/db'] = 4.0
        self.values['/ch/1/eq/3/db'] = -6.0
        self.values['/ch/1/eq/3/q'] = 2.0
        self.values['/ch/1/dyn/on'] = 1.0
        self.values['/ch/1/send/1/level/db'] = -6.0
        for i in range(1, a + 1):
            self.values['/bus/%d/name' % i] = ['Mon Drums', 'Mon Vox', 'IEM 3', 'FX'][(i - 1) % 4]
        self.t0 = time.time()
        self.recording = False

    def indices(self, p):
        out = [{}]
        for d in p.get('dims', []):
            cnt = {'n': self.doc['channels'], 'a': self.doc['buses'], 'b': 4}[d]
            out = [dict(x, **{d: k}) for x in out for k in range(1, cnt + 1)]
        return out

    def value_msgs(self, prefix=''):
        out = []
        for addr, v in self.values.items():
            if not addr.startswith(prefix):
                continue
            if isinstance(v, str):
                out.append(osc_msg(addr, v))
            else:
                out.append(osc_msg(addr, float(v)))
        return out

    def eq_response(self, base):
        freqs = [20 * 1000 ** (k / 63) for k in range(64)]
        on = self.values.get(base + '/eq/on', 0)
        res = []
        for f in freqs:
            db = 0.0
            if on:
                for b in range(1, 5):
                    g = self.values.get('%s/eq/%d/db' % (base, b), 0.0)
                    fc = self.values.get('%s/eq/%d/hz' % (base, b), 1000.0)
                    q = self.values.get('%s/eq/%d/q' % (base, b), 0.7)
                    x = math.log2(f / fc) * q * 1.5
                    db += g / (1 + x * x)
            res.append(float(db))
        # the daemon's layout: the grid's first and last frequency, then the dB
        return osc_msg(base + '/eq/response', 20.0, 20000.0, *res)

    def meters(self):
        t = time.time() - self.t0
        out = []
        for i in range(1, self.doc['channels'] + 1):
            lvl = -18 + 12 * math.sin(t * (0.7 + 0.13 * i) + i) - (3 * i % 11)
            pk = lvl + 6 + 3 * abs(math.sin(t * 5 + i))
            out.append(osc_msg('/ch/%d/meter' % i, float(pk), float(lvl)))
            out.append(osc_msg('/ch/%d/dyn/gr' % i, float(max(0, pk + 20) / 3 if i % 3 == 1 else 0)))
            out.append(osc_msg('/ch/%d/gate/gr' % i, float(20 if i % 4 == 3 and math.sin(t) < 0 else 0)))
        for i in range(1, self.doc['buses'] + 1):
            out.append(osc_msg('/bus/%d/meter' % i, float(-12 + 4 * math.sin(t + i)), float(-18 + 4 * math.sin(t + i))))
        m = -16 + 5 * math.sin(t * 0.8)
        out.append(osc_msg('/master/meter', float(m + 8), float(m)))
        out.append(osc_msg('/master/comp/gr', float(max(0, m + 14))))
        out.append(osc_msg('/master/limiter/gr', float(max(0, m + 12) / 2)))
        for k, v in (('m', m), ('s', m - 1), ('i', -17.2), ('lra', 6.4), ('tp', -1.3)):
            out.append(osc_msg('/master/loudness/' + k, float(v)))
        return out


class Handler(SimpleHTTPRequestHandler):
    console = None
    doc = None

    def __init__(self, *a, **kw):
        super().__init__(*a, directory=os.path.join(TOP, 'www'), **kw)

    def log_message(self, *a):
        pass

    def send_json(self, obj):
        b = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def do_GET(self):
        if self.path == '/stub/received':  # what the page sent, for tests/web/app_test.py
            out, RECEIVED[:] = list(RECEIVED), []
            return self.send_json(out)
        self.path = self.path.split("?")[0]
        if self.path == "/api/params":
            return self.send_json(self.doc)
        if self.path == '/api/info':
            return self.send_json({'name': 'jackmixd', 'version': 'stub', 'channels': self.doc['channels'],
                                   'buses': self.doc['buses'], 'sample_rate': 48000, 'period': 256, 'preroll': 5})
        if self.path == '/takes/':
            return self.send_json([{'name': 'master-2026-12-06T20-15-03.wav', 'size': 912345678}, {'name': 'soundcheck.wav', 'size': 48123456}])
        if self.path.startswith('/ws') and self.headers.get('Upgrade', '').lower() == 'websocket':
            return self.websocket()
        return super().do_GET()

    # A minimal RFC 6455 server side, for this stub only.
    def websocket(self):
        key = self.headers['Sec-WebSocket-Key']
        acc = base64.b64encode(hashlib.sha1((key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').encode()).digest()).decode()
        self.send_response(101)
        self.send_header('Upgrade', 'websocket')
        self.send_header('Connection', 'Upgrade')
        self.send_header('Sec-WebSocket-Accept', acc)
        self.end_headers()
        self.wfile.flush()
        lock = threading.Lock()
        alive = [True]
        meters = [False]

        def send(b):
            hdr = b'\x82' + (bytes([len(b)]) if len(b) < 126 else b'\x7e' + struct.pack('>H', len(b)) if len(b) < 65536 else b'\x7f' + struct.pack('>Q', len(b)))
            with lock:
                try:
                    self.wfile.write(hdr + b)
                    self.wfile.flush()
                except OSError:
                    alive[0] = False

        def meter_loop():
            while alive[0]:
                if meters[0]:
                    send(osc_bundle(self.console.meters()))
                time.sleep(0.05)
        threading.Thread(target=meter_loop, daemon=True).start()
        c = self.console
        try:
            while alive[0]:
                h = self.rfile.read(2)
                if len(h) < 2:
                    break
                op, ln = h[0] & 15, h[1] & 127
                if ln == 126:
                    ln = struct.unpack('>H', self.rfile.read(2))[0]
                elif ln == 127:
                    ln = struct.unpack('>Q', self.rfile.read(8))[0]
                mask = self.rfile.read(4) if h[1] & 128 else b'\0\0\0\0'
                data = bytes(x ^ mask[i % 4] for i, x in enumerate(self.rfile.read(ln)))
                if op == 8:
                    break
                if op != 2:
                    continue
                for addr, args in osc_parse(data):
                    RECEIVED.append([addr, args])
                    del RECEIVED[:-2000]
                    self.osc(addr, args, send, meters)
        finally:
            alive[0] = False

    def osc(self, addr, args, send, meters):
        c = self.console
        if addr == '/ping':
            return send(osc_msg('/pong'))
        if addr == '/meters':
            meters[0] = bool(args and args[0])
            return
        if addr == '/info':
            return send(osc_msg('/info', 'jackmixd', 'stub', self.doc['channels'], self.doc['buses'], 48000, 256, 8000))
        if addr == '/dump':
            for m in c.value_msgs(args[0] if args else ''):
                send(m)
            return send(osc_msg('/dump/done', len(c.values)))
        if addr == '/engine/status':
            return send(osc_msg('/engine/status', 'running', 48000, 256, ('h', 2), ('h', 0), 23.5, ('h', 123456789), 0, 0))
        if addr in ('/record/status', '/record/start', '/record/stop'):
            if addr == '/record/start':
                c.recording = time.time()
            if addr == '/record/stop':
                c.recording = False
            secs = time.time() - c.recording if c.recording else 0.0
            return send(osc_msg(addr, 1 if c.recording else 0, 'master-2026-12-06T20-15-03.wav' if c.recording else '', float(secs),
                                ('h', int(secs * 48000)), ('h', 0), ('h', 123 * 10 ** 9), 'wav 24', -17.2, 6.4, -1.3, -12.0, -14.0,
                                'off', '', 0, ('h', 0)))
        if addr == '/snapshot/list':
            return send(osc_msg('/snapshot/list', 'soundcheck', 'show-act1', 'show-act2'))
        if addr == '/jack/ports':
            ports = [('system:capture_%d' % i, 'out', 'audio', 0) for i in range(1, 5)]
            ports += [('system:playback_%d' % i, 'in', 'audio', 0) for i in range(1, 3)]
            ports += [('jackmixd:in_%d' % i, 'in', 'audio', 1) for i in range(1, 5)]
            ports += [('jackmixd:master_L', 'out', 'audio', 1), ('jackmixd:master_R', 'out', 'audio', 1)]
            for p in ports:
                send(osc_msg('/jack/ports', *p))
            return send(osc_msg('/jack/ports/done', len(ports)))
        if addr == '/jack/connections':
            cs = [('system:capture_1', 'jackmixd:in_1', 'wanted'), ('system:capture_2', 'jackmixd:in_2', 'wanted'),
                  ('jackmixd:master_L', 'system:playback_1', 'wanted'), ('jackmixd:master_R', 'system:playback_2', 'other')]
            for x in cs:
                send(osc_msg('/jack/connections', *x))
            return send(osc_msg('/jack/connections/done', len(cs)))
        if addr.endswith('/eq/response'):
            return send(c.eq_response(addr[:-len('/eq/response')]))
        if addr.endswith('/auto'):
            return send(osc_msg(addr, args[0] if args else ('read' if '/fader' in addr else 'off'), 3 if '/fader' in addr else 0))
        if addr == '/automation/status':
            return send(osc_msg('/automation/status', 'stopped', 0, 2, 6, 0, ('h', 0)))
        if addr in c.values and args:
            c.values[addr] = args[0]
            return
        if args and addr + '/db' in c.values and addr.endswith('fader'):
            c.values[addr + '/db'] = fader_to_db(args[0])
            return send(osc_msg(addr + '/db', float(c.values[addr + '/db'])))
        if addr in c.values:
            v = c.values[addr]
            return send(osc_msg(addr, v if isinstance(v, str) else float(v)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, default=8089)
    ap.add_argument('--channels', type=int, default=16)
    ap.add_argument('--buses', type=int, default=4)
    ap.add_argument('--jackmixd', default=os.path.join(TOP, 'src', 'jackmixd'))
    ap.add_argument('--write-params', help='write the /api/params document to this file and exit')
    o = ap.parse_args()
    doc = params_json(o.jackmixd, o.channels, o.buses)
    if o.write_params:
        with open(o.write_params, 'w') as f:
            json.dump(doc, f, indent=1)
        return
    Handler.doc = doc
    Handler.console = Console(doc)
    ThreadingHTTPServer.daemon_threads = True
    srv = ThreadingHTTPServer(('127.0.0.1', o.port), Handler)
    print('stub on http://127.0.0.1:%d/' % o.port, flush=True)
    srv.serve_forever()


if __name__ == '__main__':
    main()
