"""shoot.py - screenshots of the web app at given sizes, in headless
chromium under Selenium (browser.py).

Usage: /usr/bin/python3 shoot.py BASE_URL OUTDIR name:WxH:hash[:ms] ...
  e.g. ... http://127.0.0.1:8089 /tmp/shots phone:390x844:#mixer desk:1440x900:#master:3000
Each page is /?shot=NAME followed by hash (which may also be "&key=..."),
taken ms (default 1500) after its socket opened (at most 8 s after it
loaded): long enough for the /dump, the first meters (peak and RMS rise
at once, the hold line with them) and the patchbay's port list.  A width
under 800 is a phone (mobile viewport, touch screen).  Exit status 1 if
the page threw."""
import os
import sys
import time

from browser import Browser, until


def shoot(b, base, outdir, specs):
    for s in specs:
        name, size, hash_, *ms = s.split(":")
        w, h = (int(x) for x in size.split("x"))
        b.size(w, h, touch=w < 800)
        b.go(base + "/?shot=" + name + hash_)
        until(lambda: b.js("!!(window.jackmixd && jackmixd.conn.open)"), 8000, 0.05)
        time.sleep(int(ms[0]) / 1000 if ms and ms[0] else 1.5)
        b.shot(os.path.join(outdir, name + ".png"))
        print("wrote " + name + ".png", flush=True)


if __name__ == "__main__":
    base, outdir, *specs = sys.argv[1:]
    b = Browser()
    try:
        shoot(b, base, outdir, specs)
        ex = b.errors()
    finally:
        b.close()
    sys.exit(1 if ex else 0)
