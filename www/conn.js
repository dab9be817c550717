// conn.js: the WebSocket to the daemon (/ws on the page's own host), one OSC
// packet per binary message both ways.  Reconnects by itself with a growing
// delay (0.5 s .. 5 s) and reports its state; a socket that stops answering
// /ping for 6 s is dropped and reopened.  Outgoing values are coalesced per
// address and sent once per animation frame, in one bundle (the daemon
// applies a bundle in one audio period), so a drag at 120 Hz pointer rate
// never asks more of the daemon than the display shows.

import { encodeMessage, encodeBundle, decodePacket, forEachMessage, int } from './osc.js';

export class Conn {
  constructor({ key = '' } = {}) {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    this.url = proto + '//' + location.host + '/ws' + (key ? '?key=' + encodeURIComponent(key) : '');
    this.ws = null;
    this.state = 'idle'; // connecting, open, retry
    this.attempt = 0;
    this.retryAt = 0;
    this.handlers = new Map(); // address -> Set(fn)
    this.any = new Set(); // fn(msg) for every message
    this.stateFns = new Set();
    this.openFns = new Set();
    this.outbox = new Map(); // address -> args, coalesced until the next frame
    this.lastPong = 0;
    this.flushQueued = false;
    this.scope = null; // the current view's handlers, removed when it goes
    setInterval(() => this.keepAlive(), 2000);
  }
  onState(fn) {
    this.stateFns.add(fn);
    fn(this);
  }
  // fn runs on every (re)connection; with now, also at once if open.  A
  // view's registrations end with the view (scope).
  onOpen(fn, now = false) {
    this.openFns.add(fn);
    const off = () => this.openFns.delete(fn);
    if (this.scope) this.scope.push(off);
    if (now && this.open) fn();
    return off;
  }
  setState(s) {
    this.state = s;
    for (const fn of this.stateFns) fn(this);
  }
  connect() {
    if (this.ws) return;
    this.setState('connecting');
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (e) {
      this.retry();
      return;
    }
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.lastPong = performance.now();
      this.setState('open');
      for (const fn of this.openFns) fn();
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data === 'string') return; // the daemon speaks OSC only
      let pkt;
      try {
        pkt = decodePacket(ev.data);
      } catch (e) {
        console.warn('jackmixd: dropped a malformed packet', e);
        return;
      }
      forEachMessage(pkt, (m) => this.dispatch(m));
    };
    ws.onclose = () => {
      if (this.ws === ws) {
        this.ws = null;
        this.retry();
      }
    };
    ws.onerror = () => ws.close();
  }
  retry() {
    this.attempt++;
    const delay = Math.min(5000, 500 * Math.pow(1.6, this.attempt - 1));
    this.retryAt = performance.now() + delay;
    this.setState('retry');
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }
  keepAlive() {
    if (this.state !== 'open') return;
    if (performance.now() - this.lastPong > 6000) {
      const ws = this.ws;
      this.ws = null;
      ws.close();
      this.retry();
      return;
    }
    this.send('/ping');
  }
  dispatch(m) {
    this.lastPong = performance.now(); // any message proves the link
    for (const fn of this.any) fn(m);
    const hs = this.handlers.get(m.address);
    if (hs) for (const fn of hs) fn(m.args, m);
  }
  on(address, fn) {
    let hs = this.handlers.get(address);
    if (!hs) this.handlers.set(address, (hs = new Set()));
    hs.add(fn);
    const off = () => hs.delete(fn);
    if (this.scope) this.scope.push(off);
    return off;
  }
  get open() {
    return this.state === 'open' && this.ws && this.ws.readyState === 1;
  }
  // Send at once (commands, touch, queries): the pending values first, so
  // the order the user made them in holds.
  send(address, args = []) {
    if (!this.open) return false;
    this.flush();
    this.ws.send(encodeMessage(address, args));
    return true;
  }
  // A value: the newest per address goes out at the next animation frame.
  set(address, args) {
    this.outbox.delete(address); // keep the order of last changes
    this.outbox.set(address, args);
    if (!this.flushQueued) {
      this.flushQueued = true;
      requestAnimationFrame(() => this.flush());
    }
  }
  flush() {
    this.flushQueued = false;
    if (!this.outbox.size || !this.open) return;
    const msgs = [...this.outbox].map(([address, args]) => ({ address, args }));
    this.outbox.clear();
    this.ws.send(msgs.length === 1 ? encodeMessage(msgs[0].address, msgs[0].args) : encodeBundle(msgs));
  }
  // Ask and collect: send address with args, gather every reply on
  // replyAddr until doneAddr arrives (or one reply if doneAddr is null),
  // resolve with the list of argument lists.  Times out after ms.
  request(address, args = [], replyAddr = address, doneAddr = null, ms = 3000) {
    return new Promise((resolve, reject) => {
      const rows = [];
      let offR, offD;
      const end = (ok) => {
        clearTimeout(timer);
        offR && offR();
        offD && offD();
        ok ? resolve(rows) : reject(new Error('no reply to ' + address));
      };
      const timer = setTimeout(() => end(rows.length > 0 && !doneAddr), ms);
      offR = this.on(replyAddr, (a) => {
        rows.push(a);
        if (!doneAddr) end(true);
      });
      if (doneAddr) offD = this.on(doneAddr, () => end(true));
      if (!this.send(address, args)) end(false);
    });
  }
}

export { int };
