// drag-test.mjs: the web app's faders under a real pointer, in headless
// chromium against tests/web/stub.py (which records what the page sends).
// Expected values are worked out by hand from the X32 law of the man page
// (0.25 = -30 dB, 0.5 = -10 dB, 0.75 = 0 dB, linear in dB between): channel
// 3 starts at -8.5 dB = 0.5375; a drag up by a tenth of the fader's throw
// makes 0.6375 = -4.5 dB; the same drag with shift (fine) a hundredth more,
// 0.6475 = -4.1 dB; a double-click sets 0 dB; a one-finger touch drag on
// channel 4 (-12 dB = 0.475) by a tenth makes 0.575 = -7.0 dB.  Touch
// messages (/ch/3/fader/touch 1 ... 0) frame each drag.
// Usage: node tests/web/drag-test.mjs BASE_URL
import { browser, sleep } from './cdp.mjs';

const base = process.argv[2];
let failed = 0;
const check = (ok, what) => {
  console.log((ok ? 'ok: ' : 'FAIL: ') + what);
  if (!ok) failed++;
};
const received = async () => (await fetch(base + '/stub/received')).json();
const sent = (log, addr) => log.filter((m) => m[0] === addr).map((m) => m[1]);

const b = await browser();
try {
  await b.cdp('Emulation.setDeviceMetricsOverride', { width: 1180, height: 820, deviceScaleFactor: 1, mobile: false });
  await b.cdp('Page.navigate', { url: base + '/#mixer' });
  await sleep(2500);
  // feedback: the daemon's value is what the strip shows
  const read = await b.eval(`document.querySelectorAll('.strip.ch')[2].querySelector('.fader-read').textContent`);
  check(read === '-8.5 dB', 'channel 3 shows the dumped -8.5 dB (shows ' + read + ')');
  const geo = (i) =>
    b.eval(`(() => { const t = document.querySelectorAll('.strip.ch')[${i}].querySelector('.fader-track').getBoundingClientRect();
      return {x: t.x + t.width / 2 + 8, y: t.y, h: t.height}; })()`);
  const g = await geo(2);
  const throw10 = 0.1 * Math.max(60, g.h * 0.8); // pixels for a tenth of the throw
  const mouse = async (type, x, y, modifiers = 0, clickCount = 1) =>
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
  const capY = (gg, norm) => gg.y + gg.h * (1 - norm);
  await received();
  await drag(g.x, capY(g, 0.5375), throw10);
  let log = await received();
  let v = sent(log, '/ch/3/fader/db');
  check(v.length > 0 && Math.abs(v[v.length - 1][0] - -4.5) < 0.05, 'drag by a tenth: /ch/3/fader/db ' + (v.length ? v[v.length - 1][0].toFixed(3) : 'none') + ', want -4.5');
  const t = sent(log, '/ch/3/fader/touch').map((a) => a[0]);
  check(t.join() === '1,0', 'touch 1 then 0 around the drag (got ' + t.join() + ')');
  check(log.findIndex((m) => m[0] === '/ch/3/fader/touch') < log.findIndex((m) => m[0] === '/ch/3/fader/db'), 'touch 1 precedes the first value');
  await drag(g.x, capY(g, 0.6375), throw10, 8 /* shift */);
  v = sent(await received(), '/ch/3/fader/db');
  check(v.length > 0 && Math.abs(v[v.length - 1][0] - -4.1) < 0.05, 'fine drag (shift): ' + (v.length ? v[v.length - 1][0].toFixed(3) : 'none') + ', want -4.1');
  await mouse('mousePressed', g.x, capY(g, 0.6475));
  await mouse('mouseReleased', g.x, capY(g, 0.6475));
  await sleep(80);
  await mouse('mousePressed', g.x, capY(g, 0.6475), 0, 2);
  await mouse('mouseReleased', g.x, capY(g, 0.6475), 0, 2);
  await sleep(400);
  v = sent(await received(), '/ch/3/fader/db');
  check(v.length > 0 && v[v.length - 1][0] === 0, 'double-click: 0 dB (got ' + (v.length ? v[v.length - 1][0] : 'none') + ')');
  // one finger on channel 4
  await b.cdp('Emulation.setTouchEmulationEnabled', { enabled: true });
  const g4 = await geo(3);
  const y0 = capY(g4, 0.475);
  const tp = (y) => [{ x: g4.x, y, id: 1 }];
  await b.cdp('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: tp(y0) });
  for (let k = 1; k <= 5; k++) {
    await b.cdp('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: tp(y0 - (throw10 * k) / 5) });
    await sleep(20);
  }
  await b.cdp('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await sleep(400);
  v = sent(await received(), '/ch/4/fader/db');
  check(v.length > 0 && Math.abs(v[v.length - 1][0] - -7.0) < 0.05, 'touch drag by a tenth: ' + (v.length ? v[v.length - 1][0].toFixed(3) : 'none') + ', want -7.0');
  check(b.errors.length === 0, 'no exception in the page');
} finally {
  await b.close();
}
process.exit(failed ? 1 : 0);
