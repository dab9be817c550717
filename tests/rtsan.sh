#!/bin/sh
# rtsan.sh - RealtimeSanitizer (clang-22 -fsanitize=realtime) on the RT
# path.  The daemon and the RT library are built from a copy of the
# source tree; engine.c marks its process callback nonblocking in such a
# build, so RTSan checks everything the callback calls, at run time.
#
#  1. the build really instruments the RT entry: engine_process calls
#     __rtsan_realtime_enter;
#  2. DSP scenario (rtsan_dsp.c): negative control first (an allocation
#     in the RT function must be reported), then every parameter of every
#     instance set and ramped while periods of 1..8192 frames render and
#     the master goes into the recorder ring: no report;
#  3. integration scenario: the RTSan daemon on a private jackd (dummy),
#     a tone in, every switch on and random values for every parameter
#     over OSC, hostile numbers, a snapshot recalled over 500 ms, a take
#     recorded with stems, periods 64 -> 8192 -> 128, a freewheel, that
#     take played back through every channel with a locate, the server killed
#     and restarted at 44.1 kHz (mixer rebuilt, RT path again); SIGTERM:
#     exit 0, and RTSan wrote no report.
# Skips (77) only when clang-22 or its RTSan runtime is missing (or jackd,
# jack_lsp, jack_connect, jack_bufsize, jack_freewheel for step 3).
set -u
srcdir=${srcdir:-.}
top_srcdir=${top_srcdir:-..}
top_srcdir=$(cd "$top_srcdir" && pwd)
. "$srcdir/jack-env.sh"
. "$top_srcdir/tests/san-env.sh"
san_nested_guard
san_clang
jmx_require jackd jack_lsp jack_connect jack_bufsize jack_freewheel awk objdump
jmx_built ./jmx_tone ./jmx_osc ./jmx_hostile
jmx_setup
W=$JMX_TMP

printf 'int main(void) { return 0; }\n' >"$W/probe.c"
if ! "$SAN_CC" -fsanitize=realtime "$W/probe.c" -o "$W/probe" >/dev/null 2>&1; then
	jmx_note "SKIP: $SAN_CC cannot link -fsanitize=realtime (libclang-rt-22-dev missing?)"
	exit 77
fi
t0=$(date +%s)
san_tree "$W/tree" || jmx_fail "cannot copy the source tree"
flags="-O2 -g -fno-omit-frame-pointer -fsanitize=realtime -Wno-function-effects"
san_build "$W/tree" "$W/build.log" "$flags" -C src libjmxdsp.a jackmixd || jmx_fail "the RTSan build failed"
JMX_DAEMON=$W/tree/src/jackmixd

# ---- 1. the RT entry is instrumented ---------------------------------------
obj=$(ls "$W"/tree/src/jack/*engine.o | head -n 1)
objdump -dr --no-show-raw-insn "$obj" | awk '/<engine_process>:/ { f = 1 } f && /^$/ { exit } f' |
	grep -q __rtsan_realtime_enter || jmx_fail "engine_process in $obj is not a real-time context for RTSan"

# ---- 2. DSP scenario -----------------------------------------------------------
. "$top_srcdir/tests/src-env.sh"
# shellcheck disable=SC2086 # word list
"$SAN_CC" -std=gnu11 $flags $jmx_src_inc "$top_srcdir/tests/rtsan_dsp.c" "$W/tree/src/libjmxdsp.a" \
	-lm -lpthread -o "$W/rtsan_dsp" || jmx_fail "cannot build rtsan_dsp"
RTSAN_OPTIONS=halt_on_error=true "$W/rtsan_dsp" --negative 1 >"$W/neg.out" 2>&1
rc=$?
if [ $rc -eq 0 ] || ! grep -q "RealtimeSanitizer: unsafe-library-call" "$W/neg.out" ||
	! grep -q "malloc" "$W/neg.out"; then
	jmx_show "negative control" "$W/neg.out" 20
	jmx_fail "RTSan did not report the allocation in the RT function (exit $rc)"
fi
jmx_note "negative control: the allocation in the RT function was reported"
RTSAN_OPTIONS=halt_on_error=true "$W/rtsan_dsp" "${JMX_RTSAN_DSP_SECONDS:-5}" >"$W/dsp.out" 2>&1
rc=$?
cat "$W/dsp.out"
[ $rc -eq 0 ] && ! grep -q RealtimeSanitizer "$W/dsp.out" || jmx_fail "RTSan report in the DSP scenario (exit $rc)"

# ---- 3. integration scenario -------------------------------------------------
jmx_jack_start || jmx_fail "the private JACK server did not start"
port=$(jmx_free_udp_port) || jmx_fail "no free UDP port found"
dname=jmx-rtsan-$$
tname=jmx-rtsan-tone-$$
mkdir -p "$W/rec" "$W/reports" "$W/snaps"
jmx_daemon_start "$W/daemon.log" RTSAN_OPTIONS="halt_on_error=false:log_path=$W/reports/rtsan" \
	-S "$JMX_SERVER" -n "$dname" -c 4 --stereo-channels 1 -b 2 -p "$port" --feedback-port 0 \
	--record-dir "$W/rec" --snapshot-dir "$W/snaps" --talkback --record-stems multi
dpid=$JMX_DAEMON_PID
JMX_DIAG='jmx_show "daemon log" "$W/daemon.log" 30
for f in "$W"/reports/*; do
	[ -f "$f" ] && jmx_show "RTSan report" "$f" 40
done'
jmx_wait_ports "$dname" 15 20 || jmx_die "the RTSan daemon did not register its ports"
tone() {
	./jmx_tone -n "$tname" -c 6 -a -20 >>"$W/tone.log" 2>&1 &
	jmx_track $!
	jmx_wait_ports "$tname" 8 10 || jmx_die "jmx_tone did not register its ports"
	# after a server restart the daemon connects it by itself (remembered
	# peers): connect only what is missing
	k=1
	for p in in_1 in_2 in_3 in_4 in_5_L in_5_R; do
		jmx_connect_missing "$tname:out_$k" "$dname:$p" || jmx_die "cannot connect the tone to $p"
		k=$((k + 1))
	done
	jmx_connect_missing "$tname:out_1" "$dname:talk_in" || jmx_die "cannot connect the tone to talk_in"
}
tone
./jmx_hostile random "$port" 5 2 3 2000 >/dev/null || jmx_die "random traffic got errors"
./jmx_hostile numbers "$port" 5 2 >"$W/numbers.out" 2>&1 || jmx_die "hostile numbers failed: $(tail -n 3 "$W/numbers.out")"
./jmx_osc "$port" /snapshot/save s a >/dev/null || jmx_die "/snapshot/save"
./jmx_hostile random "$port" 5 2 1 2000 >/dev/null
./jmx_osc "$port" /snapshot/load s a f 500 >/dev/null || jmx_die "/snapshot/load"
./jmx_osc "$port" /record/start s pb >/dev/null || jmx_die "/record/start"
for p in 64 8192 128; do
	jack_bufsize $p >/dev/null 2>&1 || jmx_die "jack_bufsize $p"
	./jmx_hostile random "$port" 5 2 1 1000 >/dev/null
done
jack_freewheel y >/dev/null 2>&1 && sleep 1 && jack_freewheel n >/dev/null 2>&1 || jmx_die "jack_freewheel"
./jmx_osc "$port" /record/stop >/dev/null || jmx_die "/record/stop"
# the take played back through every channel: the playback ring on the RT path
n=0
until grep -q 'info: recorded .*/pb\.wav' "$W/daemon.log"; do
	n=$((n + 1))
	[ $n -lt 100 ] || jmx_die "the take with stems did not finish"
	sleep 0.1
done
./jmx_osc "$port" /playback/load s pb >/dev/null || jmx_die "/playback/load"
for c in 1 2 3 4; do
	./jmx_osc -r 1 "$port" /ch/$c/source s playback >/dev/null || jmx_die "/ch/$c/source"
done
./jmx_osc "$port" /playback/start >/dev/null || jmx_die "/playback/start"
./jmx_hostile random "$port" 5 2 1 1000 >/dev/null
./jmx_osc "$port" /playback/locate f 0.2 >/dev/null || jmx_die "/playback/locate"
sleep 0.5
./jmx_osc "$port" /playback/stop >/dev/null || jmx_die "/playback/stop"
jmx_jack_kill || jmx_die "jackd did not stop"
JMX_RATE=44100 JMX_PERIOD=256 jmx_jack_start || jmx_die "the private JACK server did not restart"
n=0
until grep -q "reconnected to JACK" "$W/daemon.log"; do
	n=$((n + 1))
	[ $n -lt 50 ] || jmx_die "the RTSan daemon did not reconnect"
	sleep 0.1
done
tone
f0=$(./jmx_hostile get "$port" /engine/status | awk '{ print $8 }')
./jmx_hostile random "$port" 5 2 2 2000 >/dev/null || jmx_die "random traffic after the restart got errors"
f1=$(./jmx_hostile get "$port" /engine/status | awk '{ print $8 }')
frames=$((f1 - f0))
jmx_stop_pid $dpid 10
rc=$?
[ $rc -eq 0 ] || jmx_die "the RTSan daemon exited with $rc on SIGTERM"
[ "${frames:-0}" -gt 44100 ] || jmx_die "the RT path hardly ran after the restart ($frames frames)"
if ls "$W/reports"/* >/dev/null 2>&1; then
	jmx_die "RTSan reported real-time violations in the daemon"
fi
jmx_note "integration: $frames frames rendered after the restart; build and run $(($(date +%s) - t0)) s"
echo "rtsan.sh: PASS"
exit 0
