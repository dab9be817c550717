// live-test.mjs: the web app in headless chromium against a REAL daemon
// (jackmixd --http on a private jackd, started by tests/web-live.sh), every
// value read back over UDP OSC with jackmixctl, never from the page alone:
//   1. faders dragged with the mouse (plain, shift = fine, double-click) and
//      one finger land where the X32 law puts them (values worked out by
//      hand below), and the daemon says so over UDP;
//   2. a value set over UDP shows on the page within 200 ms (measured from
//      just before the datagram leaves to the DOM change, and to the frame
//      after it);
//   2b. the compressor curve on a channel's page is the daemon's
//      /ch/<n>/dyn/curve reply, on the soft-knee law, and a change over
//      UDP redraws it;
//   3. the patchbay: tapping tone:out_1 then <client>:in_1 connects them
//      (jack_lsp -c), which feeds channel 1 a -12 dBFS tone: its meter on
//      the page lights to the fader-law height of -12 dBFS, channel 2's
//      stays dark; tapping again disconnects, and the meter goes dark;
//   4. a musician's page (?key=<bus1 key>&bus=1) moves bus 1's sends, shows
//      bus 1's own fader without letting it move, provokes no /error by
//      itself, and a forged message from its own socket to another bus, a
//      fader, a command or a bundle holding one gets /error and changes
//      nothing (over UDP);
//   5. the daemon restarts (web-live.sh does it when asked through
//      $TMP/restart.req): the status bar shows "reconnecting", then
//      "connected", and the page shows the new daemon's values (resync).
// Usage: node live-test.mjs BASE_URL OSC_PORT CLIENT MUSICIAN_KEY TMPDIR
//   env JACKMIXCTL (path), JACK_DEFAULT_SERVER (the private server).
// Prints "ok: ..." or "FAIL: ..." per check and the measured figures;
// exit status 1 if any check failed.
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { browser, sleep } from './cdp.mjs';

const [base, oscPort, client, musKey, tmp] = process.argv.slice(2);
const ctl = process.env.JACKMIXCTL || 'jackmixctl';
const here = path.dirname(fileURLToPath(import.meta.url));
// www/osc.js has no package.json beside it: import its text (as osc-test.mjs)
const osc = await import('data:text/javascript,' + encodeURIComponent(readFileSync(path.join(here, '..', '..', 'www', 'osc.js'), 'utf8')));

let failed = 0;
const check = (ok, what) => {
  console.log((ok ? 'ok: ' : 'FAIL: ') + what);
  if (!ok) failed++;
  return ok;
};
const note = (s) => console.log('  ' + s);

// The daemon's value over UDP: jackmixctl get prints "PATH VALUE".
const get = (addr) => {
  try {
    const out = execFileSync(ctl, ['-p', oscPort, '-t', '1', 'get', addr], { encoding: 'utf8' }).trim();
    return Number(out.split(/\s+/).pop());
  } catch (e) {
    return NaN;
  }
};
const set = (addr, v) => execFileSync(ctl, ['-p', oscPort, 'set', addr, String(v)], { encoding: 'utf8' });
const near = (x, want, tol = 0.05) => Number.isFinite(x) && Math.abs(x - want) <= tol;
const jackLsp = () => {
  try {
    return execFileSync('timeout', ['10', 'jack_lsp', '-c'], { encoding: 'utf8' });
  } catch (e) {
    return '';
  }
};
// jack_lsp -c: port lines, each followed by its peers indented
const connected = (from, to) => {
  const lines = jackLsp().split('\n');
  const k = lines.indexOf(from);
  if (k < 0) return false;
  for (let j = k + 1; j < lines.length && /^\s/.test(lines[j]); j++) if (lines[j].trim() === to) return true;
  return false;
};
const until = async (fn, ms, step = 50) => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v || Date.now() > end) return v;
    await sleep(step);
  }
};

const b = await browser();
const page = async (url, w = 1180, h = 820, touch = false) => {
  await b.cdp('Emulation.setDeviceMetricsOverride', { width: w, height: h, deviceScaleFactor: 1, mobile: w < 800 });
  await b.cdp('Emulation.setTouchEmulationEnabled', { enabled: touch });
  await b.cdp('Page.navigate', { url });
  // up when the socket is open and the /dump has filled the strips
  const up = await until(() => b.eval(`!!(window.jackmixd && jackmixd.conn.open && document.querySelector('.strip .fader-read'))`), 8000, 100);
  await sleep(600);
  return up;
};
const readouts = () => b.eval(`[...document.querySelectorAll('.strip.ch')].map((s) => s.querySelector('.fader-read').textContent)`);
const geo = (sel, i) =>
  b.eval(`(() => { const t = document.querySelectorAll(${JSON.stringify(sel)})[${i}].querySelector('.fader-track').getBoundingClientRect();
    return {x: t.x + t.width / 2 + 8, y: t.y, h: t.height}; })()`);
const mouse = (type, x, y, modifiers = 0, clickCount = 1) =>
  b.cdp('Input.dispatchMouseEvent', { type, x, y, modifiers, button: type === 'mouseMoved' ? 'none' : 'left', buttons: type === 'mouseReleased' ? 0 : 1, clickCount });
const drag = async (x, y, dy, modifiers = 0) => {
  await mouse('mousePressed', x, y, modifiers);
  for (let k = 1; k <= 5; k++) {
    await mouse('mouseMoved', x, y - (dy * k) / 5, modifiers);
    await sleep(20);
  }
  await mouse('mouseReleased', x, y - dy, modifiers);
  await sleep(400);
};
const capY = (g, norm) => g.y + g.h * (1 - norm);
const throwOf = (g) => 0.1 * Math.max(60, g.h * 0.8); // pixels for a tenth of the throw (widgets.js)

try {
  // ---- 1. drags, read back over UDP ------------------------------------
  // Expected values by hand from the X32 law (man page: 0.25 = -30 dB,
  // 0.5 = -10 dB, 0.75 = 0 dB, linear in dB between): channel 3 starts at
  // -8.5 dB = 0.5375; a drag up by a tenth of the throw makes 0.6375 =
  // -4.5 dB; the same with shift (a tenth of that) 0.6475 = -4.1 dB; a
  // double-click 0 dB.  Channel 4, -12 dB = 0.475, by a tenth with one
  // finger: 0.575 = -7.0 dB.  Channel 2 at -20 dB = 0.375 by a tenth
  // downwards: 0.275 = -28.0 dB (the law's lower segment).
  set('/ch/3/fader/db', -8.5);
  set('/ch/4/fader/db', -12);
  set('/ch/2/fader/db', -20);
  check(await page(base + '/#mixer'), 'the page loads and connects to the daemon');
  let r = await readouts();
  check(r[1] === '-20.0 dB' && r[2] === '-8.5 dB' && r[3] === '-12.0 dB', 'the strips show the daemon values (' + r.slice(1, 4).join(', ') + ')');
  const g3 = await geo('.strip.ch', 2);
  const t10 = throwOf(g3);
  await drag(g3.x, capY(g3, 0.5375), t10);
  let v = get('/ch/3/fader/db');
  check(near(v, -4.5), 'mouse drag by a tenth: the daemon has /ch/3/fader/db ' + v + ', want -4.5');
  v = get('/ch/3/fader');
  check(near(v, 0.6375, 0.001), 'and /ch/3/fader ' + v + ', want 0.6375');
  await drag(g3.x, capY(g3, 0.6375), t10, 8 /* shift */);
  v = get('/ch/3/fader/db');
  check(near(v, -4.1), 'fine (shift) drag: ' + v + ', want -4.1');
  await mouse('mousePressed', g3.x, capY(g3, 0.6475));
  await mouse('mouseReleased', g3.x, capY(g3, 0.6475));
  await sleep(80);
  await mouse('mousePressed', g3.x, capY(g3, 0.6475), 0, 2);
  await mouse('mouseReleased', g3.x, capY(g3, 0.6475), 0, 2);
  await sleep(400);
  v = get('/ch/3/fader/db');
  check(near(v, 0, 0.001), 'double-click: ' + v + ', want 0');
  const g2 = await geo('.strip.ch', 1);
  await drag(g2.x, capY(g2, 0.375), -t10);
  v = get('/ch/2/fader/db');
  check(near(v, -28), 'drag down by a tenth from -20 dB: ' + v + ', want -28.0');
  await b.cdp('Emulation.setTouchEmulationEnabled', { enabled: true });
  const g4 = await geo('.strip.ch', 3);
  const y0 = capY(g4, 0.475);
  const tp = (y) => [{ x: g4.x, y, id: 1 }];
  await b.cdp('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: tp(y0) });
  for (let k = 1; k <= 5; k++) {
    await b.cdp('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: tp(y0 - (t10 * k) / 5) });
    await sleep(20);
  }
  await b.cdp('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await sleep(400);
  await b.cdp('Emulation.setTouchEmulationEnabled', { enabled: false });
  v = get('/ch/4/fader/db');
  check(near(v, -7), 'one-finger drag by a tenth: ' + v + ', want -7.0');
  const errs0 = await b.eval(`document.querySelectorAll('.toast').length`);
  check(errs0 === 0, 'no /error toast from the drags and their touch messages (' + errs0 + ')');

  // ---- 2. UDP -> page ----------------------------------------------------
  // Ten values on channel 1, each sent from here with a timestamp; the
  // page notes when the readout's text changes (MutationObserver) and the
  // next animation frame after it.  Same machine, same wall clock.
  await b.eval(`(() => {
    const read = document.querySelectorAll('.strip.ch')[0].querySelector('.fader-read');
    window.__seen = [];
    new MutationObserver(() => { const t = Date.now(), s = read.textContent;
      requestAnimationFrame(() => window.__seen.push([s, t, Date.now()])); }).observe(read, { childList: true, characterData: true, subtree: true });
  })()`);
  const sock = createSocket('udp4');
  const lat = [],
    latFrame = [];
  for (let k = 0; k < 10; k++) {
    const db = -(k * 3 + 1.5); // -1.5, -4.5, ... -28.5: each one new
    const want = db.toFixed(1) + ' dB';
    await sleep(150 + ((k * 37) % 60)); // not in step with the daemon's tick
    const t0 = Date.now();
    sock.send(osc.encodeMessage('/ch/1/fader/db', [db]), Number(oscPort), '127.0.0.1');
    const hit = await until(() => b.eval(`(window.__seen.find((x) => x[0] === ${JSON.stringify(want)}) || null)`), 2000, 10);
    if (!hit) {
      lat.push(Infinity);
      latFrame.push(Infinity);
      continue;
    }
    lat.push(hit[1] - t0);
    latFrame.push(hit[2] - t0);
  }
  sock.close();
  const stats = (a) => {
    const s = [...a].sort((x, y) => x - y);
    return { med: s[s.length >> 1], max: s[s.length - 1], min: s[0] };
  };
  const L = stats(lat),
    F = stats(latFrame);
  note('UDP -> page readout: min ' + L.min + ' ms, median ' + L.med + ' ms, max ' + L.max + ' ms (10 values)');
  note('UDP -> next frame after it: min ' + F.min + ' ms, median ' + F.med + ' ms, max ' + F.max + ' ms');
  check(L.max < 200 && F.max < 200, 'a value set over UDP shows on the page within 200 ms (max ' + L.max + ' ms, ' + F.max + ' ms to the frame)');
  check(L.min >= 0, 'latency clocks agree (min ' + L.min + ' ms >= 0)');

  // ---- 2b. the compressor curve is the daemon's ------------------------
  // Channel 5's compressor set over UDP; its detail page must draw what
  // /ch/5/dyn/curve replies (the canvas keeps the points it drew), which
  // must be the soft-knee law of Giannoulis, Massberg and Reiss (2012)
  // worked out here: below T - W/2 out = x, above T + W/2 out = T + (x -
  // T) / R, between x + (1/R - 1)(x - T + W/2)^2 / (2W); plus make-up M.
  // Then a new ratio over UDP must redraw it.
  const law = (x, T, R, W, M) =>
    (2 * (x - T) < -W ? x : 2 * Math.abs(x - T) <= W ? x + ((1 / R - 1) * (x - T + W / 2) ** 2) / (2 * W) : T + (x - T) / R) + M;
  const curveOk = async (R) => {
    const pts = await until(
      () =>
        b.eval(`(() => { const c = document.querySelector('.curve.small'); const p = c && c.__pts;
          return p && Math.abs(p[p.length - 1][1] - (${law(0, -30, R, 6, 6)})) < 0.05 ? p : null; })()`),
      3000,
      50,
    );
    if (!pts) return 'no curve with ratio ' + R + ' on the page';
    let worst = 0;
    for (const [x, y] of pts) worst = Math.max(worst, Math.abs(y - law(x, -30, R, 6, 6)));
    return pts.length === 81 && pts[0][0] === -80 && pts[80][0] === 0 && worst < 0.01 ? '' : 'points ' + pts.length + ', worst ' + worst.toFixed(4) + ' dB';
  };
  set('/ch/5/dyn/on', 1);
  set('/ch/5/dyn/thr/db', -30);
  set('/ch/5/dyn/ratio', 4);
  set('/ch/5/dyn/knee/db', 6);
  set('/ch/5/dyn/makeup/db', 6);
  await b.eval(`location.hash = '#ch/5'`);
  let why = await curveOk(4);
  check(!why, "channel 5's compressor curve on the page is the daemon's reply, on the law (T -30, R 4, W 6, M +6) " + why);
  set('/ch/5/dyn/ratio', 2);
  why = await curveOk(2);
  check(!why, 'a ratio of 2 set over UDP redraws it from a new reply ' + why);
  await b.eval(`location.hash = '#mixer'`);
  await until(() => b.eval(`!!document.querySelector('.strip.ch .fader-read')`), 3000, 50);
  await sleep(300);

  // ---- 3. patchbay, then meters -----------------------------------------
  const tone = 'tone:out_1',
    in1 = client + ':in_1';
  check(!connected(tone, in1), 'before: ' + tone + ' is not connected to ' + in1);
  await b.cdp('Page.navigate', { url: base + '/#patch' });
  const port = (name) => `[...document.querySelectorAll('button.port')].find((b) => b.title === ${JSON.stringify(name)})`;
  const havePorts = await until(() => b.eval(`!!(${port(tone)} && ${port(in1)})`), 6000, 100);
  check(havePorts, 'the patchbay lists ' + tone + ' and ' + in1);
  const tapPort = async (name) => {
    const xy = await b.eval(`(() => { const r = ${port(name)}.getBoundingClientRect(); return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()`);
    await mouse('mousePressed', xy.x, xy.y);
    await mouse('mouseReleased', xy.x, xy.y);
    await sleep(150);
  };
  if (havePorts) {
    await tapPort(tone);
    await tapPort(in1);
  }
  const patched = await until(() => connected(tone, in1), 3000, 100);
  check(patched, 'tap ' + tone + ', tap ' + in1 + ': jack_lsp -c shows them connected');
  const listed = await until(() => b.eval(`[...document.querySelectorAll('.conn-row')].some((r) => r.textContent.includes(${JSON.stringify(tone + ' → ' + in1)}))`), 3000, 100);
  check(listed, 'and the patchbay lists the connection');
  if (!patched) execFileSync('timeout', ['10', 'jack_connect', tone, in1]); // so the meter checks still mean something

  // Meters: the tone is -12 dBFS at 1 kHz, channel 1's fader at 0 dB.  The
  // level meter is drawn on the fader law: lit to dbToFader(-12) = 0.475
  // of its height (peak, shaded) with a hold line there; channel 2 has no
  // input and stays dark.
  set('/ch/1/fader/db', 0);
  await b.cdp('Page.navigate', { url: base + '/#mixer' });
  await until(() => b.eval(`!!(window.jackmixd && jackmixd.conn.open)`), 5000, 100);
  await sleep(1500);
  // the fraction of a meter canvas's middle column that is not background
  const lit = (i) =>
    b.eval(`(() => { const c = document.querySelectorAll('.strip.ch')[${i}].querySelector('.meter.level canvas');
      const g = c.getContext('2d'), x = c.width >> 1, d = g.getImageData(x, 0, 1, c.height).data; let n = 0;
      for (let y = 0; y < c.height; y++) { const p = 4 * y; if (d[p] + d[p + 1] + d[p + 2] > 3 * 0x11 + 30) n++; }
      return n / c.height; })()`);
  const l1 = await lit(0),
    l2 = await lit(1);
  note('meter canvas lit: channel 1 ' + l1.toFixed(3) + ', channel 2 ' + l2.toFixed(3) + ' (the law puts -12 dBFS at 0.475)');
  check(Math.abs(l1 - 0.475) < 0.04, 'channel 1 meter moves with the tone: lit ' + l1.toFixed(3) + ' of its height, want 0.475 +- 0.04');
  check(l2 < 0.01, 'channel 2 meter (no input) stays dark: ' + l2.toFixed(3));
  // disconnect from the patchbay: tap the same two ports again
  await b.cdp('Page.navigate', { url: base + '/#patch' });
  await until(() => b.eval(`!!(${port(tone)} && document.querySelector('.conn-row'))`), 6000, 100);
  await tapPort(tone);
  await tapPort(in1);
  const unpatched = await until(() => !connected(tone, in1), 3000, 100);
  check(unpatched, 'tapping them again disconnects them (jack_lsp -c)');
  if (!unpatched) execFileSync('timeout', ['10', 'jack_disconnect', tone, in1]);
  await b.cdp('Page.navigate', { url: base + '/#mixer' });
  await until(() => b.eval(`!!(window.jackmixd && jackmixd.conn.open)`), 5000, 100);
  // silence: the daemon's meter says so at once; the drawing falls at
  // 26 dB/s after a 1.5 s hold, so from -12 dBFS it is dark after ~3.5 s
  const quiet = await until(async () => (await b.eval(`(jackmixd.store.meters.get('/ch/1/meter') || {v: [0]}).v[0]`)) < -100, 2000, 50);
  check(quiet, 'without the tone the daemon meters channel 1 as silence');
  const dark = await until(async () => (await lit(0)) < 0.01, 6000, 200);
  check(dark, 'and its meter on the page goes dark (lit ' + (await lit(0)).toFixed(3) + ')');

  // ---- 4. a musician's page ---------------------------------------------
  // bus 1's key: the page shows bus 1's sends; the daemon refuses the rest
  set('/ch/1/send/1/level/db', -10);
  set('/ch/1/send/2/level/db', -10);
  set('/ch/2/fader/db', -20);
  check(await page(base + '/?key=' + encodeURIComponent(musKey) + '&bus=1', 390, 844, true), 'the musician page connects');
  const role = await b.eval(`fetch('/api/info?key=' + encodeURIComponent(${JSON.stringify(musKey)})).then((r) => r.json()).then((j) => j.role + ' ' + j.bus)`);
  check(role === 'musician 1', '/api/info with the key: ' + role);
  const navHidden = await b.eval(`document.querySelector('nav').hidden`);
  check(navHidden, 'no navigation on a musician page');
  // its faders are bus 1's sends: drag channel 1's by a tenth: -10 dB =
  // 0.5 -> 0.6 = -6.0 dB
  const gs = await geo('.strip.ch', 0);
  await b.cdp('Emulation.setTouchEmulationEnabled', { enabled: false });
  await drag(gs.x, capY(gs, 0.5), throwOf(gs));
  v = get('/ch/1/send/1/level/db');
  check(near(v, -6), 'the musician drags channel 1 into bus 1: /ch/1/send/1/level/db ' + v + ', want -6.0');
  // its bus's own fader is shown but display-only: the key may not move it
  set('/bus/1/fader/db', -5);
  const gb = await geo('.fixed .strip.bus', 0);
  await drag(gb.x, capY(gb, 0.625), throwOf(gb));
  v = get('/bus/1/fader/db');
  check(near(v, -5, 0.001), 'the bus fader on a musician page does not move: /bus/1/fader/db ' + v + ', want -5');
  // everything the page itself sent (resync, status, the drags) allowed
  const toasts = await b.eval(`[...document.querySelectorAll('.toast')].map((t) => t.textContent)`);
  check(toasts.length === 0, 'the musician page provoked no /error by itself (' + toasts.join('; ') + ')');
  // forged messages from the page's own socket
  await b.eval(`(async () => {
    const o = await import('/osc.js');
    window.__errors = [];
    jackmixd.conn.on('/error', (a) => window.__errors.push(a.join(' ')));
    const ws = jackmixd.conn.ws;
    ws.send(o.encodeMessage('/ch/1/send/2/level/db', [0]));
    ws.send(o.encodeMessage('/ch/2/fader/db', [0]));
    ws.send(o.encodeBundle([{ address: '/ch/1/send/1/level/db', args: [-3] }, { address: '/ch/1/send/2/level/db', args: [-3] }]));
    ws.send(o.encodeMessage('/snapshot/save', ['forged']));
  })()`);
  await sleep(500);
  const errors = await b.eval(`window.__errors`);
  note('/error replies to the forged messages: ' + JSON.stringify(errors));
  check(errors.length === 4, 'each of the 4 forged messages gets /error (' + errors.length + ')');
  v = get('/ch/1/send/2/level/db');
  check(near(v, -10, 0.001), 'another bus unchanged over UDP: /ch/1/send/2/level/db ' + v + ', want -10');
  v = get('/ch/2/fader/db');
  check(near(v, -20, 0.001), 'a channel fader unchanged: /ch/2/fader/db ' + v + ', want -20');
  v = get('/ch/1/send/1/level/db');
  check(near(v, -6), 'a bundle holding one refused message applies none of it: /ch/1/send/1/level/db ' + v + ', want -6.0');

  // ---- 5. the daemon restarts ---------------------------------------------
  // The new daemon starts fresh (no state file): channel 2 at 0 dB where
  // this page showed -20 dB.  Only a resync can tell the page.
  check(await page(base + '/#mixer'), 'the engineer page again');
  r = await readouts();
  check(r[1] === '-20.0 dB', 'channel 2 shows -20.0 dB before the restart (' + r[1] + ')');
  const link = () => b.eval(`document.querySelector('#status .link').textContent`);
  writeFileSync(path.join(tmp, 'restart.req'), '');
  const t0 = Date.now();
  const retrying = await until(async () => /reconnecting/.test(await link()), 8000, 50);
  check(retrying, 'daemon gone: the status bar shows "' + (await link()) + '"');
  const offline = await b.eval(`document.body.classList.contains('offline')`);
  check(offline, 'and the page is marked offline');
  const back = await until(() => existsSync(path.join(tmp, 'restart.done')), 30000, 100);
  check(back, 'web-live.sh restarted the daemon');
  const t1 = Date.now();
  const up = await until(async () => /connected/.test(await link()) && !/reconnect/.test(await link()), 10000, 50);
  const t2 = Date.now();
  note('restart: daemon back ' + ((t1 - t0) / 1000).toFixed(1) + ' s after the request; page connected ' + ((t2 - t1) / 1000).toFixed(1) + ' s later');
  check(up, 'the page reconnects by itself: "' + (await link()) + '"');
  const resynced = await until(async () => (await readouts())[1] === '0.0 dB', 3000, 50);
  r = await readouts();
  check(resynced, 'and resyncs: channel 2 shows the new daemon value 0.0 dB (' + r[1] + ')');
  check(b.errors.length === 0, 'no exception in the page (' + b.errors.join('; ') + ')');
} finally {
  await b.close();
}
process.exit(failed ? 1 : 0);
