#!/bin/sh
# midi-map.sh - generic MIDI mapping through the running daemon on a
# private jackd, driven by jmx_midi (a JACK MIDI device and OSC client):
#   - --connect-midi connects midi_in/midi_out to the device, and the
#     device is then told every mapped value (refresh on connection);
#   - CC along the fader law, a 14-bit pair, a note toggle with its LED, a
#     momentary note, a ranged CC, pick-up (nothing until the control
#     crosses the value), each checked over OSC;
#   - feedback to midi_out on OSC changes and on a scene recall, in the
#     control's scale, and no echo to the control that sent a value;
#   - values that move by themselves are shown moving on the control: a
#     timed move (/ch/1/fader/db f 0 f 2000), a scene recall with a fade
#     and an automation lane playing while the JACK transport rolls each
#     send at least 5 values on the way, each strictly between the start
#     and the end, never going back, and end on exactly the end's CC;
#     a hand that grabs a moving fader stops the move there and is sent
#     nothing more;
#   - /midi/learn (answered, then /midi/learned to a subscriber, the
#     mapping file rewritten), /midi/map, /midi/forget, /error on a bad
#     path;
#   - MIDI in -> audio out latency: a CC raises a channel fader from off
#     to full; the first frame of sound at a bus output (no lookahead
#     there) is timed against the frame the CC was sent in (median at most
#     3 periods: one to reach the control thread, one to come back);
#   - the MIDI connections are saved with the state and restored at the
#     next start without --connect-midi;
#   - a --midi-map file with an error stops the start with file:line; a
#     damaged default map ($XDG_STATE_HOME/jackmixd/midi.map) is set aside
#     and the daemon runs.
# Expected values are computed here with awk from the laws' definitions.
# JACK drops the MIDI events of a period it could not run (an xrun), so a
# run in which a check failed while JACK reported an xrun is run again, up
# to four times, 2 s apart (jmx_midi exits 3 then); any other failure fails.
. "${srcdir:-.}/jack-env.sh"
jmx_require jackd jack_lsp awk
jmx_setup
# Long periods: a process cycle that a busy machine runs late is an xrun,
# and the MIDI events of that period are lost; at 1024 frames (21 ms) that
# is rare (JMX_PERIOD overrides).
JMX_PERIOD=${JMX_PERIOD:-1024}
jmx_jack_start || jmx_fail "cannot start jackd"

T=$JMX_TMP
XDG_STATE_HOME=$T/xdg
export XDG_STATE_HOME
port=$(jmx_free_udp_port) || jmx_fail "no free UDP port"
name="jmx-midi-$$"
dev="jmx-dev-$$"
map=$T/console.map
state=$T/console.state
period=${JMX_PERIOD:-128}

# X32 fader law: position 0..1 -> dB, and the 7-bit value of a dB figure
law() { awk -v f="$1" 'BEGIN { if (f <= 0) d = -90; else if (f >= 1) d = 10; else if (f >= .5) d = 40 * f - 30;
	else if (f >= .25) d = 80 * f - 50; else if (f >= .0625) d = 160 * f - 70; else d = 480 * f - 90; printf "%.6f", d }'; }
cc_of_db() { awk -v d="$1" 'BEGIN { if (d >= -10) f = (d + 30) / 40; else if (d >= -30) f = (d + 50) / 80;
	else if (d >= -60) f = (d + 70) / 160; else f = (d + 90) / 480; v = f * 127; r = int(v + 0.5); printf "%02X", r }'; }
dec() { printf '%d' "0x$1"; }

# device SCRIPT DAEMONLOG [daemon options]: jmx_midi runs SCRIPT against a
# fresh daemon until the script touches SCRIPT.done; then the daemon is
# stopped (while the device is still connected) and the device.  Returns 0
# when the script got through, 3 when it failed but JACK reported an xrun
# meanwhile (lost MIDI: run it again), and fails the test otherwise.
device() {
	scr=$1 dlog=$2
	shift 2
	rm -f "$scr.done"
	./jmx_midi -n "$dev" -p "$port" "$scr" >"$scr.out" 2>&1 &
	mpid=$!
	jmx_track $mpid
	jmx_wait_ports "$dev" 2 10 || { jmx_show jmx_midi "$scr.out"; jmx_fail "jmx_midi did not start"; }
	start_daemon "$dlog" "$@"
	n=600
	while [ ! -e "$scr.done" ] && jmx_alive $mpid && [ $n -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	jmx_stop_pid $daemon 10 || { jmx_show daemon "$dlog"; jmx_fail "daemon did not exit 0"; }
	jmx_stop_pid $mpid 5 >/dev/null 2>&1
	mrc=$?
	grep -v '^jmx_midi: ok' "$scr.out" >&2
	[ -e "$scr.done" ] && return 0
	[ $mrc -eq 3 ] && return 3
	jmx_show daemon "$dlog"
	return 1
}

# retry WHAT COMMAND...: run COMMAND up to four times while it returns 3,
# 2 s apart (an xrun storm of a loaded machine lasts seconds).
retry() {
	what=$1
	shift
	for attempt in 1 2 3 4; do
		"$@"
		rc=$?
		[ $rc -eq 0 ] && return 0
		[ $rc -eq 3 ] || jmx_fail "$what"
		jmx_note "$what: spoiled by an xrun (attempt $attempt), again"
		sleep 2
	done
	jmx_fail "$what: four runs spoiled by xruns"
}

start_daemon() { # LOG [options]
	dlog=$1
	shift
	jmx_daemon_start "$dlog" -n "$name" -c 4 -b 2 -p "$port" --feedback-port 0 -s "$state" \
		--snapshot-dir "$T/scenes" "$@"
	daemon=$JMX_DAEMON_PID
}

write_map() {
	cat >"$map" <<'EOF'
# the console's controller
jackmixd-midimap 1
cc 1 7 /ch/1/fader/db
cc14 1 1 /master/fader/db
note 1 40 /ch/2/mute
note 1 41 /ch/2/solo momentary
cc 1 20 /ch/3/fader/db pickup
cc 1 21 /ch/4/pan range 0.25 0.75
EOF
}

v96=$(law "$(awk 'BEGIN { print 96 / 127 }')")
v14=$(law "$(awk 'BEGIN { print (85 * 128 + 42) / 16383 }')")
v100=$(law "$(awk 'BEGIN { print 100 / 127 }')")
pan64=$(awk 'BEGIN { printf "%.6f", 0.25 + 0.5 * 64 / 127 }')
m20=$(cc_of_db -20)
m40=$(cc_of_db -40)
m0=$(cc_of_db 0)
pan06=$(awk 'BEGIN { printf "%02X", int((0.6 - 0.25) / 0.5 * 127 + 0.5) }')
maxmed=$((3 * period))
d20=$(dec "$m20")
d40=$(dec "$m40")
d0=$(dec "$m0")
v48=$(law "$(awk 'BEGIN { print 48 / 127 }')")
# How many values a move shows on the way: the daemon looks at the audio
# thread's value every 10 ms (automation) and sends a changed CC every
# 10 ms (MIDI tick), so a 1 s move from -40 to 0 dB (CC 24 -> 95, 70
# steps between) can show up to ~70; 5 leaves a control thread that is
# late by up to 200 ms at a time on a loaded machine room to pass, while
# a surface that only sees the target (0) or the start and the target
# (1) fails.
onway=5
# an automation lane for /ch/1/fader: -40 dB at frame 0, 0 dB 1 s later
# (rescaled by the daemon if JACK runs at another rate)
printf '/automation/rate 48000\n/ch/1/fader/auto read\n/ch/1/fader/auto/point 0 -40\n/ch/1/fader/auto/point 48000 0\nend\n' \
	>"$T/lane.lines"

cat >"$T/s1" <<EOF
connect $dev:dc $name:in_1
connect $name:bus_1_L ${dev}_rx:audio
# connected by --connect-midi: every mapping is told its value
expect @10000 B0 07 $m0
drain @400
# CC along the fader law; nothing goes back to the control that moved
send B0 07 60
sleep 30
get /ch/1/fader/db $v96 0.001
none @300 B0 07
# a 14-bit pair
send B0 01 55
send B0 21 2A
sleep 30
get /master/fader/db $v14 0.001
# note toggle, with its LED
send 90 28 7F
expect 90 28 7F
get /ch/2/mute 1 0
send 80 28 00
none @200 90 28
send 90 28 7F
expect 90 28 00
get /ch/2/mute 0 0
# momentary
send 90 29 7F
expect 90 29 7F
get /ch/2/solo 1 0
send 90 29 00
expect 90 29 00
get /ch/2/solo 0 0
# a range: 0.25..0.75
send B0 15 40
sleep 30
get /ch/4/pan $pan64 0.0001
osc /ch/4/pan f 0.6
expect B0 15 $pan06
# pick-up: /ch/3 is at 0 dB (CC 95.25); below it nothing happens
send B0 14 0A
send B0 14 1E
sleep 30
get /ch/3/fader/db 0 0.0001
send B0 14 64
sleep 30
get /ch/3/fader/db $v100 0.001
# feedback on OSC changes and on a recall
osc /ch/1/fader/db f -20
expect B0 07 $m20
call /snapshot/save s midi = /snapshot/save midi
osc /ch/1/fader/db f -40
expect B0 07 $m40
call /snapshot/load s midi = /snapshot/load midi
expect B0 07 $m20
# values that move by themselves are shown moving: a timed move ...
osc /ch/1/fader/db f -40
expect B0 07 $m40
osc /ch/1/fader/db f 0 f 2000
follow @6000 $onway $d40 $d0 B0 07
none @300 B0 07
# ... a recall with a fade (0 dB -> -20 dB over 1 s) ...
call /snapshot/load s midi f 1000 = /snapshot/load midi
follow @6000 $onway $d0 $d20 B0 07
none @300 B0 07
get /ch/1/fader/db -20 0
# ... a hand that grabs a moving fader takes it over: the move stops
# there, and the control is sent nothing (no echo, no more of the move)
osc /ch/1/fader/db f -40
expect B0 07 $m40
osc /ch/1/fader/db f 0 f 3000
sleep 1000
send B0 07 30
drain @200
none @600 B0 07
get /ch/1/fader/db $v48 0.001
# ... and an automation lane playing (read mode) while the transport rolls
osc /ch/1/fader/db f -40
expect B0 07 $m40
transport locate 0
call /snapshot/save s lane = /snapshot/save lane
shell sed -i '/^end/d' $T/scenes/lane.scene && cat $T/lane.lines >>$T/scenes/lane.scene
call /snapshot/load s lane = /snapshot/load lane
none @300 B0 07
transport start
follow @6000 $onway $d40 $d0 B0 07
transport stop
none @300 B0 07
# the lane off: the console stays where the lane left it, the control too
osc /ch/1/fader/auto s off
none @400 B0 07
get /ch/1/fader/db 0 0.001
# learn, map, forget
osc /subscribe i 0 i 60 s values,/midi
call /midi/learn s /ch/4/eq/1/db = /midi/learn /ch/4/eq/1/db
send B0 50 00
wait-osc /midi/learned = /midi/learned /ch/4/eq/1/db cc 1 80 /ch/4/eq/1/db
shell grep -qx 'cc 1 80 /ch/4/eq/1/db' $map
send B0 50 7F
sleep 30
get /ch/4/eq/1/db 15 0.0001
call /midi/map = /midi/map cc 1 7 /ch/1/fader/db cc14 1 1 /master/fader/db note 1 40 /ch/2/mute note 1 41 /ch/2/solo momentary cc 1 20 /ch/3/fader/db pickup cc 1 21 /ch/4/pan range 0.25 0.75 cc 1 80 /ch/4/eq/1/db
call /midi/forget s /ch/4/eq/1/db = /midi/forget /ch/4/eq/1/db 1
shell ! grep -q 'eq/1/db' $map
call /midi/learn s /ch/9/mute = /error /midi/learn /ch/9/mute: channel 9 out of range (1..4)
# MIDI in -> sound out
osc /ch/1/send/1/level/db f 0
dc 0.5
latency 21 $maxmed B0 07 00 / B0 07 7F
# done: the daemon is stopped while the device is still connected
shell touch $T/s1.done
sleep 60000
EOF

phase1() {
	rm -rf "$state" "$T/scenes"
	write_map
	device "$T/s1" "$T/daemon1.log" --midi-map "$map" --connect-midi "$dev*"
}
retry "the mapping scenario" phase1
grep "MIDI:" "$T/daemon1.log" >&2

# the MIDI connections went into the state file ...
grep -qx "/jack/connect \"midi_in\" \"$dev:out\"" "$state" &&
	grep -qx "/jack/connect \"midi_out\" \"${dev}_rx:in\"" "$state" ||
	{ jmx_show state "$state"; jmx_fail "MIDI connections not saved with the state"; }

# ... and come back without --connect-midi (the fader was left at +10 dB)
printf 'expect @10000 B0 07 7F\nshell touch %s/s2.done\nsleep 60000\n' "$T" >"$T/s2"
phase2() {
	device "$T/s2" "$T/daemon2.log" --midi-map "$map"
}
retry "MIDI connections restored at start-up" phase2

# a bad --midi-map: no start, and the message names file:line
printf 'cc 1 7 /ch/1/pan\n\ncc 1 8 /ch/1/pann\n' >"$T/bad.map"
start_daemon "$T/daemon3.log" --midi-map "$T/bad.map"
jmx_wait_gone $daemon 10 || jmx_fail "daemon with a bad map is still running"
wait $daemon
rc=$?
jmx_untrack $daemon
[ $rc -ne 0 ] || jmx_fail "daemon with a bad map exited 0"
grep -q "$T/bad.map:3: unknown parameter path '/ch/1/pann'" "$T/daemon3.log" ||
	{ jmx_show daemon "$T/daemon3.log"; jmx_fail "no file:line for the bad map"; }

# a damaged default map is set aside, and the console runs
mkdir -p "$XDG_STATE_HOME/jackmixd"
printf 'cc 1 7 /ch/1/pan\nthis is not a mapping\n' >"$XDG_STATE_HOME/jackmixd/midi.map"
start_daemon "$T/daemon4.log"
jmx_wait_ports "$name" 14 10 || { jmx_show daemon "$T/daemon4.log"; jmx_fail "daemon with a damaged default map did not start"; }
jmx_stop_pid $daemon 10 || { jmx_show daemon "$T/daemon4.log"; jmx_fail "daemon did not exit 0"; }
grep -q "midi.map:2: unknown control 'this'" "$T/daemon4.log" || { jmx_show daemon "$T/daemon4.log"; jmx_fail "no file:line for the default map"; }
set -- "$XDG_STATE_HOME"/jackmixd/midi.map.corrupt-*
[ -f "$1" ] && [ ! -e "$XDG_STATE_HOME/jackmixd/midi.map" ] ||
	{ ls -la "$XDG_STATE_HOME/jackmixd/" >&2; jmx_fail "the damaged default map was not set aside"; }
exit 0
