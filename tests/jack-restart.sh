#!/bin/sh
# jack-restart.sh - the daemon rides out its JACK server going away and
# coming back, while it plays and records:
#
#  1. private jackd (dummy, 48 kHz, 128 frames); jackmixd -c 2 -b 1 with a
#     state file and a record directory; jmx_tone feeds in_1 with a sine at
#     -20 dBFS and meters master_L/R; master_L also goes to
#     system:playback_1 (a port that exists as soon as any server does);
#     /ch/1/fader/db -6, so the master carries the tone at
#     -20 - 6 - 3 (centre pan, constant power) = -29 dBFS;
#  2. /record/start, then JMX_RESTART_ROUNDS (3) times:
#     - stop the server: SIGTERM (round 1), SIGKILL (the others);
#     - the daemon stays up, a feedback client (subscribed to /engine) is
#       told "disconnected", /engine/status says so, a parameter set now
#       (/ch/2/fader/db) is taken and reads back;
#     - the take that was running is a valid file (strict header check)
#       holding at least the audio since the last return;
#     - restart the server (the last round at 44.1 kHz, 256 frames); the
#       daemon's ports are back within 3 s of the server answering, the
#       feedback client is told "running" at the new rate, the connection
#       to system:playback_1 is there again, and jmx_tone, started anew,
#       is connected by the daemon itself (remembered connections) and
#       meters -29 dBFS again: the fader survived, also in a mixer
#       rebuilt for 44.1 kHz;
#  3. a server that hangs: stopped with SIGTERM, started again and at once
#     frozen (SIGSTOP), so the daemon's next attempt to reach it cannot
#     finish: OSC still answers within a second, three times over 3 s;
#     after SIGCONT the daemon is back within 3 s;
#  4. /record/stop; every take is strictly valid, one per server life, the
#     last one at 44100 Hz; SIGTERM: exit 0; the state file holds the
#     value set while disconnected.
# Skips (77) only when jackd, jack_lsp or jack_connect is missing.

srcdir=${srcdir:-.}
top_builddir=${top_builddir:-..}
. "$srcdir/jack-env.sh"

jmx_require jackd jack_lsp jack_connect awk
daemon=$top_builddir/src/jackmixd
osc=./jmx_osc
tone=./jmx_tone
inspect=./rec_inspect
jmx_built "$daemon" "$osc" "$tone" "$inspect"
rounds=${JMX_RESTART_ROUNDS:-3}

jmx_setup
T=$JMX_TMP
dname=jmx-rs-$$
tname=jmx-rs-tone-$$
tone_pid=

JMX_DIAG='jmx_show "daemon log" "$T/daemon.log" 60; jmx_show "tone log" "$T/tone.log" 10
	jmx_show "jackd log" "$T/jackd.log" 15'

# status FIELD: field of the /engine/status reply (2 state, 3 rate, 4 period)
status() {
	"$osc" -t 2000 "$port" /engine/status | awk -v f="$1" '$1 == "/engine/status" { print $f }'
}

# meter_near DB TOL: poll jmx_tone's meter for up to 5 s until it is
# within TOL dB of DB; prints the last reading.
meter_near() {
	n=25
	while :; do
		sleep 0.2
		v=$(sed -n 's/^peak_dbfs=\([-0-9.]*\) .*/\1/p' "$T/meter" 2>/dev/null)
		if [ -n "$v" ] && awk -v v="$v" -v t="$1" -v d="$2" 'BEGIN { exit !(v > t - d && v < t + d) }'; then
			break
		fi
		n=$((n - 1))
		[ $n -gt 0 ] || break
	done
	echo "${v:-none}"
}

start_tone() {
	rm -f "$T/meter"
	$tone -n "$tname" -c 1 -a -20 -m "$T/meter" >>"$T/tone.log" 2>&1 &
	tone_pid=$!
	jmx_track $tone_pid
	jmx_wait_ports "$tname" 3 10 || jmx_die "jmx_tone never registered its ports"
}

# listen: a feedback client for /engine/... in the background; its first
# /engine/status push ends it.  Sets lpid, writes $T/fb.out.
listen() {
	: >"$T/fb.out"
	"$osc" -t 30000 -u /engine/status "$port" /subscribe i 0 i 120 s /engine >"$T/fb.out" 2>&1 &
	lpid=$!
	jmx_track $lpid
	sleep 0.3
}

# heard STATE: the listener got "/engine/status STATE" (waits up to 10 s)
heard() {
	jmx_wait_gone $lpid 10 || { jmx_stop_pid $lpid 2; return 1; }
	wait $lpid 2>/dev/null
	jmx_untrack $lpid
	grep -q "^/engine/status $1 " "$T/fb.out"
}

jmx_jack_start || jmx_fail "the private JACK server did not start"
port=$(jmx_free_udp_port) || jmx_fail "no free UDP port found"
fbport=$(jmx_free_udp_port) || jmx_fail "no free UDP port found"
[ "$fbport" != "$port" ] || fbport=$((port + 1))
mkdir -p "$T/rec"
jmx_daemon_start "$T/daemon.log" -S "$JMX_SERVER" -n "$dname" -c 2 -b 1 -p "$port" --feedback-port "$fbport" \
	-s "$T/state" --record-dir "$T/rec"
dpid=$JMX_DAEMON_PID
jmx_wait_ports "$dname" 8 15 || jmx_die "jackmixd did not register its 8 ports"
start_tone
jmx_connect "$tname:out_1" "$dname:in_1" || jmx_die "cannot connect the tone"
jmx_connect "$dname:master_L" "$tname:in_L" || jmx_die "cannot connect master_L"
jmx_connect "$dname:master_R" "$tname:in_R" || jmx_die "cannot connect master_R"
jmx_connect "$dname:master_L" system:playback_1 || jmx_die "cannot connect system:playback_1"
"$osc" -t 0 "$port" /ch/1/fader/db f -6
lvl=$(meter_near -29 1.5)
awk -v v="$lvl" 'BEGIN { exit !(v > -30.5 && v < -27.5) }' || jmx_die "master at $lvl dBFS before any restart, want -29"
[ "$(status 2)" = running ] || jmx_die "/engine/status does not say running at start"
"$osc" "$port" /record/start >/dev/null || jmx_die "/record/start failed"
sleep 1.5 # the connections reach the state file (autosave after 2 s) meanwhile

r=1
while [ $r -le "$rounds" ]; do
	# ---- the server goes away
	listen
	sig=KILL
	[ $r -eq 1 ] && sig=TERM
	jmx_jack_kill $sig || jmx_die "jackd ignored SIG$sig"
	jmx_wait_gone $tone_pid 10 || jmx_die "jmx_tone did not notice the server going"
	wait $tone_pid 2>/dev/null
	jmx_untrack $tone_pid
	heard disconnected || jmx_die "round $r: the feedback client was not told 'disconnected': $(cat "$T/fb.out")"
	jmx_alive $dpid || jmx_die "round $r: jackmixd died with the server (SIG$sig)"
	st=$(status 2)
	[ "$st" = disconnected ] || jmx_die "round $r: /engine/status says '$st' with no server"
	v=$((r * 2))
	"$osc" -t 0 "$port" /ch/2/fader/db f -$v
	got=$("$osc" "$port" /ch/2/fader/db | awk '{ print $2 }')
	[ "$got" = "-$v" ] || jmx_die "round $r: /ch/2/fader/db set to -$v while disconnected reads back '$got'"

	# ---- the take running at the loss is finished and valid
	take=$(ls -t "$T/rec" | head -n 1)
	[ -n "$take" ] || jmx_die "round $r: no take in $T/rec"
	n=0
	until grep -q "recorded $T/rec/$take" "$T/daemon.log"; do
		n=$((n + 1))
		[ $n -lt 50 ] || jmx_die "round $r: take $take was not finished after the loss"
		sleep 0.1
	done
	info=$("$inspect" info "$T/rec/$take") || jmx_die "round $r: rec_inspect failed on $take"
	case $info in
	*strict=ok*) ;;
	*) jmx_die "round $r: take $take is not a valid file: $info" ;;
	esac
	frames=$(printf '%s\n' "$info" | sed -n 's/.*frames=\([0-9]*\).*/\1/p')
	[ "${frames:-0}" -ge 24000 ] || jmx_die "round $r: take $take holds only ${frames:-0} frames"

	# ---- the server comes back
	if [ $r -eq "$rounds" ]; then
		JMX_RATE=44100 JMX_PERIOD=256
		export JMX_RATE JMX_PERIOD
	fi
	listen
	jmx_jack_start || jmx_die "round $r: the private JACK server did not restart"
	t0=$(date +%s%N)
	jmx_wait_ports "$dname" 8 3 || jmx_die "round $r: jackmixd's ports not back within 3 s of the server"
	ms=$((($(date +%s%N) - t0) / 1000000))
	heard running || jmx_die "round $r: the feedback client was not told 'running': $(cat "$T/fb.out")"
	want_rate=${JMX_RATE:-48000}
	grep -q "^/engine/status running $want_rate " "$T/fb.out" ||
		jmx_die "round $r: status pushed after the return is not 'running $want_rate': $(cat "$T/fb.out")"
	n=0
	until jack_lsp -s "$JMX_SERVER" -c "$dname:master_L" 2>/dev/null | grep -q '^ *system:playback_1$'; do
		n=$((n + 1))
		[ $n -lt 30 ] || jmx_die "round $r: $dname:master_L -> system:playback_1 not restored"
		sleep 0.1
	done
	start_tone
	# the daemon connects the returning jmx_tone by itself (pending peers)
	n=0
	until jack_lsp -s "$JMX_SERVER" -c "$dname:in_1" 2>/dev/null | grep -q "^ *$tname:out_1\$" &&
		jack_lsp -s "$JMX_SERVER" -c "$dname:master_R" 2>/dev/null | grep -q "^ *$tname:in_R\$"; do
		n=$((n + 1))
		[ $n -lt 50 ] || jmx_die "round $r: the daemon did not reconnect jmx_tone's ports"
		sleep 0.1
	done
	lvl=$(meter_near -29 1.5)
	awk -v v="$lvl" 'BEGIN { exit !(v > -30.5 && v < -27.5) }' ||
		jmx_die "round $r: master at $lvl dBFS after the return, want -29 (fader -6 kept)"
	got=$("$osc" "$port" /ch/2/fader/db | awk '{ print $2 }')
	[ "$got" = "-$v" ] || jmx_die "round $r: /ch/2/fader/db reads '$got' after the return, want -$v"
	jmx_note "round $r (SIG$sig): back ${ms} ms after the server, at $want_rate Hz, master $lvl dBFS"
	sleep 1 # some audio into the new take
	r=$((r + 1))
done

# ---- a server that hangs while the daemon tries to reach it
jmx_jack_kill || jmx_die "hang: jackd ignored SIGTERM"
jmx_wait_gone $tone_pid 10 && wait $tone_pid 2>/dev/null
jmx_untrack $tone_pid
n=0
until [ "$(status 2)" = disconnected ]; do
	n=$((n + 1))
	[ $n -lt 20 ] || jmx_die "hang: the daemon did not notice the server going"
done
# the daemon tries the server once a second: if it got in between the
# server's start and the freeze, it is connected to a frozen server, which
# is not this scenario (that is covered by the kill rounds above); stop
# that server and freeze the next one sooner, up to three times
for try in 1 2 3; do
	jmx_jack_start || jmx_die "hang: the private JACK server did not restart"
	kill -STOP "$JMX_JACKD_PID"
	st=$("$osc" -t 1000 "$port" /engine/status | awk '{ print $2 }')
	[ "$st" = disconnected ] && break
	[ -n "$st" ] || { kill -CONT "$JMX_JACKD_PID"; jmx_die "hang: no answer from the daemon (0)"; }
	jmx_note "hang: the daemon reached the server before it froze ($st); again"
	kill -CONT "$JMX_JACKD_PID"
	jmx_jack_kill || jmx_die "hang: jackd ignored SIGTERM"
	n=0
	until [ "$(status 2)" = disconnected ]; do
		n=$((n + 1))
		[ $n -lt 20 ] || jmx_die "hang: the daemon did not notice the server going"
	done
done
[ "$st" = disconnected ] || jmx_die "hang: the daemon reached the server before it froze, three times"
for k in 1 2 3; do
	sleep 1
	t0=$(date +%s%N)
	st=$("$osc" -t 1000 "$port" /engine/status | awk '{ print $2 }')
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ -n "$st" ] || { kill -CONT "$JMX_JACKD_PID"; jmx_die "hang: no answer from the daemon ($k)"; }
	[ "$st" = disconnected ] || { kill -CONT "$JMX_JACKD_PID"; jmx_die "hang: the daemon says '$st' to a frozen server ($k)"; }
done
kill -CONT "$JMX_JACKD_PID"
jmx_wait_ports "$dname" 8 3 || jmx_die "hang: jackmixd's ports not back within 3 s of the server thawing"
jmx_note "frozen server: OSC answered throughout (last in $ms ms), back after it thawed"
sleep 1

"$osc" "$port" /record/stop >/dev/null || jmx_die "/record/stop failed"
n=0
until [ "$(grep -c "info: recorded " "$T/daemon.log")" -ge $((rounds + 2)) ]; do
	n=$((n + 1))
	[ $n -lt 50 ] || jmx_die "the last take was not finished after /record/stop"
	sleep 0.1
done
ntakes=$(ls "$T/rec" | wc -l)
[ "$ntakes" -eq $((rounds + 2)) ] || jmx_die "$ntakes takes in $T/rec, want $((rounds + 2)) (one per server life)"
for f in "$T/rec"/*; do
	info=$("$inspect" info "$f") || jmx_die "rec_inspect failed on $f"
	case $info in
	*strict=ok*) ;;
	*) jmx_die "$f is not a valid file: $info" ;;
	esac
done
last=$(ls -t "$T/rec" | head -n 1)
"$inspect" info "$T/rec/$last" | grep -q "rate=44100" || jmx_die "the take after the rate change is not at 44100 Hz"
jmx_stop_pid $dpid 5
rc=$?
[ $rc -eq 0 ] || jmx_die "jackmixd exited with $rc on SIGTERM, want 0"
grep -q "/ch/2/fader/db -$((rounds * 2))" "$T/state" ||
	jmx_die "the state file lacks the value set while disconnected: $(grep '/ch/2/fader' "$T/state")"
echo "jack-restart.sh: PASS ($rounds restarts, $ntakes valid takes)"
exit 0
