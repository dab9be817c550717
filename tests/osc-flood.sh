#!/bin/sh
# osc-flood.sh - an OSC flood while the daemon plays: JMX_FLOOD_SENDERS (4)
# osc-flood processes, each JMX_FLOOD_RATE (14000) single-message
# datagrams a second to the faders, pans and trims of channels 1..8, for
# JMX_FLOOD_SECONDS (10): at least 50 000 messages a second in all.
#
# Checks: the senders together offered >= 50 000 messages/s; the daemon
# stays up and answers; its RSS grows by less than 8 MiB (or
# JMX_RSS_SLACK_KB) and it has the same file descriptors and threads as
# before; no xrun is the daemon's
# doing: the periods its process callback took longer than the period to
# process ("late" in /engine/status; JACK's xruns on a loaded or virtual
# machine also count other clients and stolen time, so they are only
# reported) are no more during the flood than during an idle stretch of
# the same length before it (+ 2, for a busy machine);
# after the flood one quiet pass of final values (a different value for
# each of the 24 parameters) reads back exactly, and the master carries
# the tone at the level those values give (fader -6 dB, centre pan, no
# trim on channel 1: -20 - 6 - 3 = -29 dBFS).
# Skips (77) only when jackd, jack_lsp or jack_connect is missing.

srcdir=${srcdir:-.}
top_builddir=${top_builddir:-..}
. "$srcdir/jack-env.sh"

jmx_require jackd jack_lsp jack_connect awk
daemon=$top_builddir/src/jackmixd
flood=./osc-flood
hostile=./jmx_hostile
osc=./jmx_osc
tone=./jmx_tone
jmx_built "$daemon" "$flood" "$hostile" "$osc" "$tone"
senders=${JMX_FLOOD_SENDERS:-4}
rate=${JMX_FLOOD_RATE:-14000}
secs=${JMX_FLOOD_SECONDS:-10}
min=${JMX_FLOOD_MIN:-50000} # messages/s the senders must offer together

jmx_setup
T=$JMX_TMP
dname=jmx-flood-$$
tname=jmx-flood-tone-$$
fail=0

JMX_DIAG='jmx_show "daemon log" "$T/daemon.log" 30'

# status: "xruns late dsp_max" from /engine/status (dsp_max since the last call)
status() { $hostile get "$port" /engine/status | awk '{ print $5, $6, $7 }'; }

jmx_jack_start || jmx_fail "the private JACK server did not start"
port=$(jmx_free_udp_port) || jmx_fail "no free UDP port found"
jmx_daemon_start "$T/daemon.log" -S "$JMX_SERVER" -n "$dname" -c 8 -b 1 -p "$port" --feedback-port 0
dpid=$JMX_DAEMON_PID
jmx_wait_ports "$dname" 14 15 || jmx_die "jackmixd did not register its 14 ports"
$tone -n "$tname" -c 1 -a -20 -m "$T/meter" >"$T/tone.log" 2>&1 &
jmx_track $!
jmx_wait_ports "$tname" 3 10 || jmx_die "jmx_tone did not register its ports"
jmx_connect "$tname:out_1" "$dname:in_1" || jmx_die "cannot connect the tone"
jmx_connect "$dname:master_L" "$tname:in_L" || jmx_die "cannot connect master_L"
jmx_connect "$dname:master_R" "$tname:in_R" || jmx_die "cannot connect master_R"
sleep 1

rss0=$(jmx_rss_kb $dpid) fd0=$(jmx_fds $dpid) th0=$(jmx_threads $dpid)
set -- $(status)
x0=$1 l0=$2
sleep "$secs"
set -- $(status)
x1=$1 l1=$2 load_idle=$3
k=1
pids=
while [ $k -le "$senders" ]; do
	$flood -p "$port" -r "$rate" -t "$secs" -b 1 >"$T/flood.$k" 2>&1 &
	pids="$pids $!"
	jmx_track $!
	k=$((k + 1))
done
for p in $pids; do
	jmx_wait_gone "$p" $((secs + 30)) || jmx_die "osc-flood $p did not finish"
	wait "$p" || jmx_bad "osc-flood $p failed: $(tail -n 1 "$T/flood."*)"
	jmx_untrack "$p"
done
set -- $(status)
x2=$1 l2=$2 load_flood=$3
jmx_alive $dpid || jmx_die "jackmixd died in the flood"
sent=$(cat "$T"/flood.* | awk '!/^#/ { s += $2; t = $5 > t ? $5 : t } END { printf "%d %.2f", s, t }')
total=${sent% *} took=${sent#* }
offered=$(awk -v s="$total" -v t="$took" 'BEGIN { printf "%d", s / t }')
idle_l=$((l1 - l0)) flood_l=$((l2 - l1))
jmx_note "$senders senders: $total messages in $took s = $offered msg/s offered"
jmx_note "idle $secs s: $((x1 - x0)) JACK xruns, $idle_l late periods, DSP max $load_idle %"
jmx_note "flood:  $((x2 - x1)) JACK xruns, $flood_l late periods, DSP max $load_flood %"
[ "$offered" -ge "$min" ] || jmx_bad "only $offered messages/s offered, want >= $min (machine too slow?)"
[ "$flood_l" -le $((idle_l + 2)) ] || jmx_bad "$flood_l late periods during the flood, $idle_l in as long idle"

# the quiet pass: distinct final values, then read them back
sleep 1
ch=1
while [ $ch -le 8 ]; do
	f=$(awk -v c=$ch 'BEGIN { printf "%g", c == 1 ? -6 : -10 - c }')
	p=$(awk -v c=$ch 'BEGIN { printf "%g", c == 1 ? 0.5 : c / 10 }')
	t=$(awk -v c=$ch 'BEGIN { printf "%g", c == 1 ? 0 : c - 5 }')
	$osc -t 0 "$port" /ch/$ch/fader/db f "$f"
	$osc -t 0 "$port" /ch/$ch/pan f "$p"
	$osc -t 0 "$port" /ch/$ch/trim/db f "$t"
	for q in "fader/db $f" "pan $p" "trim/db $t"; do
		got=$($hostile get "$port" "/ch/$ch/${q% *}" | awk '{ print $2 }')
		awk -v a="$got" -v b="${q#* }" 'BEGIN { d = a - b; exit !(a != "" && d < 1e-6 && d > -1e-6) }' ||
			jmx_bad "/ch/$ch/${q% *} reads '$got' after the quiet pass, want ${q#* }"
	done
	ch=$((ch + 1))
done
sleep 0.5
lvl=$(sed -n 's/^peak_dbfs=\([^ ]*\) .*/\1/p' "$T/meter")
awk -v v="$lvl" 'BEGIN { exit !(v > -30.5 && v < -27.5) }' || jmx_bad "master at $lvl dBFS after the flood, want -29"
jmx_resources_kept $dpid "$rss0" "$fd0" "$th0" "master $lvl dBFS"
jmx_stop_pid $dpid 5 || jmx_bad "jackmixd exited with $? on SIGTERM, want 0"
[ $fail -eq 0 ] || { jmx_show "daemon log" "$T/daemon.log" 20; exit 1; }
echo "osc-flood.sh: PASS"
exit 0
