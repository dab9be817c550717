#!/bin/sh
# web-app.sh - the web app in headless chromium under Selenium against
# tests/web/stub.py (a stand-in for the daemon's web surface: www/,
# /api/params from jackmixd --dump-osc, and OSC over a WebSocket)
# (tests/web/app_test.py): the page's OSC codec (www/osc.js) against the
# OSC 1.0 specification's bytes (tests/web/osc-test.js), then faders that
# follow the X32 law under a mouse drag, a fine (shift) drag, a
# double-click and a touch drag, with touch messages around each drag.
# With WEB_SHOTS=DIR it also saves phone, tablet and desktop screenshots
# there (tests/web/shoot.py).  Skips (77) only when chromium,
# chromedriver or Debian's python3-selenium is missing.
set -u
top_srcdir=${top_srcdir:-..}
top_builddir=${top_builddir:-..}
# Debian's python: a python3 earlier on PATH (pyenv) may lack selenium;
# -B: no __pycache__ written into the source tree
py=${JMX_PYTHON:-/usr/bin/python3}
for t in chromium chromedriver; do
	command -v $t >/dev/null 2>&1 || { echo "web-app.sh: SKIP: $t not found"; exit 77; }
done
"$py" -c 'import selenium' 2>/dev/null || { echo "web-app.sh: SKIP: no selenium for $py (python3-selenium)"; exit 77; }
# a free port: the stub binds it, so two runs cannot share one
port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=web-app.$$.log
"$py" -B "$top_srcdir/tests/web/stub.py" --port "$port" --jackmixd "$top_builddir/src/jackmixd" >"$log" 2>&1 &
stub=$!
trap 'kill $stub 2>/dev/null; wait $stub 2>/dev/null; rm -f "$log"' EXIT
i=0
until grep -q '^stub on' "$log"; do
	i=$((i + 1))
	[ $i -gt 50 ] && { echo "web-app.sh: the stub did not start"; cat "$log"; exit 1; }
	sleep 0.1
done
base=http://127.0.0.1:$port
"$py" -B "$top_srcdir/tests/web/app_test.py" "$base" || exit 1
if [ -n "${WEB_SHOTS:-}" ]; then
	mkdir -p "$WEB_SHOTS"
	"$py" -B "$top_srcdir/tests/web/shoot.py" "$base" "$WEB_SHOTS" \
		phone:390x844:#mixer tablet:1180x820:#mixer desktop:1440x900:#mixer:3000 \
		phone-channel:390x844:#ch/1 tablet-master:1180x820:#master:4000 \
		phone-patch:390x844:#patch phone-musician:390x844:\&bus=2 || exit 1
fi
exit 0
