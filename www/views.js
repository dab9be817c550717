// views.js: the mixer (channel strips, buses, monitor, master; sends on
// fader), the channel detail and the master view.
//
// Strips use the parameters they name only if the table has them; the detail
// views are built from the table alone: every parameter under /ch/<n>/ (or
// /master/, /mon/) gets the control its type asks for, grouped by its first
// path segment, so parameters added to the daemon later appear here without
// page code.  Hand-made: the strip layout, meters and the curves.

import { Table, format, toNorm } from './params.js';
import { el, bind, fader, slider, toggle, textField, control, meter, shortName } from './widgets.js';

const has = (ctx, tpl) => ctx.table.get(tpl);

function nameOf(ctx, kind, i) {
  const v = ctx.store.get(`/${kind}/${i}/name`);
  return v || (kind === 'ch' ? 'Ch ' + i : 'Bus ' + i);
}

// X32's colours in table order (off red green yellow blue magenta cyan
// white), then the same inverted: the colour as text on a dark ground.
const COLORS = ['', '#d33', '#3b3', '#dd3', '#36e', '#c3c', '#3cc', '#eee'];
function stripColor(node, v) {
  const k = Number(v) || 0,
    c = COLORS[k % 8],
    inv = k >= 8;
  node.style.background = c && !inv ? c : '';
  node.style.color = c ? (inv ? c : '#111') : '';
}

// One strip.  kind: ch, bus, mon, master; mode: null or the bus whose send
// levels the channel faders become.
function strip(ctx, kind, i, mode, lock = false) {
  const s = el('div', 'strip ' + kind);
  const idx = kind === 'ch' ? { n: i, a: mode } : kind === 'bus' ? { a: i } : {};
  const pre = kind === 'ch' ? '/ch/<n>/' : kind === 'bus' ? '/bus/<a>/' : '/' + kind + '/';
  const t = (rest) => has(ctx, pre + rest);
  // name
  const name = el('a', 'strip-name');
  if (kind === 'ch' || kind === 'bus') {
    const addr = `/${kind}/${i}/name`;
    name.href = kind === 'ch' ? '#ch/' + i : '#sends/' + i;
    ctx.store.on(addr, () => (name.textContent = nameOf(ctx, kind, i)));
    name.textContent = nameOf(ctx, kind, i);
    // the scribble-strip colour (/…/color, X32's names by position)
    if (t('color')) {
      const paint = () => stripColor(name, ctx.store.get(`/${kind}/${i}/color`));
      ctx.store.on(`/${kind}/${i}/color`, paint);
      paint();
    }
    const num = el('span', 'strip-num', String(i));
    s.append(num);
  } else {
    name.textContent = kind === 'mon' ? 'Monitor' : 'Master';
    name.href = kind === 'master' ? '#master' : '#master';
  }
  s.append(name);
  // pan (channels) / AFL (monitor)
  if (kind === 'ch' && mode && t('send/<a>/pre')) s.append(toggle(bind(ctx, t('send/<a>/pre'), idx), { name: 'pre', cls: 'small' }));
  else if (kind === 'ch' && t('pan')) s.append(slider(bind(ctx, t('pan'), idx), { name: '' }));
  else if (kind === 'mon' && t('afl')) s.append(toggle(bind(ctx, t('afl'), idx), { name: 'AFL', cls: 'small' }));
  else s.append(el('div', 'slider-spacer'));
  // meter + fader
  const body = el('div', 'strip-body');
  const fp = kind === 'ch' && mode ? t('send/<a>/level/db') : t('fader/db');
  const meterAddr = kind === 'master' ? '/master/meter' : kind === 'mon' ? null : Table.fill(pre + 'meter', idx);
  const ms = el('div', 'strip-meters');
  if (meterAddr && t('meter')) ms.append(meter(ctx, meterAddr, 'level'));
  const grs = kind === 'ch' ? ['gate/gr', 'dyn/gr'] : kind === 'bus' ? ['dyn/gr'] : kind === 'master' ? ['comp/gr', 'limiter/gr'] : [];
  for (const g of grs) if (t(g)) ms.append(meter(ctx, Table.fill(pre + g, idx), 'gr'));
  body.append(ms);
  // a musician's page shows its bus's own fader but may not move it
  if (fp) body.append(fader(bind(ctx, fp, idx), { readOnly: lock && kind === 'bus' }));
  s.append(body);
  if (mode && kind === 'ch') s.classList.add('sends');
  // buttons
  const btns = el('div', 'strip-btns');
  if (lock) return s; // a musician changes sends only
  if (t('mute')) btns.append(toggle(bind(ctx, t('mute'), idx), { name: 'M', cls: 'mute' }));
  if (kind === 'ch' && t('solo')) btns.append(toggle(bind(ctx, t('solo'), idx), { name: 'S', cls: 'solo' }));
  s.append(btns);
  return s;
}

// The mixer.  mode: a bus number (sends on fader) or null.  lock: a
// musician's page (one bus only): no master section and no bus choice.
export function mixerView(ctx, root, mode = null, lock = false) {
  const { n, a } = ctx.table.counts;
  const top = el('div', 'mixer-top');
  const banks = el('div', 'banks');
  top.append(banks);
  if (a && !lock) {
    const sel = el('div', 'bus-pick');
    sel.append(el('span', 'label', 'Sends on fader:'));
    const off = el('a', 'seg' + (mode ? '' : ' on'), 'Main');
    off.href = '#mixer';
    sel.append(off);
    for (let i = 1; i <= a; i++) {
      const b = el('a', 'seg' + (mode === i ? ' on' : ''), nameOf(ctx, 'bus', i));
      b.href = '#sends/' + i;
      sel.append(b);
    }
    top.append(sel);
  } else if (mode) {
    top.append(el('span', 'label', 'Mix of ' + nameOf(ctx, 'bus', mode)));
  }
  if (mode && !lock && has(ctx, '/bus/<a>/master')) {
    const d = el('a', 'seg', 'Bus settings');
    d.href = '#bus/' + mode;
    top.append(d);
  }
  const wrap = el('div', 'mixer');
  const strips = el('div', 'strips');
  for (let i = 1; i <= n; i++) strips.append(strip(ctx, 'ch', i, mode, lock));
  if (!mode) {
    for (let i = 1; i <= a; i++) strips.append(strip(ctx, 'bus', i, null));
    if (has(ctx, '/mon/fader/db')) strips.append(strip(ctx, 'mon', 0, null));
  }
  wrap.append(strips);
  const fixed = el('div', 'fixed');
  if (mode) fixed.append(strip(ctx, 'bus', mode, null, lock));
  else if (has(ctx, '/master/fader/db')) fixed.append(strip(ctx, 'master', 0, null));
  wrap.append(fixed);
  // the strips share a wide screen's width (app.css, --n)
  wrap.style.setProperty('--n', String(strips.children.length + fixed.children.length));
  root.append(top, wrap);
  // banks: one button per screenful of channels, for 64+ channels
  const layoutBanks = () => {
    banks.textContent = '';
    const first = strips.querySelector('.strip');
    if (!first) return;
    const per = Math.max(1, Math.floor(strips.clientWidth / first.offsetWidth));
    const all = [...strips.children];
    if (all.length <= per) return;
    for (let k = 0; k < all.length; k += per) {
      const s = all[k];
      const lab = s.classList.contains('ch') ? k + 1 + '–' + Math.min(n, k + per) : s.classList.contains('bus') ? 'Buses' : 'Monitor';
      const b = el('button', 'seg', lab);
      b.addEventListener('click', () => strips.scrollTo({ left: s.offsetLeft - strips.offsetLeft, behavior: 'smooth' }));
      banks.append(b);
    }
  };
  requestAnimationFrame(layoutBanks);
  const ro = new ResizeObserver(layoutBanks);
  ro.observe(strips);
  return () => ro.disconnect();
}

// ---- detail views (table-driven) ----------------------------------------

const GROUP_TITLES = {
  trim: 'Input', polarity: 'Input', hpf: 'High-pass', gate: 'Gate', eq: 'EQ', dyn: 'Compressor', comp: 'Compressor',
  fader: 'Fader', mute: 'Fader', solo: 'Fader', pan: 'Fader', name: 'Name', safe: 'Name', send: 'Sends',
  limiter: 'Limiter', width: 'Width', afl: 'Monitor', loudness: 'Loudness', meter: 'Fader',
  master: 'Fader', delay: 'Delay', fx: 'Effect',
};

// The rows under prefix, grouped by their first segment (titles merge
// related ones: trim and polarity are "Input").
function groups(table, prefix) {
  const out = new Map();
  for (const p of table.under(prefix)) {
    const seg = p.path.slice(prefix.length).split('/')[0];
    const title = GROUP_TITLES[seg] || seg[0].toUpperCase() + seg.slice(1);
    if (!out.has(title)) out.set(title, []);
    out.get(title).push(p);
  }
  return out;
}

// Controls for rows with indices idx; rows with a <b> (band), <a> (bus),
// <d> (DCA group) or <g> (mute group) dimension are laid out one line per
// index.
function card(ctx, title, rows, idx) {
  const c = el('section', 'card');
  c.append(el('h3', null, title));
  const lined = ['b', 'a', 'd', 'g'].filter((d) => idx[d] == null);
  const flat = rows.filter((p) => !p.dims.some((d) => lined.includes(d)));
  const body = el('div', 'card-body');
  for (const p of flat) {
    if (p.type === 'meter' && p.unit === 'dBFS') continue; // the strip shows levels
    body.append(control(ctx, p, idx));
  }
  c.append(body);
  for (const dim of lined) {
    const per = rows.filter((p) => p.dims.includes(dim) && (dim === 'b' || !p.dims.includes('b')));
    if (!per.length) continue;
    const count = ctx.table.counts[dim] || 0;
    for (let k = 1; k <= count; k++) {
      const line = el('div', 'card-line');
      const label = { b: 'Band ' + k, d: 'DCA ' + k, g: 'Mute group ' + k }[dim] ?? nameOf(ctx, 'bus', k);
      line.append(el('span', 'line-name', label));
      for (const p of per) line.append(control(ctx, p, { ...idx, [dim]: k }, { name: lineName(p) }));
      c.append(line);
    }
  }
  return c;
}
const lineName = (p) => {
  const s = p.path.split('/').pop();
  return { type: '', hz: 'freq', db: p.path.endsWith('level/db') ? 'level' : 'gain', q: 'Q' }[s] ?? s;
};

// A curve the daemon computes with its own DSP maths (jackmixd-osc(7),
// "Curves"), drawn as it replies: asked again (debounced) whenever a
// parameter under `under` changes and on every (re)connection, so the page
// has no second implementation of a filter or a compressor law.
// opts: cls, note, ask (the command), under (table prefix), idx,
// log (the abscissa is log-spaced), axes(g, w, h) -> {x, y}, color.
function daemonCurve(ctx, opts) {
  const c = el('canvas', opts.cls);
  const wrap = el('div', opts.cls.replace('curve', 'curve-wrap'));
  const note = el('div', 'curve-note', 'asking the daemon for the ' + opts.note + '…');
  wrap.append(c, note);
  let pts = null;
  const draw = () => {
    const w = c.clientWidth,
      h = c.clientHeight;
    if (!w) return;
    const dpr = window.devicePixelRatio || 1;
    c.width = w * dpr;
    c.height = h * dpr;
    const g = c.getContext('2d');
    g.scale(dpr, dpr);
    g.fillStyle = '#111';
    g.fillRect(0, 0, w, h);
    const { x, y } = opts.axes(g, w, h);
    if (!pts) return;
    g.strokeStyle = opts.color;
    g.lineWidth = 2;
    g.beginPath();
    pts.forEach(([a, v], i) => (i ? g.lineTo(x(a), y(v)) : g.moveTo(x(a), y(v))));
    g.stroke();
  };
  const off = ctx.conn.on(opts.ask, (args) => {
    pts = parseResponse(args, opts.log);
    c.__pts = pts; // what is drawn: the daemon's points (web-live.sh reads them)
    note.textContent = pts ? '' : 'no ' + opts.note + ' data';
    draw();
  });
  let timer = 0;
  const ask = () => {
    clearTimeout(timer);
    timer = setTimeout(() => ctx.conn.send(opts.ask), 60);
  };
  const offs = [];
  for (const p of ctx.table.under(opts.under, (p) => p.type !== 'meter')) {
    const count = p.dims.includes('b') ? ctx.table.counts.b : 1;
    for (let k = 1; k <= count; k++) offs.push(ctx.store.on(Table.fill(p.path, { ...opts.idx, b: k }), ask));
  }
  ctx.conn.onOpen(ask, true);
  new ResizeObserver(draw).observe(c);
  wrap.__dispose = () => {
    off();
    offs.forEach((f) => f());
  };
  return wrap;
}

// The EQ curve: what /…/eq/response replies, on a log frequency axis.
export function eqCurve(ctx, base) {
  const master = base === '/master';
  return daemonCurve(ctx, {
    cls: 'curve',
    note: 'response',
    ask: base + '/eq/response',
    under: master ? '/master/eq/' : '/ch/<n>/eq/',
    idx: master ? {} : { n: +base.split('/')[2] },
    log: true,
    color: '#5ab0ff',
    axes: (g, w, h) => {
      const fx = (f) => (Math.log(f / 20) / Math.log(1000)) * w;
      const dy = (db) => h / 2 - (db / 18) * (h / 2);
      g.strokeStyle = '#333';
      g.fillStyle = '#777';
      g.font = '10px sans-serif';
      for (const f of [50, 100, 200, 500, 1000, 2000, 5000, 10000]) {
        g.beginPath();
        g.moveTo(fx(f), 0);
        g.lineTo(fx(f), h);
        g.stroke();
        g.fillText(f >= 1000 ? f / 1000 + 'k' : String(f), fx(f) + 2, h - 2);
      }
      for (const db of [-12, -6, 0, 6, 12]) {
        g.strokeStyle = db ? '#333' : '#555';
        g.beginPath();
        g.moveTo(0, dy(db));
        g.lineTo(w, dy(db));
        g.stroke();
        g.fillText((db > 0 ? '+' : '') + db, 2, dy(db) - 2);
      }
      return { x: fx, y: dy };
    },
  });
}

// The daemon's curve replies (jackmixd-osc(7), "Curves"): the grid's
// first and last abscissa, then one value per point; /eq/response's grid
// is log-spaced in frequency, a compressor curve's linear in input dB.
export function parseResponse(args, log = true) {
  const v = args.filter((a) => typeof a === 'number');
  if (v.length < 4 || !(v[1] > v[0])) return null;
  const lo = v[0],
    hi = v[1],
    n = v.length - 2;
  return v.slice(2).map((y, i) => {
    const t = n > 1 ? i / (n - 1) : 0;
    return [log ? lo * Math.pow(hi / lo, t) : lo + (hi - lo) * t, y];
  });
}

// The compressor's static curve (output level for input level, make-up
// and bypass included) as /ch/<n>/dyn/curve or /master/comp/curve
// replies: the law the running compressor uses, not a copy of it.
function compCurve(ctx, base) {
  const master = base === '/master';
  return daemonCurve(ctx, {
    cls: 'curve small',
    note: 'curve',
    ask: base + (master ? '/comp/curve' : '/dyn/curve'),
    under: master ? '/master/comp/' : '/ch/<n>/dyn/',
    idx: master ? {} : { n: +base.split('/')[2] },
    log: false,
    color: '#ffb84d',
    axes: (g, w, h) => {
      const X = (db) => ((db + 60) / 60) * w,
        Y = (db) => h - ((db + 60) / 60) * h;
      g.strokeStyle = '#333';
      g.beginPath();
      g.moveTo(X(-60), Y(-60));
      g.lineTo(X(0), Y(0));
      g.stroke();
      return { x: X, y: Y };
    },
  });
}

export function channelView(ctx, root, n) {
  const { counts } = ctx.table;
  const head = el('div', 'detail-head');
  const prev = el('a', 'seg', '‹');
  prev.href = '#ch/' + Math.max(1, n - 1);
  const next = el('a', 'seg', '›');
  next.href = '#ch/' + Math.min(counts.n, n + 1);
  const title = el('h2', null, 'Ch ' + n);
  ctx.store.on(`/ch/${n}/name`, (v) => (title.textContent = n + ' · ' + (v || 'Ch ' + n)));
  head.append(prev, title, next);
  root.append(head);
  const grid = el('div', 'detail');
  const st = strip(ctx, 'ch', n, null);
  st.classList.add('detail-strip');
  grid.append(st);
  const cards = el('div', 'cards');
  for (const [title, rows] of groups(ctx.table, '/ch/<n>/')) {
    const cd = card(ctx, title, rows, { n });
    if (title === 'EQ') cd.insertBefore(eqCurve(ctx, '/ch/' + n), cd.children[1]);
    if (title === 'Compressor') cd.insertBefore(compCurve(ctx, '/ch/' + n), cd.children[1]);
    cards.append(cd);
  }
  grid.append(cards);
  root.append(grid);
}

// ---- master -------------------------------------------------------------

const LOUD = ['m', 's', 'i', 'lra', 'tp'];
const history = []; // [t, M, S], the last 120 s, kept across view changes
export function recordLoudness(store) {
  const m = store.meters.get('/master/loudness/m'),
    s = store.meters.get('/master/loudness/s');
  if (!m) return;
  const now = performance.now();
  const last = history[history.length - 1];
  if (last && now - last[0] < 100) return;
  history.push([now, m.v[0], s ? s.v[0] : -120]);
  while (history.length && now - history[0][0] > 120000) history.shift();
}

function loudnessPanel(ctx) {
  const c = el('section', 'card loudness');
  c.append(el('h3', null, 'Loudness (EBU R128)'));
  const nums = el('div', 'loud-nums');
  const cells = {};
  for (const k of LOUD) {
    const cell = el('div', 'loud-cell');
    const v = el('span', 'loud-val', '–');
    cell.append(el('span', 'loud-key', k.toUpperCase()), v);
    cells[k] = v;
    nums.append(cell);
  }
  c.append(nums);
  const tools = el('div', 'loud-tools');
  const target = el('select');
  for (const t of [-23, -18, -16, -14]) target.append(new Option(t + ' LUFS', t));
  target.value = localStorage.getItem('jmx.target') || '-23';
  target.addEventListener('change', () => localStorage.setItem('jmx.target', target.value));
  const reset = el('button', 'toggle', 'Reset');
  reset.addEventListener('click', () => ctx.conn.send('/master/loudness/reset'));
  tools.append(el('span', 'label', 'Target'), target, reset);
  c.append(tools);
  const g = el('canvas', 'curve');
  c.append(g);
  let shown = false;
  const tick = () => {
    if (g.isConnected) shown = true;
    else if (shown) return; // the view went away
    for (const k of LOUD) {
      const m = ctx.store.meters.get('/master/loudness/' + k);
      cells[k].textContent = m ? (m.v[0] <= -120 ? '–' : m.v[0].toFixed(1)) : '–';
    }
    const w = g.clientWidth,
      h = g.clientHeight;
    if (w) {
      const dpr = window.devicePixelRatio || 1;
      if (g.width !== w * dpr) (g.width = w * dpr), (g.height = h * dpr);
      const x = g.getContext('2d');
      x.setTransform(dpr, 0, 0, dpr, 0, 0);
      x.fillStyle = '#111';
      x.fillRect(0, 0, w, h);
      const Y = (l) => h - ((Math.max(-60, l) + 60) / 60) * h;
      x.strokeStyle = '#e5532e';
      x.setLineDash([4, 4]);
      x.beginPath();
      x.moveTo(0, Y(+target.value));
      x.lineTo(w, Y(+target.value));
      x.stroke();
      x.setLineDash([]);
      const now = performance.now();
      for (const [i, col] of [
        [1, '#5ab0ff'],
        [2, '#3ccf6e'],
      ]) {
        x.strokeStyle = col;
        x.beginPath();
        history.forEach((r, j) => {
          const px = w - ((now - r[0]) / 120000) * w;
          j ? x.lineTo(px, Y(r[i])) : x.moveTo(px, Y(r[i]));
        });
        x.stroke();
      }
      x.fillStyle = '#777';
      x.font = '10px sans-serif';
      x.fillText('M', 4, 12);
      x.fillStyle = '#3ccf6e';
      x.fillText('S', 16, 12);
      x.fillStyle = '#777';
      x.fillText('last 2 min', w - 60, 12);
    }
    setTimeout(() => requestAnimationFrame(tick), 100);
  };
  requestAnimationFrame(tick);
  return c;
}

// A bus: its strip and, from the table, its effect, EQ, compressor,
// delay, routing and solo (issue 15).
export function busView(ctx, root, a) {
  const head = el('div', 'detail-head');
  const title = el('h2', null, 'Bus ' + a);
  ctx.store.on(`/bus/${a}/name`, (v) => (title.textContent = a + ' · ' + (v || 'Bus ' + a)));
  head.append(title);
  root.append(head);
  const grid = el('div', 'detail');
  const st = strip(ctx, 'bus', a, null);
  st.classList.add('detail-strip');
  grid.append(st);
  const cards = el('div', 'cards');
  for (const [t, rows] of groups(ctx.table, '/bus/<a>/')) {
    const cd = card(ctx, t, rows, { a });
    if (t === 'Compressor') cd.insertBefore(compCurve(ctx, '/bus/<a>/dyn/', { a }), cd.children[1]);
    cards.append(cd);
  }
  grid.append(cards);
  root.append(grid);
}

export function masterView(ctx, root) {
  root.append(el('h2', 'view-title', 'Master'));
  const grid = el('div', 'detail');
  if (has(ctx, '/master/fader/db')) {
    const st = strip(ctx, 'master', 0, null);
    st.classList.add('detail-strip');
    grid.append(st);
  }
  const cards = el('div', 'cards');
  cards.append(loudnessPanel(ctx));
  for (const [title, rows] of groups(ctx.table, '/master/')) {
    if (title === 'Loudness') continue;
    const cd = card(ctx, title, rows, {});
    if (title === 'EQ') cd.insertBefore(eqCurve(ctx, '/master'), cd.children[1]);
    if (title === 'Compressor') cd.insertBefore(compCurve(ctx, '/master'), cd.children[1]);
    cards.append(cd);
  }
  // DCA and mute groups: one line per group (the table's <d> and <g>)
  const grp = ctx.table.under('/dca/').concat(ctx.table.under('/mutegroup/'));
  if (grp.length) cards.append(card(ctx, 'Groups', grp, {}));
  const mon = ctx.table.under('/mon/');
  if (mon.length) cards.append(card(ctx, 'Monitor', mon, {}));
  // the console utilities (issue 16), from the table like the rest
  for (const [pre, title] of [['/gen/', 'Oscillator'], ['/talk/', 'Talkback']]) {
    const rows = ctx.table.under(pre);
    if (rows.length) cards.append(card(ctx, title, rows, {}));
  }
  grid.append(cards);
  root.append(grid);
}
