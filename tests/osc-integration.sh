#!/bin/sh
# osc-integration.sh - the OSC surface of the running daemon over real UDP
# on loopback, on a private `jackd -d dummy` (48 kHz, 256 frames):
#   itest_osc roundtrip: every parameter of --dump-osc, both forms, tapers
#   itest_osc errors:    every bad-input class -> /error, state unchanged
#   itest_osc feedback:  subscriber / auto-registered / sender, clamping,
#                        state bursts, coalescing, meters, lease expiry
#   itest_osc peers:     two programs on one host hear each other's
#                        changes in every form, of every kind
#   itest_osc audio:     set -> output latency through the socket and the
#                        control loop (a bundle in one period: test_console)
#   jackmixctl:          get, set (clamped), errors and exit codes, dump,
#                        watch, meters, no daemon
# and that the daemon logs a repeated bad message once, binds exactly one
# UDP socket (127.0.0.1:PORT), and exits 0 on SIGTERM.
. "${srcdir:-.}/jack-env.sh"
jmx_require jackd jack_lsp
jmx_setup
JMX_RATE=48000 JMX_PERIOD=256 jmx_jack_start || jmx_fail "cannot start jackd"

port=$(jmx_free_udp_port) || jmx_fail "no free UDP port"
fb=$(jmx_free_udp_port) || jmx_fail "no free UDP port"
name="jmx-osc-$$"
log=$JMX_TMP/daemon.log
../src/jackmixd -n "$name" -c 8 -b 2 -p "$port" --feedback-port "$fb" >"$log" 2>&1 &
daemon=$!
jmx_track $daemon
# 8 inputs + master, monitor, 2 stereo buses = 16 ports
jmx_wait_ports "$name" 16 10 || { jmx_show daemon "$log"; jmx_fail "daemon ports missing"; }
../src/jackmixd --dump-osc >"$JMX_TMP/dump.txt" || jmx_fail "--dump-osc"
ctl="../src/jackmixctl -p $port -t 2"

fail=0
check() { # check DESCRIPTION COMMAND...: run it, note a failure
	d=$1
	shift
	if ! "$@"; then
		echo "osc-integration.sh: FAIL: $d"
		fail=1
	fi
}

for mode in roundtrip errors feedback peers audio; do
	case $mode in
	roundtrip) set -- "$JMX_TMP/dump.txt" ;;
	feedback) set -- "$fb" "$JMX_TMP/dump.txt" ;;
	peers) set -- "$fb" ;;
	audio) set -- "$name" ;;
	*) set -- ;;
	esac
	./itest_osc "$mode" "$port" "$@" || { echo "osc-integration.sh: FAIL: itest_osc $mode"; fail=1; }
	jmx_alive $daemon || { jmx_show daemon "$log"; jmx_fail "the daemon died during itest_osc $mode"; }
done

# jackmixctl
out=$($ctl set /ch/3/fader/db -6)
check "set -> '$out'" [ "$out" = "/ch/3/fader/db -6" ]
out=$($ctl get /ch/3/fader)
check "get normalised -> '$out'" [ "$out" = "/ch/3/fader 0.6" ]
out=$($ctl set /ch/3/fader/db 99)
check "clamped set -> '$out'" [ "$out" = "/ch/3/fader/db 10" ]
out=$($ctl set /ch/3/mute/toggle 1)
check "toggle -> '$out'" [ "$out" = "/ch/3/mute 1" ]
out=$($ctl set /ch/3/eq/2/type hshelf)
check "enum by name -> '$out'" [ "$out" = "/ch/3/eq/2/type 2" ]
out=$($ctl set /ch/3/name "s:Lead vocal")
check "name -> '$out'" [ "$out" = "/ch/3/name Lead vocal" ]
err=$($ctl get /ch/99/fader 2>&1 >/dev/null)
rc=$?
check "get out of range: rc $rc" [ $rc -eq 1 ]
check "error text '$err'" [ "$err" = "jackmixctl: /ch/99/fader: index out of range" ]
err=$($ctl set /ch/1/fader/db loud 2>&1 >/dev/null)
rc=$?
check "set a word: rc $rc, '$err'" [ $rc -eq 1 ] && [ "$err" = "jackmixctl: /ch/1/fader/db: expected a number" ]
$ctl set /ch/1/fader/db nan 2>/dev/null
check "set nan: rc $?" [ $? -eq 1 ]
$ctl get /no/such/thing 2>/dev/null
check "unknown address: rc $?" [ $? -eq 1 ]
out=$($ctl dump /master/limiter)
check "dump: '$out'" eval 'printf "%s\n" "$out" | grep -qx "/master/limiter/ceiling/db -1"'
check "dump: no foreign lines" eval '! printf "%s\n" "$out" | grep -qv "^/master/limiter/"'
$ctl watch /ch/5 >"$JMX_TMP/watch.out" 2>&1 &
w=$!
jmx_track $w
sleep 1
$ctl set /ch/5/mute 1 >/dev/null
sleep 0.3
jmx_stop_pid $w 5
check "watch exit status $?" [ $? -eq 0 ]
check "watch saw the change" grep -qx "/ch/5/mute 1" "$JMX_TMP/watch.out"
check "watch saw the state first" grep -qx "/ch/5/mute 0" "$JMX_TMP/watch.out"
check "watch prefix" eval '! grep -v "^/ch/5/" "$JMX_TMP/watch.out" | grep -q .'
out=$($ctl -n 8 meters /master/meter)
check "meters: $(printf '%s' "$out" | wc -l) lines" [ "$(printf '%s\n' "$out" | grep -c '^/master/meter -*[0-9]')" -ge 4 ]
$ctl set /ch/3/fader/db 0 >/dev/null
$ctl set /ch/3/mute 0 >/dev/null
nobody=$(jmx_free_udp_port)
../src/jackmixctl -p "$nobody" -t 0.3 ping 2>/dev/null
check "no daemon: rc $?" [ $? -eq 3 ]
../src/jackmixctl bogus 2>/dev/null
check "usage: rc $?" [ $? -eq 2 ]

# a bad message sent 50 times is logged once
n=$(grep -c '/ch/1/bogus/flood' "$log")
check "repeated bad message logged $n times" [ "$n" -eq 1 ]

# exactly one UDP socket, on 127.0.0.1:PORT (liblo binds nothing)
if command -v ss >/dev/null 2>&1 && ss -Hlunp >/dev/null 2>&1; then
	socks=$(ss -Haunp 2>/dev/null | grep "pid=$daemon," | awk '{ print $4 }')
	check "daemon UDP sockets: '$socks'" [ "$socks" = "127.0.0.1:$port" ]
fi

jmx_stop_pid $daemon 5
drc=$?
check "daemon exit status $drc on SIGTERM" [ $drc -eq 0 ]
if [ $fail -ne 0 ]; then
	jmx_show daemon "$log" 40
	exit 1
fi
exit 0
