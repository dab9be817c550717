#!/bin/sh
# osc-bench.sh - OSC throughput benchmark (not a test; `make` builds
# osc-flood, run this by hand): a private jackd (dummy, 48 kHz, 64-frame
# periods), the daemon with 32 channels and 4 buses, and osc-flood
# stepping the rate of single-message datagrams (then 16-message bundles)
# until the daemon loses messages; prints the table and the xruns the
# daemon reported during each run.
#   FLOOD_SECONDS (default 3), FLOOD_START (default 20000 msg/s)
. "${srcdir:-.}/jack-env.sh"
jmx_require jackd jack_lsp
jmx_setup
JMX_RATE=48000 JMX_PERIOD=64 jmx_jack_start || jmx_fail "cannot start jackd"
port=$(jmx_free_udp_port) || jmx_fail "no free UDP port"
log=$JMX_TMP/daemon.log
jmx_daemon_start "$log" -n jmx-bench -c 32 -b 4 -p "$port"
daemon=$JMX_DAEMON_PID
jmx_wait_ports jmx-bench 44 10 || { jmx_show daemon "$log"; jmx_fail "daemon did not start"; }
sleep 1
secs=${FLOOD_SECONDS:-3}
xruns() { grep -o '[0-9]* xrun' "$log" | awk '{ n += $1 } END { print n + 0 }'; }
load=$JMX_TMP/load.log
: >"$load"
if command -v jack_cpu_load >/dev/null 2>&1; then
	${STDBUF:-stdbuf -oL} jack_cpu_load >"$load" 2>&1 &
	jmx_track $!
fi
# mean DSP load in the lines of $load after line $1
dsp() { awk -v from="$1" 'NR > from && /load/ { v = $NF; sub(/%/, "", v); s += v; n++ } END { if (n) printf "%.2f%%", s / n; else print "-" }' "$load"; }
x0=$(xruns)
l0=$(wc -l <"$load")
sleep "$secs"
echo "# idle for $secs s: $(( $(xruns) - x0 )) xruns, DSP load $(dsp "$l0")"
for b in 1 16; do
	echo "# messages per datagram: $b"
	echo "# rate_req  sent  applied  lost  secs  applied_per_s  xruns  dsp_load"
	for r in ${FLOOD_RATES:-25000 50000 75000 100000 150000 200000 300000 500000}; do
		x0=$(xruns)
		l0=$(wc -l <"$load")
		line=$(./osc-flood -p "$port" -t "$secs" -r "$r" -b $b | tail -n 1)
		echo "$line $(( $(xruns) - x0 )) $(dsp "$l0")"
	done
done
grep xrun "$log" | tail -n 5
jmx_stop_pid $daemon 5
