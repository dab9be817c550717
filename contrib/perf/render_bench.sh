#!/bin/sh
# render_bench.sh - jackmixd-render's speed: 32 stems (one 32-channel
# NAME.stems.wav, 24-bit, 48 kHz, tones and noise from ffmpeg's aevalsrc)
# through a console of 32 mono channels and 4 buses with every stage
# engaged on every channel (high-pass, gate, EQ, compressor, pan, fader,
# 4 sends half pre and half post) and on the master (EQ, compressor,
# width, leveler, limiter), written as a 24-bit dithered master and the 4
# buses.  Prints the file sizes and jackmixd-render's own report: CPU time
# of the whole run (reading, mixing, writing, loudness) and the speed in
# real time.  The aim (issue 17): at least 50x on one core.
#
#   [RUNS=3] contrib/perf/render_bench.sh [SECONDS]   (default 60; from
#                                                     the top of a built tree)
set -eu
secs=${1:-60}
R=${R:-src/jackmixd-render}
d=$(mktemp -d /tmp/jmx-render-bench.XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$d"' EXIT; echo "files in $d"
expr=""
for c in $(seq 1 32); do
	expr="$expr${expr:+|}0.2*sin(2*PI*$((55 * c))*t)*(0.6+0.4*sin(2*PI*t*$c/7))+0.03*(random($c)-0.5)"
done
ffmpeg -v error -f lavfi -i "aevalsrc=$expr:s=48000:d=$secs" -c:a pcm_s24le "$d/take.stems.wav"
{
	echo "jackmixd-state 1"
	for c in $(seq 1 32); do
		echo "/ch/$c/hpf/on 1"
		echo "/ch/$c/hpf/hz 80"
		echo "/ch/$c/gate/on 1"
		echo "/ch/$c/gate/thr/db -50"
		echo "/ch/$c/eq/on 1"
		for b in 1 2 3 4; do echo "/ch/$c/eq/$b/db $((b % 2 ? 4 : -3))"; done
		echo "/ch/$c/dyn/on 1"
		echo "/ch/$c/dyn/thr/db -25"
		echo "/ch/$c/dyn/ratio 3"
		echo "/ch/$c/fader/db -5"
		echo "/ch/$c/pan $(((c % 9) * 100 / 8))e-2"
		for a in 1 2 3 4; do
			echo "/ch/$c/send/$a/level/db -10"
			echo "/ch/$c/send/$a/pre $((a <= 2))"
		done
	done
	echo "/master/eq/on 1"
	for b in 1 2 3 4; do echo "/master/eq/$b/db $((b % 2 ? 2 : -2))"; done
	echo "/master/comp/on 1"
	echo "/master/width 1.2"
	echo "/master/leveler/on 1"
	echo "/master/limiter/on 1"
	echo "end"
} >"$d/bench.state"
echo "stems: $(du -h "$d/take.stems.wav" | cut -f1) ($secs s, 32 channels, 24-bit, 48 kHz)"
i=0
while [ $i -lt "${RUNS:-3}" ]; do # the machine may be shared: several runs, read the median
	rm -rf "$d/buses" "$d/mix.wav"
	taskset -c 0 "$R" ${PERIOD:+--period $PERIOD} -c 32 -b 4 -s "$d/bench.state" -i "$d/take.stems.wav" -o "$d/mix.wav" --bus-out "$d/buses" </dev/null
	i=$((i + 1))
done
echo "outputs: mix.wav $(du -h "$d/mix.wav" | cut -f1), buses $(du -sh "$d/buses" | cut -f1)"
