#!/bin/sh
# rec-preroll.sh - pre-roll on the running daemon (--preroll 5): a click
# played 3 s before /record/start is in the file at 5 - 3 = 2 s, to within
# the time the start message takes to arrive.  rec_click plays the click,
# sends the OSC messages and counts JACK frames, so the check holds even
# when a loaded dummy server skips cycles.  A second take right after the
# first has its full pre-roll too (the buffer keeps running across takes).
# (A take started 5 s after the daemon would hold less: see test_recorder.)
. "${srcdir:-.}/jack-env.sh"
. "${srcdir:-.}/rec-env.sh"
rec_setup 256
rec_start_daemon --preroll 5 --record-bits 32f
lat=$(sed -n 's/.*master latency \([0-9]*\) frames.*/\1/p' "$dlog" | head -n 1)
[ -n "$lat" ] || jmx_fail "no master latency in the daemon's log"
fail=0

clicktake() { # TAKE SETTLE_S CLICK_TO_START_S
	./rec_click "click-$1-$$" "$port" "$1" "$2" "$3" 1 >"$JMX_TMP/click.out" 2>"$JMX_TMP/click.err" &
	c=$!
	jmx_track $c
	jmx_wait_ports "click-$1-$$" 1 10 || jmx_fail "rec_click ports"
	jmx_connect "click-$1-$$:out" "$name:in_1" || jmx_fail "jack_connect"
	wait $c || { jmx_show rec_click "$JMX_TMP/click.err"; jmx_fail "rec_click failed"; }
	jmx_untrack $c
	rec_wait_line "$dlog" "recorded .*/$1.wav" 10 || { jmx_show daemon "$dlog"; jmx_fail "take $1 not finished"; }
	out=$(cat "$JMX_TMP/click.out")
	click=$(printf '%s\n' "$out" | sed 's/click=\([0-9]*\).*/\1/')
	start=$(printf '%s\n' "$out" | sed 's/.*start=\([0-9]*\).*/\1/')
	stop=$(printf '%s\n' "$out" | sed 's/.*stop=\([0-9]*\).*/\1/')
	# where the click must be: pre-roll minus the frames from click to
	# start, plus the master latency (the limiter's lookahead)
	want=$((5 * 48000 - (start - click) + lat))
	got=$(./rec_inspect onset "$JMX_TMP/takes/$1.wav" 0.25 | sed 's/onset=\([-0-9]*\).*/\1/')
	jmx_note "$1: click $((start - click)) frames before the start; in the take at frame $got, expected $want"
	# the start message is asynchronous: it reaches the daemon a little
	# after rec_click counted, and on a loaded machine either client's
	# cycle may run late; four periods (21 ms) either way
	off=0
	if [ "$got" -gt $((want + 1024)) ] || [ "$got" -lt $((want - 1024)) ]; then
		off=1
	fi
}

# A take whose start message was held up longer than that by the
# scheduler is taken again (up to three times, each a new take): a wrong
# pre-roll is off every time, a late message only now and then.
take() { # TAKE SETTLE_S CLICK_TO_START_S
	for k in 1 2 3; do
		t=$1
		[ $k -eq 1 ] || t=$1-again$k
		clicktake "$t" "$2" "$3"
		[ $off -eq 0 ] && return 0
		[ $k -lt 3 ] || break
		jmx_note "$t: click at frame $got, want $want +- 1024: again"
		# not inside the same xrun storm; the buffer still runs across
		# takes, so a retake of pre2 still reaches back into a take
		rec_calm
	done
	jmx_note "FAIL: $1: the click was off in three takes"
	fail=1
}

take pre1 6 3
pre1=$t
# 5 s of pre-roll and what rec_click counted from start to stop (1 s of
# its wall clock: fewer frames when the server skips cycles), give or
# take the two messages' arrival (1024 frames each, as above)
pre1_want=$((5 * 48000 + stop - start))
take pre2 0.5 1 # 5 s back from here is inside the last pre1
info=$(./rec_inspect info "$JMX_TMP/takes/$pre1.wav")
frames=$(printf '%s\n' "$info" | sed 's/frames=\([0-9]*\).*/\1/')
jmx_note "$pre1: $frames frames, want $pre1_want +- 2048"
rec_near "$frames" $pre1_want 2048 ||
	{ jmx_note "FAIL: pre1 has $frames frames: want 5 s pre-roll + its $((pre1_want - 240000)) frames"; fail=1; }

jmx_stop_pid $daemon 5 || { jmx_note "FAIL: daemon exit status"; fail=1; }
[ $fail -eq 0 ] || jmx_show daemon "$dlog"
exit $fail
