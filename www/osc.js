// osc.js: OSC 1.0 packets to and from bytes, for the web app's WebSocket.
//
// Each WebSocket binary message carries one OSC packet (a message or a
// bundle), exactly as a UDP datagram to the daemon would.  Types: i (int32),
// f (float32), s (string), b (blob), h (int64, as BigInt), T, F, N, I (no
// data), t (timetag, as BigInt).  Everything is big-endian and padded to 4
// bytes, as the OSC 1.0 specification says.  No dependencies; runs in a
// browser; tests/web-app.sh checks it inside the app's page (tests/web/osc-test.js).

const enc = new TextEncoder();
const dec = new TextDecoder();

function pad4(n) {
  return (n + 3) & ~3;
}

// The OSC string of s: its UTF-8 bytes, a NUL, and NULs up to a multiple of 4.
function oscString(s) {
  const b = enc.encode(s);
  const out = new Uint8Array(pad4(b.length + 1));
  out.set(b);
  return out;
}

// Guess a type tag for a JavaScript value: numbers that are integers still go
// as f unless wrapped, because the daemon takes f for every parameter and a
// float 0.75 must never be truncated by a guess.  Use {type:'i', value:3} (or
// osc.int(3)) to send an int32.
function tagOf(v) {
  if (v !== null && typeof v === 'object' && 'type' in v) return v.type;
  if (typeof v === 'number') return 'f';
  if (typeof v === 'string') return 's';
  if (typeof v === 'bigint') return 'h';
  if (typeof v === 'boolean') return v ? 'T' : 'F';
  if (v === null) return 'N';
  if (v instanceof Uint8Array || v instanceof ArrayBuffer) return 'b';
  throw new TypeError('osc: cannot encode ' + typeof v);
}

function valueOf(v) {
  return v !== null && typeof v === 'object' && 'type' in v ? v.value : v;
}

export const int = (value) => ({ type: 'i', value });
export const float = (value) => ({ type: 'f', value });
export const int64 = (value) => ({ type: 'h', value: BigInt(value) });

// Encode one message: address and a list of arguments.
export function encodeMessage(address, args = []) {
  const parts = [oscString(address)];
  let tags = ',';
  for (const a of args) {
    const t = tagOf(a);
    const v = valueOf(a);
    tags += t;
    let p;
    switch (t) {
      case 'i':
        p = new Uint8Array(4);
        new DataView(p.buffer).setInt32(0, v);
        break;
      case 'f':
        p = new Uint8Array(4);
        new DataView(p.buffer).setFloat32(0, v);
        break;
      case 'h':
      case 't':
        p = new Uint8Array(8);
        if (t === 'h') new DataView(p.buffer).setBigInt64(0, BigInt(v));
        else new DataView(p.buffer).setBigUint64(0, BigInt(v));
        break;
      case 's':
        p = oscString(String(v));
        break;
      case 'b': {
        const bytes = v instanceof ArrayBuffer ? new Uint8Array(v) : v;
        p = new Uint8Array(4 + pad4(bytes.length));
        new DataView(p.buffer).setInt32(0, bytes.length);
        p.set(bytes, 4);
        break;
      }
      case 'T':
      case 'F':
      case 'N':
      case 'I':
        p = null;
        break;
      default:
        throw new TypeError('osc: unknown type tag ' + t);
    }
    if (p) parts.push(p);
  }
  parts.splice(1, 0, oscString(tags));
  return concat(parts);
}

// Encode a bundle: timetag (BigInt, 1n = immediately) and elements, each
// either {address, args} or {timetag, elements} (a nested bundle) or bytes.
export function encodeBundle(elements, timetag = 1n) {
  const parts = [oscString('#bundle')];
  const tt = new Uint8Array(8);
  new DataView(tt.buffer).setBigUint64(0, BigInt(timetag));
  parts.push(tt);
  for (const e of elements) {
    const b = e instanceof Uint8Array ? e : encodePacket(e);
    const size = new Uint8Array(4);
    new DataView(size.buffer).setInt32(0, b.length);
    parts.push(size, b);
  }
  return concat(parts);
}

export function encodePacket(p) {
  if (p.elements) return encodeBundle(p.elements, p.timetag ?? 1n);
  return encodeMessage(p.address, p.args);
}

function concat(parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function readString(bytes, o) {
  let end = o;
  while (end < bytes.length && bytes[end] !== 0) end++;
  if (end >= bytes.length) throw new RangeError('osc: unterminated string');
  return [dec.decode(bytes.subarray(o, end)), pad4(end + 1)];
}

// Decode a packet (Uint8Array or ArrayBuffer).  A message decodes to
// {address, types, args}; a bundle to {timetag, elements}.  Malformed
// input throws RangeError; the caller drops the packet.
export function decodePacket(input) {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.length % 4 !== 0) throw new RangeError('osc: size not a multiple of 4');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length >= 16 && bytes[0] === 0x23) {
    const [tag, o0] = readString(bytes, 0);
    if (tag === '#bundle') {
      const timetag = dv.getBigUint64(o0);
      const elements = [];
      let o = o0 + 8;
      while (o < bytes.length) {
        if (o + 4 > bytes.length) throw new RangeError('osc: truncated bundle');
        const n = dv.getInt32(o);
        o += 4;
        if (n < 0 || n % 4 || o + n > bytes.length) throw new RangeError('osc: bad element size');
        elements.push(decodePacket(bytes.subarray(o, o + n)));
        o += n;
      }
      return { timetag, elements };
    }
  }
  const [address, o1] = readString(bytes, 0);
  if (address[0] !== '/') throw new RangeError('osc: address must start with /');
  if (o1 >= bytes.length) return { address, types: '', args: [] }; // no type tags: OSC 1.0 tolerates it
  const [tags, o2] = readString(bytes, o1);
  if (tags[0] !== ',') throw new RangeError('osc: type tags must start with ,');
  const types = tags.slice(1);
  const args = [];
  let o = o2;
  const need = (k) => {
    if (o + k > bytes.length) throw new RangeError('osc: truncated argument');
  };
  for (const t of types) {
    switch (t) {
      case 'i':
        need(4);
        args.push(dv.getInt32(o));
        o += 4;
        break;
      case 'f':
        need(4);
        args.push(dv.getFloat32(o));
        o += 4;
        break;
      case 'h':
        need(8);
        args.push(dv.getBigInt64(o));
        o += 8;
        break;
      case 't':
        need(8);
        args.push(dv.getBigUint64(o));
        o += 8;
        break;
      case 'd':
        need(8);
        args.push(dv.getFloat64(o));
        o += 8;
        break;
      case 's':
      case 'S': {
        const [s, next] = readString(bytes, o);
        args.push(s);
        o = next;
        break;
      }
      case 'b': {
        need(4);
        const n = dv.getInt32(o);
        o += 4;
        if (n < 0) throw new RangeError('osc: negative blob size');
        need(n);
        args.push(bytes.slice(o, o + n));
        o += pad4(n);
        break;
      }
      case 'T':
        args.push(true);
        break;
      case 'F':
        args.push(false);
        break;
      case 'N':
        args.push(null);
        break;
      case 'I':
        args.push(Infinity);
        break;
      default:
        throw new RangeError('osc: unknown type tag ' + t);
    }
  }
  return { address, types, args };
}

// Call fn(message) for every message in a packet, bundles flattened in order.
export function forEachMessage(packet, fn) {
  if (packet.elements) for (const e of packet.elements) forEachMessage(e, fn);
  else fn(packet);
}
