#!/bin/sh
# osc-hostile.sh - hostile OSC input against the running daemon, while it
# plays (jmx_hostile does the sending and the checking, see jmx_hostile.c):
#
#  1. private jackd; jackmixd -c 4 --stereo-channels 1 -b 2; jmx_tone puts
#     a -20 dBFS sine on all six inputs and meters master_L/R; the level
#     with every parameter at its default is the reference;
#  2. hostile numbers on every float parameter (NaN, +-inf, 1e39, FLT_MAX,
#     -0.0, 1e-40, int32/int64 extremes, wrong types and counts; the
#     normalised addresses too): refused with exactly one /error and no
#     change, or clamped to the table's range as documented;
#  3. hostile indices (-1, 0, N+1, 2^31-1, 1x, ...): refused, nothing
#     else touched; leading zeros are the plain index;
#  4. malformed datagrams, 50 times each, and 20 000 bundles with future
#     timetags (applied at once: timetags are ignored);
#  5. the state stays finite: /dump holds every instance inside its range,
#     the master output is a finite level, and with every parameter back
#     at its default the master is at the reference level again (+-0.5 dB:
#     no filter or envelope left in a bad state);
#  6. the daemon's RSS grew by less than 8 MiB (or JMX_RSS_SLACK_KB), its
#     file descriptors and threads are the same as before.
# Skips (77) only when jackd, jack_lsp or jack_connect is missing.

srcdir=${srcdir:-.}
top_builddir=${top_builddir:-..}
. "$srcdir/jack-env.sh"

jmx_require jackd jack_lsp jack_connect awk
daemon=$top_builddir/src/jackmixd
hostile=./jmx_hostile
tone=./jmx_tone
jmx_built "$daemon" "$hostile" "$tone"

jmx_setup
T=$JMX_TMP
dname=jmx-hostile-$$
tname=jmx-hostile-tone-$$
fail=0

JMX_DIAG='jmx_show "daemon log" "$T/daemon.log" 30'

# meter: the tone's latest reading of the master (dBFS), after a fresh one
meter() {
	sleep 0.4
	sed -n 's/^peak_dbfs=\([^ ]*\) .*/\1/p' "$T/meter"
}

jmx_jack_start || jmx_fail "the private JACK server did not start"
port=$(jmx_free_udp_port) || jmx_fail "no free UDP port found"
jmx_daemon_start "$T/daemon.log" -S "$JMX_SERVER" -n "$dname" -c 4 --stereo-channels 1 -b 2 -p "$port" \
	--feedback-port 0
dpid=$JMX_DAEMON_PID
jmx_wait_ports "$dname" 14 15 || jmx_die "jackmixd did not register its 14 ports"
$tone -n "$tname" -c 6 -a -20 -m "$T/meter" >"$T/tone.log" 2>&1 &
jmx_track $!
jmx_wait_ports "$tname" 8 10 || jmx_die "jmx_tone did not register its ports"
k=1
for p in in_1 in_2 in_3 in_4 in_5_L in_5_R; do
	jmx_connect "$tname:out_$k" "$dname:$p" || jmx_die "cannot connect $tname:out_$k"
	k=$((k + 1))
done
jmx_connect "$dname:master_L" "$tname:in_L" || jmx_die "cannot connect master_L"
jmx_connect "$dname:master_R" "$tname:in_R" || jmx_die "cannot connect master_R"
sleep 1
ref=$(meter)
awk -v v="$ref" 'BEGIN { exit !(v > -40 && v < 0) }' || jmx_die "no tone on the master to start with ($ref dBFS)"
rss0=$(jmx_rss_kb $dpid) fd0=$(jmx_fds $dpid) th0=$(jmx_threads $dpid)

$hostile numbers "$port" 5 2 || jmx_bad "hostile numbers (see above)"
$hostile indices "$port" 5 2 || jmx_bad "hostile indices (see above)"
$hostile malformed "$port" || jmx_bad "malformed datagrams (see above)"
jmx_alive $dpid || jmx_die "jackmixd died"
$hostile dumpcheck "$port" 5 2 || jmx_bad "/dump after the hostile input (see above)"
mid=$(meter)
awk -v v="$mid" 'BEGIN { exit !(v == v + 0 && v >= -200 && v < 20) }' ||
	jmx_bad "the master is not a finite level after the hostile input: '$mid'"
m=$($hostile get "$port" /master/meter) || jmx_bad "no answer to /master/meter"
printf '%s\n' "$m" | awk '{ for (i = 2; i <= NF; i++) if (!($i == $i + 0) || $i ~ /nan|inf/) exit 1 }' ||
	jmx_bad "/master/meter is not finite: $m"
$hostile defaults "$port" 5 2 || jmx_bad "could not put the defaults back"
sleep 0.5
back=$(meter)
awk -v a="$back" -v b="$ref" 'BEGIN { d = a - b; exit !(d < 0.5 && d > -0.5) }' ||
	jmx_bad "master at $back dBFS with the defaults back, was $ref: the DSP did not recover"
jmx_note "master: $ref dBFS before, $mid after the hostile input, $back with the defaults back"
jmx_resources_kept $dpid "$rss0" "$fd0" "$th0"
jmx_stop_pid $dpid 5 || jmx_bad "jackmixd exited with $? on SIGTERM, want 0"
[ $fail -eq 0 ] || { jmx_show "daemon log" "$T/daemon.log" 20; exit 1; }
echo "osc-hostile.sh: PASS"
exit 0
