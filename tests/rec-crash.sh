#!/bin/sh
# rec-crash.sh - kill -9 of the daemon in the middle of a take (24-bit WAV
# and FLAC): the file opens, passes a strict header check for an unclosed
# file, and holds at least (elapsed - 2 s) of audio.
. "${srcdir:-.}/jack-env.sh"
. "${srcdir:-.}/rec-env.sh"
rec_setup 256
fail=0
for fmt in wav flac; do
	rec_start_daemon --record-format "$fmt" --record-bits 24
	rec_start_tone 1000.3 -20
	f0=$(rec_frames)
	rec_ctl bundle /record/start "s:crash-$fmt" >/dev/null || jmx_fail "/record/start"
	sleep 4.5
	f1=$(rec_frames)
	kill -KILL $daemon
	jmx_wait_gone $daemon 5
	jmx_untrack $daemon
	jmx_stop_pid $tone 3
	elapsed=$(awk -v a="$f0" -v b="$f1" 'BEGIN { print (b - a) / 48000 }')
	f=$JMX_TMP/takes/crash-$fmt.$fmt
	[ -f "$f" ] || { jmx_note "FAIL: $fmt: no file"; fail=1; continue; }
	info=$(./rec_inspect info --open "$f") || { jmx_note "FAIL: $fmt: the file does not open"; fail=1; continue; }
	jmx_note "$fmt after kill -9 at $elapsed s: $info"
	frames=$(printf '%s\n' "$info" | sed 's/frames=\([0-9]*\).*/\1/')
	awk -v f="$frames" -v e="$elapsed" 'BEGIN { exit !(f / 48000 >= e - 2) }' ||
		{ jmx_note "FAIL: $fmt: $frames frames = less than elapsed - 2 s"; fail=1; }
	if [ "$fmt" = wav ]; then
		case $info in *strict=ok*) ;; *) jmx_note "FAIL: wav header"; fail=1 ;; esac
	fi
	# the take is whole: no silence, nothing but the tone
	tone=$(./rec_inspect tone "$f" 1000.3 48000)
	jmx_note "$fmt: $tone"
	case $tone in "silent=0 "*) ;; *) jmx_note "FAIL: $fmt: silence in the take"; fail=1 ;; esac
	dev=$(printf '%s\n' "$tone" | sed 's/.*maxdev=\([^ ]*\).*/\1/')
	if [ "$(rec_xruns_since "recording .*crash-$fmt")" -eq 0 ]; then
		awk -v d="$dev" 'BEGIN { exit !(d < 1e-3) }' || { jmx_note "FAIL: $fmt: audio is not the tone"; fail=1; }
	else
		jmx_note "$fmt: JACK reported xruns: the tone itself may jump, not compared"
	fi
done
exit $fail
