#!/bin/sh
# auto-ramp.sh - timed moves on a running daemon (private jackd, 48 kHz,
# 256 frames): a fader move -40 -> 0 dB over 1 s measured at master_L
# follows the dB-linear path within 0.2 dB at every 10 ms and ends exactly
# on the target, feedback moves with it, /stop holds it, /master/fade
# reaches silence, a scene recall with a 1 s fade is fed back moving
# (itest_auto ramp).
. "${srcdir:-.}/jack-env.sh"
. "${srcdir:-.}/auto-env.sh"
jmx_require jackd jack_lsp
jmx_setup
JMX_PERIOD=256 jmx_jack_start || jmx_fail "cannot start jackd"
port=$(jmx_free_udp_port) || jmx_fail "no free UDP port"
name="jmx-autoramp-$$"
auto_daemon "$name" "$port" --snapshot-dir "$JMX_TMP/scenes"
./itest_auto ramp "$name" "$port"
rc=$?
auto_stop
[ $rc -eq 0 ] || { jmx_show daemon "$JMX_TMP/daemon.log"; jmx_fail "itest_auto ramp failed"; }
exit 0
