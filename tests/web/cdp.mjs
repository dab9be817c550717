// cdp.mjs: headless chromium driven over the DevTools protocol, for the web
// app's screenshots (shoot.mjs) and pointer tests (drag-test.mjs).  Real
// time, not virtual time: the WebSocket's replies must really arrive.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Start chromium, attach to its page; returns {cdp, eval, close, errors}.
// The protocol runs over --remote-debugging-pipe (fds 3 and 4, messages
// ended by NUL), so no WebSocket client is needed: node 18 (Debian 12) will do.
export async function browser() {
  const prof = mkdtempSync(path.join(tmpdir(), 'jmx-chr-'));
  const chr = spawn(process.env.CHROMIUM || 'chromium', ['--headless=new', '--no-sandbox', '--disable-gpu', '--hide-scrollbars',
    '--no-first-run', '--user-data-dir=' + prof, '--remote-debugging-pipe', 'about:blank'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
  const toChr = chr.stdio[3],
    fromChr = chr.stdio[4];
  let id = 0,
    session = null,
    buf = '';
  const pending = new Map();
  const errors = [];
  fromChr.on('data', (d) => {
    buf += d.toString('utf8');
    let z;
    while ((z = buf.indexOf('\0')) >= 0) {
      const m = JSON.parse(buf.slice(0, z));
      buf = buf.slice(z + 1);
      if (m.id && pending.has(m.id)) {
        pending.get(m.id)(m);
        pending.delete(m.id);
      } else if (m.method === 'Runtime.consoleAPICalled') {
        console.log('console.' + m.params.type + ': ' + m.params.args.map((a) => a.value ?? a.description).join(' '));
      } else if (m.method === 'Runtime.exceptionThrown') {
        const x = m.params.exceptionDetails;
        errors.push(x.exception?.description || x.text);
        console.log('EXCEPTION: ' + errors[errors.length - 1]);
      }
    }
  });
  const cdp = (method, params = {}, top = false) =>
    new Promise((resolve, reject) => {
      pending.set(++id, (m) => (m.error ? reject(new Error(method + ': ' + m.error.message)) : resolve(m.result)));
      const msg = { id, method, params };
      if (session && !top) msg.sessionId = session;
      toChr.write(JSON.stringify(msg) + '\0');
    });
  const close = async () => {
    chr.kill();
    await sleep(300);
    rmSync(prof, { recursive: true, force: true });
  };
  let page;
  for (let i = 0; i < 75 && !page; i++) {
    await sleep(200);
    try {
      page = (await cdp('Target.getTargets', {}, true)).targetInfos.find((t) => t.type === 'page');
    } catch (e) {}
  }
  if (!page) {
    await close();
    throw new Error('chromium did not start');
  }
  session = (await cdp('Target.attachToTarget', { targetId: page.targetId, flatten: true }, true)).sessionId;
  await cdp('Runtime.enable');
  await cdp('Page.enable');
  const evaluate = async (expr) => (await cdp('Runtime.evaluate', { expression: expr, returnByValue: true, awaitPromise: true })).result.value;
  return { cdp, eval: evaluate, errors, close };
}
