// app.js: start-up, routing between views, and the path from the daemon's
// OSC messages to the value store.
//
// Start: GET /api/params (the parameter table) and /api/info, open the
// WebSocket, and on every (re)connection resync: /info, /meters 1, /dump
// (every value, paced by the daemon), /engine/status, /record/status.
// Views are chosen by the location's hash (#mixer, #sends/2, #ch/3,
// #bus/2, #master, #rec, #scenes, #patch, #auto/3) so the back button and bookmarks
// work.  ?key=... is the access key the daemon gave (kept in localStorage);
// ?bus=N is a musician's page: the sends of bus N and nothing else (the
// daemon enforces it with the key; the page only reflects it).

import { Table, Store, fromNorm } from './params.js';
import { Conn } from './conn.js';
import { int } from './osc.js';
import { el, ui, disposeMeters } from './widgets.js';
import { mixerView, channelView, busView, masterView, recordLoudness } from './views.js';
import { recorderView, scenesView, patchView, autoView, statusBar } from './panels.js';

const qs = new URLSearchParams(location.search);
if (qs.has('key')) localStorage.setItem('jmx.key', qs.get('key'));
const key = qs.get('key') || localStorage.getItem('jmx.key') || '';
const lockBus = qs.has('bus') ? parseInt(qs.get('bus'), 10) || null : null;

// Every HTTP request carries the key too: off loopback the server asks for it.
const withKey = (url) => (key ? url + (url.includes('?') ? '&' : '?') + 'key=' + encodeURIComponent(key) : url);
const ctx = { table: null, store: new Store(), conn: new Conn({ key }), info: {}, takes: new Set(), withKey };
window.jackmixd = ctx; // for the console and the browser tests

function toast(text) {
  const t = el('div', 'toast', text);
  document.getElementById('toasts').append(t);
  setTimeout(() => t.remove(), 4000);
}

// One message from the daemon.
function route(m) {
  const { address: a, args } = m;
  const { table, store } = ctx;
  if (a === '/error') return toast('daemon: ' + args.join(': '));
  if (a === '/record/status' || a === '/record/start' || a === '/record/stop') {
    if (args[1]) ctx.takes.add(String(args[1]).split('/').pop());
    return store.set('/record/status', args);
  }
  if (a === '/info') return setInfo({ name: args[0], version: args[1], channels: args[2], buses: args[3], sample_rate: args[4], period: args[5] });
  if (a.endsWith('/text')) return;
  const r = table.resolve(a);
  if (!r) return store.set(a, args); // commands' replies, /auto modes
  const p = r.p;
  if (p.type === 'meter') {
    if (r.form === 'unit') {
      store.meter(a, args.map(Number));
      if (a.startsWith('/master/loudness/')) recordLoudness(store);
    }
    return;
  }
  if (ui.held.has(r.unit) || !args.length) return; // the finger wins
  let v = args[0];
  if (p.type === 'bool') v = !!v;
  else if (p.type === 'enum') v = typeof v === 'string' ? v : p.enums[v | 0];
  else if (p.type === 'float') v = r.form === 'norm' ? fromNorm(p, Number(v)) : Number(v);
  store.set(r.unit, v);
}

function setInfo(info) {
  Object.assign(ctx.info, info);
  if (!ctx.table) return;
  const c = ctx.table.counts;
  const n = Number(info.channels) || c.n,
    a = info.buses === undefined ? c.a : Number(info.buses);
  if (n !== c.n || a !== c.a) {
    c.n = n;
    c.a = a;
    render();
  }
  document.title = 'jackmixd' + (info.name ? ' · ' + info.name : '');
}

function resync() {
  const c = ctx.conn;
  c.send('/info');
  c.send('/meters', [int(1)]);
  c.send('/dump');
  c.send('/engine/status');
  c.send('/record/status');
}

// ---- views ---------------------------------------------------------------

let cleanup = [];
function render() {
  const root = document.getElementById('view');
  for (const f of cleanup) try {
    f();
  } catch (e) {}
  cleanup = [];
  root.textContent = '';
  disposeMeters(root);
  const scope = [];
  ctx.store.scope = scope;
  ctx.conn.scope = scope;
  let [name, arg] = location.hash.replace(/^#/, '').split('/');
  if (lockBus) (name = 'sends'), (arg = String(lockBus));
  let done;
  try {
    if (name === 'ch' && +arg >= 1) done = channelView(ctx, root, Math.min(+arg, ctx.table.counts.n));
    else if (name === 'sends' && +arg >= 1) done = mixerView(ctx, root, +arg, !!lockBus);
    else if (name === 'bus' && +arg >= 1 && !lockBus) done = busView(ctx, root, Math.min(+arg, ctx.table.counts.a));
    else if (name === 'master') done = masterView(ctx, root);
    else if (name === 'rec') done = recorderView(ctx, root);
    else if (name === 'scenes') done = scenesView(ctx, root);
    else if (name === 'patch') done = patchView(ctx, root);
    else if (name === 'auto') done = autoView(ctx, root, arg || '1');
    else (name = 'mixer'), (done = mixerView(ctx, root, null));
  } finally {
    ctx.store.scope = null;
    ctx.conn.scope = null;
  }
  cleanup = scope.concat(typeof done === 'function' ? [done] : []);
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('on', a.dataset.view === name);
}

async function start() {
  const nav = document.querySelector('nav');
  if (lockBus) nav.hidden = true;
  const fine = document.getElementById('fine');
  fine.addEventListener('click', () => fine.classList.toggle('on', (ui.fine = !ui.fine)));
  let json;
  try {
    const r = await fetch(withKey('/api/params'));
    json = await r.json();
  } catch (e) {
    document.getElementById('view').textContent = 'Cannot load /api/params: ' + e.message + '. Retrying…';
    setTimeout(start, 2000);
    return;
  }
  ctx.table = new Table(json);
  try {
    const r = await fetch(withKey('/api/info'));
    if (r.ok) setInfo(await r.json());
  } catch (e) {
    /* /info over the socket tells the same */
  }
  if (!ctx.table.counts.n) ctx.table.counts.n = 8;
  statusBar(ctx, document.getElementById('status'));
  ctx.conn.any.add(route);
  ctx.conn.onOpen(resync);
  ctx.conn.connect();
  window.addEventListener('hashchange', render);
  render();
}

start();
