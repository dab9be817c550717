#!/bin/sh
# soak.sh - a long run with everything moving, for the resource promise
# (not part of make check: run it by hand, for hours):
#
#   tests/soak.sh [DURATION_S [REPORT_EVERY_S]]     (defaults 3600, 60)
#
# From the build's tests directory (it uses ../src/jackmixd and the test
# tools).  A private jackd (dummy, 48 kHz, 128 frames); jackmixd -c 8
# --stereo-channels 2 -b 4 with a state file, a record directory and a
# scene directory; jmx_tone on every input; then, until the time is up:
# random parameter traffic (jmx_hostile random, 300 messages/s), now and
# then a scene saved and recalled with a fade, a take started and stopped
# (every take is kept until checked, then deleted), meters polled, a
# period change, a feedback subscription renewed, and every
# JMX_SOAK_RESTART_S (default 600) the JACK server restarted.
#
# Every REPORT_EVERY_S it prints one line: elapsed seconds, the daemon's
# RSS (kB), file descriptors, threads, JACK xruns, late periods (the
# daemon's own), DSP max (% of a period), takes checked.  At the end a
# summary with the first and last values, and it fails (exit 1) when the
# daemon died, a take was not a valid file, RSS grew by more than 10 %
# + 4 MiB after the first quarter (warm-up), the thread count after the
# warm-up changed, or the descriptors at the end (no take open) are more
# than the fewest seen after the warm-up.
srcdir=${srcdir:-.}
top_builddir=${top_builddir:-..}
. "$srcdir/jack-env.sh"

jmx_require jackd jack_lsp jack_connect jack_bufsize awk
duration=${1:-3600}
every=${2:-60}
restart_every=${JMX_SOAK_RESTART_S:-600}
daemon=$top_builddir/src/jackmixd
jmx_built "$daemon" ./jmx_osc ./jmx_hostile ./jmx_tone ./rec_inspect
jmx_setup
T=$JMX_TMP
dname=jmx-soak-$$
tname=jmx-soak-tone-$$
fail=0

jmx_jack_start || jmx_fail "the private JACK server did not start"
port=$(jmx_free_udp_port) || jmx_fail "no free UDP port"
mkdir -p "$T/rec" "$T/snaps"
jmx_daemon_start "$T/daemon.log" -S "$JMX_SERVER" -n "$dname" -c 8 --stereo-channels 2 -b 4 -p "$port" \
	--feedback-port 0 -s "$T/state" --record-dir "$T/rec" --snapshot-dir "$T/snaps"
dpid=$JMX_DAEMON_PID
nports=$((8 + 4 + 4 + 8))
jmx_wait_ports "$dname" $nports 20 || { jmx_show daemon "$T/daemon.log"; jmx_fail "no daemon ports"; }

tone_pid=
start_tone() {
	./jmx_tone -n "$tname" -c 12 -a -24 >>"$T/tone.log" 2>&1 &
	tone_pid=$!
	jmx_track $tone_pid
	jmx_wait_ports "$tname" 14 10 || return 1
	# after a server restart the daemon connects the tone by itself (it
	# remembers its peers): connect what is missing, then check all
	k=1
	for p in in_1 in_2 in_3 in_4 in_5 in_6 in_7 in_8 in_9_L in_9_R in_10_L in_10_R; do
		jmx_connect_missing "$tname:out_$k" "$dname:$p" || return 1
		k=$((k + 1))
	done
}
start_tone || jmx_fail "cannot start the tone"

takes=0
check_takes() {
	for f in "$T/rec"/*.wav; do
		[ -f "$f" ] || continue
		# only finished takes: the daemon logged "recorded <file>"
		grep -q "recorded $f" "$T/daemon.log" || continue
		info=$(./rec_inspect info "$f" 2>&1)
		case $info in
		*strict=ok*) takes=$((takes + 1)) ;;
		*) jmx_bad "take $f: $info" ;;
		esac
		rm -f "$f"
	done
}

status() { ./jmx_hostile get "$port" /engine/status 2>/dev/null | awk '{ print $5, $6, $7 }'; }

t_start=$(date +%s)
next_report=$((t_start + every))
next_restart=$((t_start + restart_every))
warm=$((t_start + duration / 4))
rss_warm= fd_min= th_min= th_max= rss_max=0
first=
echo "# seconds rss_kB fds threads xruns late dsp_max% takes"
i=0
while :; do
	now=$(date +%s)
	[ $((now - t_start)) -lt "$duration" ] || break
	jmx_alive $dpid || { jmx_bad "the daemon died after $((now - t_start)) s"; break; }
	./jmx_hostile random "$port" 10 4 5 300 >>"$T/traffic.log" 2>&1 || jmx_bad "random traffic got /error replies"
	i=$((i + 1))
	case $((i % 6)) in
	0) ./jmx_osc "$port" /snapshot/save s "soak$((i % 3))" >/dev/null ;;
	1) ./jmx_osc "$port" /snapshot/load s "soak$(((i + 1) % 3))" f 300 >/dev/null ;;
	2) ./jmx_osc "$port" /record/start >/dev/null ;;
	3) ./jmx_osc "$port" /record/stop >/dev/null ;;
	4) ./jmx_osc "$port" /master/meter >/dev/null
	   ./jmx_osc "$port" /subscribe i 0 i 30 s /master >/dev/null ;;
	5) jack_bufsize $((i % 12 == 5 ? 256 : 128)) >/dev/null 2>&1 ;;
	esac
	check_takes
	if [ "$now" -ge "$next_restart" ]; then
		next_restart=$((now + restart_every))
		jmx_jack_stop >/dev/null 2>&1
		jmx_wait_gone "$tone_pid" 10
		jmx_untrack "$tone_pid"
		jmx_jack_start || { jmx_bad "jackd did not restart"; break; }
		jmx_wait_ports "$dname" $nports 10 || jmx_bad "the daemon did not come back after a server restart"
		start_tone || jmx_bad "cannot restart the tone"
	fi
	if [ "$now" -ge "$next_report" ]; then
		next_report=$((now + every))
		r=$(jmx_rss_kb $dpid) f=$(jmx_fds $dpid) th=$(jmx_threads $dpid)
		[ "$r" -gt "$rss_max" ] && rss_max=$r
		line="$((now - t_start)) $r $f $th $(status) $takes"
		echo "$line"
		[ -n "$first" ] || first=$line
		if [ "$now" -ge "$warm" ]; then
			[ -n "$rss_warm" ] || rss_warm=$r
			[ -n "$fd_min" ] && [ "$fd_min" -le "$f" ] || fd_min=$f
			[ -n "$th_min" ] && [ "$th_min" -le "$th" ] || th_min=$th
			[ -n "$th_max" ] && [ "$th_max" -ge "$th" ] || th_max=$th
		fi
	fi
done
./jmx_osc "$port" /record/stop >/dev/null 2>&1
sleep 1
check_takes
r=$(jmx_rss_kb $dpid) f=$(jmx_fds $dpid) th=$(jmx_threads $dpid)
[ "$r" -gt "$rss_max" ] && rss_max=$r
last="$(($(date +%s) - t_start)) $r $f $th $(status) $takes"
echo "$last"
jmx_stop_pid $dpid 10 || jmx_bad "the daemon exited with $? on SIGTERM"
echo "# first: $first"
echo "# last:  $last"
echo "# RSS after warm-up ${rss_warm:-?} kB, at the end $r kB, max $rss_max kB; fds: fewest after" \
	"warm-up ${fd_min:-?}, at the end $f; threads ${th_min:-?}..${th_max:-?} -> $th;" \
	"$(grep -c 'xrun' "$T/daemon.log") xrun log lines;" \
	"$(grep -c 'reconnected to JACK' "$T/daemon.log") server returns; $takes takes checked"
if [ -n "$rss_warm" ]; then
	[ "$r" -le $((rss_warm + rss_warm / 10 + 4096)) ] || jmx_bad "RSS grew from $rss_warm to $r kB"
	[ "$f" -le "$fd_min" ] || jmx_bad "file descriptors: at least $fd_min after the warm-up, $f at the end"
	[ "$th_min" -eq "$th_max" ] && [ "$th" -eq "$th_min" ] ||
		jmx_bad "threads: $th_min..$th_max after the warm-up, $th at the end"
fi
[ $fail -eq 0 ] && echo "soak.sh: PASS ($duration s)"
exit $fail
