// shoot.mjs: screenshots of the web app at given sizes (tests/web/cdp.mjs).
// Usage: node tests/web/shoot.mjs BASE_URL OUTDIR name:WxH:hash[:ms] ...
//   e.g. ... http://127.0.0.1:8089 /tmp/shots phone:390x844:#mixer desk:1440x900:#master:3000
// Exit status 1 if the page threw.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { browser, sleep } from './cdp.mjs';

const [base, outdir, ...shots] = process.argv.slice(2);
const b = await browser();
try {
  for (const s of shots) {
    const [name, size, hash, ms] = s.split(':');
    const [w, h] = size.split('x').map(Number);
    await b.cdp('Emulation.setDeviceMetricsOverride', { width: w, height: h, deviceScaleFactor: 1, mobile: w < 800 });
    await b.cdp('Emulation.setTouchEmulationEnabled', { enabled: w < 800 });
    await b.cdp('Page.navigate', { url: base + '/?shot=' + name + (hash || '') });
    await sleep(Number(ms) || 2500);
    const r = await b.cdp('Page.captureScreenshot', { format: 'png' });
    writeFileSync(path.join(outdir, name + '.png'), Buffer.from(r.data, 'base64'));
    console.log('wrote ' + name + '.png');
  }
} finally {
  await b.close();
}
process.exit(b.errors.length ? 1 : 0);
