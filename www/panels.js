// panels.js: the recorder, scenes, patchbay and automation views, and the
// status bar.  All of them speak the daemon's OSC commands (/record/...,
// /snapshot/..., /jack/..., <base>/auto, /automation/..., /engine/status)
// and show what the daemon replies; none keeps state of its own that the
// daemon does not confirm.

import { Table, format } from './params.js';
import { el, toggle, bind } from './widgets.js';
import { int } from './osc.js';

const fmtBytes = (b) => {
  b = Number(b);
  if (!(b >= 0)) return '–';
  const u = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (b >= 1000 && i < u.length - 1) (b /= 1000), i++;
  return b.toFixed(i ? 1 : 0) + ' ' + u[i];
};
const fmtTime = (s) => {
  s = Math.max(0, Math.floor(s));
  const h = Math.floor(s / 3600),
    m = Math.floor((s % 3600) / 60);
  return (h ? h + ':' + String(m).padStart(2, '0') : m) + ':' + String(s % 60).padStart(2, '0');
};
const takeName = (f) => String(f || '').split('/').pop();

// /record/status arguments by name (the order the man page gives).
export function recordStatus(a) {
  const k = ['active', 'file', 'seconds', 'frames', 'dropped', 'disk_free', 'format', 'I', 'LRA', 'TP', 'maxM', 'maxS', 'stems', 'stem_file', 'stem_files', 'stem_dropped'];
  const o = {};
  k.forEach((n, i) => (o[n] = typeof a[i] === 'bigint' ? Number(a[i]) : a[i]));
  return o;
}

// ---- recorder -------------------------------------------------------------

export function recorderView(ctx, root) {
  root.append(el('h2', 'view-title', 'Recorder'));
  const card = el('section', 'card');
  const status = el('div', 'rec-status');
  const name = el('input', 'text');
  name.placeholder = 'take name (optional)';
  const start = el('button', 'toggle rec', '● Record');
  const stop = el('button', 'toggle', '■ Stop');
  start.addEventListener('click', () => ctx.conn.send('/record/start', name.value ? [name.value] : []));
  stop.addEventListener('click', () => ctx.conn.send('/record/stop'));
  const row = el('div', 'row');
  row.append(name, start, stop);
  const pre = el('div', 'label');
  const info = ctx.info || {};
  pre.textContent = info.preroll !== undefined ? 'Pre-roll: ' + info.preroll + ' s (daemon option --preroll)' : 'Pre-roll: set with the daemon option --preroll';
  card.append(row, pre, status);
  const show = (a) => {
    if (!a) {
      status.textContent = 'no status yet';
      return;
    }
    const r = recordStatus(a);
    start.classList.toggle('on', !!r.active);
    status.textContent = '';
    const kv = [
      ['State', r.active ? 'recording' : 'stopped'],
      ['File', takeName(r.file) || '–'],
      ['Elapsed', fmtTime(r.seconds || 0)],
      ['Frames lost', String(r.dropped ?? 0)],
      ['Disk free', fmtBytes(r.disk_free)],
      ['Format', r.format || '–'],
      ['Take I / LRA / TP', [r.I, r.LRA, r.TP].map((x) => (x > -120 ? Number(x).toFixed(1) : '–')).join(' / ')],
    ];
    if (r.stems && r.stems !== 'off') kv.push(['Stems', r.stems + ' ' + takeName(r.stem_file)]);
    for (const [k, v] of kv) status.append(el('span', 'k', k), el('span', 'v', v));
  };
  const off = ctx.store.on('/record/status', show);
  show(ctx.store.get('/record/status'));
  ctx.conn.onOpen(() => ctx.conn.send('/record/status'), true);
  root.append(card);
  // takes: the server lists /takes/ (JSON array of names or {name,size}, or
  // an HTML index); the takes seen this session are listed in any case.
  const list = el('section', 'card');
  list.append(el('h3', null, 'Takes'));
  const ul = el('ul', 'takes');
  list.append(ul);
  root.append(list);
  const render = (names) => {
    ul.textContent = '';
    if (!names.length) ul.append(el('li', 'label', 'no takes yet'));
    for (const t of names) {
      const li = el('li');
      const a = el('a', null, t.name);
      a.href = ctx.withKey('/takes/' + encodeURIComponent(t.name));
      a.download = t.name;
      li.append(a);
      if (t.size) li.append(el('span', 'label', ' ' + fmtBytes(t.size)));
      ul.append(li);
    }
  };
  const session = () => [...ctx.takes].map((n) => ({ name: n }));
  fetch(ctx.withKey('/takes/'), { headers: { Accept: 'application/json' } })
    .then((r) => (r.ok ? r.text() : Promise.reject()))
    .then((txt) => {
      let names = [];
      try {
        const j = JSON.parse(txt);
        const arr = Array.isArray(j) ? j : j.takes || [];
        names = arr.map((x) => (typeof x === 'string' ? { name: x } : x));
      } catch (e) {
        names = [...txt.matchAll(/href="([^"?/][^"]*)"/g)].map((m) => ({ name: decodeURIComponent(m[1]) }));
      }
      const seen = new Set(names.map((x) => x.name));
      render(names.concat(session().filter((x) => !seen.has(x.name))));
    })
    .catch(() => render(session()));
  return off;
}

// ---- scenes ---------------------------------------------------------------

export function scenesView(ctx, root) {
  root.append(el('h2', 'view-title', 'Scenes'));
  const card = el('section', 'card');
  const name = el('input', 'text');
  name.placeholder = 'scene name (A-Z a-z 0-9 . _ -)';
  name.pattern = '[A-Za-z0-9_\\-][A-Za-z0-9._\\-]{0,63}';
  const save = el('button', 'toggle', 'Save');
  const fade = el('input', 'text num');
  fade.type = 'number';
  fade.min = 0;
  fade.step = 100;
  fade.value = localStorage.getItem('jmx.fade') || '0';
  fade.addEventListener('change', () => localStorage.setItem('jmx.fade', fade.value));
  const conn = el('input');
  conn.type = 'checkbox';
  const row = el('div', 'row');
  const cl = el('label', 'label');
  cl.append(conn, ' and JACK connections');
  row.append(name, save, el('span', 'label', 'Recall fade (ms)'), fade, cl);
  const ul = el('ul', 'scenes');
  card.append(row, ul);
  root.append(card);
  const refresh = () =>
    ctx.conn
      .request('/snapshot/list', [], '/snapshot/list', null, 2000)
      .then((rows) => {
        ul.textContent = '';
        const names = rows.flat().filter((x) => typeof x === 'string');
        if (!names.length) ul.append(el('li', 'label', 'no scenes saved'));
        for (const n of names) {
          const li = el('li');
          const rec = el('button', 'toggle', 'Recall');
          rec.addEventListener('click', () => ctx.conn.send('/snapshot/load', [n, Number(fade.value) || 0, int(conn.checked ? 1 : 0)]));
          const del = el('button', 'toggle danger', 'Delete');
          del.addEventListener('click', () => {
            if (confirm('Delete scene ' + n + '?')) ctx.conn.send('/snapshot/delete', [n]);
          });
          li.append(el('span', 'scene-name', n), rec, del);
          ul.append(li);
        }
      })
      .catch((e) => {
        console.warn(e);
        ul.textContent = 'no answer to /snapshot/list';
      });
  save.addEventListener('click', () => name.value && ctx.conn.send('/snapshot/save', [name.value]));
  const offs = ['/snapshot/save', '/snapshot/delete'].map((a) => ctx.conn.on(a, refresh));
  ctx.conn.onOpen(refresh, true);
  // recall safes, one per channel: the table's /ch/<n>/safe
  const p = ctx.table.get('/ch/<n>/safe');
  if (p) {
    const sc = el('section', 'card');
    sc.append(el('h3', null, 'Recall safe'));
    const grid = el('div', 'safes');
    for (let n = 1; n <= ctx.table.counts.n; n++) {
      const b = toggle(bind(ctx, p, { n }), { name: String(n) });
      ctx.store.on(`/ch/${n}/name`, (v) => (b.textContent = v ? n + ' ' + v : String(n)));
      grid.append(b);
    }
    sc.append(grid);
    root.append(sc);
  }
  return () => offs.forEach((f) => f());
}

// ---- patchbay -------------------------------------------------------------

// Outputs on the left, inputs on the right, grouped by client.  Tap an
// output, then an input: connects them, or disconnects them if they are
// connected.  Connections are listed with their state (wanted, other,
// pending) and a button to break each.
export function patchView(ctx, root) {
  root.append(el('h2', 'view-title', 'Patchbay'));
  const help = el('p', 'label', 'Tap an output, then an input, to connect or disconnect them. One end must be a port of this console.');
  const cols = el('div', 'patch');
  const outs = el('div', 'patch-col');
  const ins = el('div', 'patch-col');
  cols.append(outs, ins);
  const conns = el('section', 'card');
  root.append(help, cols, conns);
  let sel = null;
  let ports = [],
    links = [];
  const linked = (a, b) => links.some((l) => l.from === a && l.to === b);
  const render = () => {
    for (const [col, dir, title] of [
      [outs, 'out', 'Outputs'],
      [ins, 'in', 'Inputs'],
    ]) {
      col.textContent = '';
      col.append(el('h3', null, title));
      const byClient = new Map();
      for (const p of ports.filter((p) => p.dir === dir)) {
        const c = p.name.split(':')[0];
        if (!byClient.has(c)) byClient.set(c, []);
        byClient.get(c).push(p);
      }
      for (const [c, ps] of byClient) {
        const g = el('div', 'patch-client' + (ps[0].ours ? ' ours' : ''));
        g.append(el('div', 'patch-cname', c));
        for (const p of ps) {
          const short = p.name.slice(c.length + 1);
          const b = el('button', 'port', short + (p.type === 'midi' ? ' (MIDI)' : ''));
          b.title = p.name;
          const n = links.filter((l) => l.from === p.name || l.to === p.name).length;
          if (n) b.classList.add('linked');
          if (sel && sel.name === p.name) b.classList.add('sel');
          if (sel && dir === 'in') {
            if (linked(sel.name, p.name)) b.classList.add('target-on');
            else if (p.type !== sel.type || (p.ours && sel.ours) || (!p.ours && !sel.ours)) b.disabled = true;
          }
          b.addEventListener('click', () => tap(p));
          g.append(b);
        }
        col.append(g);
      }
    }
    conns.textContent = '';
    conns.append(el('h3', null, 'Connections'));
    for (const l of links) {
      const r = el('div', 'conn-row');
      const x = el('button', 'toggle danger small', '×');
      x.addEventListener('click', () => ctx.conn.send('/jack/disconnect', [l.from, l.to]));
      r.append(x, el('span', null, l.from + ' → ' + l.to), el('span', 'label state-' + l.state, ' ' + l.state));
      conns.append(r);
    }
    if (!links.length) conns.append(el('div', 'label', 'none'));
  };
  const tap = (p) => {
    if (p.dir === 'out') sel = sel && sel.name === p.name ? null : p;
    else if (sel) {
      ctx.conn.send(linked(sel.name, p.name) ? '/jack/disconnect' : '/jack/connect', [sel.name, p.name]);
      sel = null;
    }
    render();
  };
  const load = async () => {
    try {
      const pr = await ctx.conn.request('/jack/ports', [], '/jack/ports', '/jack/ports/done');
      ports = pr.map((a) => ({ name: a[0], dir: a[1], type: a[2], ours: !!a[3] }));
      const cr = await ctx.conn.request('/jack/connections', [], '/jack/connections', '/jack/connections/done');
      links = cr.map((a) => ({ from: a[0], to: a[1], state: a[2] }));
      render();
    } catch (e) {
      outs.textContent = 'no answer to /jack/ports';
    }
  };
  const offs = ['/jack/connect', '/jack/disconnect'].map((a) => ctx.conn.on(a, () => setTimeout(load, 50)));
  ctx.conn.onOpen(load, true);
  const t = setInterval(() => ctx.conn.open && load(), 5000); // other programs patch too
  return () => {
    clearInterval(t);
    offs.forEach((f) => f());
  };
}

// ---- automation -----------------------------------------------------------

const MODES = ['off', 'read', 'write', 'touch', 'latch'];

// Lane modes of every automatable parameter of one strip (or the master),
// from the table: rows whose type the audio thread renders.  Each mode is
// queried (<base>/auto without arguments replies s:mode i:points) and
// feedback keeps it current.
export function autoView(ctx, root, which = '1') {
  root.append(el('h2', 'view-title', 'Automation'));
  const top = el('section', 'card');
  const st = el('div', 'label', 'transport: –');
  const all = el('div', 'row');
  all.append(el('span', 'label', 'All lanes:'));
  for (const m of MODES) {
    const b = el('button', 'seg', m);
    b.addEventListener('click', () => ctx.conn.send('/automation/mode', [m]));
    all.append(b);
  }
  const clear = el('button', 'toggle danger', 'Clear all points');
  clear.addEventListener('click', () => confirm('Delete every automation point?') && ctx.conn.send('/automation/clear'));
  all.append(clear);
  const pick = el('select');
  for (let n = 1; n <= ctx.table.counts.n; n++) pick.append(new Option('Ch ' + n + ' ' + (ctx.store.get(`/ch/${n}/name`) || ''), String(n)));
  for (let a = 1; a <= ctx.table.counts.a; a++) pick.append(new Option('Bus ' + a, 'bus' + a));
  pick.append(new Option('Master', 'master'), new Option('Monitor', 'mon'));
  pick.value = which;
  pick.addEventListener('change', () => (location.hash = '#auto/' + pick.value));
  top.append(st, all, pick);
  root.append(top);
  const status = (a) => (st.textContent = `transport ${a[0]} at frame ${a[1]} · ${a[2]} lanes, ${a[3]} points, ${a[4]} recording`);
  const offs = [ctx.conn.on('/automation/status', status)];
  ctx.conn.onOpen(() => ctx.conn.send('/automation/status'), true);
  const t = setInterval(() => ctx.conn.send('/automation/status'), 1000);
  let prefix, idx;
  if (/^\d+$/.test(which)) (prefix = '/ch/<n>/'), (idx = { n: +which });
  else if (which.startsWith('bus')) (prefix = '/bus/<a>/'), (idx = { a: +which.slice(3) });
  else (prefix = '/' + which + '/'), (idx = {});
  const lanes = el('section', 'card lanes');
  const rows = ctx.table.under(prefix, (p) => p.type !== 'meter' && p.type !== 'string' && !/\/safe$/.test(p.path));
  for (const p of rows) {
    // the index beyond the page's own: band, bus of a send, DCA or mute group
    const dim = p.dims.find((d) => d !== 'n' && !(d === 'a' && prefix === '/bus/<a>/'));
    const count = dim ? ctx.table.counts[dim] || 0 : 1;
    for (let k = 1; k <= count; k++) {
      const id = { ...idx };
      if (dim) id[dim] = k;
      const base = Table.fill(p.baseTpl, id);
      const line = el('div', 'lane');
      line.append(el('span', 'lane-name', Table.fill(p.path, id)));
      const btns = MODES.map((m) => {
        const b = el('button', 'seg', m);
        b.addEventListener('click', () => ctx.conn.send(base + '/auto', [m]));
        line.append(b);
        return b;
      });
      const pts = el('span', 'label');
      line.append(pts);
      const show = (a) => {
        btns.forEach((b) => b.classList.toggle('on', b.textContent === a[0]));
        if (a.length > 1) pts.textContent = a[1] + ' pts';
      };
      offs.push(ctx.conn.on(base + '/auto', show));
      ctx.conn.onOpen(() => ctx.conn.send(base + '/auto'), true);
      lanes.append(line);
    }
  }
  root.append(lanes);
  return () => {
    clearInterval(t);
    offs.forEach((f) => f());
  };
}

// ---- status bar -----------------------------------------------------------

export function statusBar(ctx, bar) {
  const link = el('span', 'st link');
  const jack = el('span', 'st');
  const rate = el('span', 'st');
  const xr = el('span', 'st');
  const dsp = el('span', 'st');
  const rec = el('a', 'st rec-ind', '');
  rec.href = '#rec';
  bar.append(link, jack, rate, xr, dsp, rec);
  const showLink = () => {
    const c = ctx.conn;
    link.className = 'st link ' + c.state;
    if (c.state === 'open') link.textContent = '● connected';
    else if (c.state === 'connecting') link.textContent = '○ connecting…';
    else link.textContent = '○ reconnecting in ' + Math.max(0, Math.ceil((c.retryAt - performance.now()) / 1000)) + ' s (try ' + c.attempt + ')';
    document.body.classList.toggle('offline', c.state !== 'open');
  };
  ctx.conn.onState(showLink);
  setInterval(() => ctx.conn.state === 'retry' && showLink(), 500);
  ctx.conn.on('/engine/status', (a) => {
    const [state, sr, period, xruns, late, dspMax] = a;
    jack.textContent = 'JACK ' + state;
    jack.className = 'st ' + (state === 'running' ? 'ok' : 'bad');
    rate.textContent = sr / 1000 + ' kHz · ' + period;
    xr.textContent = 'xruns ' + xruns + (late ? ' · late ' + late : '');
    xr.className = 'st' + (Number(xruns) > 0 ? ' warn' : '');
    dsp.textContent = 'DSP ' + Number(dspMax).toFixed(0) + '%';
    dsp.className = 'st' + (dspMax > 80 ? ' bad' : dspMax > 50 ? ' warn' : '');
  });
  ctx.store.on('/record/status', (a) => {
    const r = recordStatus(a);
    rec.textContent = r.active ? '● REC ' + fmtTime(r.seconds || 0) : '';
    rec.className = 'st rec-ind' + (r.active ? ' on' : '');
  });
  setInterval(() => ctx.conn.open && ctx.conn.send('/engine/status'), 2000);
}
