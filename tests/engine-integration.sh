#!/bin/sh
# engine-integration.sh - the running daemon on a private `jackd -d dummy`:
# its ports appear, take connections, and the measured delay of master_L
# behind bus_1_L equals the latency the daemon reports to JACK
# (itest_engine, parameters over real OSC on loopback); then a DCA move
# and a mute group sent over OSC show at master_L; then a bus delay, a
# subgroup, and a reverb return whose tail at master_L decays at the set
# RT60.  The levels through the mixer are test_console's (in-process,
# frame-exact).
. "${srcdir:-.}/jack-env.sh"
jmx_require jackd jack_lsp
jmx_setup
JMX_RATE=48000 JMX_PERIOD=256 jmx_jack_start || jmx_fail "cannot start jackd"

port=$(jmx_free_udp_port) || jmx_fail "no free UDP port"
name="jmx-eng-$$"
../src/jackmixd -n "$name" -c 2 -b 2 -p "$port" >"$JMX_TMP/daemon.log" 2>&1 &
daemon=$!
jmx_track $daemon
# 2 inputs + master, monitor and 2 buses (stereo) = 10 ports
jmx_wait_ports "$name" 10 10 || { jmx_show daemon "$JMX_TMP/daemon.log"; jmx_fail "daemon ports missing"; }

./itest_engine "$name" "$port"
rc=$?
jmx_stop_pid $daemon 5
drc=$?
[ $rc -eq 0 ] || { jmx_show daemon "$JMX_TMP/daemon.log"; jmx_fail "itest_engine failed"; }
[ $drc -eq 0 ] || { jmx_show daemon "$JMX_TMP/daemon.log"; jmx_fail "daemon exited with $drc on SIGTERM"; }
exit 0
