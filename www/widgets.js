// widgets.js: controls bound to parameters of the table, and the meters.
//
// Every control is bound to one concrete parameter address: it shows the
// value the store holds (which the daemon's feedback keeps current), sends
// changes in the unit form, and while a finger or the mouse holds it sends
// <base>/touch 1 and, on release, 0 (automation's touch and latch modes
// record while a control is held).  Drags are relative: a finger never makes
// a fader jump.  Fine mode (a tenth of the speed): shift held, a second
// finger on the control, or the Fine button in the tool bar.  Double-tap or
// double-click sets the default (0 dB for faders and levels).
//
// Meters are drawn by one requestAnimationFrame loop, only while visible,
// from the newest values the daemon sent (20 a second): the display's rate
// gives smooth falls and peak hold without asking the daemon for more.

import { Table, toNorm, fromNorm, format, dbToFader } from './params.js';
import { int } from './osc.js';

// held: unit addresses under a finger; feedback for them is not shown (the
// finger wins until it lets go).
export const ui = { fine: false, held: new Set() };

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
export { el };

// ctx: {table, store, conn}; p: a table row; idx: {n, a, b}.
export function bind(ctx, p, idx) {
  const addr = Table.fill(p.path, idx);
  return { ctx, p, idx, addr, base: Table.fill(p.baseTpl, idx) };
}

function sendValue(b, v) {
  const { conn, store } = b.ctx;
  let arg = v;
  if (b.p.type === 'bool') arg = int(v ? 1 : 0);
  conn.set(b.addr, [arg]);
  store.set(b.addr, v); // the daemon does not echo the sender's own form
}

function touchable(p) {
  return p.type === 'float' || p.type === 'bool' || p.type === 'enum';
}

// A drag surface over a normalised 0..1 value (fader, horizontal slider).
// readOnly: it shows the value and takes no input (a musician's page shows
// its bus's own fader, which its key may not move).
function dragger(b, node, { vertical, onDraw, defaultNorm, readOnly = false }) {
  const pointers = new Set();
  let lead = null,
    startPos = 0,
    startNorm = 0,
    lastUp = 0,
    held = false;
  const norm = () => toNorm(b.p, b.ctx.store.get(b.addr) ?? b.ctx.table.defaultOf(b.p, b.idx));
  const setNorm = (x) => {
    x = Math.min(1, Math.max(0, x));
    sendValue(b, fromNorm(b.p, x));
  };
  const touch = (on) => {
    if (held === on) return;
    held = on;
    if (on) ui.held.add(b.addr);
    else ui.held.delete(b.addr);
    if (!touchable(b.p)) return;
    b.ctx.conn.send(b.base + '/touch', [int(on ? 1 : 0)]);
  };
  node.addEventListener('pointerdown', (ev) => {
    if (readOnly) return;
    pointers.add(ev.pointerId);
    node.setPointerCapture(ev.pointerId);
    ev.preventDefault();
    if (lead !== null) return; // a second finger only makes it fine
    const now = performance.now();
    if (now - lastUp < 300) {
      setNorm(defaultNorm());
      lastUp = 0;
      return;
    }
    lead = ev.pointerId;
    startPos = vertical ? ev.clientY : ev.clientX;
    startNorm = norm();
    node.classList.add('held');
    touch(true);
  });
  node.addEventListener('pointermove', (ev) => {
    if (ev.pointerId !== lead) return;
    const size = vertical ? node.clientHeight : node.clientWidth;
    const pos = vertical ? ev.clientY : ev.clientX;
    const fine = ev.shiftKey || pointers.size > 1 || ui.fine;
    let d = ((vertical ? startPos - pos : pos - startPos) / Math.max(60, size * 0.8)) * (fine ? 0.1 : 1);
    setNorm(startNorm + d);
    // re-anchor so switching fine on or off mid-drag does not jump
    startNorm = Math.min(1, Math.max(0, startNorm + d));
    startPos = pos;
  });
  const up = (ev) => {
    pointers.delete(ev.pointerId);
    if (ev.pointerId !== lead) return;
    lead = null;
    lastUp = performance.now();
    node.classList.remove('held');
    touch(false);
  };
  node.addEventListener('pointerup', up);
  node.addEventListener('pointercancel', up);
  node.addEventListener(
    'wheel',
    (ev) => {
      if (readOnly) return;
      ev.preventDefault();
      const step = (ev.shiftKey || ui.fine ? 0.002 : 0.02) * (ev.deltaY < 0 ? 1 : -1);
      setNorm(norm() + step);
    },
    { passive: false }
  );
  node.tabIndex = readOnly ? -1 : 0;
  node.setAttribute('role', 'slider');
  if (readOnly) node.setAttribute('aria-readonly', 'true');
  node.addEventListener('keydown', (ev) => {
    if (readOnly) return;
    const step = ev.shiftKey ? 0.002 : 0.02;
    const k = { ArrowUp: step, ArrowRight: step, ArrowDown: -step, ArrowLeft: -step }[ev.key];
    if (k) {
      ev.preventDefault();
      setNorm(norm() + k);
    }
  });
  const off = b.ctx.store.on(b.addr, (v) => {
    const x = toNorm(b.p, v);
    node.setAttribute('aria-valuenow', String(v));
    node.setAttribute('aria-valuetext', format(b.p, v));
    onDraw(x, v);
  });
  if (!b.ctx.store.values.has(b.addr)) onDraw(norm(), b.ctx.table.defaultOf(b.p, b.idx));
  return off;
}

// The scale marks of a fader (X32 law positions).
const MARKS = [10, 5, 0, -5, -10, -20, -30, -40, -50, -60];

// A vertical fader with dB readout; for fader-taper parameters.
export function fader(b, { label = true, readOnly = false } = {}) {
  const wrap = el('div', 'fader');
  const track = el('div', 'fader-track');
  const scale = el('div', 'fader-scale');
  for (const db of MARKS) {
    const m = el('span', db === 0 ? 'mark zero' : 'mark', db > 0 ? '+' + db : String(db));
    m.style.bottom = (dbToFader(db) * 100).toFixed(2) + '%';
    scale.append(m);
  }
  const cap = el('div', 'fader-cap');
  track.append(scale, el('div', 'fader-slot'), cap);
  const read = el('div', 'fader-read');
  wrap.append(track);
  if (label) wrap.append(read);
  if (readOnly) track.classList.add('readonly');
  dragger(b, track, {
    readOnly,
    vertical: true,
    defaultNorm: () => (b.p.taper === 'fader' ? 0.75 : toNorm(b.p, b.ctx.table.defaultOf(b.p, b.idx))),
    onDraw: (x, v) => {
      cap.style.bottom = (x * 100).toFixed(2) + '%';
      read.textContent = format(b.p, v);
    },
  });
  track.title = readOnly ? b.addr : b.addr + ' — drag; shift or a second finger: fine; double-tap: 0 dB';
  return wrap;
}

// A horizontal slider for any float parameter (generic detail views, pan).
export function slider(b, { name } = {}) {
  const wrap = el('div', 'slider');
  const lab = el('span', 'slider-name', name ?? shortName(b.p.path));
  const bar = el('div', 'slider-bar');
  const fill = el('div', 'slider-fill');
  const val = el('span', 'slider-val');
  bar.append(fill);
  wrap.append(lab, bar, val);
  wrap.title = b.addr + (b.p.doc ? ' — ' + b.p.doc : '');
  const centred = /pan$|\/db$/.test(b.p.path) && b.p.min < 0 && b.p.max > 0 && b.p.taper === 'lin';
  const bipolar = centred || /pan$/.test(b.p.path);
  if (bipolar) {
    bar.classList.add('bipolar');
    bar.style.setProperty('--c', (/pan$/.test(b.p.path) ? 50 : toNorm(b.p, 0) * 100) + '%');
  }
  dragger(b, bar, {
    vertical: false,
    defaultNorm: () => toNorm(b.p, b.ctx.table.defaultOf(b.p, b.idx)),
    onDraw: (x, v) => {
      if (bipolar) {
        const c = /pan$/.test(b.p.path) ? 0.5 : toNorm(b.p, 0);
        fill.style.left = (Math.min(x, c) * 100).toFixed(2) + '%';
        fill.style.width = (Math.abs(x - c) * 100).toFixed(2) + '%';
      } else {
        fill.style.left = '0';
        fill.style.width = (x * 100).toFixed(2) + '%';
      }
      val.textContent = format(b.p, v);
    },
  });
  return wrap;
}

export function shortName(path) {
  const parts = path.split('/').filter((s) => s && !/^<.>$/.test(s) && !/^(db|hz|ms)$/.test(s));
  return parts.slice(-2).join(' ').replace(/^(ch|bus|master|mon) /, '');
}

export function toggle(b, { name, cls = '' } = {}) {
  const btn = el('button', 'toggle ' + cls, name ?? shortName(b.p.path));
  btn.title = b.addr + (b.p.doc ? ' — ' + b.p.doc : '');
  btn.addEventListener('click', () => sendValue(b, !(b.ctx.store.get(b.addr) ?? b.ctx.table.defaultOf(b.p, b.idx))));
  b.ctx.store.on(b.addr, (v) => btn.classList.toggle('on', !!v));
  if (!b.ctx.store.values.has(b.addr)) btn.classList.toggle('on', !!b.ctx.table.defaultOf(b.p, b.idx));
  return btn;
}

export function choice(b, { name } = {}) {
  const wrap = el('div', 'choice');
  wrap.append(el('span', 'slider-name', name ?? shortName(b.p.path)));
  const btns = b.p.enums.map((e, i) => {
    const btn = el('button', 'seg', e);
    btn.addEventListener('click', () => {
      b.ctx.conn.set(b.addr, [e]);
      b.ctx.store.set(b.addr, e);
    });
    wrap.append(btn);
    return btn;
  });
  const show = (v) => {
    const name = typeof v === 'number' ? b.p.enums[v] : v;
    btns.forEach((x) => x.classList.toggle('on', x.textContent === name));
  };
  b.ctx.store.on(b.addr, show);
  if (!b.ctx.store.values.has(b.addr)) show(b.ctx.table.defaultOf(b.p, b.idx));
  wrap.title = b.addr + (b.p.doc ? ' — ' + b.p.doc : '');
  return wrap;
}

// A channel number (unit "ch": a gate or compressor key): 0 is the
// channel itself, 1..N a channel of this console; a whole number, so a
// list rather than a slider that would glide through the channels.
export function channelChoice(b, { name } = {}) {
  const wrap = el('div', 'choice');
  wrap.append(el('span', 'slider-name', name ?? shortName(b.p.path)));
  const sel = el('select', 'chan');
  const n = b.ctx.table.counts?.n ?? 0;
  for (let k = 0; k <= n; k++) {
    const o = el('option', '', k === 0 ? 'self' : String(k));
    o.value = String(k);
    sel.append(o);
  }
  sel.addEventListener('change', () => sendValue(b, Number(sel.value)));
  const show = (v) => {
    sel.value = String(Math.round(Number(v) || 0));
  };
  b.ctx.store.on(b.addr, show);
  if (!b.ctx.store.values.has(b.addr)) show(b.ctx.table.defaultOf(b.p, b.idx));
  wrap.title = b.addr + (b.p.doc ? ' — ' + b.p.doc : '');
  wrap.append(sel);
  return wrap;
}

export function textField(b, { name, cls = '' } = {}) {
  const inp = el('input', 'text ' + cls);
  inp.placeholder = name ?? shortName(b.p.path);
  inp.maxLength = 63;
  inp.title = b.addr;
  inp.addEventListener('change', () => {
    b.ctx.conn.send(b.addr, [inp.value]);
    b.ctx.store.set(b.addr, inp.value);
  });
  b.ctx.store.on(b.addr, (v) => {
    if (document.activeElement !== inp) inp.value = v;
  });
  return inp;
}

// The control a table row asks for.
export function control(ctx, p, idx, opts = {}) {
  const b = bind(ctx, p, idx);
  if (p.type === 'bool') return toggle(b, opts);
  if (p.type === 'enum') return choice(b, opts);
  if (p.type === 'string') return textField(b, opts);
  if (p.type === 'float' && p.unit === 'ch') return channelChoice(b, opts);
  if (p.type === 'meter') return meter(ctx, b.addr, p.unit === 'dBFS' ? 'level' : 'gr', { horizontal: true, name: shortName(p.path) });
  return slider(b, opts);
}

// ---- meters -------------------------------------------------------------

const meters = new Set();
const seen = new IntersectionObserver((entries) => {
  for (const e of entries) e.target.__meter && (e.target.__meter.visible = e.isIntersecting);
});

// kind 'level': address carries peak and rms in dBFS, drawn on the fader law
// with peak hold; 'gr': gain reduction in dB (0..24 shown), drawn from the top.
export function meter(ctx, addr, kind = 'level', { horizontal = false, name } = {}) {
  const wrap = el('div', 'meter ' + kind + (horizontal ? ' horiz' : ''));
  const c = el('canvas');
  wrap.append(c);
  if (name) {
    wrap.prepend(el('span', 'slider-name', name));
  }
  const m = { ctx, addr, kind, c, horizontal, visible: false, peak: -200, rms: -200, hold: -200, holdT: 0, gr: 0 };
  c.__meter = m;
  meters.add(m);
  seen.observe(c);
  wrap.__dispose = () => {
    meters.delete(m);
    seen.unobserve(c);
  };
  return wrap;
}
export function disposeMeters(root) {
  for (const m of [...meters]) if (!root.contains(m.c) || !m.c.isConnected) {
    meters.delete(m);
    seen.unobserve(m.c);
  }
}

const FALL = 26; // dB per second, displayed level
const HOLD_MS = 1500;
function drawMeters(now) {
  for (const m of meters) {
    if (!m.visible) continue;
    const c = m.c;
    const w = c.clientWidth,
      h = c.clientHeight;
    if (!w || !h) continue;
    const dpr = window.devicePixelRatio || 1;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(h * dpr);
    }
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    const dt = Math.min(0.1, (now - (m.last || now)) / 1000);
    m.last = now;
    const src = m.ctx.store.meters.get(m.addr);
    const fresh = src && now - src.t < 400;
    g.clearRect(0, 0, w, h);
    g.fillStyle = '#111';
    g.fillRect(0, 0, w, h);
    const len = m.horizontal ? w : h;
    if (m.kind === 'gr') {
      const target = fresh ? Math.max(0, src.v[0] || 0) : 0;
      m.gr = target > m.gr ? target : Math.max(target, m.gr - FALL * dt);
      const px = Math.min(1, m.gr / 24) * len;
      g.fillStyle = '#e0a030';
      if (m.horizontal) g.fillRect(w - px, 0, px, h);
      else g.fillRect(0, 0, w, px);
      continue;
    }
    const tp = fresh ? src.v[0] : -200;
    const tr = fresh ? (src.v[1] ?? src.v[0]) : -200;
    m.peak = tp > m.peak ? tp : Math.max(tp, m.peak - FALL * dt);
    m.rms = tr > m.rms ? tr : Math.max(tr, m.rms - FALL * dt);
    if (tp >= m.hold || now - m.holdT > HOLD_MS) {
      if (tp >= m.hold) m.holdT = now;
      m.hold = tp >= m.hold ? tp : Math.max(tp, m.hold - FALL * 2 * dt);
    }
    const pos = (db) => dbToFader(db) * len;
    const grad = m.horizontal ? g.createLinearGradient(0, 0, w, 0) : g.createLinearGradient(0, h, 0, 0);
    grad.addColorStop(0, '#1f9d55');
    grad.addColorStop(dbToFader(-18), '#3ccf6e');
    grad.addColorStop(dbToFader(-6), '#e5c32e');
    grad.addColorStop(dbToFader(0), '#e5532e');
    grad.addColorStop(1, '#ff2020');
    const pp = pos(m.peak),
      rp = pos(m.rms),
      hp = pos(m.hold);
    g.globalAlpha = 0.45;
    g.fillStyle = grad;
    if (m.horizontal) g.fillRect(0, 0, pp, h);
    else g.fillRect(0, h - pp, w, pp);
    g.globalAlpha = 1;
    if (m.horizontal) g.fillRect(0, 0, rp, h);
    else g.fillRect(0, h - rp, w, rp);
    if (m.hold > -120) {
      g.fillStyle = m.hold >= 0 ? '#ff3030' : '#eee';
      if (m.horizontal) g.fillRect(Math.max(0, hp - 2), 0, 2, h);
      else g.fillRect(0, Math.max(0, h - hp - 1), w, 2);
    }
  }
  requestAnimationFrame(drawMeters);
}
requestAnimationFrame(drawMeters);
