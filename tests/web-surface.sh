#!/bin/sh
# web-surface.sh - the web surface (--http) of a daemon on a private jackd,
# driven by web_client.py (python3-websocket) over real sockets:
#   /api/params is --dump-osc's table; /api/info the console's shape;
#   every kind of OSC error sent over WebSocket gets /error, bundles apply;
#   feedback crosses between UDP and WebSocket both ways;
#   50 clients at once, and at most 64 connections;
#   a refused Host (DNS rebinding), Origin (another site) or key;
#   path traversal (.., %2e%2e, double encoding, symlinks out of the app
#   and record directories) serves nothing;
#   an oversized message or frame closes that connection only;
#   slow or silent headers are cut off after WEB_HEADER_TIMEOUT_S (5 s);
#   a musician key sets its bus's sends and nothing else, forged or not;
#   a client that stops reading delays no one and is closed;
#   the default port busy: the daemon runs without the surface; an
#   explicit --http port busy: a start-up error naming --http;
#   /api/info is JSON with a client name holding '"' and '\';
#   /takes neither lists nor serves a take's master or stems while it is
#   written, and does both once it is finished.
. "${srcdir:-.}/jack-env.sh"
jmx_require jackd jack_lsp
PY=/usr/bin/python3
[ -x $PY ] && $PY -c 'import websocket' 2>/dev/null || { jmx_note "SKIP: python3-websocket missing"; exit 77; }
jmx_setup
JMX_RATE=48000 JMX_PERIOD=256 jmx_jack_start || jmx_fail "cannot start jackd"
port=$(jmx_free_udp_port) || jmx_fail "no free UDP port"
hport=$(jmx_free_udp_port) || jmx_fail "no free port"
client="$PY ${srcdir:-.}/web_client.py"
fail=0

# app and record directories with ways out
app=$JMX_TMP/www rec=$JMX_TMP/rec
mkdir -p "$app" "$rec" "$JMX_TMP/outside"
echo '<!doctype html><title>t</title>' >"$app/index.html"
echo 'root:secret' >"$JMX_TMP/outside/passwd"
cp "$JMX_TMP/outside/passwd" "$JMX_TMP/outside.wav"
ln -s "$JMX_TMP/outside/passwd" "$app/escape.html"
ln -s "$JMX_TMP/outside" "$app/escape"
printf 'RIFF-test' >"$rec/ok.wav"
ln -s "$JMX_TMP/outside.wav" "$rec/escape.wav"
ln -s ok.wav "$rec/link.wav"

jmx_daemon_start -w "$JMX_TMP/d.log" XDG_STATE_HOME="$JMX_TMP/state" -n web -c 4 -b 2 -p "$port" \
	--feedback-port 0 --http "$hport" --www "$app" --record-dir "$rec" || jmx_fail "daemon did not start"
keys=$JMX_TMP/state/jackmixd/web-keys
jmx_check "key file mode 0600" [ "$(stat -c %a "$keys")" = 600 ]
eng=$(awk '$1 == "engineer" { print $2 }' "$keys")
mus1=$(awk '$1 == "bus1" { print $2 }' "$keys")
jmx_check "keys of 128 bits" [ ${#eng} -eq 32 ] && [ ${#mus1} -eq 32 ]
grep -q "web: open http://127.0.0.1:$hport/" "$JMX_TMP/d.log" || jmx_bad "the log does not give the URL"

../src/jackmixd --dump-osc >"$JMX_TMP/dump.txt"
export OSC_PORT=$port
run() { $client "$hport" "$@" || { jmx_bad "web_client $1"; }; }
run api "$JMX_TMP/dump.txt"
run errors
run feedback ../src/jackmixctl
rss0=$(jmx_rss_kb "$JMX_DAEMON_PID")
HOLD_S=1 $client "$hport" many 50 &
mpid=$!
sleep 2.5
rss50=$(jmx_rss_kb "$JMX_DAEMON_PID")
wait $mpid || jmx_bad "web_client many"
jmx_note "RSS: $rss0 kB idle, $rss50 kB with 50 WebSocket clients"
run limit
run access "$eng" "$mus1"
run traversal
run oversize
run slowheader 5
run musician "$mus1" "$eng"
run stall
jmx_alive "$JMX_DAEMON_PID" || jmx_bad "the daemon died"

# the default port busy: runs without the surface; an explicit one: error
port2=$(jmx_free_udp_port)
jmx_daemon_start "$JMX_TMP/d2.log" XDG_STATE_HOME="$JMX_TMP/state" -n web2 -c 2 -b 1 -p "$port2" \
	--feedback-port 0 --http "$hport"
if jmx_wait_gone "$JMX_DAEMON_PID" 10; then
	grep -q -- "--http: port $hport is taken" "$JMX_TMP/d2.log" || jmx_bad "busy --http: no message naming the option"
else
	jmx_bad "busy explicit --http port: the daemon runs"
fi
# the default port (8080): held here if nobody holds it already
$PY -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", 8080)); s.listen(1)
except OSError:
    pass
print("held", flush=True)
time.sleep(30)
' >"$JMX_TMP/hold.log" 2>&1 &
hold=$!
jmx_track $hold
sleep 0.5
port3=$(jmx_free_udp_port)
jmx_daemon_start -w "$JMX_TMP/d3.log" XDG_STATE_HOME="$JMX_TMP/state" -n web3 -c 2 -b 1 -p "$port3" \
	--feedback-port 0 || jmx_bad "daemon with the default port busy did not run"
grep -q "web: port 8080 is taken: running without the web surface" "$JMX_TMP/d3.log" ||
	jmx_bad "default port busy: not logged"
jmx_stop_pid "$JMX_DAEMON_PID" 5 || jmx_bad "daemon 3 exit status $?"
jmx_stop_pid $hold 2 >/dev/null

# a client name with a quote and a backslash: /api/info stays JSON; a
# take with split stems: neither master nor stem listed or served while
# it is written, all of them after
port4=$(jmx_free_udp_port) hport4=$(jmx_free_udp_port)
rec4=$JMX_TMP/rec4
mkdir -p "$rec4"
jmx_daemon_start -w "$JMX_TMP/d4.log" XDG_STATE_HOME="$JMX_TMP/state" -n 'mix"er\4' -c 2 -b 1 -p "$port4" \
	--feedback-port 0 --http "$hport4" --www "$app" --record-dir "$rec4" --record-stems split ||
	jmx_bad "daemon 4 did not start"
$client "$hport4" info 'mix"er\4' || jmx_bad "web_client info"
REC_DIR=$rec4 $client "$hport4" takes t1 2 || jmx_bad "web_client takes"
jmx_stop_pid "$JMX_DAEMON_PID" 5 || jmx_bad "daemon 4 exit status $?"

[ $fail -eq 0 ] || { jmx_show "daemon log" "$JMX_TMP/d.log" 60; exit 1; }
echo "web-surface.sh: passed"
