#!/bin/sh
# auto-lanes.sh - automation lanes follow the JACK transport on a running
# daemon (private jackd, 48 kHz, 256 frames): a fader ride written while
# the transport rolls becomes points at transport frames, and the stopped
# transport's position picks the lane's value in read mode (coarse levels
# of a steady tone, which an xrun cannot spoil: itest_auto lanes); then
# SIGTERM (the state file is saved), a restart on the same file, and the
# lane is there point by point and plays (itest_auto restore).  Timed
# moves, read against write, glides, touch and latch: test_console.
. "${srcdir:-.}/jack-env.sh"
. "${srcdir:-.}/auto-env.sh"
jmx_require jackd jack_lsp
jmx_setup
JMX_PERIOD=256 jmx_jack_start || jmx_fail "cannot start jackd"
port=$(jmx_free_udp_port) || jmx_fail "no free UDP port"
name="jmx-autolanes-$$"
state=$JMX_TMP/console.state
auto_daemon "$name" "$port" -s "$state"
./itest_auto lanes "$name" "$port" "$JMX_TMP/lane.txt"
rc=$?
auto_stop
[ $rc -eq 0 ] || { jmx_show daemon "$JMX_TMP/daemon.log"; jmx_fail "itest_auto lanes failed"; }
grep -q '^/ch/1/fader/auto/point ' "$state" || jmx_fail "no lane points in the state file $state"

auto_daemon "$name" "$port" -s "$state"
./itest_auto restore "$name" "$port" "$JMX_TMP/lane.txt"
rc=$?
auto_stop
[ $rc -eq 0 ] || { jmx_show daemon "$JMX_TMP/daemon.log"; jmx_fail "itest_auto restore failed"; }
exit 0
