#!/bin/sh
# auto-rt.sh - the RT thread stays clean while automation churns: the
# daemon under the RT shim (tests/rtshim.c, see rt-safety.sh) while the
# transport rolls, loops, stops and starts, and OSC keeps changing lane
# modes, touching, writing, clearing and starting and stopping timed moves
# (itest_auto rt), so that lane sets are replaced in flight; bus 1 runs
# its effect, EQ and compressor, routed to master, and its delay, balance,
# effect time and an EQ band are among the lanes and moves; the
# oscillator (pink) and talkback (talk_in, --talkback) are on, and their
# levels and talkback's switch are among the parameters moved and written.  The shim
# must report 0 forbidden calls and have watched the cycles.
. "${srcdir:-.}/jack-env.sh"
. "${srcdir:-.}/auto-env.sh"
jmx_require jackd jack_lsp
shim=$PWD/.libs/rtshim.so
[ -f "$shim" ] || jmx_fail "$shim not built (make check builds it)"
seconds=${JMX_AUTO_RT_SECONDS:-6}
jmx_setup
jmx_jack_start || jmx_fail "cannot start jackd"
port=$(jmx_free_udp_port) || jmx_fail "no free UDP port"
name="jmx-autort-$$"
start=$(date +%s)
AUTO_PRELOAD=$shim JMX_RTSHIM_REPORT=$JMX_TMP/daemon.report
export JMX_RTSHIM_REPORT
auto_daemon "$name" "$port" -s "$JMX_TMP/console.state" --talkback
unset JMX_RTSHIM_REPORT
./itest_auto rt "$name" "$port" "$seconds"
rc=$?
auto_stop
elapsed=$(($(date +%s) - start))
[ $rc -eq 0 ] || { jmx_show daemon "$JMX_TMP/daemon.log"; jmx_fail "itest_auto rt failed"; }
# shellcheck disable=SC2046 # "FORBIDDEN CYCLES"
set -- $(jmx_shim_report "$JMX_TMP/daemon.report")
[ $# -eq 2 ] || jmx_fail "no shim report from the daemon ($JMX_TMP/daemon.report)"
calls=$1 cycles=$2
want=$((elapsed * 48000 / 128 / 4))
jmx_note "jackmixd: $calls forbidden calls in $cycles RT cycles ($elapsed s)"
if [ "$calls" -ne 0 ]; then
	jmx_show "shim report" "$JMX_TMP/daemon.report" 20
	jmx_fail "forbidden calls on the RT thread while lanes were replaced"
fi
[ "$cycles" -ge "$want" ] || jmx_fail "only $cycles RT cycles in $elapsed s, want >= $want"
exit 0
