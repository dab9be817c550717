// params.js: the parameter table from /api/params, tapers, formatting, and
// the value store every widget reads.
//
// The table is the daemon's (the one --dump-osc prints), so a parameter
// added there appears in the detail views without page code.  Accepted JSON
// (field names tolerant of the obvious variants):
//   {"channels":8, "buses":2, "bands":4,
//    "params":[{"path":"/ch/<n>/fader/db", "npath":"/ch/<n>/fader",
//               "type":"float", "unit":"dB", "min":-90, "max":10,
//               "taper":"fader", "default":0, "doc":"...",
//               "enum":["peak","lshelf","hshelf"], "dims":["n"]}, ...]}
// A bare array of parameters is accepted too; "range":"a..b" or [a,b] for
// min/max; "-" or null for no normalised path.

export const DB_OFF = -90;

// The Behringer X32 four-segment fader law, exactly as src/dsp/dsp.h's
// dsp_fader_to_db / dsp_db_to_fader.
export function faderToDb(f) {
  if (f <= 0) return DB_OFF;
  if (f >= 1) return 10;
  if (f >= 0.5) return 40 * f - 30;
  if (f >= 0.25) return 80 * f - 50;
  if (f >= 0.0625) return 160 * f - 70;
  return 480 * f - 90;
}
export function dbToFader(db) {
  if (db <= DB_OFF) return 0;
  if (db >= 10) return 1;
  if (db >= -10) return (db + 30) / 40;
  if (db >= -30) return (db + 50) / 80;
  if (db >= -60) return (db + 70) / 160;
  return (db + 90) / 480;
}

const clamp01 = (x) => Math.min(1, Math.max(0, x));

export function toNorm(p, v) {
  if (p.type === 'bool') return v ? 1 : 0;
  if (p.taper === 'fader') return dbToFader(v);
  if (p.max === p.min) return 0;
  if (p.taper === 'log' && p.min > 0) return clamp01(Math.log(v / p.min) / Math.log(p.max / p.min));
  return clamp01((v - p.min) / (p.max - p.min));
}
export function fromNorm(p, x) {
  x = clamp01(x);
  if (p.taper === 'fader') return faderToDb(x);
  if (p.taper === 'log' && p.min > 0) return p.min * Math.pow(p.max / p.min, x);
  return p.min + x * (p.max - p.min);
}

// A value in its unit, short enough for a strip.
export function format(p, v) {
  if (v === undefined || v === null) return '–';
  if (p.type === 'bool') return v ? 'on' : 'off';
  if (p.type === 'enum') return typeof v === 'number' ? (p.enums[v] ?? String(v)) : String(v);
  if (p.type === 'string') return v;
  const u = p.unit && p.unit !== '-' ? p.unit : '';
  if (u.startsWith('dB') && p.taper === 'fader' && v <= DB_OFF) return '-∞';
  if (u === 'Hz') return v >= 1000 ? (v / 1000).toFixed(v >= 10000 ? 1 : 2) + ' kHz' : v.toFixed(0) + ' Hz';
  if (u === 'ms') return (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)) + ' ms';
  if (u.startsWith('dB') || u === 'LUFS' || u === 'LU') return (v > 0 ? '+' : '') + v.toFixed(1) + ' ' + u;
  if (/pan$/.test(p.path)) return panText(v);
  if (/ratio$/.test(p.path)) return v.toFixed(1) + ':1';
  return v.toFixed(2) + (u ? ' ' + u : '');
}
export function panText(v) {
  const d = Math.round((v - 0.5) * 200);
  return d === 0 ? 'C' : d < 0 ? 'L' + -d : 'R' + d;
}

function num(x, dflt) {
  const v = typeof x === 'string' ? parseFloat(x) : x;
  return Number.isFinite(v) ? v : dflt;
}

// Normalise one row of the JSON into {path, norm, type, unit, min, max,
// taper, defs, doc, enums, dims, re, normRe}.
function row(r) {
  const p = {};
  p.path = r.path;
  let norm = r.npath ?? r.norm ?? r.normalised ?? r.normalized ?? r.norm_path ?? null;
  p.norm = norm && norm !== '-' ? norm : null;
  p.type = r.type || 'float';
  p.unit = r.unit && r.unit !== '-' ? r.unit : '';
  let min = r.min,
    max = r.max;
  let range = r.range;
  if (typeof range === 'string' && range.includes('..')) [min, max] = range.split('..');
  else if (Array.isArray(range)) [min, max] = range;
  else if (range && typeof range === 'object') ({ min, max } = range);
  p.min = num(min, 0);
  p.max = num(max, 1);
  p.taper = r.taper && r.taper !== '-' ? r.taper : 'lin';
  p.enums = r.enum || r.enums || r.names || r.enum_names || (p.type === 'enum' && r.unit ? r.unit.split('|') : []);
  if (p.type === 'enum') p.unit = '';
  const d = r.default ?? r.def;
  p.defs = Array.isArray(d) ? d : typeof d === 'string' && d.includes(',') ? d.split(',') : [d];
  p.defs = p.defs.map((x) => (p.type === 'enum' || p.type === 'string' ? x : num(x, 0)));
  p.doc = r.doc || '';
  p.dims = (p.path.match(/<[a-z]+>/g) || []).map((s) => s.slice(1, -1));
  const toRe = (t) => new RegExp('^' + t.replace(/<[a-z]+>/g, '0*([0-9]+)') + '$');
  p.re = toRe(p.path);
  p.normRe = p.norm && p.norm !== p.path ? toRe(p.norm) : null;
  // The base of its helper addresses (<base>/auto, /touch, /stop): the unit
  // path without its unit where the normalised path is exactly that.
  const cut = p.path.replace(/\/[^/]+$/, '');
  p.baseTpl = p.norm && p.norm === cut ? p.norm : p.path;
  return p;
}

export class Table {
  constructor(json) {
    const rows = Array.isArray(json) ? json : json.params || json.parameters || [];
    this.params = rows.filter((r) => r && r.path).map(row);
    // <d> DCA groups and <g> mute groups: fixed counts, sent with the table
    this.counts = { n: num(json.channels, 0), a: num(json.buses, 0), b: num(json.bands, 4), d: num(json.dcas, 8), g: num(json.mutegroups, 6) };
    const dims = json.dims || json.dimensions;
    if (dims && typeof dims === 'object' && !Array.isArray(dims)) for (const k in dims) this.counts[k] = num(dims[k], this.counts[k]);
    this.byPath = new Map(this.params.map((p) => [p.path, p]));
    this.cache = new Map();
  }
  get(tpl) {
    return this.byPath.get(tpl);
  }
  // The concrete address of a template for indices {n:3, b:1}.
  static fill(tpl, idx) {
    return tpl.replace(/<([a-z]+)>/g, (_, k) => String(idx[k]));
  }
  // What a concrete address is: {p, unit (concrete unit path), form} where
  // form is 'unit', 'norm', 'text', or a helper suffix ('auto', 'touch');
  // null for addresses the table does not describe (commands).
  resolve(addr) {
    let r = this.cache.get(addr);
    if (r !== undefined) return r;
    r = null;
    for (const p of this.params) {
      let m = p.re.exec(addr);
      if (m) {
        r = { p, unit: addr, form: 'unit', idx: this.idxOf(p, m) };
        break;
      }
      if (p.normRe && (m = p.normRe.exec(addr))) {
        const idx = this.idxOf(p, m);
        r = { p, unit: Table.fill(p.path, idx), form: 'norm', idx };
        break;
      }
    }
    if (this.cache.size < 20000) this.cache.set(addr, r);
    return r;
  }
  idxOf(p, m) {
    const idx = {};
    p.dims.forEach((k, i) => (idx[k] = parseInt(m[i + 1], 10)));
    return idx;
  }
  // Templates under a prefix such as '/ch/<n>/', in table order.
  under(prefix, filter = () => true) {
    return this.params.filter((p) => p.path.startsWith(prefix) && filter(p));
  }
  defaultOf(p, idx) {
    const b = idx.b ?? 1;
    return p.defs.length > 1 ? p.defs[Math.min(b, p.defs.length) - 1] : p.defs[0];
  }
}

// Values by concrete unit address, and raw values of everything else the
// daemon sends (commands' replies, /auto modes, meters).  Listeners run
// synchronously; meters have none: the animation loop reads them.
export class Store {
  constructor() {
    this.values = new Map();
    this.listeners = new Map();
    this.meters = new Map(); // address -> {v: [numbers], t: ms}
    this.scope = null; // the current view's listeners, removed when it goes
  }
  get(addr) {
    return this.values.get(addr);
  }
  set(addr, v) {
    this.values.set(addr, v);
    const ls = this.listeners.get(addr);
    if (ls) for (const fn of ls) fn(v, addr);
  }
  on(addr, fn) {
    let ls = this.listeners.get(addr);
    if (!ls) this.listeners.set(addr, (ls = new Set()));
    ls.add(fn);
    const off = () => ls.delete(fn);
    if (this.scope) this.scope.push(off);
    if (this.values.has(addr)) fn(this.values.get(addr), addr);
    return off;
  }
  meter(addr, v) {
    this.meters.set(addr, { v, t: performance.now() });
  }
}
