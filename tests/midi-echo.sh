#!/bin/sh
# midi-echo.sh - a hand riding a mapped MIDI fader through the running
# daemon (cc 1 7 /ch/1/fader/db, nothing else talking to it) is sent
# nothing back on midi_out: README promises a moved control is never
# echoed its own value (a motor fader would fight the hand).
#   - rides of RIDE_N (default 300) CCs, one every 5-20 ms, then 1 s of
#     quiet, while another client connects and disconnects unrelated
#     ports every 0.3 s (graph changes, which used to make the daemon
#     resend every value to the surface): no message on CC 7 comes back;
#   - the same with the lane of /ch/1/fader in touch mode (each change an
#     implied touch, which lets go 0.5 s after the last one);
#   - after the ride the console holds exactly the ride's last value;
#   - midi_out connected again (a surface plugged in) is still told the
#     fader's value.
# JACK drops the MIDI events of a period it could not run (an xrun) and
# the daemon then repairs the surface, so a run spoiled by an xrun is run
# again, up to four times.
. "${srcdir:-.}/jack-env.sh"
jmx_require jackd jack_lsp awk
jmx_setup
JMX_PERIOD=${JMX_PERIOD:-256}
jmx_jack_start || jmx_fail "cannot start jackd"

T=$JMX_TMP
XDG_STATE_HOME=$T/xdg
export XDG_STATE_HOME
port=$(jmx_free_udp_port) || jmx_fail "no free UDP port"
name="jmx-echo-$$"
dev="jmx-edev-$$"
n=${RIDE_N:-300}
printf 'jackmixd-midimap 1\ncc 1 7 /ch/1/fader/db\n' >"$T/echo.map"

# the X32 fader law: the dB value of 7-bit CC v
law() { awk -v v="$1" 'BEGIN { f = v / 127; if (f <= 0) d = -90; else if (f >= 1) d = 10; else if (f >= .5) d = 40 * f - 30;
	else if (f >= .25) d = 80 * f - 50; else if (f >= .0625) d = 160 * f - 70; else d = 480 * f - 90; printf "%.6f", d }'; }

# run SCRIPT LOG: jmx_midi against a fresh daemon; 0, 3 (xrun), or fail
run() {
	scr=$1 dlog=$2
	./jmx_midi -n "$dev" -p "$port" "$scr" >"$scr.out" 2>&1 &
	mpid=$!
	jmx_track $mpid
	jmx_wait_ports "$dev" 2 10 || { jmx_show jmx_midi "$scr.out"; jmx_fail "jmx_midi did not start"; }
	jmx_daemon_start "$dlog" -n "$name" -c 2 -b 1 -p "$port" --feedback-port 0 -s "$T/state" \
		--snapshot-dir "$T/scenes" --midi-map "$T/echo.map" --connect-midi "$dev*"
	daemon=$JMX_DAEMON_PID
	wait $mpid
	mrc=$?
	jmx_untrack $mpid
	jmx_stop_pid $daemon 10 || { jmx_show daemon "$dlog"; jmx_fail "daemon did not exit 0"; }
	cat "$scr.out" >&2
	[ $mrc -eq 0 ] && return 0
	[ $mrc -eq 3 ] && return 3
	jmx_show daemon "$dlog"
	return 1
}

retry() {
	what=$1
	shift
	for attempt in 1 2 3 4; do
		"$@"
		rc=$?
		[ $rc -eq 0 ] && return 0
		[ $rc -eq 3 ] || jmx_fail "$what"
		jmx_note "$what: spoiled by an xrun (attempt $attempt), again"
		rm -f "$T/state"
		sleep 2
	done
	jmx_fail "$what: four runs spoiled by xruns"
}

# The ride's last value: the same sequence as jmx_midi's (10..117 and back,
# steps 1-4 from the same generator).
# (s * 1103515245 mod 2^32 in two halves: a double holds 53 bits)
last=$(awk -v n="$n" 'function lcg(s) { return ((s * 16838 % 65536) * 65536 + s * 20077 + 12345) % 4294967296 }
	BEGIN { s = 12345; v = 10; d = 1
	for (k = 0; k < n; k++) { s = lcg(s); st = 1 + int(s / 65536) % 4
		if (v + d * st > 117 || v + d * st < 10) d = -d; v += d * st; s = lcg(s) }
	print v }')
vlast=$(law "$last")

for mode in off touch; do
	# 0 dB is 0.75 on the law: CC 95 (5F); the last value in hex
	cat >"$T/ride.$mode" <<EOF2
connect $dev:dc $name:in_1
expect @10000 B0 07 5F
drain @300
osc /ch/1/fader/auto s $mode
drain @300
shell (for i in 1 2 3 4 5 6 7 8 9 10; do sleep 0.3; jack_connect $dev:dc $name:in_2; jack_disconnect $dev:dc $name:in_2; done) >/dev/null 2>&1 &
ride @1000 $n ${RIDE_MIN:-5} ${RIDE_MAX:-20} ${MAXBACK:-0} B0 07
get /ch/1/fader/db $vlast 0.001
shell jack_disconnect $name:midi_out ${dev}_rx:in && sleep 0.5 && jack_connect $name:midi_out ${dev}_rx:in
expect @3000 B0 07 $(printf %02X "$last")
EOF2
	phase() { rm -f "$T/state"; run "$T/ride.$mode" "$T/daemon.$mode.log"; }
	retry "a ride with the lane $mode" phase
done
exit 0
