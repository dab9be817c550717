#!/bin/sh
# rec-stall.sh - a disk that stops for 3 s in the middle of a take
# (stallshim.so sleeps one write() of the disk thread):
#   10 s of ring (the default): no dropped frames, the tone is unbroken;
#   1 s of ring (--record-buffer 1): frames are dropped, the count is
#   reported in /record/status, the file has exactly that much silence,
#   and the tone after the gap is still sample-aligned (one sinusoid fits
#   the whole file), so the file's length is exact.
. "${srcdir:-.}/jack-env.sh"
. "${srcdir:-.}/rec-env.sh"
jmx_require jackd jack_lsp jack_connect oscsend oscdump
jmx_setup
shim=${top_builddir:-..}/tests/.libs/stallshim.so
[ -f "$shim" ] || jmx_fail "no $shim (make check builds it)"
JMX_RATE=48000
JMX_PERIOD=256
jmx_jack_start || jmx_fail "cannot start jackd"
fail=0
export JMX_STALL_MS=3000 JMX_STALL_AFTER_MS=1500
for buf in 10 1; do
	REC_PRELOAD=$(cd "${shim%/*}" && pwd)/stallshim.so rec_start_daemon --record-bits 32f --record-buffer $buf
	rec_start_tone 1000.3 -20
	rec_listen
	f0=$(rec_frames)
	rec_ctl bundle /record/start "s:stall-$buf" >/dev/null || jmx_fail "/record/start"
	sleep 7
	rec_ctl get /record/stop >/dev/null || jmx_fail "/record/stop"
	f1=$(rec_frames)
	rec_wait_line "$fblog" "/record/status .* 0 \"stall-$buf.wav\"" 15 ||
		{ jmx_show feedback "$fblog"; jmx_fail "no final status"; }
	final=$(grep "/record/status .* 0 \"stall-$buf.wav\"" "$fblog" | tail -n 1)
	frames=$(rec_status_field "$final" 6)
	dropped=$(rec_status_field "$final" 7)
	fit=$(./rec_inspect tone "$JMX_TMP/takes/stall-$buf.wav" 1000.3 48000)
	info=$(./rec_inspect info "$JMX_TMP/takes/stall-$buf.wav")
	jmx_note "ring $buf s: reported frames=$frames dropped=$dropped; file: $fit; $info"
	silent=$(printf '%s\n' "$fit" | sed 's/silent=\([0-9]*\).*/\1/')
	dev=$(printf '%s\n' "$fit" | sed 's/.*maxdev=\([^ ]*\).*/\1/')
	gapdev=$(printf '%s\n' "$fit" | sed 's/.*gapdev=//')
	xruns=$(rec_xruns_since "recording .*stall-$buf")
	case $info in *"frames=$frames "*"strict=ok"*) ;; *) jmx_note "FAIL: file length vs reported"; fail=1 ;; esac
	rec_near "$frames" $((f1 - f0)) 12000 || { jmx_note "FAIL: $frames frames, the graph ran $((f1 - f0))"; fail=1; }
	# the tone after each gap continues exactly where the lost frames would
	# have put it; the whole file is one sinusoid unless an xrun upstream
	# of the daemon broke the tone itself
	awk -v d="$gapdev" 'BEGIN { exit !(d < 1e-3) }' || { jmx_note "FAIL: not sample-aligned after a gap"; fail=1; }
	if [ "$xruns" -eq 0 ]; then
		awk -v d="$dev" 'BEGIN { exit !(d < 1e-3) }' || { jmx_note "FAIL: the take is not the tone"; fail=1; }
	else
		jmx_note "JACK reported xruns during the take: the tone itself may jump, whole-file fit not checked"
	fi
	if [ $buf = 10 ]; then
		[ "$dropped" = 0 ] && [ "$silent" = 0 ] || { jmx_note "FAIL: a 3 s stall must fit a 10 s ring"; fail=1; }
	else
		[ "$dropped" -gt 48000 ] || { jmx_note "FAIL: a 3 s stall cannot fit a 1 s ring: dropped $dropped"; fail=1; }
		[ "$silent" = "$dropped" ] || { jmx_note "FAIL: $silent silent frames, $dropped reported"; fail=1; }
	fi
	jmx_stop_pid $daemon 10 || { jmx_note "FAIL: daemon exit status"; fail=1; }
	jmx_stop_pid $tone 3
done
[ $fail -eq 0 ] || jmx_show daemon "$dlog"
exit $fail
