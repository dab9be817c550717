#!/bin/sh
# pipewire.sh - the core scenario on PipeWire's JACK (`pw-jack jackmixd`),
# on a private, headless PipeWire that touches no other PipeWire or JACK
# on the machine:
#
#  0. its own XDG_RUNTIME_DIR (the socket pipewire-0), config and state
#     dirs in the test's temp dir; a private D-Bus session bus
#     (dbus-daemon --session) and WirePlumber when installed (not with
#     JMX_PW_NO_WIREPLUMBER=1); pipewire with its stock configuration,
#     whose only driver here is the Dummy-Driver (no audio hardware);
#     every process started and stopped by PID.  The system's libjack
#     must still be JACK2's (pipewire-jack only through pw-jack);
#  1. pw-jack jackmixd -c 2 -b 1: its 8 audio and 2 MIDI ports appear;
#     /engine/status says running at the rate and quantum PipeWire's
#     settings metadata gives (clock.rate, clock.quantum: 48000 and 1024
#     by default);
#  2. latency: master_L's capture latency as other clients see it
#     (jack_port_get_latency_range through pw-jack jack_lsp -l) is the
#     daemon's own (its start-up line) and bus_1_L's is 0; itest_engine
#     (under pw-jack) measures master_L's delay behind bus_1_L by
#     correlation and finds exactly the reported difference;
#  3. levels: jmx_tone (under pw-jack) puts a 1 kHz sine at -20 dBFS on
#     in_1 and meters master_L/R; with the fader at -6 and then -18 dB the
#     master carries -20 + fader + 20 log10(cos(pi/4)) (constant power,
#     centre): -29.01 and -41.01 dBFS.  Tolerance 0.05 dB: at 1 kHz and
#     48 kHz a cycle is exactly 48 samples, so the sampled peak is the
#     sine's (the printout rounds to 0.01 dB), and the limiter (-1 dBTP)
#     is far away;
#  4. quantum changes: pw-metadata -n settings 0 clock.force-quantum 256,
#     2048, then pw-jack jack_bufsize 512 (which sets the same key), then
#     force-quantum 0: /engine/status reports each new period, and the
#     period it reports is the one the graph runs (jmx_tone's cycles times
#     the period = the frames the daemon rendered), frames come at the
#     rate (10 %), and the master is at the law's level; at 256 the
#     latency is measured again (itest_engine).  After force-quantum 0
#     PipeWire may keep the running quantum: whatever it runs, the daemon
#     must report it;
#  5. transport (when jack_transport is there): located while stopped,
#     started, stopped through pw-jack jack_transport; the daemon's
#     /automation/status follows (stopped at the located frame, rolling
#     with its frame moving, stopped);
#  6. freewheel: pw-jack jack_freewheel y/n; the daemon keeps mixing at
#     the same level, and what /engine/status says is what happened: a
#     freewheel flag of 1 only with frames faster than real time, 0 with
#     frames at the rate (on PipeWire 0.3.65 the daemon runs on in real
#     time and says 0; the log says which);
#  7. many connections in a row: a peer (jmx_tone -c 4) with 20
#     connections to the daemon is stopped and started again 10 times
#     (JMX_PW_BURSTS); the daemon re-makes all 20 by itself each time and
#     lives (it died here, as at 8: PipeWire's libjack runs the latency
#     callback on its own thread, unlocked, and the callback's
#     jack_port_set_latency_range raced the control thread's jack_connect);
#  8. PipeWire's restart: SIGTERM to wireplumber and pipewire: the daemon
#     says "disconnected" within 5 s (before the fix it said "running"
#     forever and never came back: PipeWire's libjack calls the
#     jack_on_shutdown callback, never jack_on_info_shutdown's); pipewire
#     (and wireplumber) started again: the daemon is back within 5 s with
#     its ports, one reconnect counted, reconnects jmx_tone (started anew)
#     by itself, and the master is at -41.01 dBFS again (fader kept);
#  9. SIGTERM: exit 0;
# 10. the daemon ran under jackcallshim.so (LD_PRELOAD): every libjack
#     call of it that touches ports, connections or latencies was made on
#     its control (main) thread, none in a callback on PipeWire's thread.
# Skips (77) only when pipewire, pw-jack or pw-metadata is missing (or
# jack_lsp, jack_connect, jack_disconnect, which pw-jack runs).  About
# 25 s.  One at a time: it starts a real PipeWire, if a private one.

srcdir=${srcdir:-.}
top_builddir=${top_builddir:-..}
. "$srcdir/jack-env.sh"

jmx_require pipewire pw-jack pw-metadata jack_lsp jack_connect jack_disconnect awk
daemon=$top_builddir/src/jackmixd
osc=./jmx_osc
hostile=./jmx_hostile
tone=./jmx_tone
itest=./itest_engine
shim=$PWD/.libs/jackcallshim.so
jmx_built "$daemon" "$osc" "$hostile" "$tone" "$itest" "$shim"

jmx_setup
T=$JMX_TMP
fail=0
dname=jmx-pw-$$
tname=jmx-pw-tone-$$
pw_pid=
wp_pid=
bus_pid=
tone_pid=

# ---- the private PipeWire's world -------------------------------------------
mkdir -m 700 "$T/run" "$T/config" "$T/state" || jmx_fail "mkdir"
XDG_RUNTIME_DIR=$T/run
PIPEWIRE_RUNTIME_DIR=$T/run
XDG_CONFIG_HOME=$T/config
XDG_STATE_HOME=$T/state
# no D-Bus autolaunch (it needs DISPLAY, which is unset too): a session bus
# only if we start our own
DBUS_SESSION_BUS_ADDRESS=unix:path=$T/run/no-bus
export XDG_RUNTIME_DIR PIPEWIRE_RUNTIME_DIR XDG_CONFIG_HOME XDG_STATE_HOME DBUS_SESSION_BUS_ADDRESS
unset DISPLAY WAYLAND_DISPLAY PIPEWIRE_REMOTE PIPEWIRE_CORE PIPEWIRE_QUANTUM PIPEWIRE_LATENCY \
	PIPEWIRE_RATE PIPEWIRE_PROPS PIPEWIRE_NODE JACK_DEFAULT_SERVER
# the JACK tools and helpers of jack-env.sh go through PipeWire's libjack;
# on PipeWire the server name is the remote's (its socket's) name
JMX_SERVER=pipewire-0
jack_lsp() { timeout -k 5 "$JMX_TOOL_TIMEOUT" pw-jack jack_lsp "$@"; }
jack_connect() { timeout -k 5 "$JMX_TOOL_TIMEOUT" pw-jack jack_connect "$@"; }
jack_disconnect() { timeout -k 5 "$JMX_TOOL_TIMEOUT" pw-jack jack_disconnect "$@"; }
jack_freewheel() { timeout -k 5 "$JMX_TOOL_TIMEOUT" pw-jack jack_freewheel "$@"; }
pw_meta() { timeout -k 5 10 pw-metadata "$@"; }

JMX_DIAG='jmx_show "daemon log" "$T/daemon.log" 40; jmx_show "pipewire log" "$T/pipewire.log" 15
	jmx_show "wireplumber log" "$T/wireplumber.log" 10; jmx_show "tone log" "$T/tone.log" 10
	jmx_show "peer log" "$T/peer.log" 10'

# settings KEY: the value of KEY in PipeWire's "settings" metadata
settings() {
	pw_meta -n settings 2>/dev/null | sed -n "s/.*key:'$1' value:'\([^']*\)'.*/\1/p" | head -n 1
}

# pw_start: pipewire (and wireplumber, when installed) until the
# settings metadata answers; 1 if not within 10 s
pw_start() {
	pipewire >>"$T/pipewire.log" 2>&1 &
	pw_pid=$!
	jmx_track $pw_pid
	n=100
	until [ -n "$(settings clock.rate)" ]; do
		jmx_alive $pw_pid || { jmx_note "pipewire exited during start-up"; return 1; }
		n=$((n - 1))
		[ $n -gt 0 ] || { jmx_note "pipewire not answering after 10 s"; return 1; }
		sleep 0.1
	done
	if [ -n "$bus_pid" ]; then
		wireplumber >>"$T/wireplumber.log" 2>&1 &
		wp_pid=$!
		jmx_track $wp_pid
	fi
	return 0
}

# pw_stop: wireplumber then pipewire, SIGTERM, by PID
pw_stop() {
	[ -z "$wp_pid" ] || jmx_stop_pid $wp_pid 5
	wp_pid=
	jmx_stop_pid $pw_pid 5
	pw_pid=
}

# status FIELD: field of /engine/status (2 state, 3 rate, 4 period, 8 frames,
# 9 reconnects, 10 freewheel)
status() {
	$hostile get "$port" /engine/status | awk -v f="$1" '{ print $f }'
}

# wait_status FIELD VALUE TIMEOUT_S: until status FIELD is VALUE; 1 if not
wait_status() {
	n=$(($3 * 10))
	until [ "$(status "$1")" = "$2" ]; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.1
	done
	return 0
}

# meter_near DB: poll jmx_tone's meter for up to 5 s until it is within
# 0.05 dB of DB (the fader glides for some 50 ms); prints the last reading
meter_near() {
	n=25
	while :; do
		sleep 0.2
		v=$(sed -n 's/^peak_dbfs=\([-0-9.]*\) .*/\1/p' "$T/meter" 2>/dev/null)
		if [ -n "$v" ] && awk -v v="$v" -v t="$1" 'BEGIN { exit !(v > t - 0.05 && v < t + 0.05) }'; then
			break
		fi
		n=$((n - 1))
		[ $n -gt 0 ] || break
	done
	echo "${v:-none}"
}

# level WHAT FADER_DB: set the fader, check the master against the law
level() {
	"$osc" -t 0 "$port" /ch/1/fader/db f "$2"
	sleep 0.2 # the glide (10 ms time constant) and the meter's 100 ms window
	law=$(awk -v f="$2" 'BEGIN { printf "%.4f", -20 + f + 20 * log(cos(atan2(1, 1))) / log(10) }')
	got=$(meter_near "$law")
	awk -v v="$got" -v t="$law" 'BEGIN { exit !(v > t - 0.05 && v < t + 0.05) }' ||
		{ jmx_bad "$1: master at '$got' dBFS with the fader at $2 dB, want $law"; return 1; }
	jmx_note "$1: fader $2 dB: master $got dBFS (law: $law)"
}

start_tone() {
	rm -f "$T/meter"
	pw-jack $tone -n "$tname" -c 1 -f 1000 -a -20 -m "$T/meter" >>"$T/tone.log" 2>&1 &
	tone_pid=$!
	jmx_track $tone_pid
	jmx_wait_ports "$tname" 3 10 || jmx_die "jmx_tone never registered its ports"
}

# latency WHAT: the reported capture latencies, then itest_engine's
# measurement against them
latency() {
	ml=$(jack_lsp -l "$dname:master_L" | sed -n 's/.*capture latency = \[ \([0-9]*\) \([0-9]*\) \].*/\1 \2/p')
	bl=$(jack_lsp -l "$dname:bus_1_L" | sed -n 's/.*capture latency = \[ \([0-9]*\) \([0-9]*\) \].*/\1 \2/p')
	out=$(timeout -k 5 30 pw-jack $itest "$dname" "$port" 2>&1)
	rc=$?
	jmx_note "$1: master_L capture latency [$ml], bus_1_L [$bl]; itest_engine:$(echo "$out" | head -n 1)"
	[ $rc -eq 0 ] || jmx_bad "$1: itest_engine failed ($rc): $out"
	# itest_engine left ch 1 panned hard left with a send to bus 1
	"$osc" -t 0 "$port" /ch/1/pan f 0.5
}

# measure: over a second of sleep bracketed by the clock, the frames the
# daemon rendered (mf), the cycles jmx_tone ran (mc, from its meter file,
# which is up to 100 ms old) and the milliseconds (mms >= 1000 covers
# both status readings)
cycles() { sed -n 's/.* cycles=\([0-9]*\).*/\1/p' "$T/meter" 2>/dev/null; }
measure() {
	w0=$(date +%s%N)
	f0=$(status 8)
	c0=$(cycles)
	sleep 1
	f1=$(status 8)
	c1=$(cycles)
	w1=$(date +%s%N)
	mf=$((f1 - f0)) mc=$((${c1:-0} - ${c0:-0})) mms=$(((w1 - w0) / 1000000))
}

# real_time FRAMES MS: FRAMES is what the rate gives between the two
# readings: at least 90 % of a second's frames (the readings are at
# least the 1 s sleep apart) and at most 110 % of MS's, give or take two
# periods (the counter moves a period at a time); 1 if fewer, 2 if more
real_time() {
	awk -v f="$1" -v ms="$2" -v r="$rate" -v p="$(status 4)" 'BEGIN {
		if (f < 0.9 * r - 2 * p) exit 1
		if (f > 1.1 * r * ms / 1000.0 + 2 * p) exit 2
		exit 0 }'
}

# pipewire-jack must not have taken over the system's libjack (Debian
# ships the ld.so.conf.d file that would do it as an example only): the
# other tests run JACK2's jackd and clients
case $(ldconfig -p 2>/dev/null | grep 'libjack\.so\.0 ') in
*pipewire*) jmx_bad "the system's libjack.so.0 is PipeWire's (/etc/ld.so.conf.d): JACK2 tests would run on PipeWire" ;;
esac

if [ -z "${JMX_PW_NO_WIREPLUMBER:-}" ] && jmx_have wireplumber && jmx_have dbus-daemon; then
	dbus-daemon --session --nofork --nopidfile --address="unix:path=$T/run/bus" >"$T/dbus.log" 2>&1 &
	bus_pid=$!
	jmx_track $bus_pid
	DBUS_SESSION_BUS_ADDRESS=unix:path=$T/run/bus
	n=50
	until [ -S "$T/run/bus" ]; do
		n=$((n - 1))
		[ $n -gt 0 ] || jmx_die "the private D-Bus session bus did not start"
		sleep 0.1
	done
else
	jmx_note "no wireplumber or dbus-daemon: PipeWire without a session manager"
fi
pw_start || jmx_die "the private PipeWire did not start"
rate=$(settings clock.rate)
quantum=$(settings clock.quantum)
jmx_note "PipeWire $(pipewire --version | sed -n 's/.*libpipewire //p' | tail -n 1): clock.rate $rate, clock.quantum $quantum${wp_pid:+, with WirePlumber}"

# ---- 1. ports and status ----------------------------------------------------
port=$(jmx_free_udp_port) || jmx_fail "no free UDP port found"
JMX_DAEMON=pw-jack jmx_daemon_start -w "$T/daemon.log" LD_PRELOAD="$shim" "$daemon" -n "$dname" -c 2 -b 1 -p "$port" \
	--feedback-port 0 || jmx_die "pw-jack jackmixd did not start"
dpid=$JMX_DAEMON_PID
jmx_wait_ports "$dname" 10 10 || jmx_die "jackmixd's ports did not appear: $(jack_lsp 2>&1)"
for p in in_1 in_2 master_L master_R mon_L mon_R bus_1_L bus_1_R midi_in midi_out; do
	jack_lsp -s "$JMX_SERVER" | grep -qx "$dname:$p" || jmx_bad "no port $dname:$p"
done
wait_status 2 running 5 || jmx_die "/engine/status does not say running: $(status 2)"
[ "$(status 3)" = "$rate" ] || jmx_bad "/engine/status says $(status 3) Hz, PipeWire's clock.rate is $rate"
[ "$(status 4)" = "$quantum" ] || jmx_bad "/engine/status says $(status 4) frames, PipeWire's clock.quantum is $quantum"

# ---- 2. latency: reported and measured --------------------------------------
said=$(sed -n 's/.*master latency \([0-9]*\) frames.*/\1/p' "$T/daemon.log" | head -n 1)
# the latency callback runs a moment after activation
t0=$(date +%s%N)
n=30
until [ "$(jack_lsp -l "$dname:master_L" | sed -n 's/.*capture latency = \[ \([0-9]*\) .*/\1/p')" = "$said" ]; do
	n=$((n - 1))
	[ $n -gt 0 ] || break
	sleep 0.1
done
jmx_note "master_L's latency seen by another client after $((($(date +%s%N) - t0) / 1000000)) ms"
ml=$(jack_lsp -l "$dname:master_L" | sed -n 's/.*capture latency = \[ \([0-9]*\) \([0-9]*\) \].*/\1 \2/p')
bl=$(jack_lsp -l "$dname:bus_1_L" | sed -n 's/.*capture latency = \[ \([0-9]*\) \([0-9]*\) \].*/\1 \2/p')
[ -n "$said" ] && [ "$ml" = "$said $said" ] ||
	jmx_bad "master_L's capture latency seen through pw-jack is [$ml], the daemon says $said frames"
[ "$bl" = "0 0" ] || jmx_bad "bus_1_L's capture latency seen through pw-jack is [$bl], want [0 0]"
latency "quantum $quantum"

# ---- 3. levels ----------------------------------------------------------------
start_tone
jmx_connect "$tname:out_1" "$dname:in_1" || jmx_die "cannot connect the tone"
jmx_connect "$dname:master_L" "$tname:in_L" || jmx_die "cannot connect master_L"
jmx_connect "$dname:master_R" "$tname:in_R" || jmx_die "cannot connect master_R"
level "quantum $quantum" -6
level "quantum $quantum" -18

# ---- 4. quantum changes -------------------------------------------------------
# a virtual machine's PipeWire raises the smallest quantum to 1024
# (pipewire.conf's vm.overrides): allow ours
pw_meta -n settings 0 clock.min-quantum 16 >/dev/null 2>&1
# quantum WHAT: the period /engine/status reports is the one the graph
# runs at (jmx_tone's cycles: mc x period = the frames the daemon
# rendered, within 20 % and two periods: the meter file is up to 100 ms
# old), frames come at the rate, the level is the law's, the daemon lives
quantum() {
	jmx_alive $dpid || jmx_die "jackmixd died at $1"
	p=$(status 4)
	sleep 0.3 # the meter file's cycle count (100 ms old at most) is from this period
	measure
	real_time $mf $mms || jmx_bad "$1: $mf frames rendered in $mms ms, want $rate/s"
	awk -v c=$mc -v p="$p" -v f=$mf 'BEGIN { d = c * p - f; if (d < 0) d = -d; exit !(d <= 0.2 * f + 2 * p) }' ||
		jmx_bad "$1: /engine/status says a period of $p, but jmx_tone ran $mc cycles for $mf frames"
	jmx_note "$1: period $p: $mf frames and $mc tone cycles in $mms ms"
	level "$1" -18
}
for q in 256 2048 512 0; do
	if [ $q = 512 ]; then
		# the JACK way: PipeWire's jack_bufsize sets clock.force-quantum,
		# but as it exits at once the setting is now and then lost (seen
		# 1 run in 4): what PipeWire got is checked, and a lost one is
		# asked again (up to 3 times) and noted
		k=0
		until [ "$(settings clock.force-quantum)" = $q ]; do
			[ $k -lt 3 ] || { jmx_bad "pw-jack jack_bufsize $q never reached PipeWire"; break; }
			[ $k -eq 0 ] || jmx_note "pw-jack jack_bufsize $q did not reach PipeWire: again"
			timeout -k 5 10 pw-jack jack_bufsize $q >/dev/null 2>&1 || jmx_bad "pw-jack jack_bufsize $q failed"
			k=$((k + 1))
			sleep 0.2
		done
	else
		pw_meta -n settings 0 clock.force-quantum $q >/dev/null 2>&1 ||
			jmx_bad "pw-metadata clock.force-quantum $q failed"
	fi
	if [ $q = 0 ]; then
		# PipeWire keeps the running quantum until the graph changes
		sleep 0.5
		quantum "force-quantum 0"
		continue
	fi
	wait_status 4 $q 5 || { jmx_bad "quantum $q: /engine/status says a period of $(status 4)"; continue; }
	quantum "quantum $q"
	if [ $q = 256 ]; then
		jack_disconnect "$tname:out_1" "$dname:in_1" >/dev/null 2>&1
		latency "quantum $q"
		jmx_connect "$tname:out_1" "$dname:in_1" || jmx_die "cannot connect the tone again"
	fi
done

# ---- 5. transport -------------------------------------------------------------
# auto WHAT: /automation/status's transport and frame
auto() {
	"$osc" "$port" /automation/status | awk '$1 == "/automation/status" { print $2, $3 }'
}
# transport CMD...: jack_transport's commands, each held 0.3 s
transport() {
	for c in "$@"; do
		echo "$c"
		sleep 0.3
	done | timeout -k 5 10 pw-jack jack_transport >/dev/null 2>&1
}
if jmx_have jack_transport; then
	transport stop "locate 96000" quit
	a=$(auto)
	[ "$a" = "stopped 96000" ] || jmx_bad "transport stopped at 96000: the daemon says '$a'"
	transport play quit
	sleep 0.5
	a1=$(auto)
	sleep 0.5
	a2=$(auto)
	case "$a1 $a2" in
	"rolling "*" rolling "*)
		[ "${a2#* }" -gt "${a1#* }" ] && [ "${a1#* }" -gt 96000 ] ||
			jmx_bad "transport rolling: the daemon's frame went '$a1' -> '$a2'" ;;
	*) jmx_bad "transport started: the daemon says '$a1', '$a2'" ;;
	esac
	transport stop quit
	a=$(auto)
	[ "${a%% *}" = stopped ] || jmx_bad "transport stopped: the daemon says '$a'"
	jmx_note "transport: located stopped -> rolling ($a1, $a2) -> $a"
else
	jmx_note "no jack_transport: transport not tested"
fi

# ---- 6. freewheel -------------------------------------------------------------
jack_freewheel y >/dev/null 2>&1 || jmx_bad "pw-jack jack_freewheel y failed"
sleep 0.3
measure
fw=$(status 10)
jack_freewheel n >/dev/null 2>&1 || jmx_bad "pw-jack jack_freewheel n failed"
real_time $mf $mms
speed=$?
if [ "$fw" = 1 ]; then
	[ $speed = 2 ] || jmx_bad "freewheel: the daemon says it freewheels but rendered $mf frames in $mms ms"
	jmx_note "freewheel: the daemon freewheeled ($mf frames in $mms ms)"
	wait_status 10 0 5 || jmx_bad "freewheel: /engine/status still says freewheel after jack_freewheel n"
else
	[ $speed = 0 ] || jmx_bad "freewheel: the daemon says '$fw' (no freewheel) but rendered $mf frames in $mms ms"
	jmx_note "freewheel: jack_freewheel y did not freewheel the daemon ($mf frames in $mms ms, status freewheel $fw)"
fi
jmx_alive $dpid || jmx_die "jackmixd died across jack_freewheel"
level "after jack_freewheel" -18

# ---- 7. the daemon makes many connections in a row ----------------------------
# A second peer (jmx_tone -c 4: out_1..out_4, in_L, in_R) on every audio
# port of the daemon, each of its outputs to both inputs: 20 connections.
# It is stopped and started again $bursts times, and the daemon re-makes
# all 20 by itself each time
# (remembered peers).  Each connection made has PipeWire recompute the
# latencies and call the daemon's latency callback, on PipeWire's own
# thread, while the control thread is already in jack_connect for the
# next one.  The callback used to set the latencies right there: two
# threads writing on one connection to PipeWire, and the daemon died
# (SIGABRT in assert_single_pod, or SIGSEGV).
bursts=${JMX_PW_BURSTS:-10}
pname=jmx-pw-peer-$$
peer_pid=
start_peer() {
	pw-jack $tone -n "$pname" -c 4 -f 500 -a -60 >>"$T/peer.log" 2>&1 &
	peer_pid=$!
	jmx_track $peer_pid
	jmx_wait_ports "$pname" 6 10
}
# peer_conns: how many connections the peer's ports have
peer_conns() {
	jack_lsp -c 2>/dev/null | awk -v p="$pname:" '
		/^[^ \t]/ { mine = index($0, p) == 1; next }
		mine { n++ }
		END { print n + 0 }'
}
start_peer || jmx_die "the peer never registered its ports"
for o in out_1 out_2 out_3 out_4; do
	jmx_connect "$pname:$o" "$dname:in_1" && jmx_connect "$pname:$o" "$dname:in_2" ||
		jmx_die "cannot connect the peer's $o"
done
for o in master_L master_R mon_L mon_R bus_1_L bus_1_R; do
	jmx_connect "$dname:$o" "$pname:in_L" && jmx_connect "$dname:$o" "$pname:in_R" ||
		jmx_die "cannot connect $o to the peer"
done
[ "$(peer_conns)" = 20 ] || jmx_die "the peer has $(peer_conns) connections, want 20"
sleep 0.3 # the daemon's session looks at the graph when it changes
# connections made from outside leave with the client that goes away
# (man jackmixd-osc, /jack/keep): these are kept, so the daemon re-makes
# them when the peer comes back
kept=$("$osc" "$port" /jack/keep | awk '$1 == "/jack/keep" { print $2 }')
[ "${kept:-0}" -ge 20 ] || jmx_die "/jack/keep kept '$kept' connections, want the 20 and the tone's"
k=0
t0=$(date +%s%N)
while [ $k -lt "$bursts" ]; do
	k=$((k + 1))
	jmx_stop_pid $peer_pid 5
	n=50
	until [ "$(jmx_count_ports "$pname")" = 0 ]; do
		n=$((n - 1))
		[ $n -gt 0 ] || jmx_die "burst $k: the peer's ports did not go"
		sleep 0.1
	done
	sleep 0.3 # the daemon decides the peer went away (two looks)
	start_peer || jmx_die "burst $k: the peer never registered its ports again"
	n=50
	until [ "$(peer_conns)" = 20 ]; do
		jmx_alive $dpid || jmx_die "burst $k: jackmixd died re-making the peer's 20 connections"
		n=$((n - 1))
		[ $n -gt 0 ] || jmx_die "burst $k: the daemon re-made $(peer_conns) of the peer's 20 connections"
		sleep 0.1
	done
done
jmx_alive $dpid || jmx_die "jackmixd died re-making the peer's connections"
jmx_note "the peer's 20 connections re-made by the daemon $bursts times ($((($(date +%s%N) - t0) / 1000000)) ms)"
jmx_stop_pid $peer_pid 5
level "after the peer" -18

# ---- 8. PipeWire goes away and comes back ---------------------------------------
pw_stop
wait_status 2 disconnected 5 || jmx_die "PipeWire stopped: /engine/status still says '$(status 2)' after 5 s"
jmx_alive $dpid || jmx_die "jackmixd died with PipeWire"
jmx_wait_gone $tone_pid 10 || jmx_die "jmx_tone did not notice PipeWire going"
wait $tone_pid 2>/dev/null
jmx_untrack $tone_pid
pw_start || jmx_die "the private PipeWire did not start again"
t0=$(date +%s%N)
wait_status 2 running 5 || jmx_die "PipeWire back: /engine/status says '$(status 2)' after 5 s"
ms=$((($(date +%s%N) - t0) / 1000000))
jmx_wait_ports "$dname" 10 5 || jmx_die "PipeWire back: jackmixd's ports did not come back"
[ "$(status 9)" = 1 ] || jmx_bad "PipeWire back: /engine/status counts $(status 9) reconnects, want 1"
start_tone
# the daemon connects the returning jmx_tone by itself (remembered peers)
n=0
until jmx_connected "$dname:in_1" "$tname:out_1" 0 && jmx_connected "$dname:master_R" "$tname:in_R" 0; do
	n=$((n + 1))
	[ $n -lt 50 ] || { jmx_bad "PipeWire back: the daemon did not reconnect jmx_tone's ports"; break; }
	sleep 0.1
done
level "PipeWire back ($ms ms)" -18

# ---- 9. SIGTERM -----------------------------------------------------------------
jmx_stop_pid $dpid 5
rc=$?
[ $rc -eq 0 ] || jmx_bad "jackmixd exited with $rc on SIGTERM, want 0"

# ---- 10. only the control thread called libjack -----------------------------------
# jackcallshim.so: every libjack call of the daemon that touches ports,
# connections or latencies was made on its main (control) thread, none in
# a callback on PipeWire's thread (where jack_port_set_latency_range
# raced the control thread's jack_connect, section 7)
grep -q '^jackcallshim: active' "$T/daemon.log" || jmx_bad "jackcallshim.so was not active in the daemon"
if grep -q '^jackcallshim: .* not the main thread' "$T/daemon.log"; then
	jmx_bad "the daemon called libjack off its control thread: $(grep '^jackcallshim: .* not the main thread' "$T/daemon.log" | tr '\n' ' ')"
fi
[ $fail -eq 0 ] || eval "$JMX_DIAG"
[ $fail -eq 0 ] && echo "pipewire.sh: PASS"
exit $fail
