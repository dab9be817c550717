#!/bin/sh
# bufsize.sh - JACK period changes and freewheeling while the daemon plays
# and records, under the RT-safety shim (rtshim.so, see rt-safety.sh):
#
#  1. private jackd (dummy, 48 kHz, 64 frames); jackmixd -c 2 -b 1 under
#     the shim; jmx_tone puts a 1 kHz sine at -20 dBFS on in_1 and meters
#     master_L/R;
#  2. take A, every parameter at its default (a linear chain): the period
#     goes 64 -> 8192 -> 64 -> 1024 -> 128 -> 8192 -> 64 (jack_bufsize),
#     one second each; /engine/status reports each new period; the master
#     carries the tone (-20 dB, -3 dB centre pan: -23 dBFS) after every
#     change; the take has no
#     dropped frame and, when JACK reported no xrun meanwhile, is one
#     unbroken sinusoid (rec_inspect tone: no silence, deviation < 1e-3);
#  3. every DSP block engaged (gate, EQ, compressor, HPF, master EQ and
#     compressor); take B across the same changes and a freewheel of 1
#     to 4 s (jack_freewheel y/n): /engine/status says freewheel 1
#     meanwhile and the frame counter runs faster than real time (in one
#     of up to four 1 s windows: see there); the freewheel policy
#     (jackmixd(1)): nothing goes to the recorder while JACK freewheels,
#     so take B holds no more frames than its wall-clock length and none
#     dropped;
#  4. SIGTERM: exit 0; the shim saw 0 forbidden calls on the process
#     thread in a plausible number of cycles.
# Skips (77) only if jackd, jack_lsp, jack_connect, jack_bufsize or
# jack_freewheel is missing.

srcdir=${srcdir:-.}
top_builddir=${top_builddir:-..}
. "$srcdir/jack-env.sh"

jmx_require jackd jack_lsp jack_connect jack_bufsize jack_freewheel awk
shim=$PWD/.libs/rtshim.so
daemon=$top_builddir/src/jackmixd
osc=./jmx_osc
hostile=./jmx_hostile
tone=./jmx_tone
inspect=./rec_inspect
jmx_built "$shim" "$daemon" "$osc" "$hostile" "$tone" "$inspect"

jmx_setup
T=$JMX_TMP
dname=jmx-bufsize-$$
tname=jmx-bufsize-tone-$$
fail=0

JMX_DIAG='jmx_show "daemon log" "$T/daemon.log" 40; jmx_show "daemon RT shim report" "$T/daemon.report" 10'

# field N of /engine/status (3 rate, 4 period, 5 xruns, 8 frames, 10 freewheel)
status() {
	$hostile get "$port" /engine/status | awk -v f="$1" '{ print $f }'
}

# level: the loudest of the tone's readings of the master over at least
# 1.2 s (a reading covers 100 ms, and a period of 8192 frames lasts 171 ms)
level() {
	# the meter file holds the peak of the last 100 ms, and at 8192
	# frames a cycle comes every 171 ms, later when the server skips
	# some: at least six readings, more (up to 20) until one saw a cycle
	lv=-200
	i=0
	while [ $i -lt 20 ]; do
		i=$((i + 1))
		sleep 0.2
		v=$(sed -n 's/^peak_dbfs=\([^ ]*\) .*/\1/p' "$T/meter")
		lv=$(awk -v a="$lv" -v b="${v:--200}" 'BEGIN { print (b > a ? b : a) }')
		[ $i -ge 6 ] && [ "$lv" != -200 ] && break
	done
	echo "$lv"
}

# bufsize N: change the period; wait until the daemon reports it
bufsize() {
	jack_bufsize "$1" >/dev/null 2>&1 || jmx_die "jack_bufsize $1 failed"
	n=0
	until [ "$(status 4)" = "$1" ]; do
		n=$((n + 1))
		[ $n -lt 50 ] || jmx_die "the daemon does not report a period of $1 (says $(status 4))"
		sleep 0.1
	done
}

# changes TAKE LO HI: the sequence of periods, checking after each that
# the master is between LO and HI dBFS
changes() {
	for p in 8192 64 1024 128 8192 64; do
		bufsize $p
		l=$(level)
		awk -v v="$l" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v > lo && v < hi) }' ||
			jmx_bad "$1: master at '$l' dBFS after the period became $p, want $2..$3"
	done
}

# take_stop NAME: /record/stop and wait for the file to be finished
take_stop() {
	"$osc" "$port" /record/stop >/dev/null || jmx_die "/record/stop ($1)"
	n=0
	until grep -q "recorded $T/rec/$1.wav" "$T/daemon.log"; do
		n=$((n + 1))
		[ $n -lt 100 ] || jmx_die "take $1 not finished"
		sleep 0.1
	done
	grep "recorded $T/rec/$1.wav" "$T/daemon.log" | sed 's/.*recorded //'
}

JMX_PERIOD=64 jmx_jack_start || jmx_fail "the private JACK server did not start"
port=$(jmx_free_udp_port) || jmx_fail "no free UDP port found"
mkdir -p "$T/rec"
start=$(date +%s)
jmx_daemon_start "$T/daemon.log" LD_PRELOAD="$shim" JMX_RTSHIM_REPORT="$T/daemon.report" -S "$JMX_SERVER" \
	-n "$dname" -c 2 -b 1 -p "$port" --feedback-port 0 --record-dir "$T/rec" --record-bits 32f
dpid=$JMX_DAEMON_PID
jmx_wait_ports "$dname" 8 15 || jmx_die "jackmixd did not register its 8 ports"
$tone -n "$tname" -c 1 -f 1000 -a -20 -m "$T/meter" >"$T/tone.log" 2>&1 &
jmx_track $!
jmx_wait_ports "$tname" 3 10 || jmx_die "jmx_tone did not register its ports"
jmx_connect "$tname:out_1" "$dname:in_1" || jmx_die "cannot connect the tone"
jmx_connect "$dname:master_L" "$tname:in_L" || jmx_die "cannot connect master_L"
jmx_connect "$dname:master_R" "$tname:in_R" || jmx_die "cannot connect master_R"
l=$(level)
awk -v v="$l" 'BEGIN { exit !(v > -24.5 && v < -21.5) }' || jmx_die "master at '$l' dBFS to start with, want -23"

# ---- take A: linear chain, period changes only -----------------------------
xa=$(status 5)
"$osc" "$port" /record/start s takeA >/dev/null || jmx_die "/record/start takeA"
sleep 1
changes takeA -24.5 -21.5
sleep 0.5
fin=$(take_stop takeA)
xa=$(($(status 5) - xa))
tone_a=$("$inspect" tone "$T/rec/takeA.wav" 1000 48000) || jmx_bad "rec_inspect tone failed on take A"
jmx_note "take A: $fin; $tone_a; $xa JACK xruns meanwhile"
case $fin in
*" 0 dropped frames"*) ;;
*) jmx_bad "take A dropped frames across the period changes: $fin" ;;
esac
silent=$(printf '%s\n' "$tone_a" | sed -n 's/^silent=\([0-9]*\).*/\1/p')
dev=$(printf '%s\n' "$tone_a" | sed -n 's/.*maxdev=\([^ ]*\).*/\1/p')
[ "${silent:-1}" -eq 0 ] || jmx_bad "take A has $silent frames of digital silence"
if [ "$xa" -eq 0 ]; then
	awk -v d="$dev" 'BEGIN { exit !(d < 1e-3) }' || jmx_bad "take A is not one unbroken sinusoid (maxdev $dev)"
else
	jmx_note "JACK reported xruns during take A: the tone itself may jump, whole-take fit not checked"
fi

# ---- take B: everything engaged, period changes and freewheel --------------
for p in /ch/1/gate/on /ch/1/hpf/on /ch/1/eq/on /ch/1/dyn/on /ch/2/eq/on /ch/2/dyn/on /master/eq/on \
	/master/comp/on; do
	"$osc" -t 0 "$port" "$p" i 1
done
"$osc" -t 0 "$port" /ch/1/eq/2/db f 6
"$osc" -t 0 "$port" /ch/1/send/1/level/db f -6
t0=$(date +%s%N)
"$osc" "$port" /record/start s takeB >/dev/null || jmx_die "/record/start takeB"
sleep 1
changes takeB -60 0
jack_freewheel y >/dev/null 2>&1 || jmx_die "jack_freewheel y failed"
# the speed is measured between two readings taken while the status
# says freewheel, so the time jack_freewheel itself takes (a slow start
# on a loaded machine) is not counted as freewheel time
n=0
until [ "$(status 10)" = 1 ] || [ $n -ge 50 ]; do
	n=$((n + 1))
	sleep 0.1
done
# the clock readings bracket the two status readings, so w1 - w0 is at
# least the time between them: real-time speed could not pass.  JACK
# runs the freewheel without RT priority, so on a saturated machine (CI:
# two tests and a sanitizer build on two cores) a second of it can get
# less CPU than real time needs: up to four 1 s windows, and one faster
# than real time shows the console is not paced by the clock (a console
# that is could pass none)
fw=1 fw_end=1 fw_fast=0 fw_seen=
for k in 1 2 3 4; do
	w0=$(date +%s%N)
	s0=$($hostile get "$port" /engine/status)
	sleep 1
	s1=$($hostile get "$port" /engine/status)
	w1=$(date +%s%N)
	[ "$(echo "$s0" | awk '{ print $10 }')" = 1 ] || fw=$(echo "$s0" | awk '{ print $10 }')
	[ "$(echo "$s1" | awk '{ print $10 }')" = 1 ] || fw_end=$(echo "$s1" | awk '{ print $10 }')
	fw_ms=$(((w1 - w0) / 1000000))
	fw_frames=$(($(echo "$s1" | awk '{ print $8 }') - $(echo "$s0" | awk '{ print $8 }')))
	fw_seen="$fw_seen ${fw_frames}/${fw_ms}ms"
	# the policy (jackmixd(1)): the console keeps mixing while JACK
	# freewheels, so the frame counter must outrun the clock (48 frames/ms)
	if [ $fw_frames -gt $((fw_ms * 48)) ]; then
		fw_fast=1
		break
	fi
done
jack_freewheel n >/dev/null 2>&1 || jmx_die "jack_freewheel n failed"
sleep 0.5
fw_after=$(status 10)
sleep 1
fin=$(take_stop takeB)
t1=$(date +%s%N)
[ "$fw" = 1 ] && [ "$fw_end" = 1 ] ||
	jmx_bad "/engine/status did not say freewheel 1 while JACK freewheeled (said '$fw', '$fw_end')"
[ "$fw_after" = 0 ] || jmx_bad "/engine/status still says freewheel after it ended"
jmx_note "freewheel: frames rendered per window:$fw_seen (the last $((fw_frames / (fw_ms * 48 + 1))) x real time)"
[ $fw_fast = 1 ] || jmx_bad "freewheel never faster than real time in 4 windows:$fw_seen"
info=$("$inspect" info "$T/rec/takeB.wav")
nframes=$(printf '%s\n' "$info" | sed -n 's/.*frames=\([0-9]*\).*/\1/p')
wall=$(((t1 - t0) / 1000000))
jmx_note "take B: $fin; $nframes frames in $wall ms of wall time"
case $fin in
*" 0 dropped frames"*) ;;
*) jmx_bad "take B dropped frames: $fin" ;;
esac
[ "${nframes:-0}" -gt 0 ] && [ "$nframes" -le $((wall * 48 + 48000)) ] ||
	jmx_bad "take B holds $nframes frames in $wall ms: freewheeled audio was recorded"
case $info in
*strict=ok*) ;;
*) jmx_bad "take B is not a valid file: $info" ;;
esac
l=$(level)
awk -v v="$l" 'BEGIN { exit !(v == v + 0 && v > -60) }' || jmx_bad "no audio on the master after the freewheel ($l)"

# ---- the shim's verdict ---------------------------------------------------
jmx_stop_pid $dpid 10
rc=$?
elapsed=$(($(date +%s) - start))
[ $rc -eq 0 ] || jmx_die "jackmixd exited with status $rc on SIGTERM (want 0)"
# shellcheck disable=SC2046
set -- $(jmx_shim_report "$T/daemon.report")
[ $# -eq 2 ] || jmx_die "jackmixd left no shim report"
calls=$1 cycles=$2
jmx_note "jackmixd: $calls forbidden calls in $cycles RT cycles ($elapsed s)"
if [ "$calls" -ne 0 ]; then
	jmx_show "daemon RT shim report" "$T/daemon.report" 10
	jmx_bad "forbidden calls on the RT thread during period changes or freewheeling"
fi
# at 64..8192 frames a period at least 6 cycles a second, and the freewheel more
[ "$cycles" -ge $((elapsed * 6)) ] || jmx_bad "only $cycles RT cycles in $elapsed s"
[ $fail -eq 0 ] || { jmx_show "daemon log" "$T/daemon.log" 30; exit 1; }
echo "bufsize.sh: PASS"
exit 0
