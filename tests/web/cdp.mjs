// cdp.mjs: headless chromium driven over the DevTools protocol, for the web
// app's screenshots (shoot.mjs) and pointer tests (drag-test.mjs).  Real
// time, not virtual time: the WebSocket's replies must really arrive.
// Needs node >= 20.10 (with --experimental-websocket below 22).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Start chromium, attach to its page; returns {cdp, eval, close, errors}.
export async function browser() {
  const port = 9300 + (process.pid % 500);
  const prof = mkdtempSync(path.join(tmpdir(), 'jmx-chr-'));
  const chr = spawn(process.env.CHROMIUM || 'chromium', ['--headless=new', '--no-sandbox', '--disable-gpu', '--hide-scrollbars',
    '--no-first-run', '--user-data-dir=' + prof, '--remote-debugging-port=' + port, 'about:blank'], { stdio: 'ignore' });
  const close = async () => {
    chr.kill();
    await sleep(300);
    rmSync(prof, { recursive: true, force: true });
  };
  let targets;
  for (let i = 0; i < 75 && !targets; i++) {
    await sleep(200);
    try {
      targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
    } catch (e) {}
  }
  if (!targets) {
    await close();
    throw new Error('chromium did not start');
  }
  const ws = new WebSocket(targets.find((t) => t.type === 'page').webSocketDebuggerUrl);
  await new Promise((r) => (ws.onopen = r));
  let id = 0;
  const pending = new Map();
  const errors = [];
  ws.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    if (m.id && pending.has(m.id)) {
      pending.get(m.id)(m);
      pending.delete(m.id);
    } else if (m.method === 'Runtime.consoleAPICalled') {
      console.log('console.' + m.params.type + ': ' + m.params.args.map((a) => a.value ?? a.description).join(' '));
    } else if (m.method === 'Runtime.exceptionThrown') {
      const d = m.params.exceptionDetails;
      errors.push(d.exception?.description || d.text);
      console.log('EXCEPTION: ' + errors[errors.length - 1]);
    }
  };
  const cdp = (method, params = {}) =>
    new Promise((resolve, reject) => {
      pending.set(++id, (m) => (m.error ? reject(new Error(method + ': ' + m.error.message)) : resolve(m.result)));
      ws.send(JSON.stringify({ id, method, params }));
    });
  await cdp('Runtime.enable');
  await cdp('Page.enable');
  const evaluate = async (expr) => (await cdp('Runtime.evaluate', { expression: expr, returnByValue: true, awaitPromise: true })).result.value;
  return {
    cdp,
    eval: evaluate,
    errors,
    close: async () => {
      ws.close();
      await close();
    },
  };
}
