#!/bin/sh
# rt-safety-midi.sh - the thread contract with MIDI flowing both ways: two
# daemons run under the RT shim of rt-safety.sh (tests/rtshim.c, which
# counts forbidden calls made on the JACK process thread):
#   A  generic mapping: jmx_midi floods midi_in with control changes
#      (about 4000 a second), SysEx (one longer than the daemon takes,
#      which must be dropped), notes and pitch bend; every change is fed
#      back to a second control of the same parameter, and OSC changes
#      add more, so midi_out carries a steady stream too;
#   B  --mcu: the whole simulated Mackie Control session of mcu_surface
#      (faders, buttons, V-pots in; motor faders, LEDs, LCD SysEx and
#      meters out; timed moves, a faded recall and a playing automation
#      lane moving the motor faders).
# Each must exit 0 on SIGTERM with a shim report of 0 forbidden calls over
# at least a quarter of the cycles the elapsed time implies, and A's log
# must show the traffic: >= 4000 messages in, >= 100 out, >= 1 dropped.
# rt-safety.sh's negative control proves the shim sees a JACK process
# thread; here the cycle count proves it saw the daemon's.
srcdir=${srcdir:-.}
top_builddir=${top_builddir:-..}
. "$srcdir/jack-env.sh"
jmx_require jackd jack_lsp
shim=$PWD/.libs/rtshim.so
daemon=$top_builddir/src/jackmixd
jmx_built "$shim" "$daemon"
jmx_setup
JMX_PERIOD=${JMX_PERIOD:-256}
jmx_jack_start || jmx_fail "cannot start jackd"
T=$JMX_TMP
period=$JMX_PERIOD

JMX_DIAG='for f in "$T"/*.log "$T"/*.report "$T"/*.out; do
	[ -f "$f" ] && jmx_show "${f##*/}" "$f" 30
done'

# check_report NAME REPORT ELAPSED_S: 0 forbidden calls, enough cycles
check_report() {
	# shellcheck disable=SC2046 # split "FORBIDDEN CYCLES"
	set -- "$1" "$2" "$3" $(jmx_shim_report "$2")
	[ $# -eq 5 ] || jmx_die "$1 left no shim report"
	want=$(($3 * 48000 / period / 4))
	jmx_note "$1: $4 forbidden calls in $5 RT cycles ($3 s)"
	[ "$4" -eq 0 ] || jmx_die "$1: forbidden calls on the RT thread: $(head -n 3 "$2")"
	[ "$5" -ge "$want" ] || jmx_die "$1: only $5 RT cycles in $3 s, want >= $want"
}

# ---- A: generic mapping under a flood ---------------------------------------
port=$(jmx_free_udp_port) || jmx_fail "no free UDP port"
name=jmx-rtm-$$
dev=jmx-rtdev-$$
cat >"$T/a.map" <<'EOF'
cc 1 7 /ch/1/fader/db
cc 2 7 /ch/1/fader/db
cc 1 8 /ch/2/pan
cc 2 8 /ch/2/pan
cc14 1 1 /master/fader/db
pb 3 /master/fader/db
note 1 36 /ch/1/mute
note 1 37 /ch/2/solo momentary
cc 1 9 /ch/3/fader/db pickup
EOF
cat >"$T/a.script" <<EOF
sleep 500
flood 2000 B0 07 00
send F0 7E 7F 06 01 F7
sysex 300
flood 1000 B0 08 00
send 90 24 7F
send 90 25 7F
send 80 25 00
flood 500 E2 00 00
flood 500 B0 09 00
osc /ch/2/pan f 0.1
flood 1000 B0 01 00
drain @300
shell touch $T/a.done
sleep 60000
EOF
start=$(date +%s)
jmx_daemon_start "$T/a.log" LD_PRELOAD="$shim" JMX_RTSHIM_REPORT="$T/a.report" -n "$name" -c 4 -b 2 -p "$port" \
	--feedback-port 0 --midi-map "$T/a.map"
dpid=$JMX_DAEMON_PID
jmx_wait_ports "$name" 14 15 || jmx_die "daemon A did not start"
./jmx_midi -n "$dev" -p "$port" "$T/a.script" >"$T/a.out" 2>&1 &
mpid=$!
jmx_track $mpid
# (the script waits 500 ms for these before it starts)
jmx_connect "$dev:out" "$name:midi_in" || jmx_die "cannot connect $dev:out"
jmx_connect "$name:midi_out" "${dev}_rx:in" || jmx_die "cannot connect ${dev}_rx:in"
n=600
while [ ! -e "$T/a.done" ] && jmx_alive $mpid && [ $n -gt 0 ]; do
	sleep 0.1
	n=$((n - 1))
done
[ -e "$T/a.done" ] || jmx_die "the MIDI traffic script failed"
jmx_alive $dpid || jmx_die "daemon A died under MIDI traffic"
jmx_stop_pid $dpid 10 || jmx_die "daemon A did not exit 0"
elapsed=$(($(date +%s) - start))
jmx_stop_pid $mpid 5 >/dev/null 2>&1
check_report "daemon A (mapping)" "$T/a.report" "$elapsed"
# shellcheck disable=SC2046 # split "IN OUT"
set -- $(sed -n 's/.*MIDI: \([0-9]*\) message(s) in, \([0-9]*\) out.*/\1 \2/p' "$T/a.log")
[ $# -eq 2 ] || jmx_die "daemon A logged no MIDI totals"
jmx_note "daemon A: $1 MIDI messages in, $2 out"
[ "$1" -ge 4000 ] && [ "$2" -ge 100 ] || jmx_die "not enough MIDI traffic: $1 in, $2 out"
grep -q "MIDI: 1 message(s) dropped" "$T/a.log" || jmx_die "the 300-byte SysEx was not dropped and counted"

# ---- B: Mackie Control -------------------------------------------------------
port=$(jmx_free_udp_port) || jmx_fail "no free UDP port"
name=jmx-rtmcu-$$
start=$(date +%s)
jmx_daemon_start "$T/b.log" LD_PRELOAD="$shim" JMX_RTSHIM_REPORT="$T/b.report" -n "$name" -c 12 -b 2 -p "$port" \
	--feedback-port 0 --mcu --snapshot-dir "$T/scenes"
dpid=$JMX_DAEMON_PID
jmx_wait_ports "$name" 22 15 || jmx_die "daemon B did not start"
# the surface's checks are midi-mcu.sh's business (with its retries after
# xruns); here it is the traffic, and its result is only reported
./mcu_surface -n "jmx-rtsurf-$$" -d "$name" -p "$port" -s "$T/scenes" >"$T/b.out" 2>&1
jmx_note "mcu_surface: $(tail -n 1 "$T/b.out")"
jmx_stop_pid $dpid 10 || jmx_die "daemon B did not exit 0"
elapsed=$(($(date +%s) - start))
check_report "daemon B (MCU)" "$T/b.report" "$elapsed"
echo "rt-safety-midi.sh: PASS"
exit 0
