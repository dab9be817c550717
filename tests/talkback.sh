#!/bin/sh
# talkback.sh - talkback through the JACK input talk_in on a private
# `jackd -d dummy`: jmx_tone plays a -20 dBFS sine, --connect-talkback
# connects it to talk_in at start-up, and the tone's meter reads bus 1
# (bus_1_L/R).  With /talk/on 1 and the default destinations (every bus)
# the bus carries the tone at its level (talk level 0 dB, bus fader 0 dB:
# -20 dBFS peak, +-0.5 dB for the meter's 100 ms window on a loaded
# machine); /talk/level/db -6 takes 6 dB off; /talk/dest/1 0 and
# /talk/on 0 each leave the bus silent.  What the mixer computes is
# test_gen's and test_console's (frame-exact): this checks the port, the
# option and the connection.
srcdir=${srcdir:-.}
top_builddir=${top_builddir:-..}
. "$srcdir/jack-env.sh"

jmx_require jackd jack_lsp awk
daemon=$top_builddir/src/jackmixd
tone=./jmx_tone
jmx_built "$daemon" "$tone" "$top_builddir/src/jackmixctl"

jmx_setup
T=$JMX_TMP
dname=jmx-talk-$$
tname=jmx-talk-tone-$$
fail=0
JMX_DIAG='jmx_show "daemon log" "$T/daemon.log" 30'

# meter: the tone's latest reading of bus 1 (dBFS), after a fresh one
meter() {
	sleep 0.5
	sed -n 's/^peak_dbfs=\([^ ]*\) .*/\1/p' "$T/meter"
}
near() { awk -v v="$1" -v w="$2" -v t="$3" 'BEGIN { d = v - w; exit !(d <= t && d >= -t) }'; }

jmx_jack_start || jmx_fail "the private JACK server did not start"
$tone -n "$tname" -c 1 -a -20 -m "$T/meter" >"$T/tone.log" 2>&1 &
jmx_track $!
jmx_wait_ports "$tname" 3 10 || jmx_die "jmx_tone did not register its ports"
port=$(jmx_free_udp_port) || jmx_fail "no free UDP port found"
jmx_daemon_start -w "$T/daemon.log" -S "$JMX_SERVER" -n "$dname" -c 1 -b 2 -p "$port" \
	--feedback-port 0 --http 0 --connect-talkback "$tname:out_*" || jmx_die "jackmixd did not start"
ctl="$top_builddir/src/jackmixctl -p $port -t 3"
# in_1, talk_in, master, monitor, 2 buses (stereo), midi in and out
jmx_wait_ports "$dname" 11 10 || jmx_die "jackmixd did not register its 11 ports"
jack_lsp "$dname:talk_in" | grep -q talk_in || jmx_bad "no port talk_in"
jmx_connected "$tname:out_1" "$dname:talk_in" || jmx_bad "--connect-talkback did not connect talk_in"
jmx_connect "$dname:bus_1_L" "$tname:in_L" || jmx_die "cannot connect bus_1_L"
jmx_connect "$dname:bus_1_R" "$tname:in_R" || jmx_die "cannot connect bus_1_R"

off=$(meter)
near "$off" -200 0.01 || jmx_bad "bus 1 with talkback off: $off dBFS, want silence (-200)"
$ctl set /talk/on 1 >/dev/null || jmx_bad "/talk/on 1"
on=$(meter)
near "$on" -20 0.5 || jmx_bad "bus 1 with talkback on: $on dBFS, want -20 +- 0.5"
$ctl set /talk/level/db -6 >/dev/null || jmx_bad "/talk/level/db -6"
low=$(meter)
near "$low" -26 0.5 || jmx_bad "bus 1 at talk level -6 dB: $low dBFS, want -26 +- 0.5"
$ctl set /talk/dest/1 0 >/dev/null || jmx_bad "/talk/dest/1 0"
undest=$(meter)
near "$undest" -200 0.01 || jmx_bad "bus 1 not a destination: $undest dBFS, want silence"
$ctl set /talk/dest/1 1 >/dev/null
$ctl set /talk/on 0 >/dev/null || jmx_bad "/talk/on 0"
again=$(meter)
near "$again" -200 0.01 || jmx_bad "bus 1 with talkback off again: $again dBFS, want silence"
jmx_note "bus 1: off $off, on $on, -6 dB $low, not a destination $undest, off $again dBFS"
jmx_stop_pid "$JMX_DAEMON_PID" 5 || jmx_bad "jackmixd exited with $? on SIGTERM, want 0"
[ $fail -eq 0 ] || { jmx_show "daemon log" "$T/daemon.log" 20; exit 1; }
echo "talkback.sh: PASS"
exit 0
