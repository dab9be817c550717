// osc-test.js: www/osc.js against byte sequences from the OSC 1.0
// specification (its two message examples) and hand-built ones for the types
// the examples lack (blob, int64, bundle), plus decoding of malformed packets.
// A module for the browser: app_test.py imports it into the web app's page
// and calls run() with the page's own osc.js (import('/osc.js')).
// run(osc) returns the descriptions of the checks that failed ([] = passed).
export function run(osc) {
  const failures = [];
  function check(cond, what) {
    if (!cond) failures.push(what);
  }
  const hex = (s) => Uint8Array.from(s.trim().split(/\s+/).map((h) => parseInt(h, 16)));
  const show = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
  function sameBytes(a, b, what) {
    const ok = a.length === b.length && a.every((x, i) => x === b[i]);
    check(ok, what + '\n  got  ' + show(a) + '\n  want ' + show(b));
  }

  // Spec example 1: "/oscillator/4/frequency" ,f 440.0
  const ex1 = hex(`2f 6f 73 63 69 6c 6c 61 74 6f 72 2f 34 2f 66 72 65 71 75 65 6e 63 79 00
                   2c 66 00 00 43 dc 00 00`);
  sameBytes(osc.encodeMessage('/oscillator/4/frequency', [440.0]), ex1, 'spec example 1 encodes');
  let m = osc.decodePacket(ex1);
  check(m.address === '/oscillator/4/frequency' && m.types === 'f' && m.args[0] === 440, 'spec example 1 decodes');

  // Spec example 2: "/foo" ,iisff 1000 -1 "hello" 1.234 5.678
  const ex2 = hex(`2f 66 6f 6f 00 00 00 00 2c 69 69 73 66 66 00 00 00 00 03 e8 ff ff ff ff
                   68 65 6c 6c 6f 00 00 00 3f 9d f3 b6 40 b5 b2 2d`);
  sameBytes(osc.encodeMessage('/foo', [osc.int(1000), osc.int(-1), 'hello', 1.234, 5.678]), ex2, 'spec example 2 encodes');
  m = osc.decodePacket(ex2);
  check(m.types === 'iisff' && m.args[0] === 1000 && m.args[1] === -1 && m.args[2] === 'hello', 'spec example 2 decodes i i s');
  check(Math.abs(m.args[3] - 1.234) < 1e-6 && Math.abs(m.args[4] - 5.678) < 1e-6, 'spec example 2 decodes f f');

  // Blob of 5 bytes: size 5 then the bytes padded to 8; int64 -2; empty string.
  const ex3 = hex(`2f 62 00 00 2c 62 68 73 00 00 00 00 00 00 00 05 01 02 03 04 05 00 00 00
                   ff ff ff ff ff ff ff fe 00 00 00 00`);
  sameBytes(osc.encodeMessage('/b', [Uint8Array.of(1, 2, 3, 4, 5), -2n, '']), ex3, 'blob, int64, empty string encode');
  m = osc.decodePacket(ex3);
  check(m.types === 'bhs' && m.args[0].length === 5 && m.args[0][4] === 5 && m.args[1] === -2n && m.args[2] === '', 'blob, int64, empty string decode');

  // A query: no arguments, type tag string "," alone.
  sameBytes(osc.encodeMessage('/ping'), hex('2f 70 69 6e 67 00 00 00 2c 00 00 00'), 'message without arguments');

  // Bundle, timetag 1 (immediately), one element "/a" ,i 7 (12 bytes), one nested empty bundle.
  const ex4 = hex(`23 62 75 6e 64 6c 65 00 00 00 00 00 00 00 00 01
                   00 00 00 0c 2f 61 00 00 2c 69 00 00 00 00 00 07
                   00 00 00 10 23 62 75 6e 64 6c 65 00 00 00 00 00 00 00 00 01`);
  sameBytes(osc.encodeBundle([{ address: '/a', args: [osc.int(7)] }, { elements: [] }]), ex4, 'bundle encodes');
  const b = osc.decodePacket(ex4);
  check(b.timetag === 1n && b.elements.length === 2 && b.elements[0].address === '/a' && b.elements[0].args[0] === 7, 'bundle decodes');
  const seen = [];
  osc.forEachMessage(b, (x) => seen.push(x.address));
  check(seen.join() === '/a', 'forEachMessage flattens bundles');

  // Booleans T F travel in the tags only.
  sameBytes(osc.encodeMessage('/t', [true, false]), hex('2f 74 00 00 2c 54 46 00'), 'T and F carry no data');

  // Malformed packets are refused, not half-read.
  for (const [what, bytes] of [
    ['size not a multiple of 4', hex('2f 61 00')],
    ['unterminated address', hex('2f 61 62 63')],
    ['truncated int', hex('2f 61 00 00 2c 69 00 00')],
    ['blob longer than the packet', hex('2f 61 00 00 2c 62 00 00 00 00 00 08 01 02 03 04')],
    ['bundle element overruns', hex('23 62 75 6e 64 6c 65 00 00 00 00 00 00 00 00 01 00 00 00 40 2f 61 00 00')],
  ]) {
    let threw = false;
    try {
      osc.decodePacket(bytes);
    } catch (e) {
      threw = e instanceof RangeError;
    }
    check(threw, 'refuses ' + what);
  }
  return failures;
}
