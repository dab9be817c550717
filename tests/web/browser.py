"""browser.py - headless chromium under Selenium (Debian 12's
python3-selenium and chromium-driver), for the web app's tests:
drag_test.py (against stub.py), live_test.py (against a real daemon) and
shoot.py (screenshots).  Real time, not virtual time: the WebSocket's
replies must really arrive.

Input goes through WebDriver actions, as a user's would: a "mouse" pointer
(with shift held by a key source for the fine mode) and a "touch" pointer
for a finger.  ChromeDriver hands actions whole pixels, so every helper
here takes and returns integer viewport coordinates and the tests work
out their expected values from the pixels they really moved.  The viewport
size is set with Emulation.setDeviceMetricsOverride (ChromeDriver's
execute_cdp_cmd): a window size would include the browser's frame, and
the screenshots must be exactly 390x844, 1180x820 and 1440x900.

Uncaught exceptions in the page come from ChromeDriver's browser log
(source "javascript"); console messages are printed as they are read.

Run with Debian's /usr/bin/python3: a python3 earlier on PATH (pyenv)
may lack selenium."""
import os
import shutil
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.actions import interaction
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.actions.pointer_input import PointerInput
from selenium.webdriver.common.keys import Keys

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")


def until(fn, ms, step=0.05):
    """fn() until it is true or ms have passed; returns its last value."""
    end = time.monotonic() + ms / 1000
    while True:
        v = fn()
        if v or time.monotonic() > end:
            return v
        time.sleep(step)


class Browser:
    def __init__(self):
        self.prof = tempfile.mkdtemp(prefix="jmx-chr-")
        o = webdriver.ChromeOptions()
        o.binary_location = CHROMIUM
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                  "--no-first-run", "--user-data-dir=" + self.prof):
            o.add_argument(a)
        o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        try:
            self.d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=o)
        except Exception:
            shutil.rmtree(self.prof, ignore_errors=True)
            raise
        self.exceptions = []
        self.last_up = 0.0

    def close(self):
        try:
            self.errors()
            self.d.quit()
        finally:
            shutil.rmtree(self.prof, ignore_errors=True)

    def errors(self):
        """Read the browser log: print console lines, keep exceptions;
        returns every exception seen so far."""
        try:
            log = self.d.get_log("browser")
        except Exception:
            return self.exceptions
        for e in log:
            if e.get("source") == "javascript":
                self.exceptions.append(e["message"])
                print("EXCEPTION: " + e["message"], flush=True)
            elif e.get("source") == "console-api":
                print("console: " + e["message"], flush=True)
        return self.exceptions

    def size(self, w, h, touch=False):
        """Viewport w x h CSS pixels at scale 1; a phone (w < 800) is a
        mobile viewport.  touch: the page sees a touch screen."""
        self.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": w, "height": h, "deviceScaleFactor": 1, "mobile": w < 800})
        self.touch_screen(touch)

    def touch_screen(self, on):
        self.d.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": bool(on)})

    def go(self, url):
        """Navigate; returns when the document has loaded."""
        self.d.get(url)

    def js(self, expr):
        """The value of a JavaScript expression (a promise is awaited)."""
        return self.d.execute_script("return (" + expr + ");")

    def shot(self, path):
        with open(path, "wb") as f:
            f.write(self.d.get_screenshot_as_png())

    # ---- pointer input --------------------------------------------------
    def apart(self):
        """A new gesture starts 400 ms after the last one ended: the app
        takes a press within 300 ms of a release for a double-tap."""
        time.sleep(max(0.0, self.last_up + 0.4 - time.monotonic()))

    def _mouse(self, shift=False):
        ab = ActionBuilder(self.d, duration=0)
        if shift:
            ab.key_action.key_down(Keys.SHIFT)
            ab.pointer_action.pause(0)  # keep the two sources in step
        return ab, ab.pointer_action

    def drag(self, x, y, dy, shift=False, steps=5, kind="mouse", settle=0.4):
        """Press at (x, y), move up by dy pixels in `steps` moves 20 ms
        apart, release; then settle seconds for the value to go round (0
        when the caller waits for it itself).  kind "touch" uses one
        finger; shift holds the shift key throughout."""
        x, y, dy = int(x), int(y), int(dy)
        self.apart()
        if kind == "touch":
            ab = ActionBuilder(self.d, mouse=PointerInput(interaction.POINTER_TOUCH, "finger"), duration=0)
            p = ab.pointer_action
        else:
            ab, p = self._mouse(shift)
        p.move_to_location(x, y)
        p.pointer_down()
        for k in range(1, steps + 1):
            p.move_to_location(x, y - round(dy * k / steps))
            p.pause(0.02)
        p.pointer_up()
        ab.perform()
        if shift:  # chromedriver keeps a key down across performs: release it
            up = ActionBuilder(self.d, duration=0)
            up.key_action.key_up(Keys.SHIFT)
            up.perform()
        self.last_up = time.monotonic()
        time.sleep(settle)

    def click(self, x, y):
        """A click (a tap on a button: no gap enforced before it)."""
        ab, p = self._mouse()
        p.move_to_location(int(x), int(y))
        p.click()
        ab.perform()
        self.last_up = time.monotonic()

    def double_click(self, x, y, settle=0.4):
        """Two clicks 80 ms apart (as a person's double-click)."""
        self.apart()
        ab, p = self._mouse()
        p.move_to_location(int(x), int(y))
        p.click()
        p.pause(0.08)
        p.click()
        ab.perform()
        self.last_up = time.monotonic()
        time.sleep(settle)


# ---- the X32 fader law of the man page (jackmixd-osc(7), "fader") ------
X32 = ((0.0, -90.0), (0.0625, -60.0), (0.25, -30.0), (0.5, -10.0), (0.75, 0.0), (1.0, 10.0))


def x32_db(n):
    """Normalised fader position -> dB, linear in dB between the points."""
    n = min(1.0, max(0.0, n))
    for (a, da), (b, db) in zip(X32, X32[1:]):
        if n <= b:
            return da + (db - da) * (n - a) / (b - a)
    return X32[-1][1]


def x32_norm(d):
    for (a, da), (b, db) in zip(X32, X32[1:]):
        if d <= db:
            return a + (b - a) * (max(d, da) - da) / (db - da)
    return 1.0


# The strip's fader geometry, as widgets.js's dragger measures it: the
# pointer's x on the track, its top, its height, and the throw (pixels for
# the whole 0..1 range: max(60, 0.8 * clientHeight)).
GEO = """(() => { const t = document.querySelectorAll(%s)[%d].querySelector('.fader-track');
  const r = t.getBoundingClientRect();
  return {x: Math.round(r.x + r.width / 2 + 8), y: r.y, h: t.clientHeight, throw: Math.max(60, t.clientHeight * 0.8)}; })()"""


def fader(b, sel, i):
    import json
    return b.js(GEO % (json.dumps(sel), i))


def cap_y(g, norm):
    """The pixel row of a fader at norm (where a user would grab it)."""
    return round(g["y"] + g["h"] * (1 - norm))


def tenth(g):
    """A tenth of the throw in whole pixels, and the fader move it makes."""
    px = round(0.1 * g["throw"])
    return px, px / g["throw"]
