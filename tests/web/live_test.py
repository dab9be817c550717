"""live_test.py - the web app in headless chromium under Selenium
(browser.py) against a REAL daemon (jackmixd --http on a private jackd,
started by tests/web-live.sh), every value read back over UDP OSC with
jackmixctl, never from the page alone:
  1. faders dragged with the mouse (plain, shift = fine, double-click) and
     one finger (a WebDriver "touch" pointer) land where the X32 law puts
     them (browser.py's x32_db of the pixels really moved), and the daemon
     says so over UDP;
  2. a value set over UDP shows on the page within 200 ms (measured from
     just before the datagram leaves to the DOM change, and to the frame
     after it);
  2b. the compressor curve on a channel's page is the daemon's
     /ch/<n>/dyn/curve reply, on the soft-knee law, and a change over UDP
     redraws it;
  3. the patchbay: tapping tone:out_1 then <client>:in_1 connects them
     (jack_lsp -c), which feeds channel 1 a -12 dBFS tone: its meter on
     the page lights to the fader-law height of -12 dBFS, channel 2's
     stays dark; tapping again disconnects, and the meter goes dark;
  4. a musician's page (?key=<bus1 key>&bus=1) moves bus 1's sends, shows
     bus 1's own fader without letting it move, provokes no /error by
     itself, and a forged message from its own socket to another bus, a
     fader, a command or a bundle holding one gets /error and changes
     nothing (over UDP);
  5. the daemon restarts (web-live.sh does it when asked through
     $TMP/restart.req): the status bar shows "reconnecting", then
     "connected", and the page shows the new daemon's values (resync).
Then, given SHOTDIR and shoot.py's specs ({key} = the musician key), it
asks web-live.sh to set the stage (TMPDIR/shots.req; shots.go when set)
and takes the screenshots in the same browser.
It starts the browser at once, then waits for TMPDIR/ready: web-live.sh
writes bus 1's musician key there when the daemon and the tone are up.
Usage: /usr/bin/python3 live_test.py BASE_URL OSC_PORT CLIENT TMPDIR [SHOTDIR SPEC...]
  env JACKMIXCTL (path), JACK_DEFAULT_SERVER (the private server);
  JMX_WEB_TRACE=1 adds each check's time since the start (where it goes).
Prints "ok: ..." or "FAIL: ..." per check and the measured figures;
exit status 1 if any check failed."""
import json
import math
import os
import socket
import subprocess
import sys
import time
import urllib.parse

from browser import Browser, cap_y, fader, tenth, until, x32_db, x32_norm
from shoot import shoot

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from oscpack import osc  # noqa: E402

base, osc_port, client, tmp = sys.argv[1:5]
shotdir, specs = (sys.argv[5], sys.argv[6:]) if len(sys.argv) > 5 else (None, [])
ctl = os.environ.get("JACKMIXCTL", "jackmixctl")
failed = 0
T0 = time.monotonic()


def check(ok, what):
    global failed
    print(("ok: " if ok else "FAIL: ") + what + (" [%.1f s]" % (time.monotonic() - T0) if os.environ.get("JMX_WEB_TRACE") else ""), flush=True)
    if not ok:
        failed += 1
    return ok


def note(s):
    print("  " + s, flush=True)


def get(addr):
    """The daemon's value over UDP: jackmixctl get prints "PATH VALUE"."""
    try:
        out = subprocess.run([ctl, "-p", osc_port, "-t", "1", "get", addr], capture_output=True, text=True, timeout=10).stdout
        return float(out.split()[-1])
    except (ValueError, IndexError, subprocess.SubprocessError):
        return math.nan


def set_(addr, v):
    subprocess.run([ctl, "-p", osc_port, "set", addr, str(v)], capture_output=True, timeout=10)


def near(x, want, tol=0.05):
    return math.isfinite(x) and abs(x - want) <= tol


def settled(addr, want, tol=0.05, ms=2000):
    """The daemon's value of addr once it is near want (or after ms): a
    drag's last value needs a moment to go round; asking until it is there
    saves a fixed wait, and a value that never gets there is still seen."""
    v = [math.nan]

    def there():
        v[0] = get(addr)
        return near(v[0], want, tol)

    until(there, ms, 0.02)
    return v[0]


def connected(frm, to):
    """jack_lsp -c: port lines, each followed by its peers indented."""
    try:
        lines = subprocess.run(["timeout", "10", "jack_lsp", "-c"], capture_output=True, text=True).stdout.split("\n")
    except OSError:
        return False
    if frm not in lines:
        return False
    k = lines.index(frm)
    for line in lines[k + 1:]:
        if not line[:1].isspace():
            break
        if line.strip() == to:
            return True
    return False


b = Browser()


def page(url, w=1180, h=820, touch=False, shows=None):
    """Load url; true when the socket is open and the strips are there.
    Then the /dump fills them: until the channel readouts start with
    `shows` (None: any; at most 3 s, the caller checks what they show),
    or 0.6 s."""
    b.size(w, h, touch)
    b.go(url)
    up = until(lambda: b.js("!!(window.jackmixd && jackmixd.conn.open && document.querySelector('.strip .fader-read'))"), 8000, 0.1)
    if shows:
        until(lambda: all(w is None or w == r for w, r in zip(shows, readouts() + [None] * len(shows))), 3000, 0.05)
    else:
        time.sleep(0.6)
    return up


def readouts():
    return b.js("[...document.querySelectorAll('.strip.ch')].map((s) => s.querySelector('.fader-read').textContent)")


def connected_page():
    return until(lambda: b.js("!!(window.jackmixd && jackmixd.conn.open)"), 5000, 0.1)


try:
    ready = os.path.join(tmp, "ready")
    if not until(lambda: os.path.exists(ready), 60000, 0.05):
        raise SystemExit("FAIL: web-live.sh did not say the daemon is up (%s)" % ready)
    with open(ready) as f:
        mus_key = f.read().strip()

    # ---- 1. drags, read back over UDP ------------------------------------
    # Expected values from the X32 law (man page: 0.25 = -30 dB, 0.5 =
    # -10 dB, 0.75 = 0 dB, linear in dB between) and the whole pixels a
    # WebDriver action moves: channel 3 starts at -8.5 dB = 0.5375; a drag
    # up by a tenth of the throw (d = round(0.1 throw) / throw) makes
    # 0.5375 + d, near -4.5 dB; the same with shift (a tenth of that)
    # near -4.1 dB; a double-click 0 dB.  Channel 4, -12 dB = 0.475, by a
    # tenth with one finger: near -7.0 dB.  Channel 2 at -20 dB = 0.375
    # by a tenth downwards: near -28.0 dB (the law's lower segment).
    set_("/ch/3/fader/db", -8.5)
    set_("/ch/4/fader/db", -12)
    set_("/ch/2/fader/db", -20)
    check(page(base + "/#mixer", shows=[None, "-20.0 dB", "-8.5 dB", "-12.0 dB"]), "the page loads and connects to the daemon")
    r = readouts()
    check(r[1:4] == ["-20.0 dB", "-8.5 dB", "-12.0 dB"], "the strips show the daemon values (%s)" % ", ".join(r[1:4]))
    g3 = fader(b, ".strip.ch", 2)
    px, d = tenth(g3)
    n0 = x32_norm(-8.5)
    b.drag(g3["x"], cap_y(g3, n0), px, settle=0)
    want = x32_db(n0 + d)
    v = settled("/ch/3/fader/db", want)
    check(near(v, want), "mouse drag by a tenth (%d px of %.1f): the daemon has /ch/3/fader/db %s, want %.3f" % (px, g3["throw"], v, want))
    v = get("/ch/3/fader")
    check(near(v, n0 + d, 0.001), "and /ch/3/fader %s, want %.4f" % (v, n0 + d))
    n1 = n0 + d
    b.drag(g3["x"], cap_y(g3, n1), px, shift=True, settle=0)
    n2 = n1 + d / 10
    want = x32_db(n2)
    v = settled("/ch/3/fader/db", want)
    check(near(v, want), "fine (shift) drag: %s, want %.3f" % (v, want))
    b.double_click(g3["x"], cap_y(g3, n2), settle=0)
    v = settled("/ch/3/fader/db", 0, 0.001)
    check(near(v, 0, 0.001), "double-click: %s, want 0" % v)
    g2 = fader(b, ".strip.ch", 1)
    n = x32_norm(-20)
    b.drag(g2["x"], cap_y(g2, n), -px, settle=0)
    want = x32_db(n - d)
    v = settled("/ch/2/fader/db", want)
    check(near(v, want), "drag down by a tenth from -20 dB: %s, want %.3f" % (v, want))
    b.touch_screen(True)
    g4 = fader(b, ".strip.ch", 3)
    px4, d4 = tenth(g4)
    n = x32_norm(-12)
    b.drag(g4["x"], cap_y(g4, n), px4, kind="touch", settle=0)
    want = x32_db(n + d4)
    v = settled("/ch/4/fader/db", want)
    b.touch_screen(False)
    check(near(v, want), "one-finger drag by a tenth: %s, want %.3f" % (v, want))
    b.apart()  # 400 ms after the last release, for a late /error to show
    errs0 = b.js("document.querySelectorAll('.toast').length")
    check(errs0 == 0, "no /error toast from the drags and their touch messages (%d)" % errs0)

    # ---- 2. UDP -> page ----------------------------------------------------
    # Ten values on channel 1, each sent from here with a timestamp; the
    # page notes when the readout's text changes (MutationObserver) and the
    # next animation frame after it.  Same machine, same wall clock.
    b.js("""(() => {
      const read = document.querySelectorAll('.strip.ch')[0].querySelector('.fader-read');
      window.__seen = [];
      new MutationObserver(() => { const t = Date.now(), s = read.textContent;
        requestAnimationFrame(() => window.__seen.push([s, t, Date.now()])); }).observe(read, { childList: true, characterData: true, subtree: true });
      return true; })()""")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    lat, lat_frame = [], []
    for k in range(10):
        db = -(k * 3 + 1.5)  # -1.5, -4.5, ... -28.5: each one new
        want = "%.1f dB" % db
        time.sleep((150 + (k * 37) % 60) / 1000)  # not in step with the daemon's tick
        t0 = math.floor(time.time() * 1000)  # as the page's Date.now()
        sock.sendto(osc("/ch/1/fader/db", float(db)), ("127.0.0.1", int(osc_port)))
        hit = until(lambda: b.js("(window.__seen.find((x) => x[0] === %s) || null)" % json.dumps(want)), 2000, 0.01)
        if not hit:
            lat.append(math.inf)
            lat_frame.append(math.inf)
            continue
        lat.append(hit[1] - t0)
        lat_frame.append(hit[2] - t0)
    sock.close()

    def stats(a):
        s = sorted(a)
        return s[0], s[len(s) >> 1], s[-1]

    L, F = stats(lat), stats(lat_frame)
    note("UDP -> page readout: min %.0f ms, median %.0f ms, max %.0f ms (10 values)" % L)
    note("UDP -> next frame after it: min %.0f ms, median %.0f ms, max %.0f ms" % F)
    check(L[2] < 200 and F[2] < 200, "a value set over UDP shows on the page within 200 ms (max %.0f ms, %.0f ms to the frame)" % (L[2], F[2]))
    check(L[0] >= 0, "latency clocks agree (min %.0f ms >= 0)" % L[0])

    # ---- 2b. the compressor curve is the daemon's ---------------------------
    # Channel 5's compressor set over UDP; its detail page must draw what
    # /ch/5/dyn/curve replies (the canvas keeps the points it drew), which
    # must be the soft-knee law of Giannoulis, Massberg and Reiss (2012)
    # worked out here: below T - W/2 out = x, above T + W/2 out = T + (x -
    # T) / R, between x + (1/R - 1)(x - T + W/2)^2 / (2W); plus make-up M.
    # Then a new ratio over UDP must redraw it.
    def law(x, T, R, W, M):
        if 2 * (x - T) < -W:
            y = x
        elif 2 * abs(x - T) <= W:
            y = x + (1 / R - 1) * (x - T + W / 2) ** 2 / (2 * W)
        else:
            y = T + (x - T) / R
        return y + M

    def curve_ok(R):
        top = law(0, -30, R, 6, 6)
        pts = until(
            lambda: b.js(
                "(() => { const c = document.querySelector('.curve.small'); const p = c && c.__pts;"
                " return p && Math.abs(p[p.length - 1][1] - (%r)) < 0.05 ? p : null; })()" % top
            ),
            3000,
            0.05,
        )
        if not pts:
            return "no curve with ratio %g on the page" % R
        worst = max(abs(y - law(x, -30, R, 6, 6)) for x, y in pts)
        if len(pts) == 81 and pts[0][0] == -80 and pts[80][0] == 0 and worst < 0.01:
            return ""
        return "points %d, worst %.4f dB" % (len(pts), worst)

    set_("/ch/5/dyn/on", 1)
    set_("/ch/5/dyn/thr/db", -30)
    set_("/ch/5/dyn/ratio", 4)
    set_("/ch/5/dyn/knee/db", 6)
    set_("/ch/5/dyn/makeup/db", 6)
    b.js("location.hash = '#ch/5'")
    why = curve_ok(4)
    check(not why, "channel 5's compressor curve on the page is the daemon's reply, on the law (T -30, R 4, W 6, M +6) " + why)
    set_("/ch/5/dyn/ratio", 2)
    why = curve_ok(2)
    check(not why, "a ratio of 2 set over UDP redraws it from a new reply " + why)
    b.js("location.hash = '#mixer'")
    until(lambda: b.js("!!document.querySelector('.strip.ch .fader-read')"), 3000, 0.05)
    time.sleep(0.3)

    # ---- 3. patchbay, then meters -----------------------------------------
    tone, in1 = "tone:out_1", client + ":in_1"
    check(not connected(tone, in1), "before: %s is not connected to %s" % (tone, in1))
    b.go(base + "/#patch")

    def port(name):
        return "[...document.querySelectorAll('button.port')].find((b) => b.title === %s)" % json.dumps(name)

    have_ports = until(lambda: b.js("!!(%s && %s)" % (port(tone), port(in1))), 6000, 0.1)
    check(have_ports, "the patchbay lists %s and %s" % (tone, in1))

    def tap_port(name):
        xy = b.js("(() => { const r = %s.getBoundingClientRect(); return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()" % port(name))
        b.click(xy["x"], xy["y"])
        time.sleep(0.15)

    if have_ports:
        tap_port(tone)
        tap_port(in1)
    patched = until(lambda: connected(tone, in1), 3000, 0.1)
    check(patched, "tap %s, tap %s: jack_lsp -c shows them connected" % (tone, in1))
    listed = until(lambda: b.js("[...document.querySelectorAll('.conn-row')].some((r) => r.textContent.includes(%s))" % json.dumps(tone + " → " + in1)), 3000, 0.1)
    check(listed, "and the patchbay lists the connection")
    if not patched:  # so the meter checks still mean something
        subprocess.run(["timeout", "10", "jack_connect", tone, in1])

    # Meters: the tone is -12 dBFS at 1 kHz, channel 1's fader at 0 dB.  The
    # level meter is drawn on the fader law: lit to dbToFader(-12) = 0.475
    # of its height (peak, shaded) with a hold line there; channel 2 has no
    # input and stays dark.
    set_("/ch/1/fader/db", 0)
    b.go(base + "/#mixer")
    connected_page()
    time.sleep(1.5)

    def lit(i):
        """The fraction of a meter canvas's middle column that is not background."""
        return b.js("""(() => { const c = document.querySelectorAll('.strip.ch')[%d].querySelector('.meter.level canvas');
          const g = c.getContext('2d'), x = c.width >> 1, d = g.getImageData(x, 0, 1, c.height).data; let n = 0;
          for (let y = 0; y < c.height; y++) { const p = 4 * y; if (d[p] + d[p + 1] + d[p + 2] > 3 * 0x11 + 30) n++; }
          return n / c.height; })()""" % i)

    l1, l2 = lit(0), lit(1)
    note("meter canvas lit: channel 1 %.3f, channel 2 %.3f (the law puts -12 dBFS at %.3f)" % (l1, l2, x32_norm(-12)))
    check(abs(l1 - x32_norm(-12)) < 0.04, "channel 1 meter moves with the tone: lit %.3f of its height, want 0.475 +- 0.04" % l1)
    check(l2 < 0.01, "channel 2 meter (no input) stays dark: %.3f" % l2)
    # disconnect from the patchbay: tap the same two ports again
    b.go(base + "/#patch")
    until(lambda: b.js("!!(%s && document.querySelector('.conn-row'))" % port(tone)), 6000, 0.1)
    tap_port(tone)
    tap_port(in1)
    unpatched = until(lambda: not connected(tone, in1), 3000, 0.1)
    check(unpatched, "tapping them again disconnects them (jack_lsp -c)")
    if not unpatched:
        subprocess.run(["timeout", "10", "jack_disconnect", tone, in1])
    b.go(base + "/#mixer")
    connected_page()
    # silence: the daemon's peak meter says so at once; its RMS reading
    # decays as its one-pole mean square (tau 0.3 s, src/dsp/mixer.c):
    # 10 log10(e) / 0.3 = 14.5 dB/s, and the page draws it.  Lit under
    # 0.01 of the height is below -85.2 dB on the X32 law (0.0625 = -60,
    # 0 = -90), so from -12 dBFS the meter is dark after (85.2 - 12) /
    # 14.5 = 5.1 s: 6 s allowed.
    quiet = until(lambda: b.js("(jackmixd.store.meters.get('/ch/1/meter') || {v: [0]}).v[0]") < -100, 2000, 0.05)
    check(quiet, "without the tone the daemon meters channel 1 as silence")
    dark = until(lambda: lit(0) < 0.01, 6000, 0.2)
    check(dark, "and its meter on the page goes dark (lit %.3f)" % lit(0))

    # ---- 4. a musician's page ---------------------------------------------
    # bus 1's key: the page shows bus 1's sends; the daemon refuses the rest
    set_("/ch/1/send/1/level/db", -10)
    set_("/ch/1/send/2/level/db", -10)
    set_("/ch/2/fader/db", -20)
    check(page(base + "/?key=" + urllib.parse.quote(mus_key, safe="") + "&bus=1", 390, 844, True, shows=["-10.0 dB"]), "the musician page connects")
    role = b.js("fetch('/api/info?key=' + encodeURIComponent(%s)).then((r) => r.json()).then((j) => j.role + ' ' + j.bus)" % json.dumps(mus_key))
    check(role == "musician 1", "/api/info with the key: %s" % role)
    check(b.js("document.querySelector('nav').hidden") is True, "no navigation on a musician page")
    # its faders are bus 1's sends: drag channel 1's by a tenth: -10 dB =
    # 0.5 -> 0.6 = -6.0 dB (by the pixels moved)
    b.touch_screen(False)
    gs = fader(b, ".strip.ch", 0)
    pxs, ds = tenth(gs)
    b.drag(gs["x"], cap_y(gs, 0.5), pxs, settle=0)
    sends = x32_db(0.5 + ds)
    v = settled("/ch/1/send/1/level/db", sends)
    check(near(v, sends), "the musician drags channel 1 into bus 1: /ch/1/send/1/level/db %s, want %.3f" % (v, sends))
    # its bus's own fader is shown but display-only: the key may not move it
    set_("/bus/1/fader/db", -5)
    gb = fader(b, ".fixed .strip.bus", 0)
    b.drag(gb["x"], cap_y(gb, x32_norm(-5)), tenth(gb)[0])
    v = get("/bus/1/fader/db")
    check(near(v, -5, 0.001), "the bus fader on a musician page does not move: /bus/1/fader/db %s, want -5" % v)
    # everything the page itself sent (resync, status, the drags) allowed
    toasts = b.js("[...document.querySelectorAll('.toast')].map((t) => t.textContent)")
    check(not toasts, "the musician page provoked no /error by itself (%s)" % "; ".join(toasts))
    # forged messages from the page's own socket
    b.js("""(async () => {
      const o = await import('/osc.js');
      window.__errors = [];
      jackmixd.conn.on('/error', (a) => window.__errors.push(a.join(' ')));
      const ws = jackmixd.conn.ws;
      ws.send(o.encodeMessage('/ch/1/send/2/level/db', [0]));
      ws.send(o.encodeMessage('/ch/2/fader/db', [0]));
      ws.send(o.encodeBundle([{ address: '/ch/1/send/1/level/db', args: [-3] }, { address: '/ch/1/send/2/level/db', args: [-3] }]));
      ws.send(o.encodeMessage('/snapshot/save', ['forged']));
      return true;
    })()""")
    time.sleep(0.5)
    errors = b.js("window.__errors")
    note("/error replies to the forged messages: " + json.dumps(errors))
    check(len(errors) == 4, "each of the 4 forged messages gets /error (%d)" % len(errors))
    v = get("/ch/1/send/2/level/db")
    check(near(v, -10, 0.001), "another bus unchanged over UDP: /ch/1/send/2/level/db %s, want -10" % v)
    v = get("/ch/2/fader/db")
    check(near(v, -20, 0.001), "a channel fader unchanged: /ch/2/fader/db %s, want -20" % v)
    v = get("/ch/1/send/1/level/db")
    check(near(v, sends), "a bundle holding one refused message applies none of it: /ch/1/send/1/level/db %s, want %.3f" % (v, sends))

    # ---- 5. the daemon restarts ---------------------------------------------
    # The new daemon starts fresh (no state file): channel 2 at 0 dB where
    # this page showed -20 dB.  Only a resync can tell the page.
    # The app keeps ?key= in localStorage: forget the musician's, or this
    # page (and the screenshots after it) would still be bus 1's
    b.js("localStorage.removeItem('jmx.key')")
    check(page(base + "/#mixer", shows=[None, "-20.0 dB"]), "the engineer page again")
    r = readouts()
    check(r[1] == "-20.0 dB", "channel 2 shows -20.0 dB before the restart (%s)" % r[1])

    def link():
        return b.js("document.querySelector('#status .link').textContent")

    open(os.path.join(tmp, "restart.req"), "w").close()
    t0 = time.monotonic()
    retrying = until(lambda: "reconnecting" in link(), 8000, 0.05)
    check(retrying, 'daemon gone: the status bar shows "%s"' % link())
    check(b.js("document.body.classList.contains('offline')") is True, "and the page is marked offline")
    back = until(lambda: os.path.exists(os.path.join(tmp, "restart.done")), 30000, 0.1)
    check(back, "web-live.sh restarted the daemon")
    t1 = time.monotonic()
    up = until(lambda: "connected" in link() and "reconnect" not in link(), 10000, 0.05)
    t2 = time.monotonic()
    note("restart: daemon back %.1f s after the request; page connected %.1f s later" % (t1 - t0, t2 - t1))
    check(up, 'the page reconnects by itself: "%s"' % link())
    resynced = until(lambda: readouts()[1] == "0.0 dB", 3000, 0.05)
    r = readouts()
    check(resynced, "and resyncs: channel 2 shows the new daemon value 0.0 dB (%s)" % r[1])
    ex = b.errors()
    check(not ex, "no exception in the page (%s)" % "; ".join(ex))

    # ---- screenshots --------------------------------------------------------
    if shotdir:
        open(os.path.join(tmp, "shots.req"), "w").close()
        staged = until(lambda: [f for f in ("shots.go", "shots.none") if os.path.exists(os.path.join(tmp, f))], 30000, 0.1)
        if check(staged == ["shots.go"], "web-live.sh set the stage for the screenshots (%s)" % staged):
            shoot(b, base, shotdir, [x.replace("{key}", mus_key) for x in specs])
            ex = b.errors()
            check(not ex, "no exception in the page while it was shot (%s)" % "; ".join(ex))
finally:
    b.close()
sys.exit(1 if failed else 0)
