#!/bin/sh
# web-osc.sh - the web app's OSC codec (www/osc.js) against the byte
# sequences of the OSC 1.0 specification and malformed packets
# (tests/web/osc-test.mjs).  Skips (77) only when node is missing: the app
# itself needs no node, only this test does.
set -u
top_srcdir=${top_srcdir:-..}
command -v node >/dev/null 2>&1 || { echo "web-osc.sh: SKIP: node not found"; exit 77; }
exec node "$top_srcdir/tests/web/osc-test.mjs" "$top_srcdir/www/osc.js"
